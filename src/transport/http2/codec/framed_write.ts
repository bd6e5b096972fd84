/**
 * Frames to bytes on the socket: a write queue that batches everything enqueued in one tick into one
 * `write` (small pieces are copied into a reused scratch buffer; large ones, such as DATA payloads at
 * a big max frame size, are written as they are), tracks written offsets so callers can await "the
 * socket took my bytes" without a promise per frame, and reports progress for backpressure.
 * Knows nothing of frames' meaning. Must not import proto/.
 *
 * @module
 */

/** Pieces at least this long are written without copying. */
const DIRECT_BYTES = 64 * 1024;
/** Most bytes copied into one batch. */
const MAX_BATCH_BYTES = 256 * 1024;

/** The write half of a socket. */
export interface ByteWriter {
  write(p: Uint8Array): Promise<number>;
}

interface Waiter {
  offset: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** The write side of one connection. */
export class FramedWrite {
  #conn: ByteWriter;
  #onProgress: () => void;
  #queue: Uint8Array[] = [];
  #head = 0;
  #queuedBytes = 0;
  #enqueued = 0;
  #written = 0;
  #waiters: Waiter[] = [];
  #scheduled = false;
  #scratch: Uint8Array | null = null;
  #error: Error | null = null;
  /** `performance.now()` of the last completed write. */
  lastWriteMs = performance.now();

  /** @param onProgress called after each completed write (the queue shrank) */
  constructor(conn: ByteWriter, onProgress: () => void) {
    this.#conn = conn;
    this.#onProgress = onProgress;
  }

  /** Bytes enqueued and not yet taken by the socket. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /** Total bytes enqueued since the start: the offset a caller can await with {@link whenWritten}. */
  get offset(): number {
    return this.#enqueued;
  }

  /** The error that stopped writing, if any. */
  get error(): Error | null {
    return this.#error;
  }

  /** Appends bytes; they are written in order, batched with the rest of this tick. */
  enqueue(bytes: Uint8Array): void {
    if (this.#error || bytes.length === 0) return;
    this.#queue.push(bytes);
    this.#queuedBytes += bytes.length;
    this.#enqueued += bytes.length;
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(() => this.#run());
    }
  }

  /** Resolves once the socket took every byte up to `offset`; rejects if writing fails first. */
  whenWritten(offset: number): Promise<void> {
    if (this.#written >= offset) return Promise.resolve();
    if (this.#error) return Promise.reject(this.#error);
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    const waiters = this.#waiters;
    let at = waiters.length;
    while (at > 0 && waiters[at - 1].offset > offset) at--;
    waiters.splice(at, 0, { offset, resolve, reject });
    return promise;
  }

  /** Resolves once everything enqueued so far is written. */
  flushed(): Promise<void> {
    return this.whenWritten(this.#enqueued);
  }

  /** Drops the queue and fails every waiter (the connection is gone). */
  fail(err: Error): void {
    if (this.#error) return;
    this.#error = err;
    this.#queue = [];
    this.#head = 0;
    this.#queuedBytes = 0;
    for (const w of this.#waiters) w.reject(err);
    this.#waiters = [];
  }

  async #run(): Promise<void> {
    try {
      while (this.#head < this.#queue.length && !this.#error) {
        const batch = this.#takeBatch();
        for (let at = 0; at < batch.length;) at += await this.#conn.write(batch.subarray(at));
        this.#written += batch.length;
        this.#queuedBytes -= batch.length;
        this.lastWriteMs = performance.now();
        this.#settle();
        this.#onProgress();
      }
    } catch (err) {
      this.fail(err instanceof Error ? err : new Error(String(err)));
    } finally {
      this.#scheduled = false;
      if (this.#head < this.#queue.length && !this.#error) {
        this.#scheduled = true;
        queueMicrotask(() => this.#run());
      }
    }
  }

  /** The next bytes to write: one large piece as is, or small pieces copied together. */
  #takeBatch(): Uint8Array {
    const queue = this.#queue;
    const first = queue[this.#head];
    let end = this.#head + 1;
    let size = first.length;
    if (first.length < DIRECT_BYTES) {
      while (
        end < queue.length && queue[end].length < DIRECT_BYTES && size + queue[end].length <= MAX_BATCH_BYTES
      ) {
        size += queue[end++].length;
      }
    }
    let batch = first;
    if (end - this.#head > 1) {
      if (this.#scratch === null || this.#scratch.length < size) {
        this.#scratch = new Uint8Array(
          Math.min(MAX_BATCH_BYTES, Math.max(size, 2 * (this.#scratch?.length ?? 0))),
        );
      }
      batch = this.#scratch.subarray(0, size);
      let at = 0;
      for (let i = this.#head; i < end; i++) {
        batch.set(queue[i], at);
        at += queue[i].length;
      }
    }
    this.#head = end;
    if (this.#head === queue.length) {
      this.#queue = [];
      this.#head = 0;
    } else if (this.#head > 1024) {
      this.#queue = queue.slice(this.#head);
      this.#head = 0;
    }
    return batch;
  }

  #settle(): void {
    let i = 0;
    const waiters = this.#waiters;
    while (i < waiters.length && waiters[i].offset <= this.#written) waiters[i++].resolve();
    if (i > 0) this.#waiters = waiters.slice(i);
  }
}
