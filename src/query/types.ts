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
import type { CatalogFilter } from "../catalog/query.ts";

export type {
  CatalogFilter,
  MetaCondition,
  MetaOp,
  Numeric,
  QueryItem,
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
  | "ex"
  | "nex";

export type { Scalar, ValueCondition, ValueOp as OntologyOp } from "../model/types.ts";

/** `"imu.header.stamp.sec": {...}`: tag `imu`, path `["header", "stamp", "sec"]`. */
export interface OntologyCondition extends ValueCondition {
  tag: string;
}

/** A parsed query; sections absent from the body are null (ontology: empty). */
export interface Query extends CatalogFilter {
  ontology: OntologyCondition[];
}
