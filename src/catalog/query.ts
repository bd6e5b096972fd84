/**
 * The sequence/topic part of the `query` action (protocol 9.2, 9.3, 9.5): which topics satisfy
 * conditions on names, creation times, tags, formats and user metadata, grouped by sequence.
 *
 * The filter types live here, not in `query/`, because `catalog/` must not import upwards;
 * `src/query/types.ts` re-exports them as part of the query AST.
 *
 * The SQL is one statement assembled from fixed fragments (`_query_sql.ts`): every key and every
 * value is a `$n` parameter, so no part of a query can become SQL text.
 *
 * @module
 */
import type { ValueCondition } from "../model/types.ts";
import { metaCondition, Params, textCondition, timeCondition } from "./_query_sql.ts";
import { statsCondition } from "./_stats_sql.ts";
import type { SqlDriver } from "./driver.ts";

/** The comparisons every ordered field takes; on text, ordering is UTF-8 byte order. */
export type Comparison = "eq" | "neq" | "lt" | "leq" | "gt" | "geq";

/**
 * An operator on a text column (names, ontology tag, serialization format). `match` is the 0.1.0 and
 * SDK 0.4 `$match`, a literal substring test; `glob` is the SDK 0.6/0.7 one, a glob full match
 * (`model/glob.ts`). Ordering operators are SDK 0.6/0.7 only.
 */
export type TextOp =
  | { op: Comparison; value: string }
  | { op: "between" | "outside"; low: string; high: string }
  | { op: "match"; value: string }
  | { op: "glob"; pattern: string }
  | { op: "in"; values: string[] }
  | { op: "ex" | "nex" };

/** An operator on a creation time (JSON integers only), in the unit of the field it sits on. */
export type TimeOp =
  | { op: Comparison; value: bigint }
  | { op: "between" | "outside"; low: bigint; high: bigint }
  | { op: "in"; values: bigint[] }
  | { op: "ex" | "nex" };

/** A JSON number: `bigint` for an integer literal, `number` for a float. */
export type Numeric = number | bigint;

/**
 * An operator on the value at a user-metadata path (9.3). Ordering takes numbers, and (SDK 0.6/0.7)
 * strings; `in`, `outside` and `glob` (`$match`) are SDK 0.6/0.7 only.
 */
export type MetaOp =
  | { op: "eq" | "neq"; value: string | boolean | Numeric }
  | { op: "lt" | "leq" | "gt" | "geq"; value: Numeric | string }
  | { op: "between" | "outside"; low: Numeric; high: Numeric }
  | { op: "between" | "outside"; low: string; high: string }
  | { op: "in"; values: (string | boolean | Numeric)[] }
  | { op: "glob"; pattern: string }
  | { op: "ex" | "nex" };

/**
 * `"a.b.c": {...}` in a `user_metadata` section: `path` is `["a", "b", "c"]`. With `wildcards` (SDK
 * 0.6/0.7), a `*` segment stands for any one member or element and `**` for any number of levels
 * (none included); the condition then holds when some value the path reaches satisfies it.
 */
export interface MetaCondition {
  path: string[];
  op: MetaOp;
  wildcards?: true;
}

export interface SequenceFilter {
  /** The sequence locator: 0.1.0 `name`, 2026 `locator`. */
  name?: TextOp;
  /** 0.1.0 `created_timestamp`: milliseconds since the epoch. */
  createdMs?: TimeOp;
  /** 2026 `created_at_ns`: nanoseconds since the epoch. */
  createdNs?: TimeOp;
  userMetadata: MetaCondition[];
}

export interface TopicFilter {
  /** 0.1.0 `name`, 2026 `locator`: compared with the relative topic name, with its leading `/` (`/front/imu`). */
  name?: TextOp;
  createdMs?: TimeOp;
  createdNs?: TimeOp;
  ontologyTag?: TextOp;
  serializationFormat?: TextOp;
  userMetadata: MetaCondition[];
}

/** What the catalog can evaluate: conditions on sequences and topics (never on their data). */
export interface CatalogFilter {
  sequence: SequenceFilter | null;
  topic: TopicFilter | null;
}

/** A selected topic of an answer item. */
export interface QueryTopic {
  /** Full topic locator (`<seq>/<rest>`). */
  name: string;
  ontologyTag: string;
  /**
   * Smallest and largest `timestamp_ns` of the rows that matched the topic's ontology group, set only
   * when the query asked for it (2026 `include_timestamp_range`) and an ontology group selected the topic.
   */
  timestampRange: [bigint, bigint] | null;
}

/** One answer item: a sequence locator and its selected topics. */
export interface QueryItem {
  sequence: string;
  topics: QueryTopic[];
}

/** Whether a filter holds at least one condition (an empty one selects nothing, 9.5.2). */
export function hasConditions(filter: CatalogFilter): boolean {
  const { sequence: s, topic: t } = filter;
  return (s !== null &&
    (s.name !== undefined || s.createdMs !== undefined || s.createdNs !== undefined ||
      s.userMetadata.length > 0)) ||
    (t !== null && (t.name !== undefined || t.createdMs !== undefined || t.createdNs !== undefined ||
      t.ontologyTag !== undefined || t.serializationFormat !== undefined || t.userMetadata.length > 0));
}

/**
 * Topics satisfying every condition, grouped by sequence (sequences by id, topics by id). A filter
 * without conditions answers `[]`. A non-numeric metadata value under a numeric filter, one that does
 * not cast to a boolean under a boolean filter, or a missing path, simply does not match. No topic
 * carries a `timestampRange` here (only ontology scans compute them).
 */
export async function findTopics(db: SqlDriver, filter: CatalogFilter): Promise<QueryItem[]> {
  if (!hasConditions(filter)) return [];
  const b = new Params();
  // Grouped and encoded as one JSON value by the database: with thousands of matches, one row is far
  // cheaper to move out of the embedded catalog than a row per topic (measured 9 ms against 15 ms for
  // 1,000 topics out of 10,000).
  const rows = await db.query<{ items: string }>(
    `SELECT coalesce(json_agg(json_build_object('sequence', g.name, 'topics', g.topics) ORDER BY g.id), '[]')::text
              AS items
     FROM (SELECT s.id, s.name,
                  json_agg(json_build_object('name', t.name, 'ontologyTag', t.ontology_tag, 'timestampRange', NULL)
                    ORDER BY t.id) AS topics
           FROM topics t JOIN sequences s ON s.id = t.sequence_id
           WHERE ${catalogConditions(b, filter).join("\n             AND ")}
           GROUP BY s.id, s.name) g`,
    b.values,
  );
  return JSON.parse(rows[0].items) as QueryItem[];
}

/** A chunk whose statistics do not rule out a row satisfying a tag group's conditions. */
export interface ChunkCandidate {
  sequence: string;
  /** Full topic locator. */
  topic: string;
  key: string;
  chunkIndex: number;
}

/** One tag group of an ontology query: the tag, and conditions that must hold on the same row. */
export interface TagGroup {
  tag: string;
  conditions: readonly ValueCondition[];
}

/**
 * Chunks of the topics tagged `group.tag` (and satisfying `filter`, when it has conditions) that may
 * hold a matching row, by topic then chunk order. A chunk is ruled out when, for some condition, its
 * statistics for that column cannot contain a satisfying value: no statistics (the column is missing
 * or not comparable), another kind (a string against numbers), only nulls, or a min/max range on the
 * wrong side (`_stats_sql.ts`, per operator). Pruning never drops a chunk that has a match; the scan
 * decides exactly.
 */
export async function findChunkCandidates(
  db: SqlDriver,
  filter: CatalogFilter,
  group: TagGroup,
): Promise<ChunkCandidate[]> {
  const b = new Params();
  const where = [`t.ontology_tag = ${b.add(group.tag)}::text`];
  if (hasConditions(filter)) where.push(...catalogConditions(b, filter));
  for (const c of group.conditions) where.push(statsCondition(b, c));
  const rows = await db.query<
    { sequence_name: string; topic_name: string; key: string; chunk_index: number }
  >(
    `SELECT s.name AS sequence_name, t.name AS topic_name, c.key, c.chunk_index
     FROM chunks c JOIN topics t ON t.id = c.topic_id JOIN sequences s ON s.id = t.sequence_id
     WHERE ${where.join("\n       AND ")}
     ORDER BY t.id, c.chunk_index`,
    b.values,
  );
  return rows.map((r) => ({
    sequence: r.sequence_name,
    topic: r.topic_name,
    key: r.key,
    chunkIndex: Number(r.chunk_index),
  }));
}

/** The WHERE terms of the sequence and topic sections (over `s` and `t`). */
function catalogConditions(b: Params, filter: CatalogFilter): string[] {
  const where: string[] = [];
  const seq = filter.sequence;
  if (seq) {
    if (seq.name) where.push(textCondition(b, "s.name", seq.name));
    if (seq.createdMs) where.push(timeCondition(b, SEQUENCE_CREATED_MS, seq.createdMs));
    if (seq.createdNs) where.push(timeCondition(b, SEQUENCE_CREATED_NS, seq.createdNs));
    for (const c of seq.userMetadata) where.push(metaCondition(b, "s.user_metadata", c));
  }
  const topic = filter.topic;
  if (topic) {
    if (topic.name) {
      // A substring of the relative name is one of the full name: that cheap test runs first (no join).
      if (topic.name.op === "match") where.push(textCondition(b, "t.name", topic.name));
      where.push(textCondition(b, RELATIVE_TOPIC_NAME, topic.name));
    }
    if (topic.createdMs) where.push(timeCondition(b, TOPIC_CREATED_MS, topic.createdMs));
    if (topic.createdNs) where.push(timeCondition(b, TOPIC_CREATED_NS, topic.createdNs));
    if (topic.ontologyTag) where.push(textCondition(b, "t.ontology_tag", topic.ontologyTag));
    if (topic.serializationFormat) {
      where.push(textCondition(b, "t.serialization_format", topic.serializationFormat));
    }
    for (const c of topic.userMetadata) where.push(metaCondition(b, "t.user_metadata", c));
  }
  return where;
}

/** The topic locator without its sequence: `/front/imu` for `run_01/front/imu`. */
const RELATIVE_TOPIC_NAME = "substr(t.name, length(s.name) + 1)";

/*
 * Creation times as the filters compare them: 2026 filters in ns, 0.1.0 ones in ms (`created_ms` is
 * `created_ns / 1e6` rounded down, kept beside it for 0.1.0 answers and filters).
 */
const SEQUENCE_CREATED_MS = "s.created_ms";
const SEQUENCE_CREATED_NS = "s.created_ns";
const TOPIC_CREATED_MS = "t.created_ms";
const TOPIC_CREATED_NS = "t.created_ns";
