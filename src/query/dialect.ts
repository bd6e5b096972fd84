/**
 * `queryDialect()`: which SDK generation wrote a `query` body, from its keys alone (2026 protocol
 * section 15). The 0.1.0 grammar names fields `name` and `created_timestamp` (ms); the 2026 one
 * `locator` and `created_at_ns` (ns), and its `ontology` section may carry `include_timestamp_range`.
 * Every other key reads the same in both, so a body using none of these is neutral.
 *
 * @module
 */
import { fail, isObject } from "./_grammar.ts";
import type { JsonObject, QueryDialect } from "./types.ts";

/** Section fields only the 0.1.0 grammar has. */
export const V1_FIELDS: readonly string[] = ["name", "created_timestamp"];
/** Section fields only the 2026 grammar has. */
export const V2026_FIELDS: readonly string[] = ["locator", "created_at_ns"];
/** The 2026 flag inside the `ontology` section (a flag, not a field). */
export const INCLUDE_TIMESTAMP_RANGE = "include_timestamp_range";

/**
 * What a query body proves: `v1` when it uses a 0.1.0-only key, `v2026` when it uses a 2026-only key,
 * null when it uses neither (then either SDK could have sent it byte for byte). Looks at keys only:
 * values are checked by `parseQuery()`, and sections that are not objects are skipped here.
 * @throws InvalidArgumentError when the body mixes keys of both grammars (no SDK sends that, and no
 *   answer shape would fit it): `Invalid query: "sequence.locator": the 2026 key cannot be mixed with
 *   the 0.1.0 key "sequence.name"`.
 */
export function queryDialect(body: JsonObject): QueryDialect | null {
  let v1: string | null = null;
  let v2026: string | null = null;
  for (const section of ["sequence", "topic"]) {
    const fields = body[section];
    if (!isObject(fields)) continue;
    for (const field of Object.keys(fields)) {
      if (V1_FIELDS.includes(field)) v1 ??= `${section}.${field}`;
      else if (V2026_FIELDS.includes(field)) v2026 ??= `${section}.${field}`;
    }
  }
  const ontology = body.ontology;
  if (isObject(ontology) && Object.hasOwn(ontology, INCLUDE_TIMESTAMP_RANGE)) {
    v2026 ??= `ontology.${INCLUDE_TIMESTAMP_RANGE}`;
  }
  if (v1 !== null && v2026 !== null) fail(v2026, `the 2026 key cannot be mixed with the 0.1.0 key "${v1}"`);
  return v1 !== null ? "v1" : v2026 !== null ? "v2026" : null;
}
