/**
 * What the export tests share: the command line run in-process, values as comparable JSON text, and MCAP
 * files read back with `@mcap/core` (zstd chunks through `node:zlib`).
 *
 * @module
 */
import assert from "node:assert/strict";
import { zstdDecompressSync } from "node:zlib";
import { McapStreamReader, type McapTypes } from "@mcap/core";
export { mosaicod } from "./_cli.ts";

const RawJson = JSON as unknown as { isRawJSON(v: unknown): boolean; rawJSON(text: string): unknown };

/**
 * A value as comparable JSON text: bigints exact, bytes base64, object keys sorted, floats as JavaScript
 * writes them (so `1.0` from Python and `1` from JavaScript agree).
 */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v) => {
    if (typeof v === "bigint") return RawJson.rawJSON(v.toString());
    if (v instanceof Uint8Array) return btoa(Array.from(v, (b) => String.fromCharCode(b)).join(""));
    if (v !== null && typeof v === "object" && !Array.isArray(v) && !RawJson.isRawJSON(v)) {
      return Object.fromEntries(Object.entries(v).sort(([a], [b]) => a < b ? -1 : 1));
    }
    return v;
  });
}

/** Every record of a complete MCAP file, in file order. */
export function readMcap(bytes: Uint8Array): McapTypes.TypedMcapRecord[] {
  const reader = new McapStreamReader({ decompressHandlers: { zstd: (data) => zstdDecompressSync(data) } });
  reader.append(bytes);
  const records: McapTypes.TypedMcapRecord[] = [];
  for (let r; (r = reader.nextRecord());) records.push(r);
  assert.ok(reader.done(), "a complete MCAP file");
  return records;
}
