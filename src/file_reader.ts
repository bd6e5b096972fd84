/**
 * Random-access reads of a local file: the one implementation of "seek, then read until the range is in"
 * that the Parquet workers (a chunk's byte ranges), the file store (`getRange`) and the toolkit's MCAP and
 * bag readers share. Imports nothing of the project: any layer may use it.
 *
 * @module
 */

/**
 * Reads up to `length` bytes at `offset` of `file` into a new buffer: fewer only where the file ends
 * first. Moves the file's position: callers sharing a file serialise their reads (see {@link FileReader}).
 * @throws the file's read errors; `signal`'s reason once it is aborted between reads
 */
export async function readAt(
  file: Deno.FsFile,
  offset: number,
  length: number,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  await file.seek(offset, Deno.SeekMode.Start);
  let filled = 0;
  while (filled < length) {
    signal?.throwIfAborted();
    const n = await file.read(out.subarray(filled));
    if (n === null) break;
    filled += n;
  }
  return filled === length ? out : out.subarray(0, filled);
}

/** One open file read at any offset; reads are serialised (seek + read is not atomic). */
export class FileReader implements AsyncDisposable {
  readonly #file: Deno.FsFile;
  readonly #size: number;
  #chain: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(file: Deno.FsFile, size: number) {
    this.#file = file;
    this.#size = size;
  }

  /** Opens `path` for reading. @throws Deno's errors (NotFound, PermissionDenied…) */
  static async open(path: string): Promise<FileReader> {
    const file = await Deno.open(path, { read: true });
    try {
      return new FileReader(file, (await file.stat()).size);
    } catch (err) {
      file.close();
      throw err;
    }
  }

  /** The file's size when it was opened. */
  get size(): number {
    return this.#size;
  }

  /** Exactly `length` bytes at `offset`. @throws Error past the end of the file, or once closed */
  read(offset: number, length: number): Promise<Uint8Array> {
    const next = this.#chain.then(async () => {
      if (this.#closed) throw new Error("the file is closed");
      if (offset < 0 || length < 0 || offset + length > this.#size) {
        throw new Error(
          `the file is truncated or corrupt (read of ${length} bytes at ${offset} of ${this.#size})`,
        );
      }
      const out = await readAt(this.#file, offset, length);
      if (out.length < length) throw new Error(`unexpected end of file at ${offset + out.length}`);
      return out;
    });
    this.#chain = next.catch(() => {});
    return next;
  }

  /** Closes the file once the reads in flight are done. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#chain.finally(() => this.#file.close()).catch(() => {});
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }
}
