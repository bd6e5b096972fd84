/**
 * The DoPut write path: validate the upload's schema against the topic's snapshot, cut the batches
 * into chunks streamed as Parquet into the store, then write the manifests and commit the chunks
 * and the topic lock to the catalog in one transaction. Knows nothing of gRPC or Flight messages.
 *
 * Write order (objects → manifests → catalog) makes the store the truth: the catalog learns of a chunk
 * only at the commit, so a failed or cancelled upload removes what it wrote and leaves nothing visible,
 * and a crash leaves only orphans. A failed upload keeps the schema snapshot it created: the catalog
 * has already recorded it, a topic's schema is fixed by its first upload (snapshots are written once,
 * never changed), and a retry with the same schema reuses it.
 *
 * Must not import `flight/`, `cli/` or `app.ts`.
 *
 * @module
 */
import type { Schema } from "apache-arrow";
import { CancelledError } from "../errors.ts";
import { type InputBatch, writeChunks } from "./chunk_writer.ts";
import { commitUpload, undoUpload, type UploadEffects } from "./commit.ts";
import { ensureSchemaSnapshot, stripSchemaMetadata, validateUploadSchema } from "./schema.ts";
import { DEFAULT_CHUNK_BYTES, DEFAULT_ROW_GROUP_BYTES, type IngestDeps, type Upload } from "./upload.ts";

export interface IngestOptions {
  /** The upload's Arrow schema, as the client sent it. */
  schema: Schema;
  /**
   * The record batches, all of `schema`, in the order received; with the IPC message each came in
   * (`ReceivedBatch`) when there is one, so that it reaches the encoder without being encoded again.
   */
  batches: AsyncIterable<InputBatch>;
  /** Aborted when the client cancels; the upload then fails with CancelledError. */
  signal?: AbortSignal;
}

export interface IngestResult {
  /** Chunks committed (0 for an upload without rows). */
  chunks: number;
  rows: number;
  /** Parquet bytes stored, over all chunks. */
  bytes: number;
}

/**
 * Stores one upload of a topic and locks the topic; resolves once the catalog commit is done. Releases
 * `upload` whatever happens. Empty batches are skipped; rows are kept in the order received.
 * @throws InvalidArgumentError for a schema without a signed int64 `timestamp_ns`, with a dictionary,
 *   or unlike the topic's snapshot, and for null timestamps; CancelledError when `signal` aborts;
 *   FailedPreconditionError when another upload locked the topic first; the source's own error when
 *   `batches` throws. On any failure the topic stays unlocked and no chunk is visible.
 */
export async function ingestTopic(
  deps: IngestDeps,
  upload: Upload,
  opts: IngestOptions,
): Promise<IngestResult> {
  upload.start();
  const started = performance.now();
  const name = upload.topic.name;
  const signal = opts.signal ?? new AbortController().signal;
  const chunkTargetBytes = deps.chunkTargetBytes ?? DEFAULT_CHUNK_BYTES;
  const effects: UploadEffects = { written: [], topicManifestReplaced: false, commitUnknown: false };
  let committed: IngestResult;
  try {
    if (!(chunkTargetBytes > 0)) throw new RangeError(`Invalid chunk size ${chunkTargetBytes}`);
    validateUploadSchema(name, opts.schema);
    signal.throwIfAborted();
    const topic = await ensureSchemaSnapshot(deps, upload.topic, { schema: opts.schema, signal });
    const chunks = await writeChunks(opts.batches, {
      store: deps.store,
      topic,
      schema: opts.schema,
      chunkSchema: stripSchemaMetadata(opts.schema),
      chunkTargetBytes,
      rowGroupBytes: Math.min(deps.rowGroupBytes ?? DEFAULT_ROW_GROUP_BYTES, chunkTargetBytes),
      signal,
      written: effects.written,
      encoder: deps.encoder,
    });
    await commitUpload(deps, topic, chunks, { signal, effects });
    const result = {
      chunks: chunks.length,
      rows: chunks.reduce((n, c) => n + c.rowCount, 0),
      bytes: chunks.reduce((n, c) => n + c.sizeBytes, 0),
    };
    deps.log.info("topic committed", {
      topic: name,
      ...result,
      ms: Math.round(performance.now() - started),
    });
    committed = result;
  } catch (err) {
    deps.onUploadEnd?.({ committed: false });
    await undoUpload(deps, upload.topic, effects);
    if (signal.aborted) {
      throw new CancelledError(`Cannot upload to topic "${name}": cancelled`, { cause: signal.reason });
    }
    throw err;
  } finally {
    upload.release();
  }
  // Outside the try: whatever the observer does cannot undo a committed upload.
  deps.onUploadEnd?.({ committed: true, rows: committed.rows, bytes: committed.bytes });
  return committed;
}
