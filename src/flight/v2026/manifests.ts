/**
 * The JSON `app_metadata` of the 2026 GetFlightInfo (section 7.2): the sequence's session list and the
 * per-topic manifest. Times are exact nanosecond integers: bigints are written as raw JSON, never through
 * a double (1776870000123456789 must not become 1776870000123456800). Pure: no domain calls, no gRPC.
 *
 * @module
 */
import type { JsonValue, Sequence, Session, Topic } from "../../model/types.ts";

/** What a topic manifest reports about the stored data (the domain's topic usage). */
export interface TopicUsage {
  chunks: number;
  sizeBytes: number;
  /** Smallest and largest `timestamp_ns` stored (inclusive); null without rows. */
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

/**
 * A topic's manifest (endpoint `app_metadata`): creation and completion times, lock state, full locator,
 * and `info` once the topic is locked (its upload ended): null before, as the daemon computes it then.
 * `info.timestamp` is the whole topic's range, null without rows.
 */
export function topicManifest(topic: Topic, usage: TopicUsage): JsonValue {
  const range = usage.startNs !== null && usage.endNs !== null
    ? { start_ns: exactInt(usage.startNs), end_ns: exactInt(usage.endNs) }
    : null;
  return {
    created_at_ns: exactInt(topic.createdNs),
    completed_at_ns: exactOrNull(topic.completedNs),
    locked: topic.locked,
    resource_locator: topic.name,
    info: topic.locked
      ? { chunks_number: usage.chunks, total_bytes: usage.sizeBytes, timestamp: range }
      : null,
  };
}

/**
 * A sequence's FlightInfo `app_metadata`: creation time, locator, and every session with the full
 * locators of its topics (in the order given). A session is locked once it has a completion time.
 */
export function sequenceAppMetadata(
  sequence: Sequence,
  sessions: readonly Session[],
  topics: readonly Topic[],
): JsonValue {
  return {
    created_at_ns: exactInt(sequence.createdNs),
    resource_locator: sequence.name,
    sessions: sessions.map((s) => ({
      uuid: s.uuid,
      created_at_ns: exactInt(s.createdNs),
      completed_at_ns: exactOrNull(s.completedNs),
      locked: s.completedNs !== null,
      topics: topics.filter((t) => t.sessionId === s.id).map((t) => t.name),
    })),
  };
}

const utf8 = new TextEncoder();

/** Compact UTF-8 JSON of a manifest. */
export function encodeJson(value: JsonValue): Uint8Array {
  return utf8.encode(JSON.stringify(value));
}
