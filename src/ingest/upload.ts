/**
 * Opening an upload: the checks a DoPut must pass before its first batch is read (topic exists, key
 * matches, topic unlocked, no other upload of it in this process), and the claim that enforces the last.
 *
 * @module
 */
import type { ChunkEncoder } from "../arrow/chunk_encoder.ts";
import type { Catalog } from "../catalog/catalog.ts";
import { FailedPreconditionError, NotFoundError, PermissionDeniedError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { keysEqual } from "../model/keys.ts";
import type { Topic } from "../model/types.ts";
import type { ObjectStore } from "../store/store.ts";

/** What the write path needs; built once in `app.ts`. */
export interface IngestDeps {
  catalog: Catalog;
  store: ObjectStore;
  log: Logger;
  /** A chunk is sealed once it holds this many bytes of Arrow data (default {@linkcode DEFAULT_CHUNK_BYTES}). */
  chunkTargetBytes?: number;
  /**
   * Arrow bytes per Parquet row group (default {@linkcode DEFAULT_ROW_GROUP_BYTES}). Chunks are encoded
   * one row group at a time, so this, not the chunk size, bounds the encoder's memory.
   */
  rowGroupBytes?: number;
  /** Where chunks are Parquet-encoded (the daemon: an `EncoderPool`; default: on the calling thread). */
  encoder?: ChunkEncoder;
  /** Nanoseconds since the epoch, for a topic's completion time (default: the wall clock). */
  nowNs?: () => bigint;
  /** Told how each upload that reached the write path ended (metrics). */
  onUploadEnd?: (outcome: UploadOutcome) => void;
}

/** How an upload ended: committed with its rows and stored Parquet bytes, or failed (nothing visible). */
export type UploadOutcome = { committed: true; rows: number; bytes: number } | { committed: false };

export const DEFAULT_CHUNK_BYTES = 64 * 1024 * 1024;
export const DEFAULT_ROW_GROUP_BYTES = 8 * 1024 * 1024;

/**
 * Topics with an upload in progress in this process. Uploads on other daemons are stopped by the
 * catalog's guarded commit instead; this set only spares a duplicate stream the work of being refused there.
 */
const uploading = new Set<string>();

/**
 * The right to upload one topic, held from `openUpload()` until released. `ingestTopic()` releases it
 * when it ends; release it yourself if you do not call `ingestTopic()` (releasing twice is harmless).
 */
export class Upload implements Disposable {
  /** The topic as it was when the upload was opened. */
  readonly topic: Topic;
  #state: "open" | "started" | "released" = "open";

  /** @internal Use {@linkcode openUpload}. */
  constructor(topic: Topic) {
    this.topic = topic;
  }

  /** Marks the upload as consumed; a second ingest of the same Upload is a bug. */
  start(): void {
    if (this.#state !== "open") throw new Error(`Upload of topic "${this.topic.name}" was already used`);
    this.#state = "started";
  }

  release(): void {
    if (this.#state === "released") return;
    this.#state = "released";
    uploading.delete(this.topic.uuid);
  }

  [Symbol.dispose](): void {
    this.release();
  }
}

/**
 * Checks that `key` may upload the topic named `topicName` now, and claims it for this process.
 * @param opts.topicName the full, normalised topic locator.
 * @param opts.key the topic key, in canonical form (see `parseKey()`).
 * @throws NotFoundError `Cannot find topic "x"`; PermissionDeniedError when the key is not the topic's;
 *   FailedPreconditionError when the topic is locked or already being uploaded in this process.
 */
export async function openUpload(
  deps: IngestDeps,
  opts: { topicName: string; key: string },
): Promise<Upload> {
  const topic = await deps.catalog.getTopic(opts.topicName);
  if (!topic) throw new NotFoundError(`Cannot find topic "${opts.topicName}"`);
  if (!keysEqual(opts.key, topic.uuid)) {
    throw new PermissionDeniedError(`Cannot upload to topic "${topic.name}": wrong topic key`);
  }
  if (topic.locked) {
    throw new FailedPreconditionError(`Topic "${topic.name}" is locked: its data was already uploaded`);
  }
  if (uploading.has(topic.uuid)) {
    throw new FailedPreconditionError(`Topic "${topic.name}" is already being uploaded`);
  }
  uploading.add(topic.uuid);
  return new Upload(topic);
}
