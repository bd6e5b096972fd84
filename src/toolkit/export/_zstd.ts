/**
 * zstd compression on a worker thread (`_zstd_worker.ts`): Deno's `node:zlib` runs even its asynchronous
 * calls on the calling thread, where an MCAP export's chunks took about a sixth of the exporting
 * thread's time. The caller's buffer is transferred to the worker and comes back with the result, so
 * nothing is copied on the way; the worker starts on first use and takes one request at a time.
 *
 * `deno compile` must embed `_zstd_worker.ts` (`--include`, see the `compile` task).
 *
 * Imports the worker's message types only.
 *
 * @module
 */
import type { ZstdReply, ZstdRequest } from "./_zstd_worker.ts";

const WORKER_URL = new URL("./_zstd_worker.ts", import.meta.url);

/**
 * What a compression gives back: the compressed bytes (null: the bytes do not compress, store them as they
 * are; `_zstd_chunk.ts`), and the caller's buffer to use again.
 */
export interface Compressed {
  compressed: Uint8Array | null;
  buffer: ArrayBuffer;
}

/** One zstd worker; `close()` (or `using`) stops it. */
export class ZstdWorker implements Disposable {
  #worker: Worker | null = null;
  readonly #pending = new Map<number, PromiseWithResolvers<Compressed>>();
  #nextId = 0;
  #closed = false;

  /**
   * Compresses the first `length` bytes of `buffer` at `level`. `buffer` is transferred (detached here)
   * until the promise settles with it.
   * @throws Error when the worker fails or the pool is closed.
   */
  compress(buffer: ArrayBuffer, length: number, level: number): Promise<Compressed> {
    if (this.#closed) return Promise.reject(new Error("zstd: the worker is closed"));
    const id = this.#nextId++;
    const done = Promise.withResolvers<Compressed>();
    this.#pending.set(id, done);
    const request: ZstdRequest = { id, buffer, length, level };
    this.#started().postMessage(request, [buffer]);
    return done.promise;
  }

  #started(): Worker {
    if (this.#worker !== null) return this.#worker;
    const worker = new Worker(WORKER_URL, { type: "module" });
    worker.onmessage = (event: MessageEvent<ZstdReply>) => {
      const reply = event.data;
      const done = this.#pending.get(reply.id);
      if (done === undefined) return;
      this.#pending.delete(reply.id);
      if ("error" in reply) done.reject(new Error(`zstd: ${reply.error}`));
      else done.resolve({ compressed: reply.compressed, buffer: reply.buffer });
    };
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      this.#fail(new Error(`zstd: the worker failed: ${event.message}`));
    };
    this.#worker = worker;
    return worker;
  }

  #fail(err: Error): void {
    for (const done of this.#pending.values()) done.reject(err);
    this.#pending.clear();
    this.#worker?.terminate();
    this.#worker = null;
  }

  /** Stops the worker; what was asked and not answered is rejected. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#fail(new Error("zstd: the worker is closed"));
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
