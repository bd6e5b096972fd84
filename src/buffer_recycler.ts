/**
 * Large ArrayBuffers used again instead of allocated anew. JavaScript zeroes every buffer it allocates:
 * receiving an upload, the daemon's main thread spent a fifth of its time in that `memset` for buffers
 * it then filled from the socket. The upload's message buffers travel to an encoder worker (moved, not
 * copied) and come back the same way once the batch is encoded; the next messages are read into them.
 *
 * Moving a buffer between threads detaches it from the sender, so a buffer given back here is held by
 * nothing else: reuse cannot expose it to a thread still reading it. A reused buffer holds old bytes
 * and may be larger than asked; a taker must fill what it uses, and gets it for itself alone:
 * {@linkcode isTakenWhole} tells such a buffer from one a transport shares between messages. Kept: at most `maxBytes` in `maxBuffers` buffers, dropped after
 * `idleMs` without a take, so that an idle daemon does not hold them.
 *
 * Imports nothing of the project: any layer may use it.
 *
 * @module
 */

/** Buffers under this size are allocated as asked and never kept: allocating them is cheap. */
export const RECYCLED_MIN_BYTES = 64 * 1024;

/** Buffers a recycler handed out (to be used for one thing only), whatever their size. */
const handedOut = new WeakSet<ArrayBuffer>();

/**
 * Whether `buffer` came from a {@linkcode BufferRecycler} take: its taker's alone, so moving it to another
 * thread takes nothing from anyone else, even where it is larger than what it holds.
 */
export function isTakenWhole(buffer: ArrayBufferLike): boolean {
  return buffer instanceof ArrayBuffer && handedOut.has(buffer);
}

/** Options of a {@linkcode BufferRecycler}. */
export interface BufferRecyclerOptions {
  /** Most bytes kept (default 32 MiB). */
  maxBytes?: number;
  /** Most buffers kept (default 8). */
  maxBuffers?: number;
  /** Kept buffers are dropped once no take came for this long (default 2 s). */
  idleMs?: number;
}

/** A bounded store of ArrayBuffers given back for reuse (one thread's). */
export class BufferRecycler {
  readonly #maxBytes: number;
  readonly #maxBuffers: number;
  readonly #idleMs: number;
  #free: ArrayBuffer[] = [];
  #bytes = 0;
  #lastTake = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;
  /** Takes answered with a kept buffer. */
  reused = 0;

  constructor(opts: BufferRecyclerOptions = {}) {
    this.#maxBytes = opts.maxBytes ?? 32 * 1024 * 1024;
    this.#maxBuffers = opts.maxBuffers ?? 8;
    this.#idleMs = opts.idleMs ?? 2000;
  }

  /** Bytes kept now. */
  get keptBytes(): number {
    return this.#bytes;
  }

  /**
   * A buffer of at least `bytes`: the smallest kept one of at most twice that, else a new one (rounded up
   * to a multiple of 64 KiB when large, so that later messages of about the same size fit it). Its
   * contents are undefined.
   */
  take(bytes: number): ArrayBuffer {
    this.#lastTake = performance.now();
    if (bytes < RECYCLED_MIN_BYTES) return new ArrayBuffer(bytes);
    let best = -1;
    for (let i = 0; i < this.#free.length; i++) {
      const size = this.#free[i].byteLength;
      if (size >= bytes && size <= 2 * bytes && (best < 0 || size < this.#free[best].byteLength)) best = i;
    }
    if (best >= 0) {
      const [buffer] = this.#free.splice(best, 1);
      this.#bytes -= buffer.byteLength;
      this.reused++;
      handedOut.add(buffer);
      return buffer;
    }
    const buffer = new ArrayBuffer(Math.ceil(bytes / RECYCLED_MIN_BYTES) * RECYCLED_MIN_BYTES);
    handedOut.add(buffer);
    return buffer;
  }

  /** Keeps `buffer` for a later take, unless it is small, detached or does not fit the bounds. */
  give(buffer: ArrayBuffer): void {
    if (buffer.detached || buffer.byteLength < RECYCLED_MIN_BYTES || buffer.byteLength > this.#maxBytes) {
      return;
    }
    this.#free.push(buffer);
    this.#bytes += buffer.byteLength;
    while (this.#bytes > this.#maxBytes || this.#free.length > this.#maxBuffers) {
      this.#bytes -= this.#free.shift()!.byteLength;
    }
    this.#scheduleDrop();
  }

  /** Drops every kept buffer. */
  clear(): void {
    this.#free = [];
    this.#bytes = 0;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #scheduleDrop(): void {
    if (this.#timer !== null) return;
    const timer = setTimeout(() => {
      this.#timer = null;
      if (performance.now() - this.#lastTake >= this.#idleMs) this.clear();
      else if (this.#free.length > 0) this.#scheduleDrop();
    }, this.#idleMs);
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }
}
