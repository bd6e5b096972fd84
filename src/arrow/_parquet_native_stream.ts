/**
 * Worker side of a streamed chunk read with the native codec (`--parquet-codec native`): the same
 * contract as `RowGroupStream` (`_parquet_row_groups.ts`), on Arrow C++'s reader (`_parquet_native.ts`):
 * the chunk's file opened once (read range by range) or its bytes, the `timestamp_ns` order checked
 * once, then row group by row group into IPC streams of about `batchBytes` each. A chunk whose schema
 * has a fixed-size list is read by parquet-wasm instead: Arrow C++ 25 refuses a null entry of one when
 * reading (its own files included), which parquet-wasm reads back exactly.
 *
 * Must not import anything outside `src/arrow/`, `src/model/` and `src/errors.ts`.
 *
 * @module
 */
import { DataType } from "apache-arrow";
import { DataLossError, InvalidArgumentError } from "../errors.ts";
import type { ChunkSource } from "./_chunk_source.ts";
import { NativeParquetReader } from "./_parquet_native.ts";
import { type ChunkStep, type ChunkStream, type OpenedChunk, RowGroupStream } from "./_parquet_row_groups.ts";
import { schemaFromIpc } from "./parquet.ts";
import { TIMESTAMP_COLUMN } from "./stats.ts";

export class NativeRowGroupStream implements ChunkStream {
  readonly #reader: NativeParquetReader;
  readonly #batchBytes: number;
  #next = 0;
  /** Decoded batches not yet handed out (the rest of a row group). */
  #ready: Uint8Array[] = [];
  #closed = false;

  private constructor(reader: NativeParquetReader, batchBytes: number) {
    this.#reader = reader;
    this.#batchBytes = batchBytes;
  }

  /**
   * Opens the chunk and reads its `timestamp_ns` column once to learn whether rows are in order.
   * @throws DataLossError when the file cannot be opened; InvalidArgumentError when it is not Parquet.
   */
  static async open(source: ChunkSource, opts: { batchBytes: number }): Promise<[ChunkStream, OpenedChunk]> {
    const reader = openReader(source);
    try {
      const schema = reader.schema();
      const fields = schemaFromIpc(schema).fields;
      if (fields.some((f) => hasFixedSizeList(f.type))) {
        // Arrow C++ 25 cannot read back a null fixed-size list entry (whoever wrote it): parquet-wasm can.
        reader.close();
        return await RowGroupStream.open(source, opts);
      }
      const at = fields.findIndex((f) => f.name === TIMESTAMP_COLUMN);
      const type = fields[at]?.type;
      const sorted = at >= 0 && DataType.isInt(type) && type.bitWidth === 64 && reader.sorted(at);
      return [new NativeRowGroupStream(reader, opts.batchBytes), { schema, sorted }];
    } catch (err) {
      reader.close();
      throw err instanceof DataLossError || err instanceof InvalidArgumentError
        ? err
        : new InvalidArgumentError(`Cannot read Parquet chunk: ${err instanceof Error ? err.message : err}`);
    }
  }

  next(maxBytes: number): Promise<ChunkStep> {
    const batches: Uint8Array[] = [];
    let bytes = 0;
    while (bytes < maxBytes && !this.#closed) {
      if (this.#ready.length === 0) {
        if (this.#next >= this.#reader.rowGroups) break;
        this.#ready = this.#reader.read(this.#next++, this.#batchBytes);
        continue;
      }
      const batch = this.#ready.shift()!;
      batches.push(batch);
      bytes += batch.byteLength;
    }
    const done = this.#closed || (this.#ready.length === 0 && this.#next >= this.#reader.rowGroups);
    return Promise.resolve({ batches, done });
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#ready = [];
      this.#reader.close();
    }
    return Promise.resolve();
  }
}

function hasFixedSizeList(type: DataType): boolean {
  return DataType.isFixedSizeList(type) || (type.children ?? []).some((c) => hasFixedSizeList(c.type));
}

/**
 * The native reader of `source`. A chunk file that could not be opened because it is not there is named
 * so, as the wasm reader's source does (looked up only then: opening costs no extra system call).
 */
function openReader(source: ChunkSource): NativeParquetReader {
  if (source instanceof Uint8Array) return NativeParquetReader.open(source);
  try {
    return NativeParquetReader.open({ path: source.path });
  } catch (err) {
    if (err instanceof DataLossError && isMissing(source.path)) {
      throw new DataLossError("Cannot read Parquet chunk: its file is missing", { cause: err });
    }
    throw err;
  }
}

function isMissing(path: string): boolean {
  try {
    Deno.statSync(path);
    return false;
  } catch (err) {
    return err instanceof Deno.errors.NotFound;
  }
}
