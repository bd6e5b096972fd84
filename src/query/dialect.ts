/**
 * Which SDK generation wrote a `query` body: `v1` (0.1.0), `v2026` (SDK 0.4) or `v07` (SDK 0.6/0.7).
 * The same body can mean different things (`$match` is a substring test in `v1`/`v2026`, a glob full
 * match in `v07`; `$in []` is legal only in `v1`), so the dialect is settled before parsing:
 * {@linkcode resolveQueryDialect} reads the body first, then what the connection proved, then a fallback.
 *
 * What a body shows (0.7 delta 4 and 6):
 * - field keys under `sequence`/`topic`: `created_timestamp` is `v1`; `locator` is `v2026`; `name` is
 *   `v1` or `v07`; `created_at_ns` is `v2026` or `v07` (so `name` with `created_at_ns` is `v07`);
 * - `ontology.include_timestamp_range` is `v2026` (0.6 removed it);
 * - operators only 0.6+ has are `v07` (weaker than a connection's proven dialect): `$outside` anywhere; `$lt/$leq/$gt/$geq/$between` on a text
 *   field; on user metadata `$in`, `$match`, ordering with strings, and `*` or `**` key segments; on
 *   ontology fields `$neq`, `$in`, `$match`. (`$in` on a creation time, which `v07` also takes, is
 *   not one: no SDK is known to send it.)
 * - weaker: a `name` `$match` value holding a glob metacharacter (`*?[#`) suggests `v07`, but only
 *   after the connection's own dialect (a 0.1.0 client may look for a literal `*`).
 *
 * Looks at keys and operator names only; values are checked by `parseQuery()`, and parts that are not
 * objects are skipped here.
 *
 * @module
 */
import { fail, isObject } from "./_grammar.ts";
import type { JsonObject, QueryDialect } from "./types.ts";

/** The 2026 flag inside the `ontology` section (a flag, not a field). */
export const INCLUDE_TIMESTAMP_RANGE = "include_timestamp_range";

/** Every dialect, newest first. */
const NEWEST_FIRST: readonly QueryDialect[] = ["v07", "v2026", "v1"];

/** How messages name each dialect. */
export const NAMES: Record<QueryDialect, string> = {
  v1: "0.1.0",
  v2026: "SDK 0.4",
  v07: "SDK 0.6/0.7",
};

/**
 * One thing a body shows: the key it sits at, the operator when an operator shows it (else the key
 * itself does), and the dialects it allows.
 */
export interface Clue {
  key: string;
  op?: string;
  allows: readonly QueryDialect[];
}

const V1: readonly QueryDialect[] = ["v1"];
const V2026: readonly QueryDialect[] = ["v2026"];
const V07: readonly QueryDialect[] = ["v07"];
const FIELD_CLUES: Record<string, readonly QueryDialect[]> = {
  name: ["v1", "v07"],
  locator: V2026,
  created_timestamp: V1,
  created_at_ns: ["v2026", "v07"],
};
const TEXT_FIELDS = ["name", "locator", "ontology_tag", "serialization_format"];
const ORDERING = ["$lt", "$leq", "$gt", "$geq", "$between", "$outside"];
const GLOB_META = /[*?[#]/;

/**
 * The dialect a query body is read in: the one its keys prove; else `connection` when the keys allow it
 * (its operators are then checked against that dialect by the parser); else the one its operators
 * prove; else `v07` when a `name` `$match` looks like a glob; else `fallback` when the body allows it;
 * else, on a connection that proved the 2026 line (SDK 0.4 or later), the newest dialect the body
 * allows (a `name` body there comes from SDK 0.6, never from 0.1.0), and on any other connection the
 * oldest one (what the keys meant before SDK 0.6: `name` is 0.1.0's, `created_at_ns` SDK 0.4's).
 * @throws InvalidArgumentError when keys of the body exclude each other, naming both:
 *   `Invalid query: "sequence.locator": the key (SDK 0.4) cannot be mixed with "sequence.name"
 *   (0.1.0 or SDK 0.6/0.7)`.
 */
export function resolveQueryDialect(
  body: JsonObject,
  connection: QueryDialect | null,
  fallback: "v1" | "v2026",
): QueryDialect {
  const { allowed, byKeys, globHint } = bodyEvidence(body);
  if (byKeys.length === 1) return byKeys[0];
  // A connection that proved its SDK outranks what operators suggest: an operator its SDK does not have
  // is then refused as such (a 0.1.0 client asking `$lt` on a name gets the 0.1.0 refusal, as before).
  if (connection !== null && byKeys.includes(connection)) return connection;
  if (allowed.length === 1) return allowed[0];
  if (globHint && allowed.includes("v07")) return "v07";
  if (allowed.includes(fallback)) return fallback;
  const newest = connection === "v2026" || connection === "v07";
  return (newest ? allowed : allowed.toReversed())[0]; // `allowed` is newest first
}

/**
 * What a body shows: the dialects it allows (newest first), the clues that narrowed them, and whether
 * a `name` `$match` looks like a glob.
 * @throws InvalidArgumentError when two clues exclude each other.
 */
export function bodyEvidence(
  body: JsonObject,
): { allowed: QueryDialect[]; byKeys: QueryDialect[]; clues: Clue[]; globHint: boolean } {
  const clues: Clue[] = [];
  let globHint = false;
  for (const section of ["sequence", "topic"]) {
    const fields = body[section];
    if (!isObject(fields)) continue;
    for (const [field, value] of Object.entries(fields)) {
      const key = `${section}.${field}`;
      if (Object.hasOwn(FIELD_CLUES, field)) clues.push({ key, allows: FIELD_CLUES[field] });
      const op = operatorName(value);
      if (op === "$outside") clues.push({ key, op, allows: V07 });
      else if (TEXT_FIELDS.includes(field) && op !== null && ORDERING.includes(op)) {
        clues.push({ key, op, allows: V07 });
      }
      if ((field === "name") && op === "$match" && isObject(value)) {
        const arg = value.$match;
        if (typeof arg === "string" && GLOB_META.test(arg)) globHint = true;
      }
      if (field === "user_metadata" && isObject(value)) metadataClues(key, value, clues);
    }
  }
  const ontology = body.ontology;
  if (isObject(ontology)) {
    for (const [field, value] of Object.entries(ontology)) {
      const key = `ontology.${field}`;
      if (field === INCLUDE_TIMESTAMP_RANGE) clues.push({ key, allows: V2026 });
      const op = operatorName(value);
      if (op === "$neq" || op === "$in" || op === "$match" || op === "$outside") {
        clues.push({ key, op, allows: V07 });
      }
    }
  }
  const allowed = intersect(clues);
  return { allowed, byKeys: intersect(clues.filter((c) => c.op === undefined)), clues, globHint };
}

function metadataClues(prefix: string, entries: JsonObject, clues: Clue[]): void {
  for (const [path, value] of Object.entries(entries)) {
    const key = `${prefix}.${path}`;
    if (path.split(".").some(isKeyWildcard)) clues.push({ key, op: "a * or ** key segment", allows: V07 });
    const op = operatorName(value);
    if (op === "$in" || op === "$match" || op === "$outside") clues.push({ key, op, allows: V07 });
    else if (op !== null && ORDERING.includes(op) && isObject(value) && holdsString(value[op])) {
      clues.push({ key, op: `${op} with a string`, allows: V07 });
    }
  }
}

function holdsString(arg: unknown): boolean {
  return typeof arg === "string" || (Array.isArray(arg) && arg.some((v) => typeof v === "string"));
}

/** The single `$op` key of an operator object, or null for anything else (`"$ex"` strings included). */
function operatorName(value: unknown): string | null {
  if (!isObject(value as JsonObject)) return null;
  const keys = Object.keys(value as JsonObject);
  return keys.length === 1 && keys[0].startsWith("$") ? keys[0] : null;
}

/** Whether a user-metadata key segment is a wildcard (`v07`): `*` one level, `**` any number of levels. */
export function isKeyWildcard(segment: string): boolean {
  return segment === "*" || segment === "**";
}

/** The dialects every clue allows; fails naming two clues that exclude each other. */
function intersect(clues: readonly Clue[]): QueryDialect[] {
  let allowed = [...NEWEST_FIRST];
  for (const [i, clue] of clues.entries()) {
    const next = allowed.filter((d) => clue.allows.includes(d));
    if (next.length === 0) {
      const other = clues.slice(0, i).find((c) => !c.allows.some((d) => clue.allows.includes(d))) ??
        clues[0];
      if (other.key === clue.key) {
        fail(clue.key, `${label(clue)} cannot be used on this key (${list(other)})`);
      }
      const where = other.op === undefined ? `"${other.key}"` : `${other.op} at "${other.key}"`;
      fail(clue.key, `${label(clue)} cannot be mixed with ${where} (${list(other)})`);
    }
    allowed = next;
  }
  return allowed;
}

/**
 * Refuses a body read in `dialect` when one of its clues excludes that dialect.
 * @throws InvalidArgumentError `Invalid query: "sequence.locator": the key (SDK 0.4) cannot be read as 0.1.0`.
 */
export function checkReadableAs(clues: readonly Clue[], dialect: QueryDialect): void {
  const clue = clues.find((c) => !c.allows.includes(dialect));
  if (clue === undefined) return;
  if (clue.op !== undefined && clue.op.startsWith("$")) {
    fail(clue.key, `${clue.op} is not allowed here in ${NAMES[dialect]} (only ${list(clue)} has it)`);
  }
  fail(clue.key, `${label(clue)} cannot be read as ${NAMES[dialect]}`);
}

function label(clue: Clue): string {
  return `${clue.op ?? "the key"} (${list(clue)})`;
}

function list(clue: Clue): string {
  return clue.allows.map((d) => NAMES[d]).join(" or ");
}
