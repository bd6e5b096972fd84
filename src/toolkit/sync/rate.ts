/**
 * The upload side of a push: `--limit-rate` parsing (bytes per second, as curl writes it: `500K`, `10M`,
 * `1.5G`, binary multiples), a token bucket that paces the bytes handed to DoPut, and the split of large
 * record batches into pieces a target accepts and a rate limit can pace smoothly.
 *
 * Layer: `toolkit/sync`; imports only Arrow types.
 *
 * @module
 */
import type { Data, RecordBatch } from "apache-arrow";

const MULTIPLIERS: Readonly<Record<string, number>> = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };
const RATE = /^(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?(?:\/s)?$/i;

/** How `--limit-rate` is written, for errors and help. */
export const RATE_SYNTAX = "bytes per second, with an optional K, M or G suffix (1024 multiples): 500K, 10M";

/**
 * Reads a rate in bytes per second; the problem when `text` is not one, or is below 1 KiB/s.
 * @example parseRate("10M") // { ok: true, bytesPerS: 10485760 }
 */
export function parseRate(text: string): { ok: true; bytesPerS: number } | { ok: false; problem: string } {
  const m = RATE.exec(text.trim());
  if (m === null) return { ok: false, problem: `must be ${RATE_SYNTAX}` };
  const bytesPerS = Math.floor(Number(m[1]) * MULTIPLIERS[m[2].toLowerCase()]);
  if (!Number.isSafeInteger(bytesPerS) || bytesPerS < 1024) {
    return { ok: false, problem: "must be at least 1K (1024 bytes per second)" };
  }
  return { ok: true, bytesPerS };
}

/** The clock and the sleep of a bucket (a test passes fakes). */
export interface BucketClock {
  nowMs(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

const REAL_CLOCK: BucketClock = {
  nowMs: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
    }),
};

/**
 * A token bucket of `bytesPerS`, holding at most `burstBytes` (a quarter second of the rate, 16 KiB at
 * least, by default). `take(n)` may run into debt and then waits until the debt is paid back, so that over
 * any stretch the bytes taken stay within `burst + rate × time`.
 */
export class TokenBucket {
  readonly bytesPerS: number;
  readonly burstBytes: number;
  readonly #clock: BucketClock;
  #tokens: number;
  #lastMs: number;

  constructor(bytesPerS: number, opts: { burstBytes?: number; clock?: BucketClock } = {}) {
    this.bytesPerS = bytesPerS;
    this.burstBytes = opts.burstBytes ?? Math.max(16_384, Math.floor(bytesPerS / 4));
    this.#clock = opts.clock ?? REAL_CLOCK;
    this.#tokens = this.burstBytes;
    this.#lastMs = this.#clock.nowMs();
  }

  /** Takes `bytes`, waiting as long as the rate requires. Rejects when `signal` aborts. */
  async take(bytes: number, signal?: AbortSignal): Promise<void> {
    const now = this.#clock.nowMs();
    this.#tokens = Math.min(this.burstBytes, this.#tokens + ((now - this.#lastMs) * this.bytesPerS) / 1000);
    this.#lastMs = now;
    this.#tokens -= bytes;
    if (this.#tokens < 0) await this.#clock.sleep((-this.#tokens * 1000) / this.bytesPerS, signal);
  }
}

function dataBytes(data: Data): number {
  let n = (data.values?.byteLength ?? 0) + (data.valueOffsets?.byteLength ?? 0) +
    (data.nullBitmap?.byteLength ?? 0) + (data.typeIds?.byteLength ?? 0);
  for (const child of data.children) n += dataBytes(child);
  return n;
}

/** About how many bytes a batch takes in IPC: the sum of its buffers (more for a slice of a larger batch). */
export function estimateBatchBytes(batch: RecordBatch): number {
  return dataBytes(batch.data);
}

/**
 * Splits `batch` into consecutive slices of about `maxBytes` or less (by its average row size; one row at
 * least per slice); a batch within the bound comes back whole. Answers each slice with its estimated size.
 */
export function splitBatch(batch: RecordBatch, maxBytes: number): { batch: RecordBatch; bytes: number }[] {
  const total = estimateBatchBytes(batch);
  if (total <= maxBytes || batch.numRows <= 1) return [{ batch, bytes: total }];
  const rowsPerSlice = Math.max(1, Math.floor((batch.numRows * maxBytes) / total));
  const out: { batch: RecordBatch; bytes: number }[] = [];
  for (let start = 0; start < batch.numRows; start += rowsPerSlice) {
    const rows = Math.min(rowsPerSlice, batch.numRows - start);
    out.push({ batch: batch.slice(start, start + rows), bytes: Math.ceil((total * rows) / batch.numRows) });
  }
  return out;
}
