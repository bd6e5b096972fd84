/**
 * `parseQuery()`: the `query` action's JSON body (protocol 9.1–9.3) to a typed `Query`, refusing
 * anything outside the grammar with an `InvalidArgumentError` that names the offending key.
 *
 * @module
 */
import { InvalidArgumentError } from "../errors.ts";
import { isRawJson } from "../model/json.ts";
import type { JsonValue } from "../model/types.ts";
import type {
  JsonObject,
  MetaCondition,
  MetaOp,
  OntologyCondition,
  OntologyOp,
  OperatorName,
  Query,
  Scalar,
  SequenceFilter,
  TextOp,
  TimeOp,
  TopicFilter,
} from "./types.ts";

const OPERATORS: ReadonlySet<string> = new Set<OperatorName>(
  ["eq", "neq", "lt", "leq", "gt", "geq", "between", "in", "match", "ex", "nex"],
);
const SECTIONS = ["sequence", "topic", "ontology"];

/**
 * Parses a query body. Integers (including raw JSON ones beyond 2^53) become `bigint`, floats `number`.
 * @throws InvalidArgumentError `Invalid query: "<key>": <reason>`.
 */
export function parseQuery(body: JsonObject): Query {
  for (const key of Object.keys(body)) {
    if (!SECTIONS.includes(key)) fail(key, "unknown section");
  }
  return {
    sequence: body.sequence === undefined ? null : parseSequence(section("sequence", body.sequence)),
    topic: body.topic === undefined ? null : parseTopic(section("topic", body.topic)),
    ontology: body.ontology === undefined ? [] : parseOntology(section("ontology", body.ontology)),
  };
}

function parseSequence(fields: JsonObject): SequenceFilter {
  const out: SequenceFilter = { userMetadata: [] };
  for (const [field, value] of Object.entries(fields)) {
    const key = `sequence.${field}`;
    if (field === "name") out.name = textOp(key, value);
    else if (field === "created_timestamp") out.createdMs = timeOp(key, value);
    else if (field === "user_metadata") out.userMetadata = metaConditions(key, section(key, value));
    else fail(key, "unknown field");
  }
  return out;
}

function parseTopic(fields: JsonObject): TopicFilter {
  const out: TopicFilter = { userMetadata: [] };
  for (const [field, value] of Object.entries(fields)) {
    const key = `topic.${field}`;
    if (field === "name") out.name = textOp(key, value);
    else if (field === "created_timestamp") out.createdMs = timeOp(key, value);
    else if (field === "ontology_tag") out.ontologyTag = textOp(key, value);
    else if (field === "serialization_format") out.serializationFormat = textOp(key, value);
    else if (field === "user_metadata") out.userMetadata = metaConditions(key, section(key, value));
    else fail(key, "unknown field");
  }
  return out;
}

function metaConditions(prefix: string, entries: JsonObject): MetaCondition[] {
  return Object.entries(entries).map(([path, value]) => {
    const key = `${prefix}.${path}`;
    if (path === "") fail(key, "empty metadata key");
    return { path: path.split("."), op: metaOp(key, value) };
  });
}

function parseOntology(entries: JsonObject): OntologyCondition[] {
  return Object.entries(entries).map(([field, value]) => {
    const key = `ontology.${field}`;
    const [tag, ...path] = field.split(".");
    if (path.length === 0) fail(key, 'expected "<ontology_tag>.<field>"');
    if (tag === "" || path.includes("")) fail(key, "empty segment in the key");
    return { tag, path, op: ontologyOp(key, value) };
  });
}

// Operators per field kind (table 9.2)

function textOp(key: string, value: JsonValue): TextOp {
  const { name, arg } = readOperator(key, value);
  switch (name) {
    case "eq":
    case "neq":
    case "match":
      return { op: name, value: expectString(key, name, arg) };
    case "in":
      if (!Array.isArray(arg)) fail(key, `$in expects an array of strings, got ${describe(arg)}`);
      return { op: name, values: arg.map((v) => expectString(key, name, v)) };
    case "ex":
    case "nex":
      return { op: name };
    default:
      return notAllowed(key, name);
  }
}

function timeOp(key: string, value: JsonValue): TimeOp {
  const { name, arg } = readOperator(key, value);
  const integer = (v: JsonValue | undefined): bigint => {
    const s = toScalar(v);
    if (typeof s !== "bigint") fail(key, `$${name} expects an integer (milliseconds), got ${describe(v)}`);
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
    case "between": {
      const [low, high] = range(key, arg, integer);
      return { op: name, low, high };
    }
    case "ex":
    case "nex":
      return { op: name };
    default:
      return notAllowed(key, name);
  }
}

function metaOp(key: string, value: JsonValue): MetaOp {
  const { name, arg } = readOperator(key, value);
  const number = (v: JsonValue | undefined): number | bigint => {
    const s = toScalar(v);
    if (typeof s !== "bigint" && typeof s !== "number") {
      fail(key, `$${name} expects a number, got ${describe(v)}`);
    }
    return s;
  };
  switch (name) {
    case "eq":
    case "neq":
      return { op: name, value: expectScalar(key, name, arg) };
    case "lt":
    case "leq":
    case "gt":
    case "geq":
      return { op: name, value: number(arg) };
    case "between": {
      const [low, high] = range(key, arg, number);
      return { op: name, low, high };
    }
    case "ex":
    case "nex":
      return { op: name };
    default:
      return notAllowed(key, name);
  }
}

function ontologyOp(key: string, value: JsonValue): OntologyOp {
  const { name, arg } = readOperator(key, value);
  switch (name) {
    case "eq":
    case "lt":
    case "leq":
    case "gt":
    case "geq":
      return { op: name, value: expectScalar(key, name, arg) };
    case "between": {
      const [low, high] = range(key, arg, (v) => expectScalar(key, name, v));
      if (kind(low) !== kind(high)) fail(key, "$between bounds must have the same type");
      return { op: name, low, high };
    }
    default:
      return notAllowed(key, name);
  }
}

// Building blocks

/** Reads `{"$op": arg}`, `"$ex"`, `"$nex"` or `{"$ex": null}`; `arg` is undefined for ex/nex. */
function readOperator(key: string, value: JsonValue): { name: OperatorName; arg: JsonValue | undefined } {
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

/** `$between [a, b]` with `a <= b`, each bound checked by `item`. */
function range<T extends Scalar>(key: string, arg: JsonValue | undefined, item: (v: JsonValue) => T): [T, T] {
  if (!Array.isArray(arg) || arg.length !== 2) {
    fail(key, `$between expects an array of two values, got ${describe(arg)}`);
  }
  const low = item(arg[0]);
  const high = item(arg[1]);
  if (kind(low) === kind(high) && low > high) fail(key, "$between has an empty range");
  return [low, high];
}

function expectString(key: string, op: string, v: JsonValue | undefined): string {
  if (typeof v !== "string") fail(key, `$${op} expects a string, got ${describe(v)}`);
  return v;
}

function expectScalar(key: string, op: string, v: JsonValue | undefined): Scalar {
  const s = toScalar(v);
  if (s === undefined) fail(key, `$${op} expects a string, number or boolean, got ${describe(v)}`);
  return s;
}

/** A JSON scalar as a typed value: integers (raw JSON ones included) become `bigint`. */
function toScalar(v: JsonValue | undefined): Scalar | undefined {
  if (isRawJson(v)) return BigInt(JSON.stringify(v));
  if (typeof v === "number") return Number.isInteger(v) ? BigInt(v) : v;
  if (typeof v === "string" || typeof v === "boolean") return v;
  return undefined;
}

/** Numbers of both kinds compare with each other; strings and booleans only with their own kind. */
function kind(s: Scalar): "number" | "string" | "boolean" {
  return typeof s === "bigint" || typeof s === "number"
    ? "number"
    : typeof s === "string"
    ? "string"
    : "boolean";
}

function section(key: string, value: JsonValue): JsonObject {
  if (!isObject(value)) fail(key, `expected an object, got ${describe(value)}`);
  return value;
}

function isObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !isRawJson(v);
}

function describe(v: JsonValue | undefined): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (isRawJson(v)) return "an integer";
  if (typeof v === "object") return "an object";
  if (typeof v === "number") return Number.isInteger(v) ? "an integer" : "a float";
  return `a ${typeof v}`;
}

function notAllowed(key: string, op: OperatorName): never {
  fail(key, `$${op} is not allowed`);
}

function fail(key: string, reason: string): never {
  throw new InvalidArgumentError(`Invalid query: "${key}": ${reason}`);
}
