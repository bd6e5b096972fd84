/**
 * The chunk writer's input side: reading an upload's batches one at a time (skipping empty ones,
 * checking the rest), and the count of bytes read but not yet taken by an encoder, which holds reading
 * back once it passes its limit. Folder-private to `ingest/`.
 *
 * @module
 */
import type { RecordBatch, Schema } from "apache-arrow";
import { batchOf, type ReceivedBatch } from "../arrow/received_batch.ts";
import { checkBatch, normalisedSchemaBytes } from "./schema.ts";

/** A batch as the chunk writer takes it: decoded only, or with the message it was received in. */
export type InputBatch = RecordBatch | ReceivedBatch;

/**
 * Reads the upload's batches one at a time for whichever chunk is filling: skips empty ones, checks
 * the rest, and gives up on a pending read as soon as the signal aborts (a stalled client must not
 * hold the upload). Remembers the first error it threw.
 */
export class BatchReader {
  #it: AsyncIterator<InputBatch>;
  #topicName: string;
  #schema: Schema;
  #signal: AbortSignal;
  #normalised: Uint8Array;
  #exhausted = false;
  #pending = false;
  /** The first error of the batches' source or of a check; not the abort reason when aborted. */
  error: unknown = null;

  constructor(
    batches: AsyncIterable<InputBatch>,
    opts: { topicName: string; schema: Schema; signal: AbortSignal },
  ) {
    this.#it = batches[Symbol.asyncIterator]();
    this.#topicName = opts.topicName;
    this.#schema = opts.schema;
    this.#signal = opts.signal;
    this.#normalised = normalisedSchemaBytes(opts.schema);
  }

  /** The next non-empty batch, or null at the end of the input. */
  async next(): Promise<InputBatch | null> {
    try {
      for (;;) {
        this.#signal.throwIfAborted();
        this.#pending = true;
        const r = await untilAborted(this.#it.next().finally(() => this.#pending = false), this.#signal);
        if (r.done) {
          this.#exhausted = true;
          return null;
        }
        const batch = batchOf(r.value);
        if (batch.numRows === 0) continue;
        checkBatch(this.#topicName, batch, { schema: this.#schema, normalised: this.#normalised });
        return r.value;
      }
    } catch (err) {
      if (!(this.#signal.aborted && err === this.#signal.reason)) this.error ??= err;
      throw err;
    }
  }

  /**
   * Lets the source release its resources, unless it ended. Not awaited while a read is pending: an
   * async generator would only handle it after that read, which a stalled client may never answer.
   */
  async close(): Promise<void> {
    if (this.#exhausted) return;
    if (this.#pending) void this.#it.return?.()?.catch(() => {});
    else await this.#it.return?.();
  }
}

/**
 * Bytes of batches read and not yet taken by an encoder. Reading waits while they reach the limit; one
 * batch is always let through, so a batch larger than the limit still passes, alone.
 */
export class BytesInFlight {
  readonly limit: number;
  #bytes = 0;
  #peak = 0;
  #waiters: (() => void)[] = [];

  constructor(limit: number) {
    if (!(limit > 0)) throw new RangeError(`Invalid limit of bytes in flight ${limit}`);
    this.limit = limit;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** The most bytes in flight at once so far. */
  get peak(): number {
    return this.#peak;
  }

  take(bytes: number): void {
    this.#bytes += bytes;
    this.#peak = Math.max(this.#peak, this.#bytes);
  }

  release(bytes: number): void {
    this.#bytes -= bytes;
    if (this.#bytes < this.limit) { for (const wake of this.#waiters.splice(0)) wake(); }
  }

  /** Resolves once fewer than `limit` bytes are in flight; rejects with the signal's reason on abort. */
  async room(signal: AbortSignal): Promise<void> {
    while (this.#bytes >= this.limit) {
      const { promise, resolve } = Promise.withResolvers<void>();
      this.#waiters.push(resolve);
      await untilAborted(promise, signal);
    }
  }
}

/** `promise`, or the signal's reason as soon as it aborts (the promise is then left to settle unobserved). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (v) => (signal.removeEventListener("abort", onAbort), resolve(v)),
      (e) => (signal.removeEventListener("abort", onAbort), reject(e)),
    );
  });
}
