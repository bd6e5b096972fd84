/**
 * A small pool of Web Workers that decode Parquet chunks: for DoGet (whole chunks, handed back as Arrow
 * IPC buffers) and for ontology queries (scans of a few columns, protocol 9.4).
 *
 * Why workers: decoding Parquet in wasm is synchronous CPU work; on the main thread it stalls every
 * Flight call (a 64 MiB chunk takes ~0.3 s), so a read's "decode the next chunk while sending this
 * one" could not overlap at all. In workers it runs beside the sending, on other cores. Each worker
 * has its own parquet-wasm instance: a reader panic on a corrupt chunk kills that worker only (it is
 * replaced), and the column-projecting async reader can be used safely. Workers start on demand and
 * stop after `idleMs` without work, which also returns their wasm memory.
 *
 * `deno compile` must embed `_parquet_worker.ts` (`--include`), see the `compile` task.
 *
 * @module
 */
import type { RecordBatch } from "apache-arrow";
import { DataLossError } from "../errors.ts";
import type { ValueCondition } from "../model/types.ts";
import { batchesFromIpc, type ParquetCodec } from "./parquet.ts";
import type { TimeInterval } from "./match_intervals.ts";
import type { RowMatch } from "./row_filter.ts";
import { owned, type ParquetAnswer, type ParquetReply, type ParquetRequest } from "./_parquet_protocol.ts";
import type { ChunkStep } from "./_parquet_row_groups.ts";
import type { ChunkSource } from "./_chunk_source.ts";

export type { RowMatch } from "./row_filter.ts";
export type { TimeInterval } from "./match_intervals.ts";

/** Something that can tell whether a Parquet chunk (its bytes or local file) has a row satisfying every condition. */
export interface ChunkScanner {
  anyRowMatches(source: ChunkSource, conditions: readonly ValueCondition[]): Promise<boolean>;
  /** Whether some row satisfies every condition, and the `timestamp_ns` range of all such rows. */
  matchRows(source: ChunkSource, conditions: readonly ValueCondition[]): Promise<RowMatch>;
  /**
   * The time clusters of the rows satisfying every condition (`match_intervals.ts`): matching
   * `timestamp_ns` values at most `gapNs` apart share one (null: one cluster), in time order.
   */
  matchIntervals(
    source: ChunkSource,
    conditions: readonly ValueCondition[],
    opts: { gapNs: bigint | null },
  ): Promise<TimeInterval[]>;
}

/**
 * A chunk being decoded in a worker, row group by row group, as the reader asks for more. The worker
 * keeps the chunk open between requests and serves others meanwhile. Call `close()` however it ends.
 */
export interface ChunkStream {
  /** The stored schema (with metadata) as an IPC stream. */
  readonly schema: Uint8Array;
  /** Whether the chunk's rows are already in `timestamp_ns` order. */
  readonly sorted: boolean;
  /** The next batches, each an IPC stream of one batch: at least `maxBytes` of them unless the chunk ends. */
  next(maxBytes: number): Promise<ChunkStep>;
  /** Frees the chunk in its worker. Idempotent. */
  close(): Promise<void>;
}

/** Something that decodes a Parquet chunk to record batches with its stored schema. */
export interface ChunkDecoder {
  /** The whole chunk at once. */
  decode(bytes: Uint8Array, opts?: { batchRows?: number }): Promise<RecordBatch[]>;
  /**
   * The chunk as a stream of batches of about `batchBytes` each: from its bytes (same transfer rule and
   * errors), or from its local file, read range by range where it is decoded (a missing or unreadable
   * file fails with DataLossError).
   */
  openStream(source: ChunkSource, opts: { batchBytes: number }): Promise<ChunkStream>;
}

export type { ParquetAnswer, ParquetReply, ParquetRequest } from "./_parquet_protocol.ts";
export type { ChunkSource } from "./_chunk_source.ts";
export { owned };
export type { ChunkStep, OpenedChunk } from "./_parquet_row_groups.ts";

export interface ParquetPoolOptions {
  /** Most workers alive at once (and scans in parallel). */
  size: number;
  /** A worker idle this long is stopped. */
  idleMs?: number;
  /** Which Parquet implementation streamed reads (DoGet) decode with (default `wasm`). */
  codec?: ParquetCodec;
}

interface Slot {
  worker: Worker;
  idleTimer?: ReturnType<typeof setTimeout>;
  /** The request in progress. */
  pending?: { resolve: (answer: ParquetAnswer) => void; reject: (err: Error) => void };
  /** Whether a request holds the worker (it may still be idle with streams open in it). */
  busy?: boolean;
  /** Streams open in this worker: it is not stopped while idle. */
  streams: number;
  /** Requests of those streams waiting for this worker. */
  waiters: { resolve: (slot: Slot) => void; reject: (err: Error) => void }[];
  /** Settles when the worker has loaded (its first message) or failed to. */
  ready: Promise<void>;
  loaded?: boolean;
  /** Set when the worker died (it may die before any scan, e.g. failing to load). */
  crashed?: Error;
}

const WORKER_URL = new URL("./_parquet_worker.ts", import.meta.url);

export class ParquetPool implements ChunkScanner, ChunkDecoder, AsyncDisposable {
  readonly size: number;
  readonly #idleMs: number;
  #free: Slot[] = [];
  #alive = 0;
  #waiters: { resolve: (slot: Slot) => void; reject: (err: Error) => void }[] = [];
  #nextId = 1;
  #closed = false;
  readonly #codec: ParquetCodec;

  constructor(opts: ParquetPoolOptions) {
    if (!Number.isSafeInteger(opts.size) || opts.size < 1) {
      throw new RangeError(`ParquetPool size must be a positive integer, got ${opts.size}`);
    }
    this.size = opts.size;
    this.#idleMs = opts.idleMs ?? 30_000;
    this.#codec = opts.codec ?? "wasm";
  }

  /** Workers currently alive (busy or idle). */
  get workers(): number {
    return this.#alive;
  }

  /**
   * Scans one chunk for a row satisfying every condition, decoding only the columns they read. The
   * chunk is its bytes, whose buffer is transferred to the worker when the view owns it whole (the
   * caller must not use it afterwards), copied otherwise; or its local file, of which the worker reads
   * only the footer and those columns.
   * @throws DataLossError when the chunk is not readable Parquet (including a reader crash on it) or
   *   its file is missing; Error when the worker could not start.
   */
  async anyRowMatches(source: ChunkSource, conditions: readonly ValueCondition[]): Promise<boolean> {
    const answer = await this.#request({
      id: this.#nextId++,
      kind: "scan",
      source: sent(source),
      conditions,
    });
    if (!("matched" in answer)) throw new Error("Chunk scan worker answered another request");
    return answer.matched;
  }

  /**
   * Scans one chunk through all its rows: whether some row satisfies every condition, and the smallest
   * and largest `timestamp_ns` of all rows that do. Same transfer rule and errors as
   * {@linkcode anyRowMatches}.
   */
  async matchRows(source: ChunkSource, conditions: readonly ValueCondition[]): Promise<RowMatch> {
    const answer = await this.#request({
      id: this.#nextId++,
      kind: "match",
      source: sent(source),
      conditions,
    });
    if (!("match" in answer)) throw new Error("Chunk scan worker answered another request");
    return answer.match;
  }

  /**
   * Scans one chunk through all its rows (only the condition columns and `timestamp_ns`) for the time
   * clusters of the rows satisfying every condition. Same transfer rule and errors as
   * {@linkcode anyRowMatches}.
   */
  async matchIntervals(
    source: ChunkSource,
    conditions: readonly ValueCondition[],
    opts: { gapNs: bigint | null },
  ): Promise<TimeInterval[]> {
    const answer = await this.#request({
      id: this.#nextId++,
      kind: "intervals",
      source: sent(source),
      conditions,
      gapNs: opts.gapNs,
    });
    if (!("intervals" in answer)) throw new Error("Chunk scan worker answered another request");
    const flat = answer.intervals;
    return Array.from({ length: flat.length >> 1 }, (_, i): TimeInterval => [flat[2 * i], flat[2 * i + 1]]);
  }

  /**
   * Decodes a whole chunk in a worker and wraps the batches it hands back (no copy). Same transfer
   * rule and errors as {@linkcode anyRowMatches}.
   */
  async decode(bytes: Uint8Array, opts: { batchRows?: number } = {}): Promise<RecordBatch[]> {
    const answer = await this.#request({
      id: this.#nextId++,
      kind: "decode",
      bytes: owned(bytes),
      batchRows: opts.batchRows,
    });
    if (!("decoded" in answer)) throw new Error("Parquet worker answered another request");
    return [...batchesFromIpc(answer.decoded)];
  }

  /**
   * Opens a chunk as a stream in a worker (which reads its `timestamp_ns` column once, to tell whether
   * it is sorted). Same transfer rule and errors as {@linkcode anyRowMatches}; a stream's `next()` also
   * fails with DataLossError on data the reader cannot decode, and with Error if its worker died on
   * another chunk.
   */
  async openStream(source: ChunkSource, opts: { batchBytes: number }): Promise<ChunkStream> {
    if (!(opts.batchBytes >= 1)) throw new RangeError(`batchBytes must be positive, got ${opts.batchBytes}`);
    const stream = this.#nextId++;
    let slot: Slot | undefined;
    const answer = await this.#request(
      {
        id: this.#nextId++,
        kind: "open",
        stream,
        source: sent(source),
        batchBytes: opts.batchBytes,
        codec: this.#codec,
      },
      { opening: (s) => slot = s },
    );
    if (!("opened" in answer) || !slot) throw new Error("Parquet worker answered another request");
    const pinned: Slot = slot;
    let closed = false;
    return {
      schema: answer.opened.schema,
      sorted: answer.opened.sorted,
      next: async (maxBytes) => {
        if (closed) throw new Error("Chunk stream is closed");
        // A failed step has closed the stream in the worker.
        const ended = () => {
          if (!closed) pinned.streams--;
          closed = true;
        };
        const step = await this.#request(
          { id: this.#nextId++, kind: "next", stream, maxBytes },
          { slot: pinned, failed: ended },
        );
        if (!("step" in step)) throw new Error("Parquet worker answered another request");
        return step.step;
      },
      close: async () => {
        if (closed) return;
        closed = true;
        pinned.streams--;
        if (pinned.crashed || this.#closed) return;
        // A failure here only leaves the chunk open in a worker that is then replaced or stopped.
        await this.#request({ id: this.#nextId++, kind: "close", stream }, { slot: pinned }).catch(() => {});
      },
    };
  }

  async #request(
    req: ParquetRequest,
    opts: { slot?: Slot; opening?: (slot: Slot) => void; failed?: () => void } = {},
  ): Promise<ParquetAnswer> {
    const slot = opts.slot ? await this.#acquireSlot(opts.slot) : await this.#acquire();
    let answer: ParquetAnswer;
    try {
      answer = await this.#exchange(slot, req);
    } catch (err) {
      opts.failed?.();
      this.#discard(slot);
      throw err;
    }
    if ("error" in answer) opts.failed?.();
    if ("opened" in answer) {
      slot.streams++;
      opts.opening?.(slot);
    }
    // A worker whose reader failed may have left its wasm state damaged (a trap, an allocation failure):
    // it is replaced rather than reused, unless other streams are open in it.
    if ("error" in answer && slot.streams === 0) this.#discard(slot);
    else this.#release(slot);
    if (!("error" in answer)) return answer;
    if (answer.unreadable) throw new DataLossError(`Cannot read chunk: ${answer.error}`);
    throw new Error(`Parquet worker failed: ${answer.error}`);
  }

  async #exchange(slot: Slot, req: ParquetRequest): Promise<ParquetAnswer> {
    // Sent only to a loaded worker, so that a crash while it is pending is the reader's, on this chunk.
    await slot.ready;
    if (slot.crashed) throw slot.crashed;
    return await new Promise<ParquetAnswer>((resolve, reject) => {
      slot.pending = { resolve, reject };
      slot.worker.postMessage(req, transferOf(req));
    }).finally(() => slot.pending = undefined);
  }

  #acquire(): Promise<Slot> {
    if (this.#closed) return Promise.reject(new Error("ParquetPool is closed"));
    let slot = this.#free.pop();
    while (slot?.crashed) { // died while idle
      clearTimeout(slot.idleTimer);
      this.#discard(slot);
      slot = this.#free.pop();
    }
    if (slot) {
      clearTimeout(slot.idleTimer);
      slot.busy = true;
      return Promise.resolve(slot);
    }
    if (this.#alive < this.size) return Promise.resolve(this.#spawn());
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** The given worker, once free: a stream's requests go to the worker that holds it. */
  #acquireSlot(slot: Slot): Promise<Slot> {
    if (this.#closed) return Promise.reject(new Error("ParquetPool is closed"));
    if (slot.crashed) {
      return Promise.reject(new Error(`Parquet worker failed with a chunk open: ${slot.crashed.message}`));
    }
    if (slot.busy) return new Promise((resolve, reject) => slot.waiters.push({ resolve, reject }));
    this.#free = this.#free.filter((s) => s !== slot);
    clearTimeout(slot.idleTimer);
    slot.busy = true;
    return Promise.resolve(slot);
  }

  #spawn(): Slot {
    this.#alive++;
    const loaded = Promise.withResolvers<void>();
    const slot: Slot = {
      worker: new Worker(WORKER_URL, { type: "module" }),
      ready: loaded.promise,
      busy: true,
      streams: 0,
      waiters: [],
    };
    // Listeners from the start: a worker can fail before its first message (e.g. loading its module).
    slot.worker.onmessage = (event: MessageEvent<ParquetReply>) => {
      const data = event.data;
      if ("ready" in data) {
        slot.loaded = true;
        loaded.resolve();
      } else slot.pending?.resolve(data);
    };
    const onCrash = (event: Event) => {
      event.preventDefault(); // a dead worker must not take the daemon with it
      const what = event instanceof ErrorEvent ? event.message : "unreadable reply";
      // Loaded and scanning: the Parquet reader panicked on the chunk's bytes (it does on some corrupt
      // files). Not loaded: the worker could not start, which is our problem, not the data's.
      slot.crashed = slot.loaded && slot.pending
        ? new DataLossError(`Cannot read chunk: the Parquet reader failed on it (${what})`)
        : new Error(`Parquet worker failed: ${what}`);
      slot.pending?.reject(slot.crashed);
      // Streams open in it lose their chunk: their reads fail (not as data loss: their data is fine).
      for (const waiter of slot.waiters.splice(0)) waiter.reject(new Error(`Parquet worker failed: ${what}`));
      loaded.resolve(); // a request waiting for the load sees `crashed`
    };
    slot.worker.onerror = onCrash;
    slot.worker.onmessageerror = onCrash;
    return slot;
  }

  #release(slot: Slot): void {
    if (this.#closed) {
      slot.busy = false;
      slot.worker.terminate();
      this.#alive--;
      return;
    }
    // A stream's own requests first: the reader waiting for them holds memory until they are served.
    const waiter = slot.waiters.shift() ?? this.#waiters.shift();
    if (waiter) return waiter.resolve(slot);
    slot.busy = false;
    if (slot.streams === 0) this.#idle(slot);
    this.#free.push(slot);
  }

  /** Stops `slot` after `idleMs` unless it is taken again (no stream is open in it). */
  #idle(slot: Slot): void {
    clearTimeout(slot.idleTimer);
    const timer = setTimeout(() => {
      this.#free = this.#free.filter((s) => s !== slot);
      this.#discard(slot);
    }, this.#idleMs);
    Deno.unrefTimer(timer);
    slot.idleTimer = timer;
  }

  /** Stops a worker (crashed or idle); a waiting scan gets a fresh one. */
  #discard(slot: Slot): void {
    slot.worker.terminate();
    slot.crashed ??= new Error("Parquet worker stopped");
    for (const waiter of slot.waiters.splice(0)) waiter.reject(slot.crashed);
    this.#alive--;
    const waiter = this.#closed ? undefined : this.#waiters.shift();
    if (waiter) waiter.resolve(this.#spawn());
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.#closed = true;
    for (const slot of this.#free) {
      clearTimeout(slot.idleTimer);
      slot.worker.terminate();
      for (const waiter of slot.waiters.splice(0)) waiter.reject(new Error("ParquetPool is closed"));
    }
    this.#alive -= this.#free.length;
    this.#free = [];
    for (const waiter of this.#waiters.splice(0)) waiter.reject(new Error("ParquetPool is closed"));
    return Promise.resolve();
  }
}

/** A chunk source as sent to a worker: bytes it may take over (see `owned()`), or a path. */
function sent(source: ChunkSource): ChunkSource {
  return source instanceof Uint8Array ? owned(source) : { path: source.path };
}

/** The buffer a request hands over to the worker: the chunk's bytes, when it carries them. */
function transferOf(req: ParquetRequest): ArrayBuffer[] {
  if ("bytes" in req) return [req.bytes.buffer as ArrayBuffer];
  if ("source" in req && req.source instanceof Uint8Array) return [req.source.buffer as ArrayBuffer];
  return [];
}
