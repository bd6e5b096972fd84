/**
 * Parquet chunk files: the only code that writes or reads Parquet (protocol section 10.3). Arrow data
 * crosses into parquet-wasm as an IPC stream and comes back the same way; the Arrow schema is embedded
 * (`ARROW:schema`), so field names, types (uint*, float16, large_utf8, fixed_size_list…), nullability
 * and field metadata read back exactly.
 *
 * Copies and times, measured on 64 MiB of float64 (8 columns × 1 Mi rows; `deno bench` in
 * `parquet_test.ts`). This is the cheapest path parquet-wasm 0.8 offers; it has no zero-copy import.
 * - write: batches → one IPC stream (the only JS-side copy, ~50 ms) → copied into wasm memory and
 *   read by arrow-rs (~25–80 ms) → Parquet + ZSTD in wasm (~400–550 ms, the bulk; Snappy, used for
 *   `default` topics, is ~4× faster) → file copied out.
 * - read: Parquet → wasm arrays (~200–500 ms) → one IPC stream per batch copied out and wrapped by
 *   apache-arrow without a further copy (~60–100 ms). The Arrow C data interface would skip that IPC
 *   step, but needs an FFI reader we do not have.
 * parquet-wasm runs synchronously: a 64 MiB chunk blocks the event loop for about half a second.
 * Its wasm memory grows to ~5× the largest chunk seen (328 MiB here) and never shrinks.
 *
 * Must not import anything outside `src/arrow/`, `src/model/` and `src/errors.ts`.
 *
 * @module
 */
import {
  DataType,
  type Field,
  makeData,
  RecordBatch,
  RecordBatchReader,
  RecordBatchStreamWriter,
  type Schema,
  Struct,
} from "apache-arrow";
import { DataLossError, InvalidArgumentError } from "../errors.ts";
import type { ParquetCodec, ParquetCodecChoice, SerializationFormat } from "../model/types.ts";
import type { ParquetFile, RecordBatch as WasmRecordBatch } from "parquet-wasm/bundler";
import { checkFraming, type ChunkSource, openSource } from "./_chunk_source.ts";
import { loadParquetWasm, type ParquetWasm } from "./_parquet_wasm.ts";
import { nativeCodecVersion, nativeLibraryPath } from "./_parquet_native.ts";
import { incompressibleColumns } from "./_incompressible.ts";
import { hasLeaf } from "./row_filter.ts";
import { TIMESTAMP_COLUMN } from "./stats.ts";

export type { ParquetCodec, ParquetCodecChoice };

/** The codec a `--parquet-codec` choice runs with. */
export interface ResolvedCodec {
  codec: ParquetCodec;
  /** For start-up lines: "parquet-wasm", or "Arrow C++ <version> (native)". */
  version: string;
  /**
   * Why `auto` runs parquet-wasm although a native library is there (it cannot load, or `--allow-ffi` is
   * missing); null otherwise, also when no library was built (the usual case, nothing to report).
   */
  fallback: string | null;
}

const WASM: ResolvedCodec = { codec: "wasm", version: "parquet-wasm", fallback: null };

/**
 * Resolves `choice`, loading (and unloading) the native library now when it is asked for or may be used,
 * so that one that cannot load fails the start rather than the first upload (parquet-wasm loads in the
 * workers, on first use). `auto` takes the native codec where its library exists and loads, else wasm;
 * it never prompts for a permission.
 * @throws Error saying how to build or avoid the native library when `native` is asked for and cannot load.
 */
export function resolveParquetCodec(choice: ParquetCodecChoice): ResolvedCodec {
  if (choice === "wasm") return WASM;
  if (choice === "native") return nativeCodec();
  const path = nativeLibraryPath();
  if (Deno.permissions.querySync({ name: "read", path }).state !== "granted") return WASM;
  try {
    Deno.statSync(path);
  } catch {
    return WASM;
  }
  if (Deno.permissions.querySync({ name: "ffi", path }).state !== "granted") {
    return { ...WASM, fallback: `${path} is there but --allow-ffi is not granted` };
  }
  try {
    return nativeCodec();
  } catch (err) {
    const cause = (err as Error).cause;
    return { ...WASM, fallback: cause instanceof Error ? cause.message : (err as Error).message };
  }
}

function nativeCodec(): ResolvedCodec {
  return { codec: "native", version: `Arrow C++ ${nativeCodecVersion()} (native)`, fallback: null };
}

/** Rows per decoded batch unless the caller asks otherwise. */
export const DEFAULT_BATCH_ROWS = 65_536;

/** Uncompressed bytes a data page aims for; the writer checks page size once per mini-batch of rows. */
const TARGET_PAGE_BYTES = 1 << 20;

/**
 * Per-format writer settings. `default` topics (numeric sensor data, mostly incompressible floats) use
 * Snappy: measured on 38 MB of random float64, encoding ran at ~610 MB/s against ~125–185 MB/s with ZSTD
 * (file 6% larger), and encoding is most of the DoPut CPU. `ragged` and `image` payloads (lists, blobs)
 * keep ZSTD, at the Rust crate's default level 1: parquet-wasm 0.8 exposes no level. Statistics stay on
 * only for `default`, as in the Rust daemon; large binary payloads gain nothing from dictionaries.
 * Snappy and ZSTD are read by every Parquet reader (DuckDB, Polars, Spark, pyarrow).
 */
const DICTIONARY_PAGE_BYTES = 64 * 1024;
const MAX_ROW_GROUP_ROWS = 1 << 20;
type Codec = "SNAPPY" | "ZSTD";
const FORMAT_SETTINGS: Record<
  SerializationFormat,
  { codec: Codec; dictionary: boolean; pageStatistics: boolean }
> = {
  default: { codec: "SNAPPY", dictionary: true, pageStatistics: true },
  ragged: { codec: "ZSTD", dictionary: false, pageStatistics: false },
  image: { codec: "ZSTD", dictionary: false, pageStatistics: false },
};

/**
 * Writes `batches` as one Parquet file (writer version 2, the format's codec, Arrow schema embedded).
 * The schema, including its metadata, is the first batch's; all batches must have the same fields.
 * @throws InvalidArgumentError when there are no batches, their schemas differ or the data cannot be written.
 */
export async function encodeParquetChunk(
  batches: RecordBatch[],
  format: SerializationFormat,
): Promise<Uint8Array> {
  if (batches.length === 0) throw new InvalidArgumentError("Cannot write Parquet chunk: no record batches");
  const schema = batches[0].schema;
  let rows = 0;
  for (const [i, batch] of batches.entries()) {
    if (!sameFields(schema.fields, batch.schema.fields)) {
      throw new InvalidArgumentError(`Cannot write Parquet chunk: batch ${i} has a different schema`);
    }
    rows += batch.numRows;
  }
  // Every batch gets the first one's Schema object: the IPC writer compares schemas per batch (by
  // class, so Int64 and a decoded Int_ differ) and silently ends the stream at the first mismatch.
  const ipc = RecordBatchStreamWriter.writeAll(batches.map((b) => new RecordBatch(schema, b.data)))
    .toUint8Array(true);
  const pq = await loadParquetWasm();
  try {
    const table = pq.Table.fromIPCStream(ipc);
    return pq.writeParquet(
      table,
      writerProperties(pq, format, {
        bytesPerRow: ipc.byteLength / Math.max(rows, 1),
        ...columnChoices(schema, batches[0]),
      }),
    );
  } catch (err) {
    // A wasm trap here is a bug in the writer, not a problem with the caller's data.
    if (err instanceof WebAssembly.RuntimeError) throw err;
    throw new InvalidArgumentError("Cannot write Parquet chunk: the writer rejected the data", {
      cause: err,
    });
  }
}

/**
 * Writer settings for a format, the one place they are decided: codec, writer version 2, ~1 MiB pages;
 * dictionaries and page statistics only for `default`, with a small dictionary page limit so that
 * high-cardinality columns (most float sensor data) fall back to plain encoding early instead of
 * building a dictionary they cannot use (measured: 35 → 66 MB/s and 28% smaller on random float64).
 * `rowGroupBytes` bounds the writer's working set when a chunk is written as a stream of row groups.
 */
export function writerProperties(pq: ParquetWasm, format: SerializationFormat, opts: WriterSettingsOptions) {
  const s = writerSettings(format, opts);
  // One 16 MiB image per row must not turn into a 16 GiB page: size mini-batches to the row width.
  let builder = new pq.WriterPropertiesBuilder()
    .setWriterVersion(pq.WriterVersion.V2)
    .setCompression(pq.Compression[s.codec])
    .setDictionaryEnabled(s.dictionary)
    .setDictionaryPageSizeLimit(s.dictionaryPageBytes)
    .setStatisticsEnabled(s.pageStatistics ? pq.EnabledStatistics.Page : pq.EnabledStatistics.None)
    .setWriteBatchSize(s.writeBatchRows);
  if (s.rowGroupBytes !== undefined) {
    builder = builder.setMaxRowGroupSize(s.maxRowGroupRows).setMaxRowGroupBytes(s.rowGroupBytes);
  }
  for (const column of s.plainColumns) builder = builder.setColumnDictionaryEnabled(column, false);
  for (const column of s.uncompressedColumns) {
    builder = builder.setColumnCompression(column, pq.Compression.UNCOMPRESSED);
  }
  return builder.build();
}

/** The writer settings {@linkcode writerProperties} applies, as plain values (the native codec's input). */
export interface WriterSettings {
  codec: Codec;
  dictionary: boolean;
  pageStatistics: boolean;
  dictionaryPageBytes: number;
  pageBytes: number;
  /** Rows the writer takes at a time between page size checks. */
  writeBatchRows: number;
  /** Rows per row group; with `rowGroupBytes`, whichever comes first ends it. */
  maxRowGroupRows: number;
  rowGroupBytes?: number;
  /** Leaf columns written without a dictionary (only where dictionaries are on). */
  plainColumns: readonly string[];
  /** Top-level columns written without compression (their values are compressed already). */
  uncompressedColumns: readonly string[];
}

/** What the settings depend on besides the format: the row width and the columns' own choices. */
export interface WriterSettingsOptions extends Partial<ColumnChoices> {
  /** Arrow bytes per row (of the first batch). */
  bytesPerRow: number;
  rowGroupBytes?: number;
}

/** Per-column choices, made from the schema and the file's first batch ({@linkcode columnChoices}). */
export interface ColumnChoices {
  plainColumns: readonly string[];
  uncompressedColumns: readonly string[];
}

/**
 * The columns written without a dictionary ({@linkcode plainColumns}) and without compression (binary
 * columns whose values do not compress, `_incompressible.ts`), judged on the file's first batch.
 */
export function columnChoices(schema: Schema, first: RecordBatch): ColumnChoices {
  return { plainColumns: plainColumns(schema), uncompressedColumns: incompressibleColumns(first) };
}

/** The settings for a format and a row width, the one place they are decided. */
export function writerSettings(format: SerializationFormat, opts: WriterSettingsOptions): WriterSettings {
  const settings = FORMAT_SETTINGS[format];
  const bytesPerRow = Math.max(1, opts.bytesPerRow);
  const clamp = (n: number, max: number) => Math.max(1, Math.min(max, Math.floor(n)));
  return {
    ...settings,
    dictionaryPageBytes: DICTIONARY_PAGE_BYTES,
    pageBytes: TARGET_PAGE_BYTES,
    writeBatchRows: clamp(TARGET_PAGE_BYTES / bytesPerRow, 1024),
    maxRowGroupRows: opts.rowGroupBytes === undefined
      ? MAX_ROW_GROUP_ROWS
      : clamp(opts.rowGroupBytes / bytesPerRow, MAX_ROW_GROUP_ROWS),
    rowGroupBytes: opts.rowGroupBytes,
    plainColumns: settings.dictionary ? opts.plainColumns ?? [] : [],
    uncompressedColumns: opts.uncompressedColumns ?? [],
  };
}

/**
 * Top-level columns a dictionary cannot help: floats, whose values almost never repeat, and the per-row
 * `timestamp_ns`. Writing them plain from the start skips the writer's dictionary attempt in every row
 * group (measured: 237 → 370 MB/s encoding bench-shaped data). Top-level only: parquet-wasm matches a
 * column's setting by one path segment, so a float inside a struct (`pose.x`) has always kept its
 * dictionary attempt there, and the native codec, which would match the dotted path, must write the same.
 */
export function plainColumns(schema: Schema): string[] {
  return schema.fields
    .filter((f) => !DataType.isStruct(f.type) && (DataType.isFloat(f.type) || f.name === TIMESTAMP_COLUMN))
    .map((f) => f.name);
}

/** Options for {@linkcode decodeParquetChunk}. */
export interface DecodeParquetOptions {
  /** Top-level columns to read, by name; the result keeps the stored column order. Default: all. */
  columns?: string[];
  /** Rows per yielded batch (the last one may be shorter). Default {@linkcode DEFAULT_BATCH_ROWS}. */
  batchRows?: number;
}

/**
 * Reads a Parquet chunk back as record batches with the stored schema (and schema metadata): the two
 * halves below, in this thread. The read path runs the first half in a worker (`parquet_pool.ts`).
 *
 * Projection happens after decoding: parquet-wasm's synchronous reader ignores `columns`, and its
 * async reader (which honours them) runs in a wasm-bindgen task where a Rust panic on a corrupt file
 * escapes as an uncaught exception and takes the process down. A chunk's unwanted columns cost decode
 * time, not correctness.
 * @throws InvalidArgumentError when the bytes are not a readable Parquet file or a column does not exist.
 */
export async function* decodeParquetChunk(
  bytes: Uint8Array,
  opts: DecodeParquetOptions = {},
): AsyncGenerator<RecordBatch, void, undefined> {
  const decoded = await decodeParquetToIpc(bytes, opts);
  const wanted = opts.columns && checkColumns(opts.columns, parseSchema(decoded.schema));
  yield* batchesFromIpc(decoded, wanted);
}

/** A decoded chunk as Arrow IPC: its stored schema (with metadata), and one IPC stream per batch. */
export interface DecodedChunkIpc {
  schema: Uint8Array;
  batches: Uint8Array[];
}

/**
 * The wasm half of decoding: the whole chunk is decoded in wasm memory, then each batch is copied out
 * as an IPC stream (the only copy; each buffer is its own, so it can be transferred between threads).
 * @throws InvalidArgumentError when the bytes are not a readable Parquet file.
 */
export async function decodeParquetToIpc(
  bytes: Uint8Array,
  opts: { batchRows?: number } = {},
): Promise<DecodedChunkIpc> {
  const batchRows = opts.batchRows ?? DEFAULT_BATCH_ROWS;
  if (!Number.isSafeInteger(batchRows) || batchRows < 1) {
    throw new InvalidArgumentError(`Cannot read Parquet chunk: invalid batch size ${batchRows}`);
  }
  checkParquetFraming(bytes);
  const pq = await loadParquetWasm();
  const decoded = callWasm(() => {
    const table = pq.readParquet(bytes, { batchSize: batchRows });
    // The table keeps the file's schema metadata; the batches' own schemas drop it.
    const schema = table.schema.intoIPCStream();
    const batches = table.recordBatches();
    table.free();
    return { schema, batches };
  });
  const wasmBatches = decoded.batches;
  const out: Uint8Array[] = [];
  let next = 0;
  try {
    for (; next < wasmBatches.length; next++) {
      out.push(callWasm(() => wasmBatches[next].intoIPCStream())); // consumes the wasm batch
    }
  } finally {
    for (; next < wasmBatches.length; next++) wasmBatches[next].free();
  }
  return { schema: decoded.schema, batches: out };
}

/**
 * The JS half of decoding: record batches over the IPC buffers (no copy), all with the stored schema,
 * reduced to the `wanted` top-level columns when given. Drops each buffer from `decoded` as it goes.
 * @throws InvalidArgumentError when the schema is unreadable.
 */
export function* batchesFromIpc(
  decoded: DecodedChunkIpc,
  wanted?: ReadonlySet<string>,
): Generator<RecordBatch, void, undefined> {
  const stored = parseSchema(decoded.schema);
  const indices = stored.fields.flatMap((f, i) => !wanted || wanted.has(f.name) ? [i] : []);
  const schema = wanted ? stored.selectAt(indices) : stored;
  const type = new Struct(schema.fields);
  for (let ipc = decoded.batches.shift(); ipc !== undefined; ipc = decoded.batches.shift()) {
    for (const batch of RecordBatchReader.from(ipc)) {
      const children = indices.map((i) => batch.data.children[i]);
      yield new RecordBatch(schema, makeData({ type, length: batch.numRows, children }));
    }
  }
}

/**
 * Reads only some leaf columns of a chunk (dotted paths: `header.stamp.sec`), a batch at a time: the
 * other columns are never decompressed. Batches keep the stored nesting, reduced to the wanted leaves;
 * schema metadata is not kept. A chunk lacking one of the columns yields no batch (asking the reader
 * for it would make it panic). Stopping early (`return()`) stops the decoding.
 *
 * This uses parquet-wasm's async reader, the only one that honours `columns`; it reads the footer and
 * then only the byte ranges it needs. A Rust panic inside it (the reader has some on corrupt files)
 * escapes as an uncaught error of the whole JS context, so call this only in a context that may die:
 * the Parquet workers (`parquet_pool.ts`) do. A chunk given as a local file is read range by range.
 * @throws InvalidArgumentError when the chunk is not a readable Parquet file; DataLossError when its
 *   file is missing or cannot be read.
 */
export async function* decodeParquetColumns(
  source: ChunkSource,
  columns: readonly string[],
  opts: { batchRows?: number } = {},
): AsyncGenerator<RecordBatch, void, undefined> {
  const opened = await openSource(source);
  let file: ParquetFile;
  try {
    file = await (await loadParquetWasm()).ParquetFile.fromFile(opened.blob);
  } catch (err) {
    opened.close();
    if (err instanceof DataLossError) throw err;
    throw new InvalidArgumentError(`Cannot read Parquet chunk: ${describeWasmError(err)}`, { cause: err });
  }
  let reader: ReadableStreamDefaultReader<WasmRecordBatch> | undefined;
  try {
    const schema = parseSchema(callWasm(() => file.schema().intoIPCStream()));
    if (!columns.every((c) => hasLeaf(schema, c.split(".")))) return;
    let stream: ReadableStream<WasmRecordBatch>;
    try {
      stream = await file.stream({ columns: [...columns], batchSize: opts.batchRows ?? DEFAULT_BATCH_ROWS });
    } catch (err) {
      throw new InvalidArgumentError(`Cannot read Parquet chunk: ${describeWasmError(err)}`, { cause: err });
    }
    reader = stream.getReader();
    while (true) {
      let step: ReadableStreamReadResult<WasmRecordBatch>;
      try {
        step = await reader.read();
      } catch (err) {
        throw new InvalidArgumentError(`Cannot read Parquet chunk: ${describeWasmError(err)}`, {
          cause: err,
        });
      }
      if (step.done) return;
      const ipc = callWasm(() => step.value.intoIPCStream()); // consumes the wasm batch
      yield* RecordBatchReader.from(ipc);
    }
  } finally {
    await reader?.cancel().catch(() => {});
    file.free();
    opened.close();
  }
}

/**
 * The Arrow schema embedded in a Parquet chunk, with schema- and field-level metadata.
 * @throws InvalidArgumentError when the bytes are not a readable Parquet file.
 */
export async function readParquetSchema(bytes: Uint8Array): Promise<Schema> {
  checkParquetFraming(bytes);
  return readSchemaWith(await loadParquetWasm(), bytes);
}

function readSchemaWith(pq: ParquetWasm, bytes: Uint8Array): Schema {
  return parseSchema(callWasm(() => pq.readSchema(bytes).intoIPCStream()));
}

/**
 * The schema of an IPC stream (a decoded chunk's stored schema), with its metadata.
 * @throws InvalidArgumentError when it is unreadable.
 */
export function schemaFromIpc(ipc: Uint8Array): Schema {
  return parseSchema(ipc);
}

function parseSchema(ipc: Uint8Array): Schema {
  try {
    return RecordBatchReader.from(ipc).open().schema;
  } catch (err) {
    throw new InvalidArgumentError("Cannot read Parquet chunk: embedded schema is unreadable", {
      cause: err,
    });
  }
}

/**
 * Parquet files start and end with `PAR1`; the footer length must fit. Rejects junk before wasm sees it.
 * @throws InvalidArgumentError when they do not.
 */
export function checkParquetFraming(bytes: Uint8Array): void {
  checkFraming(bytes.length, bytes.subarray(0, 4), bytes.subarray(Math.max(0, bytes.length - 8)));
}

/** Same names, nullability and types, recursively (types by rendering, which covers units and sizes). */
function sameFields(a: readonly Field[], b: readonly Field[]): boolean {
  return a.length === b.length &&
    a.every((f, i) =>
      f.name === b[i].name && f.nullable === b[i].nullable && f.type.typeId === b[i].type.typeId &&
      String(f.type) === String(b[i].type) && sameFields(f.type.children ?? [], b[i].type.children ?? [])
    );
}

function checkColumns(columns: string[], schema: Schema): Set<string> {
  if (columns.length === 0) throw new InvalidArgumentError("Cannot read Parquet chunk: no columns requested");
  const stored = new Set(schema.fields.map((f) => f.name));
  const missing = columns.find((c) => !stored.has(c));
  if (missing !== undefined) {
    throw new InvalidArgumentError(`Cannot read Parquet chunk: no column "${missing}"`);
  }
  return new Set(columns);
}

/**
 * Runs a parquet-wasm read call. Any failure, including a wasm trap (the Rust reader panics on some
 * corrupt inputs), means the bytes are not a chunk we can read.
 */
function callWasm<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new InvalidArgumentError(`Cannot read Parquet chunk: ${describeWasmError(err)}`, { cause: err });
  }
}

function describeWasmError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
