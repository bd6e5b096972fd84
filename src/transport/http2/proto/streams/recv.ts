/**
 * The receive side of one stream: the queue of DATA payloads the handler iterates (views into the read
 * buffer), credit returned as chunks are consumed, views copied when their buffer is retired. A consumer
 * that knows how many bytes it wants next ({@link BodyQueue.readInto}) offers its own buffer: with nothing
 * queued, the connection reads the next payload bytes from the socket straight into it (no copy).
 * Imports nothing of the connection.
 *
 * @module
 */

/** The body ended without END_STREAM: the stream was reset or the connection lost. */
export class StreamAbortedError extends Error {
  override name = "StreamAbortedError";
  /** The HTTP/2 error code of the reset (or of the connection's end). */
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

/** A consumer's buffer waiting for body bytes ({@link BodyQueue.readInto}). */
interface Target {
  dest: Uint8Array;
  resolve: (n: number) => void;
  reject: (err: Error) => void;
  /** Handed to the connection ({@link BodyQueue.target}): its bytes are on their way from the socket. */
  taken: boolean;
}

/** A single-consumer async queue of body chunks. */
export class BodyQueue implements AsyncIterable<Uint8Array> {
  #chunks: Uint8Array[] = [];
  #head = 0;
  #target: Target | null = null;
  #queuedBytes = 0;
  #ended = false;
  #error: Error | null = null;
  #discarding = false;
  #iterating = false;
  #waiter: ((r: IteratorResult<Uint8Array>) => void) | null = null;
  #failWaiter: ((err: Error) => void) | null = null;
  #onConsumed: (n: number) => void;

  /** @param onConsumed called with each chunk's length as it is handed out or dropped (credit) */
  constructor(onConsumed: (n: number) => void) {
    this.#onConsumed = onConsumed;
  }

  /** Bytes queued and not yet read by the handler. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /** Appends a chunk (a view: it may be copied later by {@link retire}). */
  push(chunk: Uint8Array): void {
    if (this.#ended || this.#error) return;
    if (this.#discarding) return this.#onConsumed(chunk.length);
    const target = this.#target;
    if (target !== null && !target.taken) {
      // A consumer waits with its buffer: fill it (one copy, as a chunk would cost), queue the rest.
      const n = Math.min(chunk.length, target.dest.length);
      target.dest.set(chunk.subarray(0, n));
      this.#target = null;
      this.#onConsumed(n);
      if (n < chunk.length) {
        this.#chunks.push(chunk.subarray(n));
        this.#queuedBytes += chunk.length - n;
      }
      return target.resolve(n);
    }
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = this.#failWaiter = null;
      this.#onConsumed(chunk.length);
      return waiter({ value: chunk, done: false });
    }
    this.#chunks.push(chunk);
    this.#queuedBytes += chunk.length;
  }

  /** END_STREAM: the iteration ends after the queued chunks. */
  end(): void {
    if (this.#ended || this.#error) return;
    this.#ended = true;
    const target = this.#target;
    if (target !== null) {
      this.#target = null;
      target.resolve(0);
    }
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = this.#failWaiter = null;
      waiter({ value: undefined, done: true });
    }
  }

  /** The stream died: queued chunks are dropped and the iteration throws `err`. */
  fail(err: Error): void {
    if (this.#ended || this.#error) return;
    this.#error = err;
    this.#drop();
    const target = this.#target;
    if (target !== null) {
      this.#target = null;
      target.reject(err);
    }
    const fail = this.#failWaiter;
    if (fail) {
      this.#waiter = this.#failWaiter = null;
      fail(err);
    }
  }

  /** Copies every queued view into `buffer`, which the reader will no longer keep. */
  retire(buffer: ArrayBufferLike): void {
    for (let i = this.#head; i < this.#chunks.length; i++) {
      if (this.#chunks[i].buffer === buffer) this.#chunks[i] = this.#chunks[i].slice();
    }
  }

  /**
   * Fills the start of `dest` with the next body bytes: what is queued (copied), else the payload of the
   * next DATA frames, which the connection may read from the socket straight into `dest` ({@link target}).
   * Single consumer, like the iteration (the two may be mixed; never both waiting at once).
   * @returns the bytes written (at least 1), 0 at the end of the body
   * @throws StreamAbortedError when the stream dies first
   */
  readInto(dest: Uint8Array): Promise<number> {
    if (dest.length === 0) return Promise.resolve(0);
    if (this.#head < this.#chunks.length) return Promise.resolve(this.#copyQueued(dest));
    if (this.#error) return Promise.reject(this.#error);
    if (this.#ended) return Promise.resolve(0);
    return new Promise((resolve, reject) => {
      this.#target = { dest, resolve, reject, taken: false };
    });
  }

  /**
   * For the connection: where up to `max` next payload bytes may be written directly, when a consumer
   * waits in {@link readInto} and nothing is queued before them; null otherwise. The bytes written must
   * then be reported with {@link placed}.
   */
  target(max: number): Uint8Array | null {
    const target = this.#target;
    if (target === null || target.taken || max <= 0 || this.#head < this.#chunks.length) return null;
    target.taken = true;
    return target.dest.length <= max ? target.dest : target.dest.subarray(0, max);
  }

  /** `n` bytes were written at the start of the last {@link target} (credit returned at once). */
  placed(n: number): void {
    this.#onConsumed(n);
    const target = this.#target;
    if (target === null || !target.taken) return; // the stream died meanwhile: the bytes are dropped
    this.#target = null;
    target.resolve(n);
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    if (this.#iterating) throw new Error("A stream body has a single consumer");
    this.#iterating = true;
    return {
      next: () => this.#next(),
      return: () => {
        // The handler stopped reading: what is queued or still arrives is dropped, its credit returned.
        this.#discarding = true;
        this.#drop();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }

  #next(): Promise<IteratorResult<Uint8Array>> {
    if (this.#head < this.#chunks.length) {
      const value = this.#chunks[this.#head];
      this.#chunks[this.#head++] = EMPTY;
      if (this.#head === this.#chunks.length) {
        this.#chunks = [];
        this.#head = 0;
      }
      this.#queuedBytes -= value.length;
      this.#onConsumed(value.length);
      return Promise.resolve({ value, done: false });
    }
    if (this.#error) return Promise.reject(this.#error);
    if (this.#ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.#waiter = resolve;
      this.#failWaiter = reject;
    });
  }

  /** Copies queued bytes into `dest` (the last chunk used may stay queued in part). */
  #copyQueued(dest: Uint8Array): number {
    let n = 0;
    while (n < dest.length && this.#head < this.#chunks.length) {
      const chunk = this.#chunks[this.#head];
      const take = Math.min(chunk.length, dest.length - n);
      dest.set(take === chunk.length ? chunk : chunk.subarray(0, take), n);
      n += take;
      if (take === chunk.length) this.#chunks[this.#head++] = EMPTY;
      else this.#chunks[this.#head] = chunk.subarray(take);
    }
    if (this.#head === this.#chunks.length) {
      this.#chunks = [];
      this.#head = 0;
    }
    this.#queuedBytes -= n;
    this.#onConsumed(n);
    return n;
  }

  #drop(): void {
    const bytes = this.#queuedBytes;
    this.#chunks = [];
    this.#head = 0;
    this.#queuedBytes = 0;
    if (bytes > 0) this.#onConsumed(bytes);
  }
}

const EMPTY = new Uint8Array(0);
