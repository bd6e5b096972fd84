/**
 * Where a streamed chunk's bytes come from, as parquet-wasm's async reader sees a Blob (it only calls
 * `size`, `slice()` and `arrayBuffer()`, duck-typed through wasm-bindgen):
 * - bytes already in memory (an object store without local files): ranges are views copied on demand;
 * - a local file (the filesystem store): opened once, ranges read with positioned reads as the reader
 *   asks for them, so a read holds the footer and the row group being decoded, never the whole chunk.
 *   The open descriptor keeps the version it opened if the object is replaced meanwhile.
 *
 * Folder-private to `arrow/`; must not import anything outside `src/arrow/`, `src/errors.ts` and
 * `src/file_reader.ts`.
 *
 * @module
 */
import { DataLossError, InvalidArgumentError } from "../errors.ts";
import { FileReader } from "../file_reader.ts";

/** A chunk to open: its bytes (transferred to the worker), or the path of its local file. */
export type ChunkSource = Uint8Array | { path: string };

/** An opened source: a Blob for the reader, and `close()` (idempotent) for what it holds. */
export interface OpenedSource {
  blob: Blob;
  close(): void;
}

/**
 * Opens `source` and checks its Parquet framing (magic at both ends, a footer length that fits).
 * @throws InvalidArgumentError when the framing is wrong; DataLossError when the file is missing or
 * unreadable.
 */
export async function openSource(source: ChunkSource): Promise<OpenedSource> {
  if (source instanceof Uint8Array) {
    checkFraming(source.length, source.subarray(0, 4), source.subarray(Math.max(0, source.length - 8)));
    return { blob: bytesBlob(source), close: () => {} };
  }
  let file: FileReader;
  try {
    file = await FileReader.open(source.path);
  } catch (err) {
    const why = err instanceof Deno.errors.NotFound ? "its file is missing" : describe(err);
    throw new DataLossError(`Cannot read Parquet chunk: ${why}`, { cause: err });
  }
  try {
    const size = file.size;
    const read = (offset: number, length: number) => readRange(file, offset, length);
    checkFraming(
      size,
      await read(0, Math.min(4, size)),
      await read(Math.max(0, size - 8), Math.min(8, size)),
    );
    return { blob: fileBlob(read, size), close: () => file.close() };
  } catch (err) {
    file.close();
    throw err;
  }
}

/** A range of the chunk's file; a read that fails is the chunk's damage. */
async function readRange(file: FileReader, offset: number, length: number): Promise<Uint8Array> {
  try {
    return await file.read(offset, length);
  } catch (err) {
    throw new DataLossError(`Cannot read Parquet chunk: ${describe(err)}`, { cause: err });
  }
}

/**
 * Parquet framing from a file's size, first 4 and last 8 bytes: magic at both ends and a footer length
 * that fits. @throws InvalidArgumentError when it is wrong.
 */
export function checkFraming(size: number, head: Uint8Array, tail: Uint8Array): void {
  const magic = (b: Uint8Array, at: number) =>
    b[at] === 0x50 && b[at + 1] === 0x41 && b[at + 2] === 0x52 && b[at + 3] === 0x31;
  if (size < 12 || !magic(head, 0) || !magic(tail, 4)) {
    throw new InvalidArgumentError(
      `Cannot read Parquet chunk: ${size} bytes without Parquet magic at both ends`,
    );
  }
  const footerLength = new DataView(tail.buffer, tail.byteOffset, 4).getUint32(0, true);
  if (footerLength > size - 12) {
    throw new InvalidArgumentError(
      `Cannot read Parquet chunk: footer length ${footerLength} exceeds the file`,
    );
  }
}

function fileBlob(read: (offset: number, length: number) => Promise<Uint8Array>, size: number): Blob {
  const range = (start = 0, end = size) => {
    const from = clampIndex(start, size);
    const to = Math.max(from, clampIndex(end, size));
    return {
      size: to - from,
      arrayBuffer: async () => {
        const bytes = await read(from, to - from);
        return bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer : bytes.slice().buffer;
      },
    };
  };
  return { size, slice: range } as unknown as Blob;
}

/**
 * `bytes` as a Blob: a view over the chunk's bytes serves, where a real Blob would copy the whole chunk
 * once more, and each range twice (measured: a third of the worker's time on a DoGet).
 */
function bytesBlob(bytes: Uint8Array): Blob {
  const range = (start = 0, end = bytes.length) => {
    const from = clampIndex(start, bytes.length);
    const to = Math.max(from, clampIndex(end, bytes.length));
    return { size: to - from, arrayBuffer: () => Promise.resolve(bytes.slice(from, to).buffer) };
  };
  return { size: bytes.length, slice: range } as unknown as Blob;
}

/** A Blob.slice() index: negative counts from the end; clamped into [0, length]. */
function clampIndex(i: number, length: number): number {
  const n = Math.trunc(i);
  return Math.min(length, Math.max(0, n < 0 ? length + n : n));
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
