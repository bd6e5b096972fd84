/**
 * `parseQuery()`: the `query` action's JSON body to a typed `Query`, in either grammar: 0.1.0
 * (protocol 9.1–9.3: `name`, `created_timestamp` in ms) or 2026 (2026 protocol 9.1–9.4: `locator`,
 * `created_at_ns` in ns, `ontology.include_timestamp_range`). Anything outside the grammar, or a body
 * mixing both (`dialect.ts`), is refused with an `InvalidArgumentError` that names the offending key.
 *
 * @module
 */
import type { JsonValue } from "../model/types.ts";
import {
  describe,
  expectScalar,
  expectString,
  fail,
  kind,
  notAllowed,
  range,
  readOperator,
  section,
  toScalar,
} from "./_grammar.ts";
import { INCLUDE_TIMESTAMP_RANGE, queryDialect } from "./dialect.ts";
import type {
  JsonObject,
  MetaCondition,
  MetaOp,
  OntologyCondition,
  OntologyOp,
  Query,
  QueryDialect,
  SequenceFilter,
  TextOp,
  TimeOp,
  TopicFilter,
} from "./types.ts";

const SECTIONS = ["sequence", "topic", "ontology"];

/**
 * Parses a query body. Integers (including raw JSON ones beyond 2^53) become `bigint`, floats `number`.
 * @throws InvalidArgumentError `Invalid query: "<key>": <reason>`.
 */
export function parseQuery(body: JsonObject): Query {
  for (const key of Object.keys(body)) {
    if (!SECTIONS.includes(key)) fail(key, "unknown section");
  }
  const dialect = queryDialect(body);
  const ontology = body.ontology === undefined
    ? { conditions: [], includeTimestampRange: false }
    : parseOntology(section("ontology", body.ontology));
  return {
    sequence: body.sequence === undefined ? null : parseSequence(section("sequence", body.sequence), dialect),
    topic: body.topic === undefined ? null : parseTopic(section("topic", body.topic), dialect),
    ontology: ontology.conditions,
    includeTimestampRange: ontology.includeTimestampRange,
    dialect,
  };
}

function parseSequence(fields: JsonObject, dialect: QueryDialect | null): SequenceFilter {
  const out: SequenceFilter = { userMetadata: [] };
  for (const [field, value] of Object.entries(fields)) {
    const key = `sequence.${field}`;
    if (field === "name" || field === "locator") out.name = textOp(key, value, dialect);
    else if (field === "created_timestamp") out.createdMs = timeOp(key, value, "milliseconds");
    else if (field === "created_at_ns") out.createdNs = timeOp(key, value, "nanoseconds");
    else if (field === "user_metadata") out.userMetadata = metaConditions(key, section(key, value));
    else fail(key, "unknown field");
  }
  return out;
}

function parseTopic(fields: JsonObject, dialect: QueryDialect | null): TopicFilter {
  const out: TopicFilter = { userMetadata: [] };
  for (const [field, value] of Object.entries(fields)) {
    const key = `topic.${field}`;
    if (field === "name" || field === "locator") out.name = textOp(key, value, dialect);
    else if (field === "created_timestamp") out.createdMs = timeOp(key, value, "milliseconds");
    else if (field === "created_at_ns") out.createdNs = timeOp(key, value, "nanoseconds");
    else if (field === "ontology_tag") out.ontologyTag = textOp(key, value, dialect);
    else if (field === "serialization_format") out.serializationFormat = textOp(key, value, dialect);
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

function parseOntology(
  entries: JsonObject,
): { conditions: OntologyCondition[]; includeTimestampRange: boolean } {
  let includeTimestampRange = false;
  const conditions: OntologyCondition[] = [];
  for (const [field, value] of Object.entries(entries)) {
    const key = `ontology.${field}`;
    if (field === INCLUDE_TIMESTAMP_RANGE) {
      if (typeof value !== "boolean") fail(key, `expected a boolean, got ${describe(value)}`);
      includeTimestampRange = value;
      continue;
    }
    const [tag, ...path] = field.split(".");
    if (path.length === 0) fail(key, 'expected "<ontology_tag>.<field>"');
    if (tag === "" || path.includes("")) fail(key, "empty segment in the key");
    conditions.push({ tag, path, op: ontologyOp(key, value) });
  }
  return { conditions, includeTimestampRange };
}

// Operators per field kind (table 9.2)

/** A text field. `$in` takes an empty list in 0.1.0 (the SDK sends one; it selects nothing), not in 2026. */
function textOp(key: string, value: JsonValue, dialect: QueryDialect | null): TextOp {
  const { name, arg } = readOperator(key, value);
  switch (name) {
    case "eq":
    case "neq":
    case "match":
      return { op: name, value: expectString(key, name, arg) };
    case "in":
      if (!Array.isArray(arg)) fail(key, `$in expects an array of strings, got ${describe(arg)}`);
      if (arg.length === 0 && dialect === "v2026") fail(key, "$in expects a non-empty array of strings");
      return { op: name, values: arg.map((v) => expectString(key, name, v)) };
    case "ex":
    case "nex":
      return { op: name };
    default:
      return notAllowed(key, name);
  }
}

function timeOp(key: string, value: JsonValue, unit: "milliseconds" | "nanoseconds"): TimeOp {
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
