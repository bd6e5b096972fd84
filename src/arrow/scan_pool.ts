/**
 * A small pool of Web Workers that scan Parquet chunks for ontology queries (protocol 9.4).
 *
 * Why workers: the scan decodes Parquet in wasm, which is synchronous CPU work, so on the main thread
 * it would stall every Flight call; in workers it runs beside them, on other cores. Each worker has
 * its own parquet-wasm instance: a reader panic on a corrupt chunk kills that worker only (it is
 * replaced), and the column-projecting async reader can be used safely. Workers start on demand and
 * stop after `idleMs` without work, which also returns their wasm memory.
 *
 * `deno compile` must embed `_scan_worker.ts` (`--include`), see the `compile` task.
 *
 * @module
 */
import { DataLossError } from "../errors.ts";
import type { ValueCondition } from "../model/types.ts";

/** Something that can tell whether a Parquet chunk has a row satisfying every condition. */
export interface ChunkScanner {
  anyRowMatches(bytes: Uint8Array, conditions: readonly ValueCondition[]): Promise<boolean>;
}

/** Main thread → worker. `bytes` is transferred, not copied. */
export interface ScanRequest {
  id: number;
  bytes: Uint8Array;
  conditions: readonly ValueCondition[];
}

/** The answer to one request, or why the chunk could not be scanned. */
export type ScanAnswer =
  | { id: number; matched: boolean }
  | { id: number; error: string; unreadable: boolean };

/** Worker → main thread: "loaded" once, then one answer per request. */
export type ScanReply = { ready: true } | ScanAnswer;

export interface ScanPoolOptions {
  /** Most workers alive at once (and scans in parallel). */
  size: number;
  /** A worker idle this long is stopped. */
  idleMs?: number;
}

interface Slot {
  worker: Worker;
  idleTimer?: ReturnType<typeof setTimeout>;
  /** The scan in progress. */
  pending?: { resolve: (answer: ScanAnswer) => void; reject: (err: Error) => void };
  /** Whether the worker finished loading (said so in its first message). */
  ready?: boolean;
  /** Set when the worker died (it may die before any scan, e.g. failing to load). */
  crashed?: Error;
}

const WORKER_URL = new URL("./_scan_worker.ts", import.meta.url);

export class ScanPool implements ChunkScanner, AsyncDisposable {
  readonly size: number;
  readonly #idleMs: number;
  #free: Slot[] = [];
  #alive = 0;
  #waiters: { resolve: (slot: Slot) => void; reject: (err: Error) => void }[] = [];
  #nextId = 1;
  #closed = false;

  constructor(opts: ScanPoolOptions) {
    if (!Number.isSafeInteger(opts.size) || opts.size < 1) {
      throw new RangeError(`ScanPool size must be a positive integer, got ${opts.size}`);
    }
    this.size = opts.size;
    this.#idleMs = opts.idleMs ?? 30_000;
  }

  /** Workers currently alive (busy or idle). */
  get workers(): number {
    return this.#alive;
  }

  /**
   * Scans one chunk. The bytes' buffer is transferred to the worker when the view owns it whole
   * (the caller must not use it afterwards), copied otherwise.
   * @throws DataLossError when the chunk is not readable Parquet (including a reader crash on it);
   *   Error when the worker could not start.
   */
  async anyRowMatches(bytes: Uint8Array, conditions: readonly ValueCondition[]): Promise<boolean> {
    const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength &&
        bytes.buffer instanceof ArrayBuffer
      ? bytes
      : bytes.slice();
    const slot = await this.#acquire();
    let reply: ScanAnswer;
    try {
      reply = await this.#exchange(slot, { id: this.#nextId++, bytes: own, conditions });
    } catch (err) {
      this.#discard(slot);
      throw err;
    }
    this.#release(slot);
    if ("matched" in reply) return reply.matched;
    if (reply.unreadable) throw new DataLossError(`Cannot scan chunk: ${reply.error}`);
    throw new Error(`Chunk scan failed: ${reply.error}`);
  }

  #exchange(slot: Slot, req: ScanRequest): Promise<ScanAnswer> {
    if (slot.crashed) return Promise.reject(slot.crashed);
    return new Promise<ScanAnswer>((resolve, reject) => {
      slot.pending = { resolve, reject };
      slot.worker.postMessage(req, [req.bytes.buffer as ArrayBuffer]);
    }).finally(() => slot.pending = undefined);
  }

  #acquire(): Promise<Slot> {
    if (this.#closed) return Promise.reject(new Error("ScanPool is closed"));
    let slot = this.#free.pop();
    while (slot?.crashed) { // died while idle
      clearTimeout(slot.idleTimer);
      this.#discard(slot);
      slot = this.#free.pop();
    }
    if (slot) {
      clearTimeout(slot.idleTimer);
      return Promise.resolve(slot);
    }
    if (this.#alive < this.size) return Promise.resolve(this.#spawn());
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  #spawn(): Slot {
    this.#alive++;
    const slot: Slot = { worker: new Worker(WORKER_URL, { type: "module" }) };
    // Listeners from the start: a worker can fail before its first message (e.g. loading its module).
    slot.worker.onmessage = (event: MessageEvent<ScanReply>) => {
      const data = event.data;
      if ("ready" in data) slot.ready = true;
      else slot.pending?.resolve(data);
    };
    const onCrash = (event: Event) => {
      event.preventDefault(); // a dead worker must not take the daemon with it
      const what = event instanceof ErrorEvent ? event.message : "unreadable reply";
      // Loaded and scanning: the Parquet reader panicked on the chunk's bytes (it does on some corrupt
      // files). Not loaded: the worker could not start, which is our problem, not the data's.
      slot.crashed = slot.ready && slot.pending
        ? new DataLossError(`Cannot scan chunk: the Parquet reader failed on it (${what})`)
        : new Error(`Chunk scan worker failed: ${what}`);
      slot.pending?.reject(slot.crashed);
    };
    slot.worker.onerror = onCrash;
    slot.worker.onmessageerror = onCrash;
    return slot;
  }

  #release(slot: Slot): void {
    if (this.#closed) {
      slot.worker.terminate();
      this.#alive--;
      return;
    }
    const waiter = this.#waiters.shift();
    if (waiter) return waiter.resolve(slot);
    const timer = setTimeout(() => {
      this.#free = this.#free.filter((s) => s !== slot);
      this.#discard(slot);
    }, this.#idleMs);
    Deno.unrefTimer(timer);
    slot.idleTimer = timer;
    this.#free.push(slot);
  }

  /** Stops a worker (crashed or idle); a waiting scan gets a fresh one. */
  #discard(slot: Slot): void {
    slot.worker.terminate();
    this.#alive--;
    const waiter = this.#closed ? undefined : this.#waiters.shift();
    if (waiter) waiter.resolve(this.#spawn());
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.#closed = true;
    for (const slot of this.#free) {
      clearTimeout(slot.idleTimer);
      slot.worker.terminate();
    }
    this.#alive -= this.#free.length;
    this.#free = [];
    for (const waiter of this.#waiters.splice(0)) waiter.reject(new Error("ScanPool is closed"));
    return Promise.resolve();
  }
}
