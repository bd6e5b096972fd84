/**
 * A pool of worker threads that encode ingest chunks to Parquet (`_encoder_worker.ts`), so that the
 * thread receiving an upload only reassembles, checks and forwards its messages. Each batch crosses as
 * its IPC message, whose buffer is transferred, not copied (see `messageOf()`); the worker decodes it,
 * adds it to the chunk's statistics, frames it for parquet-wasm and sends the Parquet bytes back as the
 * writer produces them (transferred too), for the caller to stream into the store.
 *
 * Flow control: a worker sends at most about two row groups of output that the caller has not taken;
 * past that it stops reading the writer, which stops taking batches, which the caller sees as batches
 * not consumed (`onConsumed`), and stops reading its input. The caller frees each output piece's buffer
 * by asking for the next one.
 *
 * Scheduling: a chunk goes to an idle worker, else to a new one while under `size`, else to the least
 * busy, so an upload's next chunk is encoded on another core while its last one finishes when there
 * is one. A worker encodes chunks of several uploads at once (a stalled client never holds a worker
 * others wait for), but one upload's chunks one after the other (`previous`): a second writer in the
 * same wasm memory would only grow it, which never shrinks. Workers start on demand and stop after
 * `idleMs` without a chunk, returning their wasm memory.
 *
 * Failures: an error encoding a chunk fails that chunk only. A worker that dies (a panic in the Parquet
 * writer is thrown where nothing can catch it) fails the chunks it held with a plain Error and is
 * replaced; one whose wasm trapped takes no new chunk and stops once its chunks are done.
 *
 * `deno compile` must embed `_encoder_worker.ts` (`--include`), see the `compile` task.
 *
 * @module
 */
import type { RecordBatch } from "apache-arrow";
import { InvalidArgumentError } from "../errors.ts";
import type { EncoderReply, EncoderRequest } from "./_encoder_protocol.ts";
import { AsyncQueue } from "./_queue.ts";
import type { ChunkEncodeOptions, ChunkEncoder, ChunkEncoding, ChunkSummary } from "./chunk_encoder.ts";
import { messageOf, type ReceivedBatch } from "./received_batch.ts";
import { encodeEncapsulatedSchema } from "./ipc.ts";
import type { ParquetCodec } from "./parquet.ts";
import type { BufferRecycler } from "../buffer_recycler.ts";

export interface EncoderPoolOptions {
  /** Most workers alive at once. */
  size: number;
  /** A worker without a chunk this long is stopped (default 30 s). */
  idleMs?: number;
  /** The worker module (default `_encoder_worker.ts`); tests give one that fails on purpose. */
  workerUrl?: URL;
  /** Which Parquet implementation the workers write with (default `wasm`). */
  codec?: ParquetCodec;
  /** Where the buffers of batches the workers are done with go back to (none: they are freed). */
  recycler?: BufferRecycler | null;
}

interface Slot {
  worker: Worker;
  active: Map<number, PoolEncoding>;
  /** Its wasm trapped: no new chunk, stopped when its chunks end. */
  poisoned: boolean;
  idleTimer?: ReturnType<typeof setTimeout>;
}

const WORKER_URL = new URL("./_encoder_worker.ts", import.meta.url);

export class EncoderPool implements ChunkEncoder, AsyncDisposable {
  readonly size: number;
  /** One chunk per worker being encoded, and the next one being filled. */
  readonly chunksInFlight: number;
  readonly #idleMs: number;
  readonly #url: URL;
  readonly #codec: ParquetCodec;
  readonly #recycler: BufferRecycler | null;
  #slots: Slot[] = [];
  #nextId = 1;
  #closed = false;

  constructor(opts: EncoderPoolOptions) {
    if (!Number.isSafeInteger(opts.size) || opts.size < 1) {
      throw new RangeError(`EncoderPool size must be a positive integer, got ${opts.size}`);
    }
    this.size = opts.size;
    this.chunksInFlight = opts.size + 1;
    this.#idleMs = opts.idleMs ?? 30_000;
    this.#url = opts.workerUrl ?? WORKER_URL;
    this.#codec = opts.codec ?? "wasm";
    this.#recycler = opts.recycler ?? null;
  }

  /** Workers currently alive. */
  get workers(): number {
    return this.#slots.length;
  }

  open(opts: ChunkEncodeOptions): ChunkEncoding {
    if (this.#closed) throw new Error("EncoderPool is closed");
    const slot = this.#pick();
    const id = this.#nextId++;
    const encoding = new PoolEncoding(slot.worker, id, opts, this.#recycler, () => this.#ended(slot, id));
    // The upload's previous chunk still in this worker: one writer per upload in its wasm memory.
    const previous =
      opts.previous instanceof PoolEncoding && slot.active.get(opts.previous.id) === opts.previous
        ? opts.previous.id
        : undefined;
    slot.active.set(id, encoding);
    const schema = encodeEncapsulatedSchema(opts.schema);
    // Two row groups: the writer can finish one while the caller stores the other.
    const windowBytes = 2 * opts.rowGroupBytes;
    slot.worker.postMessage(
      {
        kind: "open",
        id,
        schema,
        format: opts.format,
        rowGroupBytes: opts.rowGroupBytes,
        codec: opts.codec ?? this.#codec,
        windowBytes,
        after: previous,
      } satisfies EncoderRequest,
      [schema.buffer as ArrayBuffer],
    );
    return encoding;
  }

  /** An idle worker, else a new one while under `size`, else the least busy. */
  #pick(): Slot {
    const usable = this.#slots.filter((s) => !s.poisoned);
    const idle = usable.find((s) => s.active.size === 0);
    if (idle) {
      clearTimeout(idle.idleTimer);
      return idle;
    }
    if (usable.length < this.size) return this.#spawn();
    return usable.reduce((a, b) => (b.active.size < a.active.size ? b : a));
  }

  #spawn(): Slot {
    const slot: Slot = {
      worker: new Worker(this.#url, { type: "module" }),
      active: new Map(),
      poisoned: false,
    };
    this.#slots.push(slot);
    slot.worker.onmessage = (event: MessageEvent<EncoderReply>) => {
      const reply = event.data;
      if (reply.kind === "ready") return;
      if (reply.kind === "error" && reply.poisoned) slot.poisoned = true;
      slot.active.get(reply.id)?.receive(reply);
    };
    const onCrash = (event: Event) => {
      event.preventDefault(); // a dead worker must not take the daemon with it
      const what = event instanceof ErrorEvent ? event.message : "unreadable message";
      const error = new Error(`Cannot encode chunk: the Parquet encoder worker failed (${what})`);
      this.#remove(slot);
      for (const encoding of [...slot.active.values()]) encoding.fail(error);
    };
    slot.worker.onerror = onCrash;
    slot.worker.onmessageerror = onCrash;
    return slot;
  }

  /** A chunk ended (finished, failed or aborted): stop the worker if it is idle and poisoned, or later. */
  #ended(slot: Slot, id: number): void {
    slot.active.delete(id);
    if (slot.active.size > 0 || !this.#slots.includes(slot)) return;
    if (slot.poisoned || this.#closed) return this.#remove(slot);
    const timer = setTimeout(() => this.#remove(slot), this.#idleMs);
    Deno.unrefTimer(timer);
    slot.idleTimer = timer;
  }

  #remove(slot: Slot): void {
    clearTimeout(slot.idleTimer);
    slot.worker.terminate();
    this.#slots = this.#slots.filter((s) => s !== slot);
  }

  /** Stops every worker; chunks still being encoded fail. */
  [Symbol.asyncDispose](): Promise<void> {
    this.#closed = true;
    const error = new Error("Cannot encode chunk: the encoder pool is closed");
    for (const slot of [...this.#slots]) {
      this.#remove(slot);
      for (const encoding of [...slot.active.values()]) encoding.fail(error);
    }
    return Promise.resolve();
  }
}

/** The main thread's side of one chunk encoded in a worker. */
class PoolEncoding implements ChunkEncoding {
  readonly #worker: Worker;
  readonly id: number;
  readonly #opts: ChunkEncodeOptions;
  readonly #onEnd: () => void;
  readonly #recycler: BufferRecycler | null;
  readonly #output = new AsyncQueue<Uint8Array>();
  #summary: ChunkSummary | null = null;
  #ended = false;
  /** The output piece the caller took last: acknowledged, and its buffer freed, when it asks for the next. */
  #taken: Uint8Array | null = null;
  readonly output: AsyncIterable<Uint8Array>;

  constructor(
    worker: Worker,
    id: number,
    opts: ChunkEncodeOptions,
    recycler: BufferRecycler | null,
    onEnd: () => void,
  ) {
    this.#worker = worker;
    this.id = id;
    this.#opts = opts;
    this.#recycler = recycler;
    this.#onEnd = onEnd;
    const iterator: AsyncIterator<Uint8Array> = {
      next: () => {
        const taken = this.#taken;
        this.#taken = null;
        if (taken !== null) {
          if (!this.#ended) this.#post({ kind: "ack", id, bytes: taken.length });
          // Transferred here for the caller alone, who is done with it: free it now rather than at
          // this isolate's next collection, which external memory alone triggers late.
          (taken.buffer as ArrayBuffer).transfer(0);
        }
        return this.#output.next().then((r) => {
          if (!r.done) this.#taken = r.value;
          return r;
        });
      },
      return: () => {
        this.abort(new Error("Cannot encode chunk: its output was abandoned"));
        return Promise.resolve({ done: true, value: undefined });
      },
    };
    this.output = { [Symbol.asyncIterator]: () => iterator };
  }

  push(item: RecordBatch | ReceivedBatch): void {
    if (this.#ended) return;
    const { header, body } = messageOf(item);
    const transfer = header.buffer === body.buffer ? [body.buffer] : [header.buffer, body.buffer];
    this.#post({ kind: "batch", id: this.id, header, body }, transfer as ArrayBuffer[]);
  }

  end(): void {
    if (!this.#ended) this.#post({ kind: "end", id: this.id });
  }

  abort(reason: unknown): void {
    if (this.#ended) return;
    this.#post({ kind: "abort", id: this.id });
    this.fail(reason);
  }

  summary(): ChunkSummary {
    if (this.#summary === null) throw new Error("Cannot summarise a chunk before it is encoded");
    return this.#summary;
  }

  /** Ends the chunk with `error` (its output throws it). */
  fail(error: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#output.fail(error);
    this.#onEnd();
  }

  receive(reply: Exclude<EncoderReply, { kind: "ready" }>): void {
    if (reply.kind === "consumed" && reply.buffer) this.#recycler?.give(reply.buffer);
    if (this.#ended) return;
    switch (reply.kind) {
      case "consumed":
        this.#opts.onConsumed?.();
        break;
      case "output":
        this.#output.push(reply.bytes);
        break;
      case "done":
        this.#summary = reply.summary;
        this.#ended = true;
        this.#output.close();
        this.#onEnd();
        break;
      case "error":
        this.fail(errorFrom(reply));
        break;
    }
  }

  #post(request: EncoderRequest, transfer: ArrayBuffer[] = []): void {
    this.#worker.postMessage(request, transfer);
  }
}

/** The worker's error as the error class the caller expects (a rejected batch or schema, or a bug). */
function errorFrom(reply: Extract<EncoderReply, { kind: "error" }>): Error {
  const cause = reply.cause === undefined ? undefined : new Error(reply.cause);
  if (reply.name === "InvalidArgumentError") return new InvalidArgumentError(reply.message, { cause });
  return new Error(reply.message, { cause });
}
