/**
 * Memory that messages being received may claim, per client connection. A message's buffer is allocated
 * at its full size once its first bytes come (so that the rest can be read straight into it), which lets a
 * client claim up to `streams × max message size` by sending a few bytes per stream. The budget bounds the
 * bytes held by messages still incomplete: a message that does not fit waits (its stream is not read, so
 * flow control stops its sender) until earlier ones complete. One message always fits when nothing else
 * holds the budget, whatever its size, so no single message waits forever. Knows nothing of HTTP/2.
 *
 * @module
 */

interface Waiter {
  bytes: number;
  resolve: () => void;
  reject: (err: unknown) => void;
  signal?: AbortSignal;
  onAbort: () => void;
}

/** A byte budget shared by the calls of one connection; waiters are served first come, first served. */
export class MessageBudget {
  readonly capacity: number;
  #held = 0;
  #waiters: Waiter[] = [];

  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError(`A message budget needs at least one byte, not ${capacity}`);
    }
    this.capacity = capacity;
  }

  /** Bytes held by incomplete messages now. */
  get held(): number {
    return this.#held;
  }

  /** Messages waiting for room. */
  get waiting(): number {
    return this.#waiters.length;
  }

  /**
   * Holds `bytes` for a message until {@link release}: at once when they fit (and nobody waits before),
   * else once earlier messages release enough. Rejects with the signal's reason if it aborts first.
   */
  acquire(bytes: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#waiters.length === 0 && this.#fits(bytes)) {
      this.#held += bytes;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        bytes,
        resolve,
        reject,
        signal,
        onAbort: () => {
          this.#waiters = this.#waiters.filter((w) => w !== waiter);
          reject(signal!.reason);
          this.#wake();
        },
      };
      signal?.addEventListener("abort", waiter.onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /** Gives back what {@link acquire} held. */
  release(bytes: number): void {
    this.#held = Math.max(0, this.#held - bytes);
    this.#wake();
  }

  #fits(bytes: number): boolean {
    return this.#held === 0 || this.#held + bytes <= this.capacity;
  }

  #wake(): void {
    while (this.#waiters.length > 0 && this.#fits(this.#waiters[0].bytes)) {
      const waiter = this.#waiters.shift()!;
      waiter.signal?.removeEventListener("abort", waiter.onAbort);
      this.#held += waiter.bytes;
      waiter.resolve();
    }
  }
}
