/**
 * Row shapes as the drivers return them and the one place where snake_case columns become the
 * camelCase domain types (and domain values become parameters).
 *
 * @module
 */
import type {
  Chunk,
  ColumnStats,
  JsonValue,
  Layer,
  Notification,
  NotifyType,
  Sequence,
  SerializationFormat,
  Session,
  Topic,
} from "../model/types.ts";
import { nsToMs } from "../model/time.ts";

/** Hyphenated UUID in any case: anything else cannot match a uuid column. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Serialises JSON for a `$n::text::jsonb` parameter: both drivers pass text through unchanged. */
export function jsonParam(value: JsonValue): string {
  return JSON.stringify(value);
}

/** int8 columns arrive as `number`, or `bigint` beyond ±2^53 (see `SqlDriver.query`). */
type Int8 = number | bigint;

/**
 * Whether the sequence `s` is locked in the 0.1.0 sense: it has a session, and every session is completed
 * (protocol 2026, section 15).
 */
export const SEQUENCE_LOCKED = `(EXISTS (SELECT 1 FROM sessions x WHERE x.sequence_id = s.id)
  AND NOT EXISTS (SELECT 1 FROM sessions x WHERE x.sequence_id = s.id AND x.completed_ns IS NULL))`;

export const SEQUENCE_COLUMNS =
  `s.id, s.uuid, s.name, ${SEQUENCE_LOCKED} AS locked, s.user_metadata, s.created_ns::text AS created_ns`;

export interface SequenceRow {
  id: Int8;
  uuid: string;
  name: string;
  locked: boolean;
  user_metadata: JsonValue;
  /** int8 as text: nanoseconds exceed 2^53. */
  created_ns: string;
}

export function toSequence(r: SequenceRow): Sequence {
  const createdNs = BigInt(r.created_ns);
  return {
    id: Number(r.id),
    uuid: r.uuid,
    name: r.name,
    locked: r.locked,
    userMetadata: r.user_metadata,
    createdNs,
    createdMs: nsToMs(createdNs),
  };
}

/** Session columns; the query must join `sequences s ON s.id = x.sequence_id`. */
export const SESSION_COLUMNS = `x.id, x.uuid, x.ulid, x.sequence_id, s.name AS sequence_name,
  s.uuid AS sequence_uuid, x.created_ns::text AS created_ns, x.completed_ns::text AS completed_ns`;

export interface SessionRow {
  id: Int8;
  uuid: string;
  ulid: string;
  sequence_id: Int8;
  sequence_name: string;
  sequence_uuid: string;
  created_ns: string;
  completed_ns: string | null;
}

export function toSession(r: SessionRow): Session {
  return {
    id: Number(r.id),
    uuid: r.uuid,
    ulid: r.ulid,
    sequenceId: Number(r.sequence_id),
    sequenceName: r.sequence_name,
    sequenceUuid: r.sequence_uuid,
    createdNs: BigInt(r.created_ns),
    completedNs: r.completed_ns === null ? null : BigInt(r.completed_ns),
  };
}

/** Topic columns; the query must join `sequences s ON s.id = t.sequence_id`. */
export const TOPIC_COLUMNS = `t.id, t.uuid, t.sequence_id, s.name AS sequence_name, s.uuid AS sequence_uuid,
  t.session_id, (SELECT x.uuid FROM sessions x WHERE x.id = t.session_id) AS session_uuid,
  t.name, t.locked, t.user_metadata, t.serialization_format, t.ontology_tag,
  t.created_ns::text AS created_ns, t.completed_ns::text AS completed_ns, t.schema_key`;

export interface TopicRow {
  id: Int8;
  uuid: string;
  sequence_id: Int8;
  sequence_name: string;
  sequence_uuid: string;
  session_id: Int8;
  session_uuid: string;
  name: string;
  locked: boolean;
  user_metadata: JsonValue;
  serialization_format: SerializationFormat;
  ontology_tag: string;
  created_ns: string;
  completed_ns: string | null;
  schema_key: string | null;
}

export function toTopic(r: TopicRow): Topic {
  return {
    id: Number(r.id),
    uuid: r.uuid,
    sequenceId: Number(r.sequence_id),
    sequenceName: r.sequence_name,
    sequenceUuid: r.sequence_uuid,
    sessionId: Number(r.session_id),
    sessionUuid: r.session_uuid,
    name: r.name,
    locked: r.locked,
    userMetadata: r.user_metadata,
    serializationFormat: r.serialization_format,
    ontologyTag: r.ontology_tag,
    createdNs: BigInt(r.created_ns),
    createdMs: nsToMs(BigInt(r.created_ns)),
    completedNs: r.completed_ns === null ? null : BigInt(r.completed_ns),
    schemaKey: r.schema_key,
  };
}

export const CHUNK_COLUMNS =
  "c.id, c.uuid, c.topic_id, c.chunk_index, c.key, c.size_bytes, c.row_count, c.start_ns, c.end_ns";

export interface ChunkRow {
  id: Int8;
  uuid: string;
  topic_id: Int8;
  chunk_index: number;
  key: string;
  size_bytes: Int8;
  row_count: Int8;
  start_ns: Int8;
  end_ns: Int8;
}

export function toChunk(r: ChunkRow, stats: ColumnStats[]): Chunk {
  return {
    id: Number(r.id),
    uuid: r.uuid,
    topicId: Number(r.topic_id),
    index: r.chunk_index,
    key: r.key,
    sizeBytes: Number(r.size_bytes),
    rowCount: Number(r.row_count),
    startNs: BigInt(r.start_ns),
    endNs: BigInt(r.end_ns),
    stats,
  };
}

export const STATS_COLUMNS =
  "st.chunk_id, st.column_name, st.kind, st.min_num, st.max_num, st.min_text, st.max_text, st.has_null, st.has_nan";

export interface StatsRow {
  chunk_id: Int8;
  column_name: string;
  kind: "numeric" | "text";
  min_num: number | null;
  max_num: number | null;
  min_text: string | null;
  max_text: string | null;
  has_null: boolean;
  has_nan: boolean;
}

export function toColumnStats(r: StatsRow): ColumnStats {
  if (r.kind === "numeric") {
    return {
      column: r.column_name,
      kind: "numeric",
      min: r.min_num,
      max: r.max_num,
      hasNull: r.has_null,
      hasNan: r.has_nan,
    };
  }
  return { column: r.column_name, kind: "text", min: r.min_text, max: r.max_text, hasNull: r.has_null };
}

export interface NotificationRow {
  id: Int8;
  name: string;
  notify_type: NotifyType;
  msg: string;
  created_ms: Int8;
}

export function toNotification(r: NotificationRow): Notification {
  return {
    id: Number(r.id),
    name: r.name,
    notifyType: r.notify_type,
    msg: r.msg,
    createdMs: Number(r.created_ms),
  };
}

export function toLayer(r: { name: string; description: string }): Layer {
  return { name: r.name, description: r.description };
}
