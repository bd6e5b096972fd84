/**
 * Sequential writes of a large new file that bypass the page cache (Linux `O_DIRECT`), for files that
 * are written once and not read back soon: the toolkit's exports. A buffered write copies every byte into
 * page-cache pages the kernel must first find and clear, then writes them out later; on a virtual
 * machine whose free memory goes back to the host that allocation alone measured 3.1-3.6 CPU-s per GiB
 * (`dd` of 1 GiB: 3.3 s of system time buffered, 0.14-0.24 s with `oflag=direct`), and it evicts pages
 * the daemon's own reads would reuse.
 *
 * The bytes are gathered in two page-aligned buffers outside the JavaScript heap; a full one is written
 * by `pwrite` on another thread while the other fills. The last, partial block is written padded with
 * zeros and the file then cut to its length. Where direct writes are not possible (not Linux, no
 * `--allow-ffi`, a file system that refuses `O_DIRECT` such as some network or FUSE ones),
 * {@linkcode DirectFile.create} answers null and the caller writes the usual way.
 *
 * Imports `libc.ts` only (which imports nothing of the project): any layer may use it.
 *
 * @module
 */
import { openLibc } from "./libc.ts";

/** Alignment of file offsets, lengths and buffer addresses: the largest logical block size in use. */
const ALIGN = 4096;
/** Bytes per `pwrite` (each of the two buffers). */
const BUFFER_BYTES = 4 << 20;

const LIBC_SYMBOLS = {
  open: { parameters: ["buffer", "i32", "u32"], result: "i32" },
  pwrite: { parameters: ["i32", "pointer", "usize", "i64"], result: "isize", nonblocking: true },
  pwrite_now: { name: "pwrite", parameters: ["i32", "pointer", "usize", "i64"], result: "isize" },
  ftruncate: { parameters: ["i32", "i64"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  posix_memalign: { parameters: ["buffer", "usize", "usize"], result: "i32" },
  free: { parameters: ["pointer"], result: "void" },
  __errno_location: { parameters: [], result: "pointer" },
  strerror: { parameters: ["i32"], result: "pointer" },
} as const;

type Libc = Deno.DynamicLibrary<typeof LIBC_SYMBOLS>["symbols"];

/** Linux open flags; `O_DIRECT` is one of the few that differ between architectures. */
const O_WRONLY = 0o1;
const O_CREAT = 0o100;
const O_TRUNC = 0o1000;
const O_CLOEXEC = 0o2000000;
const O_DIRECT = Deno.build.arch === "aarch64" ? 0o200000 : 0o40000;

let libc: Libc | null | undefined;

/** libc's functions, or null where direct writes are not possible here (loaded once). */
function loadLibc(): Libc | null {
  if (libc === undefined) libc = Deno.env.get("MOSAICOD_DIRECT_IO") === "0" ? null : openLibc(LIBC_SYMBOLS);
  return libc;
}

/** One of the two buffers: page-aligned memory outside the heap, and its write in flight. */
interface Slot {
  pointer: Deno.PointerObject;
  bytes: Uint8Array;
  pending: Promise<void> | null;
}

/** A new file written front to back with `O_DIRECT`; `close()` (or `abort()`) exactly once. */
export class DirectFile {
  readonly #lib: Libc;
  readonly #fd: number;
  readonly #path: string;
  readonly #buffers: Slot[];
  #current = 0;
  #filled = 0;
  /** Bytes handed to `pwrite` (whole buffers). */
  #offset = 0;
  #failure: Error | null = null;
  #closed = false;

  private constructor(lib: Libc, fd: number, path: string, buffers: Slot[]) {
    this.#lib = lib;
    this.#fd = fd;
    this.#path = path;
    this.#buffers = buffers;
  }

  /**
   * Creates (or truncates) `path` for direct writes; null where they are not possible, the file then
   * untouched unless the file system refused `O_DIRECT` after creating it (it is then empty, as the
   * caller's own open would leave it).
   */
  static create(path: string): DirectFile | null {
    const lib = loadLibc();
    if (lib === null) return null;
    const name = new TextEncoder().encode(`${path}\0`);
    const fd = lib.open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_DIRECT, 0o666);
    if (fd < 0) return null;
    const buffers: Slot[] = [];
    for (let i = 0; i < 2; i++) {
      const out = new BigUint64Array(1);
      if (lib.posix_memalign(out, BigInt(ALIGN), BigInt(BUFFER_BYTES)) !== 0) {
        for (const b of buffers) lib.free(b.pointer);
        lib.close(fd);
        return null;
      }
      const pointer = Deno.UnsafePointer.create(out[0])!;
      const bytes = new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(pointer, BUFFER_BYTES));
      buffers.push({ pointer, bytes, pending: null });
    }
    return new DirectFile(lib, fd, path, buffers);
  }

  /** Bytes written so far, those still gathered included. */
  get bytes(): number {
    return this.#offset + this.#filled;
  }

  /** Appends `bytes` (copied: the caller may reuse them once this resolves). */
  async write(bytes: Uint8Array): Promise<void> {
    this.#check();
    let at = 0;
    while (at < bytes.length) {
      const buffer = this.#buffers[this.#current];
      const n = Math.min(bytes.length - at, BUFFER_BYTES - this.#filled);
      buffer.bytes.set(bytes.subarray(at, at + n), this.#filled);
      this.#filled += n;
      at += n;
      if (this.#filled === BUFFER_BYTES) await this.#submit();
    }
  }

  /** Starts writing the current (full) buffer and waits until the other one is free to fill. */
  async #submit(): Promise<void> {
    const buffer = this.#buffers[this.#current];
    const offset = this.#offset;
    buffer.pending = this.#lib.pwrite(this.#fd, buffer.pointer, BigInt(BUFFER_BYTES), BigInt(offset))
      .then((n) => this.#complete(Number(n), BUFFER_BYTES, buffer.pointer, offset));
    buffer.pending.catch(() => {});
    this.#offset += BUFFER_BYTES;
    this.#filled = 0;
    this.#current ^= 1;
    await this.#settle(this.#buffers[this.#current]);
  }

  /**
   * After a background `pwrite` of `length` bytes at `offset` returned `n`: completes a short write, or
   * fails. That call's errno lives on its thread, so a failed write is tried again here, which either
   * completes it or tells why.
   */
  #complete(n: number, length: number, pointer: Deno.PointerObject, offset: number): void {
    let done = Math.max(n, 0);
    while (done < length) {
      if (done % ALIGN !== 0) throw new Error(`Cannot write "${this.#path}": short write`);
      const more = Number(this.#lib.pwrite_now(
        this.#fd,
        Deno.UnsafePointer.offset(pointer, done),
        BigInt(length - done),
        BigInt(offset + done),
      ));
      if (more < 0) throw new Error(`Cannot write "${this.#path}": ${this.#errno()}`);
      if (more === 0) throw new Error(`Cannot write "${this.#path}": short write`);
      done += more;
    }
  }

  async #settle(buffer: Slot): Promise<void> {
    const pending = buffer.pending;
    if (pending === null) return;
    buffer.pending = null;
    try {
      await pending;
    } catch (err) {
      this.#failure ??= err as Error;
      throw err;
    }
  }

  #check(): void {
    if (this.#closed) throw new Error(`"${this.#path}" is closed`);
    if (this.#failure !== null) throw this.#failure;
  }

  #errno(): string {
    const code = new Deno.UnsafePointerView(this.#lib.__errno_location()!).getInt32();
    const text = this.#lib.strerror(code);
    return text === null ? `error ${code}` : Deno.UnsafePointerView.getCString(text);
  }

  /** Writes what is gathered, cuts the file to its length and closes it. */
  async close(): Promise<void> {
    this.#check();
    try {
      for (const b of this.#buffers) await this.#settle(b);
      const length = this.#offset + this.#filled;
      if (this.#filled > 0) {
        const padded = Math.ceil(this.#filled / ALIGN) * ALIGN;
        const buffer = this.#buffers[this.#current];
        buffer.bytes.fill(0, this.#filled, padded);
        const n = Number(
          await this.#lib.pwrite(this.#fd, buffer.pointer, BigInt(padded), BigInt(this.#offset)),
        );
        this.#complete(n, padded, buffer.pointer, this.#offset);
      }
      if (this.#lib.ftruncate(this.#fd, BigInt(length)) !== 0) {
        throw new Error(`Cannot write "${this.#path}": ${this.#errno()}`);
      }
    } finally {
      await this.#release();
    }
  }

  /** Closes the file after any write in flight, leaving what was written; never throws. */
  abort(): Promise<void> {
    return this.#release();
  }

  /** Waits for the writes in flight (their outcome no longer matters), then closes and frees. Once. */
  async #release(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const b of this.#buffers) await b.pending?.catch(() => {});
    this.#lib.close(this.#fd);
    for (const b of this.#buffers) this.#lib.free(b.pointer);
  }
}
