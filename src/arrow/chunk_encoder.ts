/**
 * Encoding one chunk: record batches go in, in order; Parquet bytes come out, in order; the chunk's row
 * count, `timestamp_ns` range and column statistics come with the end. The {@linkcode ChunkEncoder}
 * interface has two implementations: {@linkcode InlineEncoder} runs on the calling thread, `EncoderPool`
 * (`encoder_pool.ts`) in worker threads, where batches travel as their IPC messages. Both run the same
 * {@linkcode encodeChunk}, so a chunk's bytes and statistics do not depend on where it was encoded.
 *
 * A batch received from a client (a `ReceivedBatch`, `received_batch.ts`) keeps the IPC message it
 * arrived in, so it reaches the Parquet writer (and another thread) without being encoded again.
 *
 * Must not import anything outside `src/arrow/` and `src/model/`.
 *
 * @module
 */
import type { RecordBatch, Schema } from "apache-arrow";
import type { ColumnStats, SerializationFormat } from "../model/types.ts";
import { AsyncQueue } from "./_queue.ts";
import { encodeParquetStream } from "./_ingest_parquet_stream.ts";
import type { ParquetCodec } from "./parquet.ts";
import { batchOf, type ReceivedBatch } from "./received_batch.ts";

export { batchOf, type ReceivedBatch };
import {
  computeColumnStats,
  mergeColumnStats,
  mergeTimeRanges,
  type RawLeafStats,
  statsFromRaw,
  timeRange,
  type TimeRangeNs,
} from "./stats.ts";
/** What a chunk holds, known once its last batch is encoded. */
export interface ChunkSummary {
  rows: number;
  /** The `timestamp_ns` range; null only for a chunk without such values (ingest never writes one). */
  range: TimeRangeNs | null;
  stats: ColumnStats[];
}

export interface ChunkEncodeOptions {
  /** The schema the file embeds; every batch must have its fields. */
  schema: Schema;
  format: SerializationFormat;
  /** Arrow bytes per Parquet row group: bounds the writer's working set. */
  rowGroupBytes: number;
  /** Which Parquet implementation writes the chunk (default `wasm`). */
  codec?: ParquetCodec;
  /**
   * Called once per batch pushed, in order, when the writer has taken it (its bytes are no longer
   * needed): what a caller counting bytes in flight releases.
   */
  onConsumed?: () => void;
  /**
   * The same upload's previous chunk, while it may still be encoding. Where both would share one
   * Parquet writer's memory (one wasm instance), this chunk's writer starts only once that one's has
   * finished: its batches wait meanwhile, so an upload's chunks add no writer memory of their own.
   */
  previous?: ChunkEncoding;
}

/** One chunk being encoded. Push its batches, end it, and read `output` to its end (or abort). */
export interface ChunkEncoding {
  /** Hands over the next batch. A ReceivedBatch's buffers may be transferred: do not use it again. */
  push(item: RecordBatch | ReceivedBatch): void;
  /** No more batches: the file is finished once the writer has taken those pushed. */
  end(): void;
  /** Stops the encoding, discarding it; `output` then throws `reason`. Harmless once finished. */
  abort(reason: unknown): void;
  /**
   * The Parquet file's bytes in order, produced only as fast as they are read. Throws the encoding's
   * failure: InvalidArgumentError for a batch or schema the writer rejects, Error otherwise. Stopping
   * the iteration early aborts the encoding. Each piece is valid only until the next one is asked for
   * (an implementation may free it then): a consumer keeping bytes longer must copy them.
   */
  readonly output: AsyncIterable<Uint8Array>;
  /** The chunk's rows, range and statistics. @throws Error before `output` has ended. */
  summary(): ChunkSummary;
}

/** Where chunks are encoded. */
export interface ChunkEncoder {
  /** How many chunks of one upload are worth having open at once (being filled, encoded or written). */
  readonly chunksInFlight: number;
  open(opts: ChunkEncodeOptions): ChunkEncoding;
}

/**
 * Running totals of one chunk (rows, time range, statistics), so that its batches can be released as
 * soon as they are encoded.
 */
export class ChunkAccumulator {
  rows = 0;
  range: TimeRangeNs | null = null;
  stats: ColumnStats[] = [];

  add(batch: RecordBatch): void {
    this.addComputed(batch.numRows, { stats: computeColumnStats([batch]), range: timeRange([batch]) });
  }

  /** Adds a batch whose statistics were taken elsewhere (the native writer's, through `statsFromRaw`). */
  addComputed(rows: number, batch: { stats: ColumnStats[]; range: TimeRangeNs | null }): void {
    this.rows += rows;
    this.range = mergeTimeRanges(this.range, batch.range);
    this.stats = this.stats.length === 0 ? batch.stats : mergeColumnStats(this.stats, batch.stats);
  }

  summary(): ChunkSummary {
    return { rows: this.rows, range: this.range, stats: this.stats };
  }
}

/**
 * Encodes `items` (at least one) as one Parquet file of `opts.schema`, yielding its bytes in order, and
 * adds every batch to `acc` as the writer takes it. `onConsumed` follows each batch the writer took.
 */
export async function* encodeChunk(
  items: AsyncIterable<RecordBatch | ReceivedBatch>,
  opts: ChunkEncodeOptions,
  acc: ChunkAccumulator,
): AsyncGenerator<Uint8Array, void, undefined> {
  // The native writer takes each batch's statistics as it writes it; parquet-wasm's batches are scanned here.
  const native = opts.codec === "native";
  const counted = async function* () {
    for await (const item of items) {
      if (!native) acc.add(batchOf(item));
      yield item;
      opts.onConsumed?.(); // resumed: the writer asks for the next batch, so it has taken this one
    }
  };
  const onBatchStats = (rows: number, raw: RawLeafStats[]) =>
    acc.addComputed(rows, statsFromRaw(opts.schema, raw));
  yield* encodeParquetStream(opts.schema, counted(), { ...opts, onBatchStats });
}
/**
 * Encodes on the calling thread, one chunk of an upload at a time: parquet-wasm then runs on this
 * thread's event loop, a row group at a time. For tools and tests; the daemon uses `EncoderPool`.
 */
export class InlineEncoder implements ChunkEncoder {
  readonly chunksInFlight = 1;

  open(opts: ChunkEncodeOptions): ChunkEncoding {
    return new InlineEncoding(opts);
  }
}

class InlineEncoding implements ChunkEncoding {
  readonly #input = new AsyncQueue<RecordBatch | ReceivedBatch>();
  readonly #acc = new ChunkAccumulator();
  #finished = false;
  readonly output: AsyncIterable<Uint8Array>;

  constructor(opts: ChunkEncodeOptions) {
    const bytes = this.#encode(opts);
    const iterator: AsyncIterator<Uint8Array> = {
      next: () => bytes.next(),
      // The input first: a writer waiting for a batch would otherwise keep the generator from returning.
      return: () => {
        this.abort(new Error("Cannot encode chunk: its output was abandoned"));
        return bytes.return(undefined);
      },
    };
    this.output = { [Symbol.asyncIterator]: () => iterator };
  }

  async *#encode(opts: ChunkEncodeOptions): AsyncGenerator<Uint8Array, void, undefined> {
    yield* encodeChunk(this.#input, opts, this.#acc);
    this.#finished = true;
  }

  push(item: RecordBatch | ReceivedBatch): void {
    this.#input.push(item);
  }

  end(): void {
    this.#input.close();
  }

  abort(reason: unknown): void {
    if (!this.#finished) this.#input.fail(reason);
  }

  summary(): ChunkSummary {
    if (!this.#finished) throw new Error("Cannot summarise a chunk before it is encoded");
    return this.#acc.summary();
  }
}
