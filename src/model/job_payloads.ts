/**
 * What each background job carries (the `payload` column), and how the producers (deletions, compaction,
 * start-up) build them. The runner (`ops/jobs/`) parses them back; nothing else reads them.
 *
 * @module
 */
import { InvalidArgumentError } from "../errors.ts";
import type { JsonValue, NewJob } from "./types.ts";

/** Removes the objects of a deleted sequence or topic, or individual objects (chunks a compaction replaced). */
export interface DeleteObjectsPayload {
  /** A deleted sequence or topic: everything under `prefix`, then its tombstone. */
  resource?: { uuid: string; prefix: string; tombstone: string };
  /** Individual objects; each is kept while the catalog still references it. */
  keys?: string[];
}

/** Rewrites a locked topic's chunks into fewer, larger, sorted ones. */
export interface CompactTopicPayload {
  topic_uuid: string;
}

/** Recomputes the statistics of a topic's chunks written with an older statistics format. */
export interface RefreshStatsPayload {
  topic_uuid: string;
}

/** Job settings every producer needs. */
export interface JobPolicy {
  /** Attempts before a job is dead. */
  maxAttempts: number;
}

/** When the lifecycle enqueues jobs, and how. */
export interface JobSettings extends JobPolicy {
  /** A deleted or aborted resource's objects are removed this long after the deletion. */
  deletionRetentionMs: number;
  /** Finalizing compacts each topic with at least this many chunks (0: never)… */
  compactMinChunks: number;
  /** …whose chunks average fewer Parquet bytes than this. */
  compactBelowBytes: number;
}

export const DEFAULT_JOB_SETTINGS: Readonly<JobSettings> = Object.freeze({
  maxAttempts: 5,
  deletionRetentionMs: 0,
  compactMinChunks: 16,
  compactBelowBytes: 8 * 1024 * 1024,
});

export function deleteResourceJob(
  resource: { uuid: string; prefix: string; tombstone: string },
  opts: JobPolicy & { delayMs: number },
): NewJob {
  return {
    kind: "delete_objects",
    payload: { resource } satisfies DeleteObjectsPayload as unknown as JsonValue,
    dedupeKey: deletionDedupeKey(resource.uuid),
    delayMs: opts.delayMs,
    maxAttempts: opts.maxAttempts,
  };
}

/** The dedupe key of a resource's deletion job (one per resource). */
export function deletionDedupeKey(uuid: string): string {
  return `delete:${uuid.toLowerCase()}`;
}

export function deleteKeysJob(keys: string[], opts: JobPolicy & { delayMs: number }): NewJob {
  return {
    kind: "delete_objects",
    payload: { keys } satisfies DeleteObjectsPayload as unknown as JsonValue,
    delayMs: opts.delayMs,
    maxAttempts: opts.maxAttempts,
  };
}

export function compactTopicJob(topicUuid: string, opts: JobPolicy): NewJob {
  return topicJob("compact_topic", "compact", topicUuid, opts);
}

export function refreshStatsJob(topicUuid: string, opts: JobPolicy): NewJob {
  return topicJob("refresh_stats", "stats", topicUuid, opts);
}

/** A job about one topic, at most one active per kind and topic. */
function topicJob(
  kind: "compact_topic" | "refresh_stats",
  dedupe: string,
  topicUuid: string,
  opts: JobPolicy,
) {
  return {
    kind,
    payload: { topic_uuid: topicUuid } satisfies
      | CompactTopicPayload
      | RefreshStatsPayload as unknown as JsonValue,
    dedupeKey: `${dedupe}:${topicUuid.toLowerCase()}`,
    maxAttempts: opts.maxAttempts,
  };
}

/** A `delete_objects` payload, checked. @throws InvalidArgumentError for a malformed one. */
export function parseDeleteObjects(payload: JsonValue): DeleteObjectsPayload {
  const p = payload as Record<string, unknown> | null;
  const r = p?.resource as Record<string, unknown> | undefined;
  const keys = p?.keys;
  const resourceOk = r === undefined ||
    (typeof r === "object" && r !== null && typeof r.uuid === "string" && typeof r.prefix === "string" &&
      typeof r.tombstone === "string" && r.prefix.startsWith("sequences/") && r.prefix.includes(r.uuid));
  const keysOk = keys === undefined || (Array.isArray(keys) && keys.every((k) => typeof k === "string"));
  if (p === null || typeof p !== "object" || !resourceOk || !keysOk) {
    throw new InvalidArgumentError(`Malformed delete_objects payload: ${JSON.stringify(payload)}`);
  }
  return p as DeleteObjectsPayload;
}

/** The topic uuid of a `compact_topic` or `refresh_stats` payload. @throws InvalidArgumentError */
export function parseTopicPayload(payload: JsonValue): string {
  const uuid = (payload as Record<string, unknown> | null)?.topic_uuid;
  if (typeof uuid !== "string") {
    throw new InvalidArgumentError(`Malformed job payload: ${JSON.stringify(payload)}`);
  }
  return uuid;
}
