/**
 * The receive side of one stream: the queue of DATA payloads the handler iterates (views into the read
 * buffer), credit returned as chunks are consumed, views copied when their buffer is retired.
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

/** A single-consumer async queue of body chunks. */
export class BodyQueue implements AsyncIterable<Uint8Array> {
  #chunks: Uint8Array[] = [];
  #head = 0;
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

  #drop(): void {
    const bytes = this.#queuedBytes;
    this.#chunks = [];
    this.#head = 0;
    this.#queuedBytes = 0;
    if (bytes > 0) this.#onConsumed(bytes);
  }
}

const EMPTY = new Uint8Array(0);
