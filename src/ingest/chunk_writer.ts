/**
 * The chunk writer: cuts an upload's record batches into chunks of about `chunkTargetBytes` of Arrow
 * data and streams each one, Parquet-encoded row group by row group, into its store object.
 *
 * Memory: a batch is encoded as soon as the writer takes it and then dropped, and the encoded bytes go
 * straight to the store, so a chunk is never held whole: what stays is one batch and about one row
 * group in the Parquet writer, plus the store's write buffers. Receiving, encoding and writing
 * overlap within a chunk, row group by row group. Chunks are written one after the other: starting
 * the next chunk while the previous object completes measured ~7% faster but grew parquet-wasm's
 * memory, which never shrinks, by 10–30 MiB.
 *
 * @module
 */
import type { RecordBatch, Schema } from "apache-arrow";
import { crashPoint } from "../crash_points.ts";
import { encodeParquetStream } from "../arrow/_ingest_parquet_stream.ts";
import {
  computeColumnStats,
  mergeColumnStats,
  mergeTimeRanges,
  timeRange,
  type TimeRangeNs,
} from "../arrow/stats.ts";
import { chunkKey } from "../model/store_layout.ts";
import type { ColumnStats, NewChunk, Topic } from "../model/types.ts";
import type { ObjectStore } from "../store/store.ts";
import { checkBatch, normalisedSchemaBytes } from "./schema.ts";

export interface WriteChunksOptions {
  store: ObjectStore;
  topic: Topic;
  /** The upload schema as received (batches are compared with it). */
  schema: Schema;
  /** The schema chunks embed: the upload schema without schema-level metadata. */
  chunkSchema: Schema;
  chunkTargetBytes: number;
  rowGroupBytes: number;
  /** Aborts everything: a pending read of `batches` and the object writes. */
  signal: AbortSignal;
  /** Receives every object key before it is written, so the caller can remove them on failure. */
  written: string[];
}

/**
 * Writes all non-empty batches as chunks and returns them in order, once every object is complete.
 * On failure, rejects only after the write in progress has settled, with the first error: the one the
 * batches' source (or a batch check) threw if any, else the store's.
 */
export async function writeChunks(
  batches: AsyncIterable<RecordBatch>,
  opts: WriteChunksOptions,
): Promise<NewChunk[]> {
  // Aborted by the caller's signal, or by us when writing stops early: ends a pending read at once.
  const stop = new AbortController();
  const run = { ...opts, signal: AbortSignal.any([opts.signal, stop.signal]), stop };
  const reader = new BatchReader(batches, run);
  const chunks: NewChunk[] = [];
  try {
    for (let index = 0;; index++) {
      const first = await reader.next();
      if (first === null) return chunks;
      // Settles only once the object is complete or its write has failed and cleaned up.
      chunks.push(await writeChunk(index, first, reader, run));
    }
  } catch (err) {
    throw reader.error ?? err;
  } finally {
    await reader.close();
  }
}

/** Writes one chunk from `first` and the batches after it, until it is full or the input ends. */
async function writeChunk(
  index: number,
  first: RecordBatch,
  reader: BatchReader,
  opts: WriteChunksOptions & { stop: AbortController },
): Promise<NewChunk> {
  const { topic } = opts;
  const uuid = crypto.randomUUID();
  const key = chunkKey(topic.sequenceUuid, topic.uuid, index, uuid);
  opts.written.push(key);
  const acc = new ChunkAccumulator();
  const parquet = encodeParquetStream(
    opts.chunkSchema,
    chunkBatches(first, reader, acc, opts.chunkTargetBytes),
    {
      format: topic.serializationFormat,
      rowGroupBytes: opts.rowGroupBytes,
    },
  );
  let sizeBytes = 0;
  const failed: { encoder?: { error: unknown } } = {}; // an object: TypeScript would narrow a `let` away
  const counted = (async function* () {
    let complete = false;
    try {
      for await (const bytes of parquet) {
        sizeBytes += bytes.length;
        yield bytes;
      }
      complete = true;
    } catch (err) {
      failed.encoder = { error: err }; // the store may report it as its own failure, or as a cancellation
      throw err;
    } finally {
      // The store gave up on the object: stop a pending read at once, or finishing the encoder
      // would wait for the client's next batch.
      if (!complete && !failed.encoder) {
        opts.stop.abort(new Error(`Cannot write chunk "${key}": the store stopped reading`));
      }
    }
  })();
  try {
    await opts.store.put(key, counted, { signal: opts.signal });
    crashPoint("ingest.chunk-written");
  } catch (err) {
    throw failed.encoder ? failed.encoder.error : err;
  }
  // Every chunk holds at least one row and no timestamp is null, so the range exists.
  const { startNs, endNs } = acc.range ?? { startNs: 0n, endNs: 0n };
  return { index, uuid, key, sizeBytes, rowCount: acc.rows, startNs, endNs, stats: acc.stats };
}

/** The batches of one chunk: `first`, then more from the reader until the chunk is full or input ends. */
async function* chunkBatches(
  first: RecordBatch,
  reader: BatchReader,
  acc: ChunkAccumulator,
  targetBytes: number,
): AsyncGenerator<RecordBatch, void, undefined> {
  for (let batch: RecordBatch | null = first; batch !== null; batch = await reader.next()) {
    acc.add(batch);
    yield batch;
    if (acc.arrowBytes >= targetBytes) return;
  }
}

/** Running totals of one chunk, so its batches can be released as soon as they are encoded. */
class ChunkAccumulator {
  rows = 0;
  arrowBytes = 0;
  range: TimeRangeNs | null = null;
  stats: ColumnStats[] = [];

  add(batch: RecordBatch): void {
    this.rows += batch.numRows;
    this.arrowBytes += batch.data.byteLength;
    this.range = mergeTimeRanges(this.range, timeRange([batch]));
    const own = computeColumnStats([batch]);
    this.stats = this.stats.length === 0 ? own : mergeColumnStats(this.stats, own);
  }
}

/**
 * Reads the upload's batches one at a time for whichever chunk is filling: skips empty ones, checks
 * the rest, and gives up on a pending read as soon as the signal aborts (a stalled client must not
 * hold the upload). Remembers the first error it threw.
 */
class BatchReader {
  #it: AsyncIterator<RecordBatch>;
  #opts: WriteChunksOptions;
  #normalised: Uint8Array;
  #exhausted = false;
  #pending = false;
  /** The first error of the batches' source or of a check; not the abort reason when aborted. */
  error: unknown = null;

  constructor(batches: AsyncIterable<RecordBatch>, opts: WriteChunksOptions) {
    this.#it = batches[Symbol.asyncIterator]();
    this.#opts = opts;
    this.#normalised = normalisedSchemaBytes(opts.schema);
  }

  /** The next non-empty batch, or null at the end of the input. */
  async next(): Promise<RecordBatch | null> {
    try {
      for (;;) {
        this.#opts.signal.throwIfAborted();
        this.#pending = true;
        const r = await untilAborted(this.#it.next().finally(() => this.#pending = false), this.#opts.signal);
        if (r.done) {
          this.#exhausted = true;
          return null;
        }
        if (r.value.numRows === 0) continue;
        checkBatch(this.#opts.topic.name, r.value, {
          schema: this.#opts.schema,
          normalised: this.#normalised,
        });
        return r.value;
      }
    } catch (err) {
      if (!(this.#opts.signal.aborted && err === this.#opts.signal.reason)) this.error ??= err;
      throw err;
    }
  }

  /**
   * Lets the source release its resources, unless it ended. Not awaited while a read is pending: an
   * async generator would only handle it after that read, which a stalled client may never answer.
   */
  async close(): Promise<void> {
    if (this.#exhausted) return;
    if (this.#pending) void this.#it.return?.()?.catch(() => {});
    else await this.#it.return?.();
  }
}

/** `promise`, or the signal's reason as soon as it aborts (the promise is then left to settle unobserved). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (v) => (signal.removeEventListener("abort", onAbort), resolve(v)),
      (e) => (signal.removeEventListener("abort", onAbort), reject(e)),
    );
  });
}
