/**
 * The typed query AST (protocol section 9), produced once by `parseQuery()` at the edge.
 *
 * Numbers keep JSON's integer/float distinction: an integer literal becomes a `bigint` (exact, even
 * beyond 2^53 when the body was read with `parseJsonExact`), a float a `number`. One loss is
 * inherent to `JSON.parse`: `1.0` arrives as the number 1 and so counts as the integer `1n`.
 *
 * The sequence/topic filters are defined in `catalog/query.ts` (the catalog evaluates them and must
 * not import upwards) and re-exported here.
 *
 * @module
 */
import type { JsonValue, ValueCondition } from "../model/types.ts";
import type { CatalogFilter, QueryItem } from "../catalog/query.ts";

export type {
  CatalogFilter,
  MetaCondition,
  MetaOp,
  Numeric,
  QueryItem,
  QueryTopic,
  SequenceFilter,
  TextOp,
  TimeOp,
  TopicFilter,
} from "../catalog/query.ts";

/** A JSON object, as the `query` action's body arrives. */
export type JsonObject = { [key: string]: JsonValue };

/** Every operator of the grammar (9.1). */
export type OperatorName =
  | "eq"
  | "neq"
  | "lt"
  | "leq"
  | "gt"
  | "geq"
  | "between"
  | "in"
  | "match"
  | "outside"
  | "ex"
  | "nex";

export type { Scalar, ValueCondition, ValueOp as OntologyOp } from "../model/types.ts";

/** `"imu.header.stamp.sec": {...}`: tag `imu`, path `["header", "stamp", "sec"]`. */
export interface OntologyCondition extends ValueCondition {
  tag: string;
}

/**
 * Which SDK generation a query body is written in (2026 protocol section 15, 0.7 delta section 4):
 * `v1` for the 0.1.0 grammar (`name`, `created_timestamp` in ms, substring `$match`), `v2026` for SDK
 * 0.4 (`locator`, `created_at_ns`, `include_timestamp_range`, substring `$match`), `v07` for SDK 0.6/0.7
 * (`name`, `created_at_ns`, glob `$match`, `$outside`, wider operator tables). See `dialect.ts`.
 */
export type QueryDialect = "v1" | "v2026" | "v07";

/** A parsed query; sections absent from the body are null (ontology: empty). */
export interface Query extends CatalogFilter {
  ontology: OntologyCondition[];
  /** 2026 `ontology.include_timestamp_range`: answer each ontology-matched topic's row time range. */
  includeTimestampRange: boolean;
  /** The dialect the body was read in (`resolveQueryDialect()`). */
  dialect: QueryDialect;
}

/** The answer of `runQuery()`, for either protocol's renderer (`render.ts`). */
export interface QueryResult {
  /** The dialect the query body was read in (see {@linkcode Query.dialect}). */
  dialect: QueryDialect;
  /** One item per sequence with at least one selected topic. */
  items: QueryItem[];
}
