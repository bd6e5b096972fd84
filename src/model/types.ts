/**
 * The domain's typed values: sequences, topics, chunks and their statistics, notifications, layers.
 * Everything past the wire and CLI edges speaks in these types.
 *
 * @module
 */

/** Any JSON value (user metadata is free-form JSON). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * Which Parquet implementation encodes and decodes chunks: parquet-wasm (runs anywhere Deno does) or
 * Arrow C++'s libparquet through `src/arrow/_parquet_native.ts`. Both write the same files with the same
 * settings, so either reads what the other wrote.
 */
export type ParquetCodec = "wasm" | "native";

/** What `--parquet-codec` asks for: one codec, or `auto` (native where its library loads, else wasm). */
export type ParquetCodecChoice = ParquetCodec | "auto";

/** How a topic's chunks are encoded; fixed by the protocol. */
export type SerializationFormat = "default" | "ragged" | "image";
export const SERIALIZATION_FORMATS: readonly SerializationFormat[] = ["default", "ragged", "image"];

/**
 * A recorded run. `name` is the normalised locator (no leading or trailing `/`).
 *
 * `locked` is the 0.1.0 view of the sequence (protocol 2026, section 15): it has at least one session and
 * every session is completed. The 2026 protocol never locks a sequence; it locks sessions.
 */
export interface Sequence {
  id: number;
  uuid: string;
  name: string;
  locked: boolean;
  userMetadata: JsonValue;
  /** Creation time, nanoseconds since the epoch (the 2026 protocol's unit). */
  createdNs: bigint;
  /** The same instant in milliseconds (the 0.1.0 protocol's unit): `createdNs / 1e6`, rounded down. */
  createdMs: number;
}

/**
 * One upload batch into a sequence (protocol 2026): a sequence holds sessions, a session holds topics.
 * A session is open until finalized; then it is locked (immutable: no new topics). A 0.1.0 upload is one
 * implicit session whose uuid is the sequence key (= the sequence's uuid), completed by
 * `sequence_finalize`.
 */
export interface Session {
  id: number;
  /** The write token: 2026 `session_uuid` (and, for an implicit 0.1.0 session, the sequence key). */
  uuid: string;
  /**
   * The public id, a ULID (26 Crockford base-32 characters): the session locator is
   * `<sequence>:<ulid>` (SDK 0.6+). Never derived from the uuid, which is a secret.
   */
  ulid: string;
  sequenceId: number;
  sequenceName: string;
  sequenceUuid: string;
  createdNs: bigint;
  /** When it was finalized; null while it is open. */
  completedNs: bigint | null;
}

/** A session by its write token, or by its public locator `<sequence>:<ulid>`. */
export type SessionRef = { uuid: string } | { sequence: string; ulid: string };

/** A typed time series inside a sequence. `name` is the full locator `<sequence>/<path>`. */
export interface Topic {
  id: number;
  uuid: string;
  sequenceId: number;
  sequenceName: string;
  sequenceUuid: string;
  /** The session the topic was created in. */
  sessionId: number;
  sessionUuid: string;
  name: string;
  locked: boolean;
  userMetadata: JsonValue;
  serializationFormat: SerializationFormat;
  ontologyTag: string;
  createdNs: bigint;
  createdMs: number;
  /** When its upload ended and locked it; null while unlocked. */
  completedNs: bigint | null;
  /** Store key of the immutable Arrow schema snapshot, once the first DoPut sent a schema. */
  schemaKey: string | null;
}

/** Statistics of one leaf column in one chunk. Struct children are flattened with `.`. */
export type ColumnStats =
  | {
    column: string;
    kind: "numeric";
    min: number | null;
    max: number | null;
    hasNull: boolean;
    hasNan: boolean;
  }
  | { column: string; kind: "text"; min: string | null; max: string | null; hasNull: boolean };

/** A sealed, immutable Parquet chunk of a topic. */
export interface Chunk {
  id: number;
  uuid: string;
  topicId: number;
  /** Position of the chunk within its topic, from 0. */
  index: number;
  /** Object store key of the Parquet file. */
  key: string;
  sizeBytes: number;
  rowCount: number;
  /** Smallest and largest `timestamp_ns` in the chunk, inclusive. */
  startNs: bigint;
  endNs: bigint;
  stats: ColumnStats[];
}

/** A chunk about to be recorded (no catalog id yet); `statsVersion` defaults to the current format. */
export type NewChunk = Omit<Chunk, "id" | "topicId"> & { statsVersion?: number };

export type NotifyType = "error";

/** A message attached to a sequence or a topic (e.g. an upload that failed under the SDK's Report policy). */
export interface Notification {
  id: number;
  /** Locator of the sequence or topic. */
  name: string;
  notifyType: NotifyType;
  msg: string;
  createdMs: number;
}

export interface Layer {
  name: string;
  description: string;
}

/** An inclusive `timestamp_ns` window; null means unbounded on that side. */
export interface TimeRange {
  readonly startNs: bigint | null;
  readonly endNs: bigint | null;
}

/** A comparable query value: string, boolean, integer (`bigint`, exact) or float (`number`). */
export type Scalar = string | boolean | number | bigint;

/**
 * A comparison of one data value (protocol 9.4; SDK 0.6/0.7 adds `neq`, `in`, `outside` and `glob`,
 * its `$match`). `between` bounds are inclusive; `outside` holds strictly below `low` or strictly
 * above `high`; `in` holds when some value is equal; `glob` is a full match of text (`model/glob.ts`).
 */
export type ValueOp =
  | { op: "eq" | "neq" | "lt" | "leq" | "gt" | "geq"; value: Scalar }
  | { op: "between" | "outside"; low: Scalar; high: Scalar }
  | { op: "in"; values: Scalar[] }
  | { op: "glob"; pattern: string };

/** A condition on the data column at `path` (struct children: `["header", "stamp", "sec"]`). */
export interface ValueCondition {
  path: string[];
  op: ValueOp;
}

/** What happened, as the event log names it (`catalog/events.ts`). */
export type EventKind =
  | "sequence.created"
  | "sequence.finalized"
  | "sequence.aborted"
  | "sequence.deleted"
  | "session.created"
  | "session.finalized"
  | "session.deleted"
  | "topic.created"
  | "topic.locked"
  | "topic.deleted"
  | "topic.compacted"
  | "chunk.committed"
  | "notification.created";

export const EVENT_KINDS: readonly EventKind[] = [
  "sequence.created",
  "sequence.finalized",
  "sequence.aborted",
  "sequence.deleted",
  "session.created",
  "session.finalized",
  "session.deleted",
  "topic.created",
  "topic.locked",
  "topic.deleted",
  "topic.compacted",
  "chunk.committed",
  "notification.created",
];

/** One entry of the event log: ids increase by one, in commit order. */
export interface CatalogEvent {
  id: number;
  kind: EventKind;
  /** Locator of the sequence concerned, if any. */
  sequence: string | null;
  /** Full locator of the topic concerned, if any. */
  topic: string | null;
  /** Kind-specific facts (chunk index and rows, a notification's type…). */
  detail: JsonValue;
  createdMs: number;
}

/** The background jobs the daemon runs (`ops/jobs/`). */
export type JobKind = "delete_objects" | "compact_topic" | "refresh_stats";

/**
 * pending: waits for its time; running: claimed (under a lease); failed: the last attempt failed, it
 * runs again after a backoff; dead: failed too often, waits for a person; done; cancelled.
 */
export type JobState = "pending" | "running" | "failed" | "dead" | "done" | "cancelled";

export const JOB_STATES: readonly JobState[] = ["pending", "running", "failed", "dead", "done", "cancelled"];

export interface Job {
  id: number;
  kind: JobKind;
  payload: JsonValue;
  dedupeKey: string | null;
  state: JobState;
  attempts: number;
  maxAttempts: number;
  runAfterMs: number;
  leaseUntilMs: number | null;
  owner: string | null;
  lastError: string | null;
  createdMs: number;
  updatedMs: number;
}

/** A job to enqueue (`catalog/jobs.ts`). */
export interface NewJob {
  kind: JobKind;
  payload: JsonValue;
  /** At most one active job per key: enqueueing a second returns the first. */
  dedupeKey?: string | null;
  /** Not before this many milliseconds from now (default 0). */
  delayMs?: number;
  maxAttempts: number;
}
