/**
 * The small JSON documents that make the object store self-describing: with them (and the schema
 * snapshots and chunks) the catalog can be rebuilt from the store alone. Field names are snake_case
 * and stable: other tools may read them. Written before the catalog commit that makes them visible.
 *
 * @module
 */
import type {
  Chunk,
  ColumnStats,
  JsonValue,
  Layer,
  NotifyType,
  Sequence,
  SerializationFormat,
  Session,
  Topic,
} from "./types.ts";

/**
 * 2: sessions (protocol 2026). Sequence manifests of version 1 were written before sessions existed: their
 * sequence is one implicit session (`legacy.ts`), and their topic manifests have no session or ns times.
 */
export const MANIFEST_VERSION = 2;

/**
 * Version of the per-column statistics format. Raise it when statistics change (a new column kind, a
 * fix): chunks recorded with an older version are refreshed by the `refresh_stats` job.
 */
export const CHUNK_STATS_VERSION = 1;

export interface SequenceManifest {
  version: number;
  kind: "sequence";
  uuid: string;
  name: string;
  created_ms: number;
  /** Decimal string (version 2+); absent before: `created_ms` × 10^6. */
  created_ns?: string;
  user_metadata: JsonValue;
  /** Version 1 only: the sequence was finalized. From version 2 on, sessions say it (always false). */
  locked: boolean;
}

/** A session (version 2+): `sequences/<sequence uuid>/sessions/<session uuid>/session.json`. */
export interface SessionManifest {
  version: number;
  kind: "session";
  uuid: string;
  ulid: string;
  sequence_uuid: string;
  /** Decimal strings (int64 nanoseconds). */
  created_ns: string;
  completed_ns: string | null;
}

export interface TopicManifest {
  version: number;
  kind: "topic";
  uuid: string;
  name: string;
  sequence_uuid: string;
  sequence_name: string;
  serialization_format: SerializationFormat;
  ontology_tag: string;
  created_ms: number;
  user_metadata: JsonValue;
  locked: boolean;
  /** Uuids of the committed chunks, in order; empty until the topic is locked. */
  chunks: string[];
  /** Version 2+: the session the topic belongs to (version 1: the implicit one, uuid = sequence uuid). */
  session_uuid?: string;
  /** Version 2+, decimal strings: creation and completion (null while unlocked). */
  created_ns?: string;
  completed_ns?: string | null;
}

export interface ChunkManifest {
  version: number;
  kind: "chunk";
  uuid: string;
  topic_uuid: string;
  index: number;
  key: string;
  size_bytes: number;
  row_count: number;
  /** Decimal strings: int64 nanoseconds do not fit a JSON number. */
  start_ns: string;
  end_ns: string;
  /** As `ColumnStats`, except that infinite numeric bounds are the strings "Infinity" / "-Infinity". */
  stats: StoredColumnStats[];
  /** The statistics format ({@link CHUNK_STATS_VERSION}); absent in manifests written before it existed (1). */
  stats_version?: number;
}

/** JSON has no infinities: numeric bounds that are infinite are stored as strings. */
export type StoredColumnStats =
  | ColumnStats & { kind: "text" }
  | Omit<ColumnStats & { kind: "numeric" }, "min" | "max"> & { min: StoredNumber; max: StoredNumber };
type StoredNumber = number | null | "Infinity" | "-Infinity";

function storeNumber(x: number | null): StoredNumber {
  return x === Infinity ? "Infinity" : x === -Infinity ? "-Infinity" : x;
}

function loadNumber(x: StoredNumber): number | null {
  return x === "Infinity" ? Infinity : x === "-Infinity" ? -Infinity : x;
}

/** A chunk manifest's statistics as the catalog holds them (infinite bounds restored). */
export function chunkStatsFromManifest(m: ChunkManifest): ColumnStats[] {
  return m.stats.map((s) =>
    s.kind === "numeric" ? { ...s, min: loadNumber(s.min), max: loadNumber(s.max) } : s
  );
}

export function sequenceManifest(seq: Omit<Sequence, "id" | "locked">): SequenceManifest {
  return {
    version: MANIFEST_VERSION,
    kind: "sequence",
    uuid: seq.uuid,
    name: seq.name,
    created_ms: seq.createdMs,
    created_ns: String(seq.createdNs),
    user_metadata: seq.userMetadata,
    locked: false,
  };
}

export function sessionManifest(
  session: Omit<Session, "id" | "sequenceId" | "sequenceName">,
): SessionManifest {
  return {
    version: MANIFEST_VERSION,
    kind: "session",
    uuid: session.uuid,
    ulid: session.ulid,
    sequence_uuid: session.sequenceUuid,
    created_ns: String(session.createdNs),
    completed_ns: session.completedNs === null ? null : String(session.completedNs),
  };
}

export function topicManifest(
  topic: Omit<Topic, "id" | "sequenceId" | "sessionId" | "schemaKey">,
  chunkUuids: string[] = [],
): TopicManifest {
  return {
    version: MANIFEST_VERSION,
    kind: "topic",
    uuid: topic.uuid,
    name: topic.name,
    sequence_uuid: topic.sequenceUuid,
    sequence_name: topic.sequenceName,
    serialization_format: topic.serializationFormat,
    ontology_tag: topic.ontologyTag,
    created_ms: topic.createdMs,
    user_metadata: topic.userMetadata,
    locked: topic.locked,
    chunks: chunkUuids,
    session_uuid: topic.sessionUuid,
    created_ns: String(topic.createdNs),
    completed_ns: topic.completedNs === null ? null : String(topic.completedNs),
  };
}

export function chunkManifest(
  chunk: Omit<Chunk, "id" | "topicId"> & { statsVersion?: number },
  topicUuid: string,
): ChunkManifest {
  return {
    version: MANIFEST_VERSION,
    kind: "chunk",
    uuid: chunk.uuid,
    topic_uuid: topicUuid,
    index: chunk.index,
    key: chunk.key,
    size_bytes: chunk.sizeBytes,
    row_count: chunk.rowCount,
    start_ns: chunk.startNs.toString(),
    end_ns: chunk.endNs.toString(),
    stats: chunk.stats.map((s) =>
      s.kind === "numeric" ? { ...s, min: storeNumber(s.min), max: storeNumber(s.max) } : s
    ),
    stats_version: chunk.statsVersion ?? CHUNK_STATS_VERSION,
  };
}

/** A notification of a sequence or topic, stored under that resource (`.../notifications/`). */
export interface NotificationManifest {
  version: number;
  kind: "notification";
  target: "sequence" | "topic";
  /** Uuid and locator of the sequence or topic. */
  target_uuid: string;
  name: string;
  notify_type: NotifyType;
  msg: string;
  created_ms: number;
}

/** A layer (`layers/<sha-256 of the name>.json`). */
export interface LayerManifest {
  version: number;
  kind: "layer";
  name: string;
  description: string;
}

export function notificationManifest(
  n: Omit<NotificationManifest, "version" | "kind">,
): NotificationManifest {
  return { version: MANIFEST_VERSION, kind: "notification", ...n };
}

export function layerManifest(layer: Layer): LayerManifest {
  return { version: MANIFEST_VERSION, kind: "layer", name: layer.name, description: layer.description };
}

const encoder = new TextEncoder();

/** Compact UTF-8 JSON bytes of a manifest. */
export function encodeManifest(
  manifest:
    | SequenceManifest
    | SessionManifest
    | TopicManifest
    | ChunkManifest
    | NotificationManifest
    | LayerManifest,
): Uint8Array {
  return encoder.encode(JSON.stringify(manifest));
}
