/**
 * The JSON `app_metadata` of the 2026-line GetFlightInfo (2026 protocol, section 7.2; 0.7 delta, B5 and
 * B6): the sequence's session list and the per-topic manifest. Both hold the union of what SDK 0.4 and
 * SDK 0.6/0.7 read, except the sessions' `uuid` (the write token), which only SDK 0.4 connections get.
 * Times are exact nanosecond integers: bigints are written as raw JSON, never through a double
 * (1776870000123456789 must not become 1776870000123456800). Pure: no domain calls, no gRPC.
 *
 * @module
 */
import type { JsonValue, Sequence, Session, Topic } from "../../model/types.ts";

/** What a topic manifest reports about the stored data (the domain's topic usage). */
export interface TopicUsage {
  chunks: number;
  sizeBytes: number;
  /** Rows stored. */
  rows: number;
  /** Smallest and largest `timestamp_ns` stored (inclusive); null without rows. */
  startNs: bigint | null;
  endNs: bigint | null;
}

/** The rows of a topic inside a requested `[start, end)` window: their count and inclusive range. */
export interface WindowUsage {
  rows: number;
  /** Smallest and largest `timestamp_ns` inside the window; null when no row is. */
  startNs: bigint | null;
  endNs: bigint | null;
}

const RawJson = JSON as unknown as { rawJSON(text: string): JsonValue };

/** An exact JSON integer (written verbatim by `JSON.stringify`). */
export function exactInt(n: bigint): JsonValue {
  return RawJson.rawJSON(n.toString());
}

function exactOrNull(n: bigint | null): JsonValue {
  return n === null ? null : exactInt(n);
}

/** `{"start_ns", "end_ns"}` of an inclusive range, or null without one. */
export function interval(range: { startNs: bigint | null; endNs: bigint | null }): JsonValue {
  return range.startNs !== null && range.endNs !== null
    ? { start_ns: exactInt(range.startNs), end_ns: exactInt(range.endNs) }
    : null;
}

/** User metadata as an object: SDK 0.7 requires one (`{}`, never null). */
function metadataObject(value: JsonValue): JsonValue {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? value : {};
}

/**
 * A topic's manifest (endpoint `app_metadata`). SDK 0.4's keys: creation and completion times, lock
 * state, full locator, and `info` once the topic is locked (null before, as the 0.4 daemon computes it
 * then; `info.timestamp` is the whole topic's range, null without rows). SDK 0.7's keys beside them:
 * `ontology_tag`, `serialization_format`, `user_metadata`, `data_info` (the whole topic, always) and
 * `time_window_info` (the rows inside the requested window: an object exactly when the request had a
 * bound, `window` here; null otherwise).
 */
export function topicManifest(topic: Topic, usage: TopicUsage, window: WindowUsage | null = null): JsonValue {
  const range = interval(usage);
  return {
    created_at_ns: exactInt(topic.createdNs),
    completed_at_ns: exactOrNull(topic.completedNs),
    locked: topic.locked,
    resource_locator: topic.name,
    info: topic.locked
      ? { chunks_number: usage.chunks, total_bytes: usage.sizeBytes, timestamp: range }
      : null,
    ontology_tag: topic.ontologyTag,
    serialization_format: topic.serializationFormat,
    user_metadata: metadataObject(topic.userMetadata),
    data_info: {
      interval: range,
      total_row_count: usage.rows,
      total_bytes: usage.sizeBytes,
      total_chunks_count: usage.chunks,
    },
    time_window_info: window === null ? null : { interval: interval(window), row_count: window.rows },
  };
}

/** One session as a sequence (or session) FlightInfo lists it. */
export function sessionEntry(
  session: Session,
  topics: readonly Topic[],
  opts: { withUuid: boolean },
): JsonValue {
  return {
    ...(opts.withUuid ? { uuid: session.uuid } : {}),
    locator: `${session.sequenceName}:${session.ulid}`,
    created_at_ns: exactInt(session.createdNs),
    completed_at_ns: exactOrNull(session.completedNs),
    locked: session.completedNs !== null,
    topics: topics.filter((t) => t.sessionId === session.id).map((t) => t.name),
  };
}

/**
 * A sequence's FlightInfo `app_metadata`: creation time, locator, every session with its public
 * `locator` and the full locators of its topics (in the order given), and the user metadata. A session
 * is locked once it has a completion time. `withUuid` adds each session's write token, which SDK 0.4
 * identifies sessions by; SDK 0.6+ must not get it (delta B6).
 */
export function sequenceAppMetadata(
  sequence: Sequence,
  sessions: readonly Session[],
  topics: readonly Topic[],
  opts: { withUuid: boolean } = { withUuid: true },
): JsonValue {
  return {
    created_at_ns: exactInt(sequence.createdNs),
    resource_locator: sequence.name,
    sessions: sessions.map((s) => sessionEntry(s, topics, opts)),
    user_metadata: metadataObject(sequence.userMetadata),
  };
}

const utf8 = new TextEncoder();

/** Compact UTF-8 JSON of a manifest. */
export function encodeJson(value: JsonValue): Uint8Array {
  return utf8.encode(JSON.stringify(value));
}
