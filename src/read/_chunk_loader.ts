/**
 * Loads a topic's chunks for a read, in one of two ways:
 * - streamed (a chunk that overlaps no other): decoded in a Parquet worker row group by row group, with
 *   a read-ahead bounded in bytes (`_read_ahead.ts`); the worker reads the ranges it needs from the
 *   store's local file when the store has one (`ObjectStore.localPath`), else gets the chunk's bytes. When the chunk is sorted and the range does not cut
 *   it, each batch the worker produced is handed on as its IPC message, to be sent without being
 *   decoded here; otherwise batches are decoded and cut to the range. An unsorted chunk is gathered
 *   whole and sorted (it cannot be sent before its smallest row is known).
 * - whole (a chunk merged with others): fetched, decoded, sorted and cut at once, as the merge needs.
 *
 * Chunk k+1 starts loading once chunk k is decoded (streamed: its last batch has left the worker), so
 * the fetch and decode of the next chunk overlap the sending of the end of this one, and a read keeps
 * one Parquet worker busy at a time.
 *
 * @module
 */
import { RecordBatch, type Schema } from "apache-arrow";
import { decodeRecordBatch, type ForwardedBatch, recordBatchMessages } from "../arrow/ipc.ts";
import { sliceTimeRange, sortByTimestamp } from "../arrow/merge.ts";
import { batchesFromIpc, schemaFromIpc } from "../arrow/parquet.ts";
import type { ChunkDecoder, ChunkStream } from "../arrow/parquet_pool.ts";
import { TIMESTAMP_COLUMN } from "../arrow/stats.ts";
import { CancelledError, DataLossError, InvalidArgumentError, NotFoundError } from "../errors.ts";
import type { Chunk, TimeRange, Topic } from "../model/types.ts";
import type { ObjectStore } from "../store/store.ts";
import { sliceToBytes } from "./_batch_bytes.ts";
import { HeldBytes, ReadAhead } from "./_read_ahead.ts";

/** A piece of a read: a worker's batch to forward as is, or a batch decoded here. */
export type ReadPiece = { kind: "ipc"; batch: ForwardedBatch } | { kind: "batch"; batch: RecordBatch };

export interface ChunkLoaderOptions {
  /** Decodes chunks in workers: the event loop keeps sending meanwhile. */
  decoder: ChunkDecoder;
  topic: Topic;
  /** The stream schema: every batch is handed out with it. */
  schema: Schema;
  range: TimeRange | null;
  signal: AbortSignal;
  /** About how many bytes each batch holds. */
  targetBytes: number;
  /** Most decoded bytes a streamed chunk keeps waiting here. */
  readAheadBytes: number;
  /** Positions of the chunks that overlap others: read whole, for a merge. */
  merged: ReadonlySet<number>;
}

type Loaded = { kind: "whole"; batches: RecordBatch[] } | {
  kind: "stream";
  ahead: ReadAhead;
  forward: boolean;
};

/** One read's chunks, by position in `chunks`. Call `close()` when done, however the read ends. */
export class ChunkLoader implements AsyncDisposable {
  /** Decoded bytes this read holds (streamed chunks), and their peak: the read-ahead bound. */
  readonly held = new HeldBytes();
  readonly #store: ObjectStore;
  readonly #chunks: readonly Chunk[];
  readonly #opts: ChunkLoaderOptions;
  /** Aborts in-flight gets when the read ends early; follows the caller's signal too. */
  readonly #stop = new AbortController();
  readonly #signal: AbortSignal;
  readonly #ready = new Map<number, Promise<Loaded>>();
  readonly #started = new Set<number>();
  /** Loads not yet settled, awaited by close() so nothing outlives the read. */
  readonly #inflight = new Set<Promise<unknown>>();
  readonly #streams = new Set<ReadAhead>();

  constructor(store: ObjectStore, chunks: readonly Chunk[], opts: ChunkLoaderOptions) {
    this.#store = store;
    this.#chunks = chunks;
    this.#opts = opts;
    this.#signal = AbortSignal.any([opts.signal, this.#stop.signal]);
  }

  /** The rows of chunk `k`, sorted and in range, decoded whole (for a merge). */
  async *batches(k: number): AsyncGenerator<RecordBatch, void, undefined> {
    const loaded = await this.#take(k);
    if (loaded.kind !== "whole") throw new Error(`Chunk ${k} was not loaded whole`);
    const batches = loaded.batches;
    // Hand batches over one by one and drop them here, so a sent batch can be collected.
    while (batches.length > 0) yield batches.shift()!;
  }

  /** The rows of chunk `k`, sorted, in range, in pieces of about `targetBytes`, streamed when it can be. */
  async *pieces(k: number): AsyncGenerator<ReadPiece, void, undefined> {
    const loaded = await this.#take(k);
    if (loaded.kind === "whole") {
      for (const batch of loaded.batches.splice(0)) {
        for (const part of sliceToBytes(batch, this.#opts.targetBytes)) yield { kind: "batch", batch: part };
      }
      return;
    }
    const { schema, range, targetBytes } = this.#opts;
    const endNs = range?.endNs ?? null;
    try {
      for await (const ipc of loaded.ahead.batches()) {
        for (const forwarded of recordBatchMessages(ipc).filter((m) => m.rows > 0)) {
          if (loaded.forward) {
            yield { kind: "ipc", batch: forwarded };
            continue;
          }
          const batch = decodeRecordBatch(schema, forwarded.header, forwarded.body);
          const cut = range ? sliceTimeRange([batch], range) : [batch];
          for (const part of cut.flatMap((b) => [...sliceToBytes(b, targetBytes)])) {
            yield { kind: "batch", batch: part };
          }
          // Sorted: once a row is past the range, so is the rest of the chunk.
          const last = batch.numRows > 0 ? batch.getChild(TIMESTAMP_COLUMN)?.get(batch.numRows - 1) : null;
          if (endNs !== null && typeof last === "bigint" && last > endNs) return;
        }
      }
    } catch (err) {
      throw this.#damage(this.#chunks[k], err);
    } finally {
      this.#streams.delete(loaded.ahead);
      await loaded.ahead.close();
    }
  }

  #take(k: number): Promise<Loaded> {
    this.#start(k);
    const load = this.#ready.get(k)!;
    this.#ready.delete(k);
    return load;
  }

  #start(k: number): void {
    if (this.#started.has(k)) return;
    const how = this.#mode(k);
    this.#started.add(k);
    // The next chunk starts once this one is decoded: still overlapping the sending of this one, but
    // one decode per read at a time, so a read keeps one Parquet worker's memory busy, not two.
    let nextStarted = false;
    const next = () => {
      if (nextStarted || this.#signal.aborted || k + 1 >= this.#chunks.length) return;
      nextStarted = true;
      this.#start(k + 1);
    };
    const load = how === "whole" ? this.#loadWhole(this.#chunks[k]) : this.#openStream(this.#chunks[k], next);
    if (how === "whole") load.then(next, next);
    else load.then((l) => l.kind === "whole" && next(), next);
    this.#ready.set(k, load);
    this.#inflight.add(load);
    // Settling removes it from the set; the result or error itself goes to whoever takes the chunk.
    const forget = () => this.#inflight.delete(load);
    load.then(forget, forget);
  }

  /** How chunk `k` is read: whole when it is merged with others, else streamed. */
  #mode(k: number): "whole" | "stream" {
    return this.#opts.merged.has(k) ? "whole" : "stream";
  }

  async #loadWhole(chunk: Chunk): Promise<Loaded> {
    try {
      const bytes = await this.#store.get(chunk.key, { signal: this.#signal });
      const decoded = (await this.#opts.decoder.decode(bytes)).filter((b) => b.numRows > 0);
      this.#checkAborted(chunk);
      checkFields(decoded[0]?.schema ?? this.#opts.schema, this.#opts.schema);
      return { kind: "whole", batches: this.#sortAndCut(decoded) };
    } catch (err) {
      throw this.#damage(chunk, err);
    }
  }

  async #openStream(chunk: Chunk, onDecoded: () => void): Promise<Loaded> {
    // A local file is read range by range where it is decoded: the read never holds the whole chunk.
    let stream: ChunkStream | undefined;
    try {
      const path = this.#store.localPath?.(chunk.key) ?? null;
      const source = path !== null ? { path } : await this.#store.get(chunk.key, { signal: this.#signal });
      stream = await this.#opts.decoder.openStream(source, { batchBytes: this.#opts.targetBytes });
      this.#checkAborted(chunk);
      const stored = schemaFromIpc(stream.schema);
      checkFields(stored, this.#opts.schema);
      if (!stream.sorted) return { kind: "whole", batches: this.#sortAndCut(await drain(stream)) };
      const ahead = new ReadAhead(stream, {
        windowBytes: this.#opts.readAheadBytes,
        stepBytes: this.#opts.targetBytes,
        held: this.held,
        onDecoded,
      });
      stream = undefined; // closed by the read-ahead from now on
      this.#streams.add(ahead);
      const forward = !cuts(this.#opts.range, chunk) && sameLayout(stored, this.#opts.schema);
      return { kind: "stream", ahead, forward };
    } catch (err) {
      throw this.#damage(chunk, err);
    } finally {
      await stream?.close();
    }
  }

  #sortAndCut(decoded: RecordBatch[]): RecordBatch[] {
    const { schema, range } = this.#opts;
    const sorted = sortByTimestamp(decoded.filter((b) => b.numRows > 0));
    return (range ? sliceTimeRange(sorted, range) : sorted).map((b) => new RecordBatch(schema, b.data));
  }

  /** A stored chunk that cannot be read, or is missing from the store, is damage on our side. */
  #damage(chunk: Chunk, err: unknown): unknown {
    if (err instanceof NotFoundError) err = new DataLossError(`its object is missing (${err.message})`);
    if (!(err instanceof InvalidArgumentError || err instanceof DataLossError)) return err;
    if (err.message.startsWith(`Cannot read chunk "${chunk.key}"`)) return err;
    return new DataLossError(
      `Cannot read chunk "${chunk.key}" of topic "${this.#opts.topic.name}": ${err.message}`,
      {
        cause: err,
      },
    );
  }

  #checkAborted(chunk: Chunk): void {
    if (this.#signal.aborted) {
      throw new CancelledError(`Cannot read chunk "${chunk.key}": cancelled`, { cause: this.#signal.reason });
    }
  }

  /** Aborts loads in flight, closes open streams and waits for all of it. Idempotent. */
  async close(): Promise<void> {
    this.#stop.abort(new CancelledError("Topic read ended"));
    // Their outcome no longer matters: the read is over, and any error that did matter reached the
    // consumer through the chunk it took.
    await Promise.allSettled([...this.#inflight]);
    this.#ready.clear();
    await Promise.allSettled([...this.#streams].map((s) => s.close()));
    this.#streams.clear();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Whether `range` leaves out some of the chunk's rows. */
function cuts(range: TimeRange | null, chunk: Chunk): boolean {
  if (range === null) return false;
  return (range.startNs !== null && range.startNs > chunk.startNs) ||
    (range.endNs !== null && range.endNs < chunk.endNs);
}

/** All of a stream's batches, decoded (an unsorted chunk must be whole to be sorted). */
async function drain(stream: ChunkStream): Promise<RecordBatch[]> {
  const ipc: Uint8Array[] = [];
  for (let step = await stream.next(Infinity);; step = await stream.next(Infinity)) {
    ipc.push(...step.batches);
    if (step.done) break;
  }
  return [...batchesFromIpc({ schema: stream.schema, batches: ipc })];
}

/** Same top-level names and type ids: a chunk written under another schema must not be relabelled. */
function checkFields(stored: Schema, expected: Schema): void {
  const a = stored.fields;
  const b = expected.fields;
  if (a.length !== b.length || a.some((f, i) => f.name !== b[i].name || f.typeId !== b[i].typeId)) {
    throw new InvalidArgumentError("its columns differ from the topic's schema");
  }
}

/** Same types down to widths and children: the worker's IPC bodies fit the stream schema as they are. */
function sameLayout(stored: Schema, expected: Schema): boolean {
  return stored.fields.every((f, i) => String(f.type) === String(expected.fields[i].type));
}
