/**
 * The image layout's PNG work on worker threads (`_png_worker.ts`), so that deflating camera frames
 * (import) and inflating them back (MCAP export) run beside the thread that reads, maps and sends, and
 * on several cores. Deno's `node:zlib` runs its asynchronous calls on the calling thread, hence workers.
 *
 * The caller's thread does the copy that a transfer needs anyway (for encoding, the scanline layout of
 * `png.ts` `filterRows()`), and the worker the zlib part. A job is admitted only while the bytes of the
 * jobs in flight (input and expected output) stay within `maxBytes` (one job is always admitted): the
 * caller awaits {@link PngPool.encode} / {@link PngPool.decode} for admission, then the returned
 * `result` for the bytes, so a reader that gets ahead of the workers waits instead of queueing frames.
 * Each worker takes one job at a time; workers start on demand, up to `workers`.
 *
 * Failures: a PNG that does not decode rejects its job with the decoder's InvalidArgumentError; a worker
 * that dies rejects its job with an Error and is replaced for the next ones. `close()` stops the workers
 * and rejects what was not done.
 *
 * `deno compile` must embed `_png_worker.ts` (`--include`, see the `compile` task).
 *
 * Imports `errors.ts` and this folder's `png.ts`, `_msg.ts` (types) and `_png_protocol.ts`.
 *
 * @module
 */
import { InvalidArgumentError } from "../../errors.ts";
import type { PngReply, PngRequest } from "./_png_protocol.ts";
import type { Row } from "./_msg.ts";
import { filterRows, type GreyImage, PendingPng } from "./png.ts";

const WORKER_URL = new URL("./_png_worker.ts", import.meta.url);

/** Bytes of PNG work in flight by default: about 16 VGA colour frames, input and output. */
export const PNG_BYTES_IN_FLIGHT = 32 * 1024 * 1024;

/** Options of a {@link PngPool}. */
export interface PngPoolOptions {
  /** Most workers (default: the cores, at most 4). */
  workers?: number;
  /** Most bytes of jobs in flight (default {@link PNG_BYTES_IN_FLIGHT}). */
  maxBytes?: number;
}

/** An admitted job: its result settles when a worker is done with it. */
export interface PngJob<T> {
  result: Promise<T>;
}

interface Job {
  request: PngRequest;
  bytes: number;
  done: PromiseWithResolvers<GreyImage>;
}

interface Slot {
  worker: Worker;
  job: Job | null;
}

/** A pool of PNG workers; `close()` (or `using`) stops them. */
export class PngPool implements Disposable {
  readonly workers: number;
  readonly maxBytes: number;
  #slots: Slot[] = [];
  #queue: Job[] = [];
  #bytes = 0;
  #waiting: (() => void)[] = [];
  #nextId = 1;
  #closed = false;

  constructor(opts: PngPoolOptions = {}) {
    this.workers = Math.max(1, opts.workers ?? Math.min(4, navigator.hardwareConcurrency || 1));
    this.maxBytes = Math.max(1, opts.maxBytes ?? PNG_BYTES_IN_FLIGHT);
  }

  /** Bytes of the jobs admitted and not yet done. */
  get bytesInFlight(): number {
    return this.#bytes;
  }

  /**
   * Waits for room, then encodes `pixels` (`height` rows of `width` bytes, copied at admission, so the
   * caller may reuse them once this resolves) as `png.ts` `encodeGreyPng()` does.
   * @throws RangeError when the sizes do not match (before anything waits).
   */
  async encode(pixels: Uint8Array, width: number, height: number): Promise<PngJob<Uint8Array>> {
    if (width <= 0 || height <= 0 || pixels.length !== width * height) {
      throw new RangeError(`Cannot encode a ${width}x${height} PNG from ${pixels.length} bytes`);
    }
    await this.#admit(pixels.length * 2);
    const bytes = filterRows(pixels, width, height);
    const job = this.#start({ id: this.#nextId++, op: "encode", bytes, width, height }, pixels.length * 2);
    return { result: job.then((r) => r.pixels) };
  }

  /** Waits for room, then decodes `png` (copied at admission) as `png.ts` `decodeGreyPng()` does. */
  async decode(png: Uint8Array): Promise<PngJob<GreyImage>> {
    const cost = png.length + pixelsOf(png);
    await this.#admit(cost);
    return { result: this.#start({ id: this.#nextId++, op: "decode", bytes: png.slice() }, cost) };
  }

  /** Stops the workers; jobs not done are rejected. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const gone = new Error("The PNG workers were stopped");
    for (const s of this.#slots) {
      s.worker.terminate();
      s.job?.done.reject(gone);
    }
    for (const j of this.#queue) j.done.reject(gone);
    this.#slots = [];
    this.#queue = [];
    for (const wake of this.#waiting.splice(0)) wake();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  async #admit(bytes: number): Promise<void> {
    while (!this.#closed && this.#bytes > 0 && this.#bytes + bytes > this.maxBytes) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
    if (this.#closed) throw new Error("The PNG workers were stopped");
    this.#bytes += bytes;
  }

  #start(request: PngRequest, bytes: number): Promise<GreyImage> {
    const job: Job = { request, bytes, done: Promise.withResolvers() };
    job.done.promise.catch(() => {}).finally(() => {
      this.#bytes -= bytes;
      for (const wake of this.#waiting.splice(0)) wake();
    });
    const idle = this.#slots.find((s) => s.job === null) ??
      (this.#slots.length < this.workers ? this.#spawn() : null);
    if (idle) this.#run(idle, job);
    else this.#queue.push(job);
    return job.done.promise;
  }

  #spawn(): Slot {
    const slot: Slot = { worker: new Worker(WORKER_URL, { type: "module" }), job: null };
    slot.worker.onmessage = (event: MessageEvent<PngReply>) => {
      const job = slot.job;
      slot.job = null;
      const reply = event.data;
      if (job !== null) {
        if ("error" in reply) {
          const failure = job.request.op === "decode" ? InvalidArgumentError : Error;
          job.done.reject(new failure(reply.error));
        } else job.done.resolve({ pixels: reply.bytes, width: reply.width, height: reply.height });
      }
      this.#next(slot);
    };
    slot.worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      slot.worker.terminate();
      this.#slots = this.#slots.filter((s) => s !== slot);
      slot.job?.done.reject(new Error(`A PNG worker failed: ${event.message}`));
      slot.job = null;
      const next = this.#queue.shift();
      if (next && !this.#closed) this.#run(this.#spawn(), next);
    };
    this.#slots.push(slot);
    return slot;
  }

  #run(slot: Slot, job: Job): void {
    slot.job = job;
    slot.worker.postMessage(job.request, [job.request.bytes.buffer]);
  }

  #next(slot: Slot): void {
    const job = this.#queue.shift();
    if (job !== undefined) this.#run(slot, job);
  }
}

/**
 * Starts the encoding of each {@link PendingPng} cell of `row` on `pool` (after waiting for room); each
 * cell is replaced by its PNG when done. Resolves once they are admitted, with `ready`, the promise of
 * them all (null when the row has none), which rejects when one fails; it is marked handled, so a row
 * dropped unsent raises nothing.
 */
export async function startRowPngs(row: Row, pool: PngPool): Promise<{ ready: Promise<void> } | null> {
  const started: Promise<void>[] = [];
  for (const key in row) {
    const cell = row[key];
    if (!(cell instanceof PendingPng)) continue;
    const job = await pool.encode(cell.pixels, cell.width, cell.height);
    const done = job.result.then((png) => void (row[key] = png));
    done.catch(() => {});
    started.push(done);
  }
  if (started.length === 0) return null;
  if (started.length === 1) return { ready: started[0] };
  const ready = Promise.all(started).then(() => {});
  ready.catch(() => {});
  return { ready };
}

/** Width × height from a PNG's IHDR (0 when there is none): the size of the pixels it decodes to. */
function pixelsOf(png: Uint8Array): number {
  if (png.length < 24) return 0;
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return Math.min(view.getUint32(16) * view.getUint32(20), 1 << 30);
}
