/**
 * A token bucket: the budget behind every flood limit (Rapid Reset, control-frame floods). Cheap
 * enough to consult on every frame. Imports nothing.
 *
 * @module
 */

/** Allows `burst` events at once and `perSecond` on average; useful work can earn extra tokens. */
export class Budget {
  #burst: number;
  #perMs: number;
  #tokens: number;
  #last: number;
  #now: () => number;

  constructor(burst: number, perSecond: number, now: () => number = () => performance.now()) {
    this.#burst = burst;
    this.#perMs = perSecond / 1000;
    this.#tokens = burst;
    this.#now = now;
    this.#last = now();
  }

  /** Takes one token. @returns false when the budget is spent (the caller stops the peer) */
  take(): boolean {
    if (this.#tokens >= 1) {
      this.#tokens--;
      return true;
    }
    const now = this.#now();
    this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#last) * this.#perMs);
    this.#last = now;
    if (this.#tokens < 1) return false;
    this.#tokens--;
    return true;
  }

  /** Adds `n` tokens (up to the burst), for work that justifies more control traffic. */
  earn(n: number): void {
    this.#tokens = Math.min(this.#burst, this.#tokens + n);
  }
}
