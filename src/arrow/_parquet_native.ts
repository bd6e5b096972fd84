/**
 * The native Parquet codec (`--parquet-codec native`): Arrow C++'s libparquet behind a small C shim of
 * ours (`native/parquet/mosaicod_parquet.cc`, built by `deno task build:native`), loaded with
 * `Deno.dlopen`. The same files come out as with parquet-wasm (same writer settings, from
 * `writerSettings()`; Arrow schema embedded), so either codec reads what the other wrote and a daemon
 * may switch codecs between runs.
 *
 * Batches go in as IPC messages read in place from JavaScript memory (no framing copy, no copy into
 * wasm memory); what comes out is copied once into JavaScript buffers, so nothing here ever points into
 * the library's memory after a call returns. Calls are synchronous: run them in workers.
 *
 * Folder-private to `arrow/`; must not import anything outside `src/arrow/`, `src/model/` and
 * `src/errors.ts`.
 *
 * @module
 */
import { DataLossError, InvalidArgumentError } from "../errors.ts";
import type { WriterSettings } from "./parquet.ts";
import type { RawLeafStats } from "./stats.ts";

const SYMBOLS = {
  mq_error: { parameters: [], result: "pointer" },
  mq_error_kind: { parameters: [], result: "i32" },
  mq_version: { parameters: [], result: "pointer" },
  mqw_open: {
    parameters: ["buffer", "i64", "i32", "i32", "i32", "i64", "i64", "i64", "i64", "i64", "buffer", "buffer"],
    result: "pointer",
  },
  mqw_write: { parameters: ["pointer", "buffer", "i64", "buffer", "i64"], result: "i64" },
  mqw_pending: { parameters: ["pointer"], result: "i64" },
  mqw_stats: { parameters: ["pointer"], result: "pointer" },
  mqw_take: { parameters: ["pointer", "buffer"], result: "void" },
  mqw_close: { parameters: ["pointer"], result: "i64" },
  mqw_free: { parameters: ["pointer"], result: "void" },
  mqr_open_path: { parameters: ["buffer"], result: "pointer" },
  mqr_open_bytes: { parameters: ["buffer", "i64"], result: "pointer" },
  mqr_row_groups: { parameters: ["pointer"], result: "i32" },
  mqr_rows: { parameters: ["pointer"], result: "i64" },
  mqr_schema: { parameters: ["pointer"], result: "i64" },
  mqr_sorted: { parameters: ["pointer", "i32"], result: "i64" },
  mqr_read: { parameters: ["pointer", "i32", "i64"], result: "i64" },
  mqr_part_length: { parameters: ["pointer", "i32"], result: "i64" },
  mqr_take_part: { parameters: ["pointer", "i32", "buffer"], result: "i64" },
  mqr_free: { parameters: ["pointer"], result: "void" },
} as const satisfies Deno.ForeignLibraryInterface;

type Symbols = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/** Where `deno task build:native` puts the library for this platform. */
export function builtLibraryPath(): string {
  const arch = Deno.build.arch === "aarch64" ? "aarch64" : "x86_64";
  return new URL(`../../native/build/${Deno.build.os}-${arch}/libmosaicod_parquet.so`, import.meta.url)
    .pathname;
}

/** The library a codec loads: `MOSAICOD_PARQUET_NATIVE_LIB`, else the built one. */
export function nativeLibraryPath(): string {
  return Deno.env.get("MOSAICOD_PARQUET_NATIVE_LIB") || builtLibraryPath();
}

let lib: Symbols | undefined;

/**
 * The library's symbols, loaded on first use.
 * @throws Error naming the path and how to build it when the library cannot be loaded.
 */
function native(): Symbols {
  if (lib) return lib;
  const path = nativeLibraryPath();
  try {
    lib = Deno.dlopen(path, SYMBOLS).symbols;
  } catch (err) {
    throw loadError(path, err);
  }
  return lib;
}

/**
 * Loads the library, reads the Arrow C++ version it runs on and unloads it again: what a daemon checks at
 * start on its main thread, which never encodes or decodes (the workers load their own).
 * @throws Error naming the path and how to build it when the library cannot be loaded.
 */
export function nativeCodecVersion(): string {
  const path = nativeLibraryPath();
  let probe: Deno.DynamicLibrary<{ mq_version: { parameters: []; result: "pointer" } }>;
  try {
    probe = Deno.dlopen(path, { mq_version: SYMBOLS.mq_version });
  } catch (err) {
    throw loadError(path, err);
  }
  try {
    return cString(probe.symbols.mq_version());
  } finally {
    probe.close();
  }
}

function loadError(path: string, err: unknown): Error {
  return new Error(
    `Cannot load the native Parquet codec from ${path}: build it with \`deno task build:native\`, ` +
      "or run with --parquet-codec wasm",
    { cause: err },
  );
}

function cString(ptr: Deno.PointerValue): string {
  return ptr === null ? "" : new Deno.UnsafePointerView(ptr).getCString();
}

/** The error the last failed call left, as the error class its kind maps to. */
function lastError(doing: string): Error {
  const message = `${doing}: ${cString(native().mq_error())}`;
  switch (native().mq_error_kind()) {
    case 1:
      return new InvalidArgumentError(message);
    case 2:
      return new DataLossError(message);
    default:
      return new Error(message);
  }
}

const encoder = new TextEncoder();

function cStringBytes(text: string): Uint8Array<ArrayBuffer> {
  const bytes = encoder.encode(text + "\0");
  return new Uint8Array(bytes.buffer as ArrayBuffer);
}

/** Bytes from a foreign-buffer argument: FFI `buffer` parameters want an ArrayBuffer-backed view. */
function arg(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes as Uint8Array<ArrayBuffer>;
}

/** One Parquet file being written. Feed it IPC RecordBatch messages; take its bytes as they come. */
export class NativeParquetWriter {
  #handle: Deno.PointerObject | null;

  /**
   * @param schema the file's schema as an encapsulated IPC schema message
   * @throws InvalidArgumentError when the writer rejects the schema.
   */
  constructor(schema: Uint8Array, s: WriterSettings) {
    const lib = native();
    this.#handle = lib.mqw_open(
      arg(schema),
      BigInt(schema.byteLength),
      s.codec === "ZSTD" ? 1 : 0,
      s.dictionary ? 1 : 0,
      s.pageStatistics ? 1 : 0,
      BigInt(s.writeBatchRows),
      BigInt(s.maxRowGroupRows),
      BigInt(s.rowGroupBytes ?? Number.MAX_SAFE_INTEGER),
      BigInt(s.pageBytes),
      BigInt(s.dictionaryPageBytes),
      cStringBytes(s.plainColumns.join("\n")),
      cStringBytes(s.uncompressedColumns.join("\n")),
    );
    if (this.#handle === null) {
      const err = lastError("Cannot write Parquet chunk: the writer rejected the schema");
      throw err instanceof InvalidArgumentError ? err : new InvalidArgumentError(err.message);
    }
  }

  /**
   * Writes one batch, given as its IPC message (flatbuffer header, body); the library reads it in place
   * and validates it fully before writing. Returns the file bytes this completed, if any.
   * @throws InvalidArgumentError when the batch is not valid data of the file's schema.
   */
  write(header: Uint8Array, body: Uint8Array): Uint8Array | null {
    const handle = this.#live();
    const written = native().mqw_write(
      handle,
      arg(header),
      BigInt(header.byteLength),
      arg(body),
      BigInt(body.byteLength),
    );
    if (Number(written) < 0) {
      const err = lastError("Cannot write Parquet chunk: the writer rejected the data");
      throw err instanceof DataLossError ? new InvalidArgumentError(err.message) : err;
    }
    return this.#take(handle);
  }

  /** The column extremes of the batch the last `write()` wrote (`native/parquet/column_stats.h`). */
  batchStats(): RawLeafStats[] {
    return JSON.parse(cString(native().mqw_stats(this.#live())));
  }

  /** Ends the file: the remaining bytes, footer included. */
  finish(): Uint8Array {
    const handle = this.#live();
    if (Number(native().mqw_close(handle)) < 0) throw lastError("Cannot write Parquet chunk");
    return this.#take(handle) ?? new Uint8Array(0);
  }

  /** Frees the writer (and whatever it still buffers). Idempotent. */
  free(): void {
    if (this.#handle !== null) native().mqw_free(this.#handle);
    this.#handle = null;
  }

  #take(handle: Deno.PointerObject): Uint8Array | null {
    const n = Number(native().mqw_pending(handle));
    if (n === 0) return null;
    const out = new Uint8Array(n);
    native().mqw_take(handle, out);
    return out;
  }

  #live(): Deno.PointerObject {
    if (this.#handle === null) throw new Error("Cannot write Parquet chunk: the writer is closed");
    return this.#handle;
  }
}

/** A Parquet file open for reading, row group by row group. */
export class NativeParquetReader {
  #handle: Deno.PointerObject | null;
  readonly rowGroups: number;
  readonly rows: number;

  private constructor(handle: Deno.PointerObject) {
    this.#handle = handle;
    this.rowGroups = native().mqr_row_groups(handle);
    this.rows = Number(native().mqr_rows(handle));
  }

  /**
   * Opens a local file (read range by range as row groups are decoded) or bytes (copied).
   * @throws DataLossError when the file cannot be opened; InvalidArgumentError when it is not Parquet.
   */
  static open(source: Uint8Array | { path: string }): NativeParquetReader {
    const lib = native();
    const handle = source instanceof Uint8Array
      ? lib.mqr_open_bytes(arg(source), BigInt(source.byteLength))
      : lib.mqr_open_path(cStringBytes(source.path));
    if (handle === null) throw lastError("Cannot read Parquet chunk");
    return new NativeParquetReader(handle);
  }

  /** The stored schema (with metadata) as an IPC stream. */
  schema(): Uint8Array {
    const handle = this.#live();
    const count = Number(native().mqr_schema(handle));
    if (count < 0) throw lastError("Cannot read Parquet chunk");
    return this.#take(handle, count)[0];
  }

  /** Whether top-level int64 column `column` never decreases through the file (false if it has nulls). */
  sorted(column: number): boolean {
    const answer = Number(native().mqr_sorted(this.#live(), column));
    if (answer < 0) throw lastError("Cannot read Parquet chunk");
    return answer === 1;
  }

  /**
   * Decodes row group `group` as IPC streams of one batch each, each about `batchBytes` of Arrow data.
   * @throws InvalidArgumentError when the row group cannot be decoded.
   */
  read(group: number, batchBytes: number): Uint8Array[] {
    const handle = this.#live();
    const count = Number(native().mqr_read(handle, group, BigInt(batchBytes)));
    if (count < 0) throw lastError("Cannot read Parquet chunk");
    return this.#take(handle, count);
  }

  /** Frees the reader and closes its file. Idempotent. */
  close(): void {
    if (this.#handle !== null) native().mqr_free(this.#handle);
    this.#handle = null;
  }

  /** The answer's `count` parts, each written by the library into a buffer of its own (transferable alone). */
  #take(handle: Deno.PointerObject, count: number): Uint8Array[] {
    const lib = native();
    const out: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      const part = new Uint8Array(Number(lib.mqr_part_length(handle, i)));
      if (Number(lib.mqr_take_part(handle, i, part)) < 0) throw lastError("Cannot read Parquet chunk");
      out.push(part);
    }
    return out;
  }

  #live(): Deno.PointerObject {
    if (this.#handle === null) throw new Error("Cannot read Parquet chunk: the reader is closed");
    return this.#handle;
  }
}
