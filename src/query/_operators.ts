/**
 * The operator tables of the query grammar, per field kind and dialect (0.1.0 protocol 9.2, 2026
 * protocol 9.2, 0.7 delta Q4/Q5): which operators a field takes and what their values must be.
 *
 * | field | v1 / v2026 | v07 adds |
 * | --- | --- | --- |
 * | text (name, locator, tag, format) | eq neq in match(substring) ex nex | lt leq gt geq between outside; match is a glob |
 * | creation time | eq neq lt leq gt geq between ex nex | outside, in |
 * | user metadata | eq neq; lt leq gt geq between on numbers; ex nex | strings in ordering, outside, in, match (glob) |
 * | ontology | eq lt leq gt geq between | neq, in, outside, match (glob) |
 *
 * `$in` takes an empty list only in `v1` (the 0.1.0 SDK sends one; it selects nothing).
 *
 * @module
 */
import { globProblem } from "../model/glob.ts";
import type { JsonValue } from "../model/types.ts";
import {
  describe,
  expectScalar,
  expectString,
  fail,
  kind,
  list,
  notAllowed,
  range,
  readOperator,
  toScalar,
} from "./_grammar.ts";
import type { MetaOp, Numeric, OntologyOp, QueryDialect, TextOp, TimeOp } from "./types.ts";

/** A text field. */
export function textOp(key: string, value: JsonValue, dialect: QueryDialect): TextOp {
  const { name, arg } = readOperator(key, value);
  const text = (v: JsonValue | undefined) => expectString(key, name, v);
  switch (name) {
    case "eq":
    case "neq":
      return { op: name, value: text(arg) };
    case "match":
      return dialect === "v07"
        ? { op: "glob", pattern: glob(key, text(arg)) }
        : { op: name, value: text(arg) };
    case "in":
      if (!Array.isArray(arg)) fail(key, `$in expects an array of strings, got ${describe(arg)}`);
      if (arg.length === 0 && dialect !== "v1") fail(key, "$in expects a non-empty array of strings");
      return { op: name, values: arg.map(text) };
    case "lt":
    case "leq":
    case "gt":
    case "geq":
      if (dialect !== "v07") return notAllowed(key, name);
      return { op: name, value: text(arg) };
    case "between":
    case "outside": {
      if (dialect !== "v07") return notAllowed(key, name);
      const [low, high] = range(key, name, arg, text);
      return { op: name, low, high };
    }
    case "ex":
    case "nex":
      return { op: name };
  }
}

/** A creation time, in the field's unit. */
export function timeOp(
  key: string,
  value: JsonValue,
  unit: "milliseconds" | "nanoseconds",
  dialect: QueryDialect,
): TimeOp {
  const { name, arg } = readOperator(key, value);
  const integer = (v: JsonValue | undefined): bigint => {
    const s = toScalar(v);
    if (typeof s !== "bigint") fail(key, `$${name} expects an integer (${unit}), got ${describe(v)}`);
    return s;
  };
  switch (name) {
    case "eq":
    case "neq":
    case "lt":
    case "leq":
    case "gt":
    case "geq":
      return { op: name, value: integer(arg) };
    case "between":
    case "outside": {
      if (name === "outside" && dialect !== "v07") return notAllowed(key, name);
      const [low, high] = range(key, name, arg, integer);
      return { op: name, low, high };
    }
    case "in":
      if (dialect !== "v07") return notAllowed(key, name);
      return { op: name, values: list(key, arg, integer) };
    case "ex":
    case "nex":
      return { op: name };
    default:
      return notAllowed(key, name);
  }
}

/** A user-metadata value (9.3). */
export function metaOp(key: string, value: JsonValue, dialect: QueryDialect): MetaOp {
  const { name, arg } = readOperator(key, value);
  const v07 = dialect === "v07";
  /** An ordering bound: a number, or (v07) a string. */
  const bound = (v: JsonValue | undefined): Numeric | string => {
    const s = toScalar(v);
    if (typeof s === "bigint" || typeof s === "number" || (v07 && typeof s === "string")) return s;
    fail(key, `$${name} expects a number${v07 ? " or a string" : ""}, got ${describe(v)}`);
  };
  switch (name) {
    case "eq":
    case "neq":
      return { op: name, value: expectScalar(key, name, arg) };
    case "lt":
    case "leq":
    case "gt":
    case "geq":
      return { op: name, value: bound(arg) };
    case "between":
    case "outside": {
      if (name === "outside" && !v07) return notAllowed(key, name);
      const [low, high] = range(key, name, arg, bound);
      if (typeof low === "string" && typeof high === "string") return { op: name, low, high };
      if (typeof low !== "string" && typeof high !== "string") return { op: name, low, high };
      return fail(key, `$${name} bounds must have the same type`);
    }
    case "in":
      if (!v07) return notAllowed(key, name);
      return { op: name, values: list(key, arg, (v) => expectScalar(key, name, v)) };
    case "match":
      if (!v07) return notAllowed(key, name);
      return { op: "glob", pattern: glob(key, expectString(key, name, arg)) };
    case "ex":
    case "nex":
      return { op: name };
  }
}

/** A data column (9.4). */
export function ontologyOp(key: string, value: JsonValue, dialect: QueryDialect): OntologyOp {
  const { name, arg } = readOperator(key, value);
  const v07 = dialect === "v07";
  const scalar = (v: JsonValue | undefined) => expectScalar(key, name, v);
  switch (name) {
    case "eq":
    case "lt":
    case "leq":
    case "gt":
    case "geq":
      return { op: name, value: scalar(arg) };
    case "neq":
      if (!v07) return notAllowed(key, name);
      return { op: name, value: scalar(arg) };
    case "between":
    case "outside": {
      if (name === "outside" && !v07) return notAllowed(key, name);
      const [low, high] = range(key, name, arg, scalar);
      if (kind(low) !== kind(high)) fail(key, `$${name} bounds must have the same type`);
      return { op: name, low, high };
    }
    case "in":
      if (!v07) return notAllowed(key, name);
      return { op: name, values: list(key, arg, scalar) };
    case "match":
      if (!v07) return notAllowed(key, name);
      return { op: "glob", pattern: glob(key, expectString(key, name, arg)) };
    default:
      return notAllowed(key, name);
  }
}

/** `pattern` once checked as a glob (refused with the key named when malformed). */
function glob(key: string, pattern: string): string {
  const problem = globProblem(pattern);
  if (problem !== null) {
    fail(key, `$match pattern ${JSON.stringify(pattern)} is not a valid glob: ${problem}`);
  }
  return pattern;
}
