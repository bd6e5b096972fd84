/**
 * A single-consumer async queue: values pushed in order, taken with `for await` (or `next()`), ended by
 * `close()` or by `fail(error)`. It holds whatever is pushed: bounding it is the producer's business (the
 * chunk writer counts bytes in flight, the encoder worker counts unacknowledged output). Folder-private
 * to `arrow/`.
 *
 * @module
 */

/** Values in arrival order for one consumer; `close()` ends it after what is queued, `fail()` at once. */
export class AsyncQueue<T> implements AsyncIterableIterator<T> {
  #items: T[] = [];
  #head = 0;
  #closed = false;
  #failure: { error: unknown } | null = null;
  #waiter: PromiseWithResolvers<IteratorResult<T, undefined>> | null = null;

  /** Values queued and not yet taken. */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Whether `close()` or `fail()` was called. */
  get ended(): boolean {
    return this.#closed || this.#failure !== null;
  }

  /** Queues `value`; ignored once the queue ended (the consumer is gone or saw its end). */
  push(value: T): void {
    if (this.ended) return;
    if (this.#waiter) {
      const waiter = this.#waiter;
      this.#waiter = null;
      waiter.resolve({ done: false, value });
      return;
    }
    this.#items.push(value);
  }

  /** Ends the queue once the values already pushed have been taken. */
  close(): void {
    if (this.ended) return;
    this.#closed = true;
    this.#settleWaiter();
  }

  /** Ends the queue now: queued values are dropped and the consumer's next (or pending) take throws `error`. */
  fail(error: unknown): void {
    if (this.#failure) return;
    this.#failure = { error };
    this.#items = [];
    this.#head = 0;
    this.#settleWaiter();
  }

  next(): Promise<IteratorResult<T, undefined>> {
    if (this.#failure) return Promise.reject(this.#failure.error);
    if (this.#head < this.#items.length) {
      const value = this.#items[this.#head];
      this.#items[this.#head++] = undefined as T; // let it be collected before the array is compacted
      if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
        this.#items = this.#items.slice(this.#head);
        this.#head = 0;
      }
      return Promise.resolve({ done: false, value });
    }
    if (this.#closed) return Promise.resolve({ done: true, value: undefined });
    this.#waiter = Promise.withResolvers();
    return this.#waiter.promise;
  }

  /** The consumer stops early: the queue is closed and its values dropped. */
  return(): Promise<IteratorResult<T, undefined>> {
    this.#closed = true;
    this.#items = [];
    this.#head = 0;
    this.#settleWaiter();
    return Promise.resolve({ done: true, value: undefined });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }

  #settleWaiter(): void {
    const waiter = this.#waiter;
    if (!waiter) return;
    this.#waiter = null;
    if (this.#failure) waiter.reject(this.#failure.error);
    else waiter.resolve({ done: true, value: undefined });
  }
}
