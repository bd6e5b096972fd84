/**
 * Files that export writes: buffered, counted, and atomic. Each file is written as `<path>.partial`
 * and renamed to `<path>` only once complete, so an export that fails or is interrupted never leaves a
 * file that looks whole. Written past the page cache where the system allows it (`direct_file.ts`: an
 * export is not read back soon, and filling the page cache cost more than encoding), else through it.
 * Also the mapping of sequence and topic names to paths under `--out`.
 *
 * Imports `errors.ts`, `direct_file.ts` and `file_writer.ts` only.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { DirectFile } from "../../direct_file.ts";
import { AlreadyExistsError, InvalidArgumentError } from "../../errors.ts";
import { writeAll } from "../../file_writer.ts";

/** Bytes gathered before one write to a file written through the page cache. */
const BUFFER_BYTES = 1 << 20;

/** Where an output file's bytes go: straight to the disk, or through the page cache. */
interface Sink {
  write(bytes: Uint8Array): Promise<void>;
  close(): Promise<void>;
  abort(): Promise<void>;
}

/** A file written through the page cache, in writes of at least {@link BUFFER_BYTES}. */
class BufferedFile implements Sink {
  readonly #file: Deno.FsFile;
  readonly #buffer = new Uint8Array(BUFFER_BYTES);
  #buffered = 0;
  #closed = false;

  constructor(file: Deno.FsFile) {
    this.#file = file;
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (this.#buffered + bytes.length > BUFFER_BYTES) await this.#flush();
    if (bytes.length >= BUFFER_BYTES) return await writeAll(this.#file, bytes);
    this.#buffer.set(bytes, this.#buffered);
    this.#buffered += bytes.length;
  }

  async #flush(): Promise<void> {
    if (this.#buffered === 0) return;
    await writeAll(this.#file, this.#buffer.subarray(0, this.#buffered));
    this.#buffered = 0;
  }

  async close(): Promise<void> {
    try {
      await this.#flush();
    } finally {
      await this.abort();
    }
  }

  abort(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#file.close();
    }
    return Promise.resolve();
  }
}

/** A file being written: append bytes, then `commit()` (or `discard()`). Usable as an MCAP IWritable. */
export class OutputFile {
  readonly path: string;
  /** Whether the bytes go past the page cache (`O_DIRECT`). */
  readonly direct: boolean;
  readonly #partial: string;
  readonly #sink: Sink;
  #written = 0;

  private constructor(path: string, partial: string, sink: Sink, direct: boolean) {
    this.path = path;
    this.#partial = partial;
    this.#sink = sink;
    this.direct = direct;
  }

  /**
   * Opens `<path>.partial` for writing, creating the folders above it.
   * @throws Error naming the path when it cannot be created.
   */
  static async create(path: string): Promise<OutputFile> {
    const partial = `${path}.partial`;
    try {
      await Deno.mkdir(dirname(path), { recursive: true });
      const direct = DirectFile.create(partial);
      if (direct !== null) return new OutputFile(path, partial, direct, true);
      const file = await Deno.open(partial, { write: true, create: true, truncate: true });
      return new OutputFile(path, partial, new BufferedFile(file), false);
    } catch (err) {
      throw new Error(`Cannot write "${path}": ${(err as Error).message}`, { cause: err });
    }
  }

  /** Bytes written so far (buffered ones included). */
  get bytes(): number {
    return this.#written;
  }

  /** The same, as MCAP's writer asks for it. */
  position(): bigint {
    return BigInt(this.#written);
  }

  /** Appends bytes (copied: the caller may reuse them once this resolves). */
  async write(bytes: Uint8Array): Promise<void> {
    this.#written += bytes.length;
    await this.#sink.write(bytes);
  }

  /** Writes what is buffered, closes the file and gives it its final name. */
  async commit(): Promise<void> {
    await this.#sink.close();
    await Deno.rename(this.#partial, this.path);
  }

  /** Closes and removes the partial file; never throws. */
  async discard(): Promise<void> {
    await this.#sink.abort().catch(() => {});
    await Deno.remove(this.#partial).catch(() => {});
  }
}

/** A name that is safe as one path segment (no `.`/`..`, no separators, not empty). */
function segment(name: string, what: string): string {
  if (name === "" || name === "." || name === ".." || /[\\/\0]/.test(name)) {
    throw new InvalidArgumentError(`Cannot export ${what}: its name cannot be used as a file name`);
  }
  return name;
}

/** `<out>/<sequence>/<topic path>.<extension>`: one file per topic, the topic's folders as folders. */
export function topicFilePath(out: string, sequence: string, topicPath: string, extension: string): string {
  const what = `topic "${sequence}/${topicPath}"`;
  const parts = topicPath.split("/").map((p) => segment(p, what));
  parts[parts.length - 1] += `.${extension}`;
  return join(out, segment(sequence, `sequence "${sequence}"`), ...parts);
}

/** `<out>/<sequence>.<extension>`: one file per sequence. */
export function sequenceFilePath(out: string, sequence: string, extension: string): string {
  return join(out, `${segment(sequence, `sequence "${sequence}"`)}.${extension}`);
}

/**
 * Refuses to replace an existing file unless `force`; checked for every file before anything is written.
 * @throws AlreadyExistsError
 */
export async function checkWritable(path: string, force: boolean): Promise<void> {
  if (force) return;
  try {
    await Deno.lstat(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return;
    throw new Error(`Cannot write "${path}": ${(err as Error).message}`, { cause: err });
  }
  throw new AlreadyExistsError(`Cannot write "${path}": it exists (--force replaces it)`);
}
