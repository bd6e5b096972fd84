/**
 * The calls in progress of a server (their abort controllers), and a way to wait until there are none:
 * what a draining shutdown needs. Shared by both Flight transports (grpc-js and ours).
 *
 * @module
 */

/** The calls in progress, and a way to wait until there are none. */
export class CallSet {
  readonly #live = new Set<AbortController>();
  #waiters: (() => void)[] = [];

  /** Number of calls in progress. */
  get size(): number {
    return this.#live.size;
  }

  add(ac: AbortController): void {
    this.#live.add(ac);
  }

  delete(ac: AbortController): void {
    this.#live.delete(ac);
    if (this.#live.size === 0) { for (const wake of this.#waiters.splice(0)) wake(); }
  }

  /** Cancels every call in progress (their handlers see an aborted signal). */
  abortAll(reason: Error): void {
    for (const ac of this.#live) ac.abort(reason);
  }

  /** Resolves true once no call is in progress, or false after `timeoutMs`. */
  whenIdle(timeoutMs: number): Promise<boolean> {
    if (this.#live.size === 0) return Promise.resolve(true);
    const { promise, resolve } = Promise.withResolvers<boolean>();
    const wake = () => {
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      this.#waiters = this.#waiters.filter((w) => w !== wake);
      resolve(false);
    }, timeoutMs);
    this.#waiters.push(wake);
    return promise;
  }
}
