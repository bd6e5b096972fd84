/**
 * The chunk writer: cuts an upload's record batches into chunks of about `chunkTargetBytes` of Arrow
 * data and streams each one, Parquet-encoded row group by row group, into its store object.
 *
 * Pipeline: this thread reads and checks the batches and hands each one to a {@linkcode ChunkEncoder}
 * at once (an `EncoderPool` in the daemon: encoding, statistics and framing then run in worker threads,
 * the batch's buffer transferred), and streams the Parquet bytes the encoder returns into the store.
 * Up to `encoder.chunksInFlight` chunks are open at once: the next chunk fills (and may be encoded by
 * another worker) while the last ones are still being encoded and written. Chunks and rows keep the
 * order they arrived in: each chunk has its own object, and the list returned is in chunk order.
 *
 * Memory: bytes of batches read and not yet taken by an encoder are capped (`maxBytesInFlight`); at the
 * cap the input is not read, which a DoPut turns into HTTP/2 flow control against the client. An
 * encoder takes a batch only as fast as its writer can encode it and the store take the output, so a
 * slow store holds the client back the same way. A chunk is never held whole.
 *
 * @module
 */
import { RecordBatch, type Schema } from "apache-arrow";
import { crashPoint } from "../crash_points.ts";
import { type ChunkEncoder, type ChunkEncoding, InlineEncoder } from "../arrow/chunk_encoder.ts";
import { batchOf } from "../arrow/received_batch.ts";
import { chunkKey } from "../model/store_layout.ts";
import type { NewChunk, Topic } from "../model/types.ts";
import type { ObjectStore } from "../store/store.ts";
import { BatchReader, BytesInFlight, type InputBatch } from "./_batch_reader.ts";

export type { InputBatch } from "./_batch_reader.ts";

/** Default cap on bytes of batches read and not yet encoded, per upload. */
export const DEFAULT_BYTES_IN_FLIGHT = 32 * 1024 * 1024;

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
  /** Where chunks are encoded (default: on this thread, one chunk at a time). */
  encoder?: ChunkEncoder;
  /**
   * Most bytes of batches read and not yet taken by the encoder (default {@linkcode DEFAULT_BYTES_IN_FLIGHT});
   * reading waits beyond it.
   */
  maxBytesInFlight?: number;
}

interface Run extends WriteChunksOptions {
  encoder: ChunkEncoder;
  inFlight: BytesInFlight;
  /** Aborted when writing stops early: ends a pending read and the other chunks' writes. */
  stop: AbortController;
}

/**
 * Writes all non-empty batches as chunks and returns them in order, once every object is complete.
 * On failure, rejects only after every write in progress has settled, with the first error: the one the
 * batches' source (or a batch check) threw if any, else the first chunk's that failed.
 */
export async function writeChunks(
  batches: AsyncIterable<InputBatch>,
  opts: WriteChunksOptions,
): Promise<NewChunk[]> {
  const stop = new AbortController();
  const signal = AbortSignal.any([opts.signal, stop.signal]);
  const run: Run = {
    ...opts,
    signal,
    stop,
    encoder: opts.encoder ?? new InlineEncoder(),
    inFlight: new BytesInFlight(opts.maxBytesInFlight ?? DEFAULT_BYTES_IN_FLIGHT),
  };
  const reader = new BatchReader(batches, { topicName: opts.topic.name, schema: opts.schema, signal });
  const writes: Promise<NewChunk>[] = [];
  // An object: TypeScript would narrow a `let` assigned in a callback away.
  const failed: { first?: { error: unknown } } = {};
  let previous: ChunkEncoding | undefined;
  try {
    for (let index = 0;; index++) {
      // At most `chunksInFlight` chunks open: the oldest beyond that must be complete first.
      if (index >= run.encoder.chunksInFlight) await writes[index - run.encoder.chunksInFlight];
      await run.inFlight.room(signal);
      const first = await reader.next();
      if (first === null) break;
      const chunk = startChunk(index, first, reader, run, previous);
      previous = chunk.encoding;
      // A chunk failing while later ones fill stops everything at once.
      chunk.done.catch((error) => {
        failed.first ??= { error };
        stop.abort(error);
      });
      writes.push(chunk.done);
      await chunk.filled;
    }
    return await Promise.all(writes);
  } catch (err) {
    stop.abort(err);
    await Promise.allSettled(writes);
    throw reader.error ?? failed.first?.error ?? err;
  } finally {
    await reader.close();
  }
}

/**
 * Starts chunk `index` with `first`: `filled` settles once its last batch is handed to the encoder,
 * `done` once its object is complete (or its write has failed and cleaned up).
 */
function startChunk(
  index: number,
  first: InputBatch,
  reader: BatchReader,
  run: Run,
  previous: ChunkEncoding | undefined,
): { filled: Promise<void>; done: Promise<NewChunk>; encoding: ChunkEncoding } {
  const { topic } = run;
  const uuid = crypto.randomUUID();
  const key = chunkKey(topic.sequenceUuid, topic.uuid, index, uuid);
  run.written.push(key);
  const sizes: number[] = []; // bytes of the batches handed over and not yet consumed, in order
  const encoding = run.encoder.open({
    schema: run.chunkSchema,
    format: topic.serializationFormat,
    rowGroupBytes: run.rowGroupBytes,
    onConsumed: () => run.inFlight.release(sizes.shift() ?? 0),
    previous,
  });
  let rows = 0;
  const filled = (async () => {
    try {
      let arrowBytes = 0;
      for (let item: InputBatch | null = first; item !== null;) {
        const batch = batchOf(item);
        rows += batch.numRows;
        arrowBytes += batch.data.byteLength;
        const bytes = item instanceof RecordBatch
          ? batch.data.byteLength
          : item.body.byteLength + item.header.byteLength;
        sizes.push(bytes);
        run.inFlight.take(bytes);
        encoding.push(item); // its buffers may be transferred: `item` and `batch` are not used after this
        if (arrowBytes >= run.chunkTargetBytes) break;
        await run.inFlight.room(run.signal);
        item = await reader.next();
      }
      encoding.end();
    } catch (err) {
      encoding.abort(err);
      throw err;
    }
  })();
  const done = storeChunk(key, encoding, run).then((sizeBytes): NewChunk => {
    const summary = encoding.summary();
    if (summary.rows !== rows) {
      throw new Error(`Cannot write chunk "${key}": the encoder counted ${summary.rows} of ${rows} rows`);
    }
    // Every chunk holds at least one row and no timestamp is null, so the range exists.
    const { startNs, endNs } = summary.range ?? { startNs: 0n, endNs: 0n };
    return { index, uuid, key, sizeBytes, rowCount: rows, startNs, endNs, stats: summary.stats };
  }).finally(() => {
    for (const bytes of sizes.splice(0)) run.inFlight.release(bytes);
  });
  // `filled` is awaited by the caller, whose failure handling waits for `done` too.
  return { filled, done, encoding };
}

/** Streams the encoding's output into the object `key`; resolves to its size once it is complete. */
async function storeChunk(key: string, encoding: ChunkEncoding, run: Run): Promise<number> {
  let sizeBytes = 0;
  const failed: { encoder?: { error: unknown } } = {}; // an object: TypeScript would narrow a `let` away
  const counted = (async function* () {
    const it = encoding.output[Symbol.asyncIterator]();
    let complete = false;
    try {
      for (;;) {
        let r: IteratorResult<Uint8Array>;
        try {
          r = await it.next();
        } catch (err) {
          failed.encoder = { error: err }; // the store may report it as its own failure, or a cancellation
          throw err;
        }
        if (r.done) break;
        sizeBytes += r.value.length;
        yield r.value;
      }
      complete = true;
    } finally {
      if (!complete && !failed.encoder) {
        // The store gave up on the object: stop the encoding first (a writer waiting for a batch would
        // keep it from ending), and reading, or filling this chunk would wait for the client's next batch.
        const reason = new Error(`Cannot write chunk "${key}": the store stopped reading`);
        encoding.abort(reason);
        run.stop.abort(reason);
        await it.return?.();
      }
    }
  })();
  try {
    await run.store.put(key, counted, { signal: run.signal });
    crashPoint("ingest.chunk-written");
  } catch (err) {
    throw failed.encoder ? failed.encoder.error : err;
  }
  return sizeBytes;
}
