/**
 * Reading the store's JSON manifests for `rebuild` and `verify`.
 *
 * @module
 */
import { parseJsonExact } from "../model/json.ts";
import type { ObjectStore } from "../store/store.ts";

/**
 * The JSON of the object at `key`. User metadata needs exact integers (`exact`, the default); chunk
 * statistics are float64 by definition and must stay numbers (`exact: false`).
 * @throws when the object is missing, not UTF-8 or not JSON.
 */
export async function readManifestJson(
  store: ObjectStore,
  key: string,
  { exact = true } = {},
): Promise<unknown> {
  const text = new TextDecoder("utf-8", { fatal: true }).decode(await store.get(key));
  return exact ? parseJsonExact(text) : JSON.parse(text);
}

/** JSON with object keys sorted: equal values give equal text whatever their key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, v) =>
      v !== null && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
        : v,
  );
}
