/**
 * `parseQuery()`: the `query` action's JSON body to a typed `Query`, read in one dialect: 0.1.0
 * (protocol 9.1–9.3: `name`, `created_timestamp` in ms), SDK 0.4 (2026 protocol 9.1–9.4: `locator`,
 * `created_at_ns` in ns, `ontology.include_timestamp_range`) or SDK 0.6/0.7 (0.7 delta section 4:
 * `name`, `created_at_ns`, glob `$match`, wider operators, `*`/`**` user-metadata key segments). The
 * dialect is settled first (`dialect.ts`); the operator tables per dialect are in `_operators.ts`.
 * Anything outside the grammar, or a body whose keys exclude each other or the dialect it is read in,
 * is refused with an `InvalidArgumentError` that names the offending key.
 *
 * @module
 */
import type { JsonValue } from "../model/types.ts";
import { describe, fail, section } from "./_grammar.ts";
import { metaOp, ontologyOp, textOp, timeOp } from "./_operators.ts";
import { bodyEvidence, checkReadableAs, INCLUDE_TIMESTAMP_RANGE, isKeyWildcard } from "./dialect.ts";
import type {
  JsonObject,
  MetaCondition,
  OntologyCondition,
  Query,
  QueryDialect,
  SequenceFilter,
  TopicFilter,
} from "./types.ts";

const SECTIONS = ["sequence", "topic", "ontology"];
const OLDEST_FIRST: readonly QueryDialect[] = ["v1", "v2026", "v07"];

/**
 * Parses a query body in `dialect`. Without one, in the oldest dialect the body allows: `v1` for a
 * neutral body (the reading every generation before SDK 0.6 shared), `v2026` for one using
 * `created_at_ns`, `v07` only when the body proves it. Integers (including raw JSON ones beyond 2^53)
 * become `bigint`, floats `number`.
 * @throws InvalidArgumentError `Invalid query: "<key>": <reason>`.
 */
export function parseQuery(body: JsonObject, dialect?: QueryDialect): Query {
  for (const key of Object.keys(body)) {
    if (!SECTIONS.includes(key)) fail(key, "unknown section");
  }
  const { allowed, clues } = bodyEvidence(body);
  const readAs = dialect ?? OLDEST_FIRST.find((d) => allowed.includes(d))!;
  checkReadableAs(clues, readAs);
  const ontology = body.ontology === undefined
    ? { conditions: [], includeTimestampRange: false }
    : parseOntology(section("ontology", body.ontology), readAs);
  return {
    sequence: body.sequence === undefined ? null : parseSequence(section("sequence", body.sequence), readAs),
    topic: body.topic === undefined ? null : parseTopic(section("topic", body.topic), readAs),
    ontology: ontology.conditions,
    includeTimestampRange: ontology.includeTimestampRange,
    dialect: readAs,
  };
}

// Which field names a dialect has was checked with its clues (`checkReadableAs`): `name` never
// reaches here in a 2026 body, nor `locator` in another one.

function parseSequence(fields: JsonObject, dialect: QueryDialect): SequenceFilter {
  const out: SequenceFilter = { userMetadata: [] };
  for (const [field, value] of Object.entries(fields)) {
    const key = `sequence.${field}`;
    if (field === "name" || field === "locator") out.name = textOp(key, value, dialect);
    else if (field === "created_timestamp") out.createdMs = timeOp(key, value, "milliseconds", dialect);
    else if (field === "created_at_ns") out.createdNs = timeOp(key, value, "nanoseconds", dialect);
    else if (field === "user_metadata") out.userMetadata = metaConditions(key, section(key, value), dialect);
    else fail(key, "unknown field");
  }
  return out;
}

function parseTopic(fields: JsonObject, dialect: QueryDialect): TopicFilter {
  const out: TopicFilter = { userMetadata: [] };
  for (const [field, value] of Object.entries(fields)) {
    const key = `topic.${field}`;
    if (field === "name" || field === "locator") out.name = textOp(key, value, dialect);
    else if (field === "created_timestamp") out.createdMs = timeOp(key, value, "milliseconds", dialect);
    else if (field === "created_at_ns") out.createdNs = timeOp(key, value, "nanoseconds", dialect);
    else if (field === "ontology_tag") out.ontologyTag = textOp(key, value, dialect);
    else if (field === "serialization_format") out.serializationFormat = textOp(key, value, dialect);
    else if (field === "user_metadata") out.userMetadata = metaConditions(key, section(key, value), dialect);
    else fail(key, "unknown field");
  }
  return out;
}

function metaConditions(prefix: string, entries: JsonObject, dialect: QueryDialect): MetaCondition[] {
  return Object.entries(entries).map(([path, value]) => {
    const key = `${prefix}.${path}`;
    if (path === "") fail(key, "empty metadata key");
    const segments = path.split(".");
    const op = metaOp(key, value, dialect);
    // Before SDK 0.6, `*` was a key like any other.
    return dialect === "v07" && segments.some(isKeyWildcard)
      ? { path: segments, op, wildcards: true }
      : { path: segments, op };
  });
}

function parseOntology(
  entries: JsonObject,
  dialect: QueryDialect,
): { conditions: OntologyCondition[]; includeTimestampRange: boolean } {
  let includeTimestampRange = false;
  const conditions: OntologyCondition[] = [];
  for (const [field, value] of Object.entries(entries)) {
    const key = `ontology.${field}`;
    if (field === INCLUDE_TIMESTAMP_RANGE) {
      includeTimestampRange = flag(key, value);
      continue;
    }
    const [tag, ...path] = field.split(".");
    if (path.length === 0) fail(key, 'expected "<ontology_tag>.<field>"');
    if (tag === "" || path.includes("")) fail(key, "empty segment in the key");
    conditions.push({ tag, path, op: ontologyOp(key, value, dialect) });
  }
  return { conditions, includeTimestampRange };
}

function flag(key: string, value: JsonValue): boolean {
  if (typeof value !== "boolean") fail(key, `expected a boolean, got ${describe(value)}`);
  return value;
}
