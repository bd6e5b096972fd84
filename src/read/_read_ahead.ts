/**
 * Read-ahead bounded in bytes over a chunk decoded in a Parquet worker: asks the worker for the next
 * batches while the ones already here are sent, and stops asking once `windowBytes` of decoded batches
 * wait in the whole read (every chunk's read-ahead counts in one {@link HeldBytes}). Bytes held = at most
 * the window plus one step of the worker per chunk open at once (about one batch each). The window is the
 * read's, not each chunk's: a read of many small chunks, each decoded in one step, would otherwise open
 * the next chunk as each one is decoded and hold the whole topic while its client does not read.
 *
 * @module
 */
import type { ChunkStream } from "../arrow/parquet_pool.ts";

/** Decoded bytes held by a read, across its chunks: what the bound is about, and its high-water mark. */
export class HeldBytes {
  #now = 0;
  #peak = 0;
  readonly #watchers = new Set<() => void>();

  /** Bytes received from workers and not yet handed to the consumer. */
  get now(): number {
    return this.#now;
  }

  /** The most `now` has been. */
  get peak(): number {
    return this.#peak;
  }

  add(bytes: number): void {
    this.#now += bytes;
    if (this.#now > this.#peak) this.#peak = this.#now;
  }

  /** Bytes left: every watcher may ask for more. */
  remove(bytes: number): void {
    this.#now -= bytes;
    for (const wake of this.#watchers) wake();
  }

  /** Calls `wake` each time bytes are removed, until the returned function is called. */
  watch(wake: () => void): () => void {
    this.#watchers.add(wake);
    return () => this.#watchers.delete(wake);
  }
}

/** Options of {@linkcode ReadAhead}. */
export interface ReadAheadOptions {
  /** Ask for more only while fewer decoded bytes than this wait in the read (`held`). */
  windowBytes: number;
  /** Bytes asked of the worker per step (it answers at least this much unless the chunk ends). */
  stepBytes: number;
  /** Counts what the read's read-aheads hold, this one's included. */
  held: HeldBytes;
  /** Called once the worker has decoded the whole chunk (the next chunk may start then). */
  onDecoded?: () => void;
}

/** The batches of one chunk stream (each an IPC stream of one batch), fetched ahead within a byte window. */
export class ReadAhead implements AsyncDisposable {
  readonly #stream: ChunkStream;
  readonly #opts: ReadAheadOptions;
  readonly #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  #step?: Promise<void>;
  #failure?: { err: unknown };
  #done = false;
  #closed = false;
  readonly #unwatch: () => void;

  constructor(stream: ChunkStream, opts: ReadAheadOptions) {
    this.#stream = stream;
    this.#opts = opts;
    this.#unwatch = opts.held.watch(() => this.#fill());
    this.#fill();
  }

  /** Asks the worker for a step unless one is under way or the read holds its window (`needed`: regardless). */
  #fill(needed = false): void {
    if (this.#step || this.#done || this.#failure || this.#closed) return;
    if (!needed && this.#opts.held.now >= this.#opts.windowBytes) return;
    this.#step = this.#stream.next(this.#opts.stepBytes).then((step) => {
      this.#step = undefined;
      if (this.#closed) return;
      for (const batch of step.batches) {
        this.#queue.push(batch);
        this.#queuedBytes += batch.byteLength;
        this.#opts.held.add(batch.byteLength);
      }
      if (step.done) {
        this.#done = true;
        this.#opts.onDecoded?.();
      }
      this.#fill();
    }, (err) => {
      this.#step = undefined;
      this.#failure = { err };
    });
  }

  /** The chunk's batches in order; the first error of the worker is thrown where it occurred. */
  async *batches(): AsyncGenerator<Uint8Array, void, undefined> {
    while (true) {
      const batch = this.#queue.shift();
      if (batch !== undefined) {
        this.#queuedBytes -= batch.byteLength;
        this.#opts.held.remove(batch.byteLength); // wakes the read's read-aheads, this one's included
        yield batch;
        continue;
      }
      if (this.#failure) throw this.#failure.err;
      if (this.#done) return;
      // The consumer waits for this chunk: whatever else the read holds, it cannot be sent first.
      this.#fill(true);
      await this.#step;
    }
  }

  /** Drops what is held, waits for the step in flight and closes the stream in its worker. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#unwatch();
    this.#opts.held.remove(this.#queuedBytes);
    this.#queue.length = 0;
    this.#queuedBytes = 0;
    await this.#step;
    await this.#stream.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
