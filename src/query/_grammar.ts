/**
 * The building blocks of the query grammar shared by `parse.ts` and `dialect.ts`: operator objects,
 * typed scalars, and the `InvalidArgumentError` that names the offending key.
 *
 * @module
 */
import { InvalidArgumentError } from "../errors.ts";
import { isRawJson } from "../model/json.ts";
import type { JsonValue } from "../model/types.ts";
import { compareExact, compareUtf8 } from "../arrow/row_filter.ts";
import type { JsonObject, OperatorName, Scalar } from "./types.ts";

const OPERATORS: ReadonlySet<string> = new Set<OperatorName>(
  ["eq", "neq", "lt", "leq", "gt", "geq", "between", "in", "match", "outside", "ex", "nex"],
);

/** Reads `{"$op": arg}`, `"$ex"`, `"$nex"` or `{"$ex": null}`; `arg` is undefined for ex/nex. */
export function readOperator(
  key: string,
  value: JsonValue,
): { name: OperatorName; arg: JsonValue | undefined } {
  if (value === "$ex" || value === "$nex") return { name: value.slice(1) as OperatorName, arg: undefined };
  if (!isObject(value)) fail(key, `expected an operator object, got ${describe(value)}`);
  const keys = Object.keys(value);
  if (keys.length !== 1) fail(key, `an operator object must have exactly one key, got ${keys.length}`);
  const op = keys[0];
  const name = op.slice(1);
  if (!op.startsWith("$") || !OPERATORS.has(name)) fail(key, `unknown operator "${op}"`);
  if (name === "ex" || name === "nex") {
    if (value[op] !== null) fail(key, `${op} takes null, got ${describe(value[op])}`);
    return { name, arg: undefined };
  }
  return { name: name as OperatorName, arg: value[op] };
}

/**
 * `$between [a, b]` (inclusive) or `$outside [a, b]` (below `a` or above `b`) with `a <= b`, each bound
 * checked by `item`. Strings order by UTF-8 bytes, as every string comparison does.
 */
export function range<T extends Scalar>(
  key: string,
  op: "between" | "outside",
  arg: JsonValue | undefined,
  item: (v: JsonValue) => T,
): [T, T] {
  if (!Array.isArray(arg) || arg.length !== 2) {
    fail(key, `$${op} expects an array of two values, got ${describe(arg)}`);
  }
  const low = item(arg[0]);
  const high = item(arg[1]);
  if (kind(low) === kind(high) && compareScalars(low, high) > 0) {
    fail(
      key,
      op === "between" ? "$between has an empty range" : "$outside needs its first bound <= its second",
    );
  }
  return [low, high];
}

/** Sign of `a - b` for two scalars of one kind: numbers exactly, strings by UTF-8 bytes, false < true. */
export function compareScalars(a: Scalar, b: Scalar): number {
  if (typeof a === "string" && typeof b === "string") return compareUtf8(a, b);
  if (typeof a === "bigint" && typeof b === "bigint") return a < b ? -1 : a > b ? 1 : 0;
  const x = Number(a), y = Number(b);
  // A bigint against a float: exact through compareExact (below 2^53 both are exact anyway).
  if (typeof a === "bigint" && typeof b === "number") return compareExact(a, b);
  if (typeof a === "number" && typeof b === "bigint") return -compareExact(b, a);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** `v` when it is a string; refuses anything else. */
export function expectString(key: string, op: string, v: JsonValue | undefined): string {
  if (typeof v !== "string") fail(key, `$${op} expects a string, got ${describe(v)}`);
  return v;
}

/** `$in [v, ...]`: a non-empty array, each value checked by `item`. */
export function list<T>(key: string, arg: JsonValue | undefined, item: (v: JsonValue) => T): T[] {
  if (!Array.isArray(arg) || arg.length === 0) {
    fail(key, `$in expects a non-empty array, got ${describe(arg)}`);
  }
  return arg.map(item);
}

/** `v` as a typed scalar (string, number, boolean); refuses null, arrays and objects. */
export function expectScalar(key: string, op: string, v: JsonValue | undefined): Scalar {
  const s = toScalar(v);
  if (s === undefined) fail(key, `$${op} expects a string, number or boolean, got ${describe(v)}`);
  return s;
}

/** A JSON scalar as a typed value: integers (raw JSON ones included) become `bigint`. */
export function toScalar(v: JsonValue | undefined): Scalar | undefined {
  if (isRawJson(v)) return BigInt(JSON.stringify(v));
  if (typeof v === "number") return Number.isInteger(v) ? BigInt(v) : v;
  if (typeof v === "string" || typeof v === "boolean") return v;
  return undefined;
}

/** Numbers of both kinds compare with each other; strings and booleans only with their own kind. */
export function kind(s: Scalar): "number" | "string" | "boolean" {
  return typeof s === "bigint" || typeof s === "number"
    ? "number"
    : typeof s === "string"
    ? "string"
    : "boolean";
}

/** `value` when it is a JSON object (a section, a metadata map); refuses anything else. */
export function section(key: string, value: JsonValue): JsonObject {
  if (!isObject(value)) fail(key, `expected an object, got ${describe(value)}`);
  return value;
}

/** Whether `v` is a plain JSON object (not an array, null or an exact integer). */
export function isObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !isRawJson(v);
}

/** What `v` is, for messages: `an integer`, `a string`, `null`... */
export function describe(v: JsonValue | undefined): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (isRawJson(v)) return "an integer";
  if (typeof v === "object") return "an object";
  if (typeof v === "number") return Number.isInteger(v) ? "an integer" : "a float";
  return `a ${typeof v}`;
}

/** Refuses an operator the field does not take (table 9.2). */
export function notAllowed(key: string, op: OperatorName): never {
  fail(key, `$${op} is not allowed`);
}

/** @throws InvalidArgumentError `Invalid query: "<key>": <reason>`. */
export function fail(key: string, reason: string): never {
  throw new InvalidArgumentError(`Invalid query: "${key}": ${reason}`);
}
