/**
 * Worker side of a streamed chunk read (`ParquetPool.openStream`): a Parquet file opened once, then
 * decoded row group by row group, a few batches per request, each batch copied out of wasm memory as
 * its own Arrow IPC stream (transferable). Only the row group being decoded sits in wasm memory, not
 * the whole chunk decoded.
 *
 * Uses parquet-wasm's async reader (the one that reads row groups and byte ranges on demand). A Rust
 * panic in it ends the whole JS context: run this only in a Parquet worker.
 *
 * Must not import anything outside `src/arrow/`, `src/model/` and `src/errors.ts`.
 *
 * @module
 */
import { DataType, type RecordBatch, RecordBatchReader, type Schema } from "apache-arrow";
import { DataLossError, InvalidArgumentError } from "../errors.ts";
import type { ParquetFile, RecordBatch as WasmRecordBatch } from "parquet-wasm/bundler";
import { type ChunkSource, type OpenedSource, openSource } from "./_chunk_source.ts";
import { loadParquetWasm } from "./_parquet_wasm.ts";
import { isSortedByTimestamp } from "./merge.ts";
import { schemaFromIpc } from "./parquet.ts";
import { TIMESTAMP_COLUMN } from "./stats.ts";

/** What opening a stream tells the reader: the stored schema and whether rows are in time order. */
export interface OpenedChunk {
  /** The stored schema (with metadata) as an IPC stream. */
  schema: Uint8Array;
  /** Every row's `timestamp_ns` ≥ the previous row's, through the whole chunk. */
  sorted: boolean;
}

/** One step of a stream: batches (each an IPC stream of one batch) and whether the chunk is exhausted. */
export interface ChunkStep {
  batches: Uint8Array[];
  done: boolean;
}

/** An open chunk being read, whichever codec decodes it. */
export interface ChunkStream {
  /** Decodes batches until they hold at least `maxBytes` or the chunk ends. */
  next(maxBytes: number): Promise<ChunkStep>;
  /** Stops decoding and frees what the stream holds. Idempotent. */
  close(): Promise<void>;
}

/** A batch over this many times the target is cut (in wasm, zero-copy) into parts near the target. */
const OVERSIZE = 1.25;

/** An open chunk in a worker. `close()` frees its wasm state; a stream is used by one caller at a time. */
export class RowGroupStream implements ChunkStream {
  readonly #file: ParquetFile;
  readonly #source: OpenedSource;
  readonly #batchBytes: number;
  readonly #rowGroups: number;
  #next = 0;
  #reader?: ReadableStreamDefaultReader<WasmRecordBatch>;
  #closed = false;

  private constructor(file: ParquetFile, batchBytes: number, source: OpenedSource) {
    this.#file = file;
    this.#source = source;
    this.#batchBytes = batchBytes;
    this.#rowGroups = callWasm(() => file.metadata().numRowGroups());
  }

  /**
   * Opens `bytes` as a Parquet file and reads its `timestamp_ns` column once to learn whether the
   * rows are in order (the caller cannot send anything of a chunk that must be sorted first).
   * @throws InvalidArgumentError when the bytes are not a readable Parquet file.
   */
  static async open(
    source: ChunkSource,
    opts: { batchBytes: number },
  ): Promise<[RowGroupStream, OpenedChunk]> {
    const opened = await openSource(source);
    let file: ParquetFile;
    try {
      const pq = await loadParquetWasm();
      file = await pq.ParquetFile.fromFile(opened.blob);
    } catch (err) {
      opened.close();
      if (err instanceof DataLossError) throw err;
      throw new InvalidArgumentError(`Cannot read Parquet chunk: ${describe(err)}`, { cause: err });
    }
    try {
      const stream = new RowGroupStream(file, opts.batchBytes, opened);
      const schema = callWasm(() => file.schema().intoIPCStream());
      const sorted = await stream.#timestampsSorted(schemaFromIpc(schema));
      return [stream, { schema, sorted }];
    } catch (err) {
      file.free();
      opened.close();
      throw err;
    }
  }

  /** Whether `timestamp_ns` never decreases; false without an int64 one (the caller then fails the chunk). */
  async #timestampsSorted(schema: Schema): Promise<boolean> {
    const field = schema.fields.find((f) => f.name === TIMESTAMP_COLUMN);
    if (!field || !DataType.isInt(field.type) || field.type.bitWidth !== 64) return false;
    const reader = await this.#readerOf({ columns: [TIMESTAMP_COLUMN], batchSize: 1 << 20 });
    let tail: RecordBatch | undefined; // the previous batch's last row
    try {
      while (true) {
        const step = await readStep(reader);
        if (step.done) return true;
        for (const batch of RecordBatchReader.from(callWasm(() => step.value.intoIPCStream()))) {
          if (batch.numRows === 0) continue;
          if (!isSortedByTimestamp(tail ? [tail, batch] : [batch])) return false;
          tail = batch.slice(batch.numRows - 1);
        }
      }
    } finally {
      await reader.cancel().catch(() => {});
    }
  }

  /**
   * Decodes batches until they hold at least `maxBytes` or the chunk ends. Batches aim at the
   * `batchBytes` the stream was opened with, from each row group's uncompressed size per row; one that
   * comes out larger is cut into slices.
   * @throws InvalidArgumentError when the data cannot be decoded.
   */
  async next(maxBytes: number): Promise<ChunkStep> {
    const batches: Uint8Array[] = [];
    let bytes = 0;
    while (bytes < maxBytes && !this.#closed) {
      if (!this.#reader) {
        if (this.#next >= this.#rowGroups) break;
        this.#reader = await this.#readerOf({ rowGroups: [this.#next], batchSize: this.#rowsPerBatch() });
        this.#next++;
      }
      const step = await readStep(this.#reader);
      if (step.done) {
        this.#reader = undefined;
        continue;
      }
      for (const ipc of this.#toIpc(step.value)) {
        batches.push(ipc);
        bytes += ipc.byteLength;
      }
    }
    return { batches, done: this.#closed || (!this.#reader && this.#next >= this.#rowGroups) };
  }

  #rowsPerBatch(): number {
    const group = callWasm(() => this.#file.metadata().rowGroup(this.#next));
    const rows = group.numRows();
    const bytesPerRow = Math.max(1, group.totalByteSize() / Math.max(1, rows));
    group.free();
    return Math.max(1, Math.min(rows || 1, Math.floor(this.#batchBytes / bytesPerRow)));
  }

  /** `batch` as IPC streams, cut into equal-row slices when it is well over the target (consumes it). */
  #toIpc(batch: WasmRecordBatch): Uint8Array[] {
    const rows = batch.numRows;
    const size = batch.getArrayMemorySize();
    const parts = Math.min(rows, Math.ceil(size / this.#batchBytes));
    if (rows === 0) {
      batch.free();
      return [];
    }
    if (size <= this.#batchBytes * OVERSIZE || parts <= 1) return [callWasm(() => batch.intoIPCStream())];
    const out: Uint8Array[] = [];
    try {
      for (let k = 0; k < parts; k++) {
        const from = Math.floor((rows * k) / parts);
        const to = Math.floor((rows * (k + 1)) / parts);
        out.push(callWasm(() => batch.slice(from, to - from).intoIPCStream()));
      }
    } finally {
      batch.free();
    }
    return out;
  }

  async #readerOf(options: { columns?: string[]; rowGroups?: number[]; batchSize: number }) {
    try {
      return (await this.#file.stream(options)).getReader() as ReadableStreamDefaultReader<WasmRecordBatch>;
    } catch (err) {
      throw new InvalidArgumentError(`Cannot read Parquet chunk: ${describe(err)}`, { cause: err });
    }
  }

  /** Stops decoding and frees the file's wasm state. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#reader?.cancel().catch(() => {});
    this.#reader = undefined;
    this.#file.free();
    this.#source.close();
  }
}

async function readStep(
  reader: ReadableStreamDefaultReader<WasmRecordBatch>,
): Promise<ReadableStreamReadResult<WasmRecordBatch>> {
  try {
    return await reader.read();
  } catch (err) {
    throw new InvalidArgumentError(`Cannot read Parquet chunk: ${describe(err)}`, { cause: err });
  }
}

function callWasm<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new InvalidArgumentError(`Cannot read Parquet chunk: ${describe(err)}`, { cause: err });
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
