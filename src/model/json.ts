/**
 * JSON that keeps integers exact. `JSON.parse` turns 1700000000123456789 into 1700000000123456800;
 * robots put nanosecond timestamps and 64-bit ids in their metadata, so integers beyond ±2^53 are
 * kept as raw JSON text (`JSON.rawJSON`), which `JSON.stringify` writes back verbatim. Only literals of at
 * most 20 digits (64-bit integers) are kept so.
 *
 * @module
 */
import type { JsonValue } from "./types.ts";

interface RawJsonApi {
  rawJSON(text: string): JsonValue;
  isRawJSON(value: unknown): boolean;
}
const RawJson = JSON as unknown as RawJsonApi;

type ReviverContext = { source?: string };

function reviver(this: unknown, _key: string, value: unknown, context?: ReviverContext): unknown {
  if (typeof value === "number" && !Number.isSafeInteger(value) && context?.source !== undefined) {
    // Up to 20 digits: the int64/uint64 range. Longer integer literals are floats that PostgreSQL's
    // numeric spelled out in full (1.7976931348623157e308 comes back as 309 digits): keep those as doubles.
    if (/^-?\d{1,20}$/.test(context.source)) return RawJson.rawJSON(context.source);
  }
  return value;
}

/** Parses JSON text; integers beyond ±2^53 stay exact. @throws SyntaxError */
export function parseJsonExact(text: string): JsonValue {
  return JSON.parse(text, reviver as (key: string, value: unknown) => unknown);
}

/** Whether a value is an exact integer kept as raw JSON by `parseJsonExact`. */
export function isRawJson(value: unknown): boolean {
  return RawJson.isRawJSON(value);
}

/**
 * Deepest nesting of arrays and objects in JSON text, found without parsing (and without recursion).
 * Parsing with a reviver recurses, so callers check this first to refuse pathological nesting cleanly.
 */
export function jsonNestingDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) max = Math.max(max, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}
