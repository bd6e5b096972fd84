/**
 * One topic's upload while the file is read: rows accumulate into record batches (a batch is sent
 * when it reaches `batchBytes`, counted from the serialized message sizes, or `batchRows`), and batches
 * flow to the topic's DoPut through a queue one batch deep, so memory stays bounded by the topics open
 * at once, whatever the file's size. `abort()` cancels the DoPut: the daemon keeps nothing of it.
 *
 * A row may come with work still running for it (its PNGs, `png_pool.ts`): a full batch whose rows are
 * not ready waits for them beside the reading (at most one such batch per topic, in order), instead of
 * stopping the reader until the last frame is deflated.
 *
 * Layer: imports `apache-arrow` and this folder's `_msg.ts`.
 *
 * @module
 */
import { makeData, RecordBatch, type Schema, Struct, vectorFromArray } from "apache-arrow";
import type { Row } from "./_msg.ts";

/** Rows → one record batch of `schema` (missing values are null). */
export function rowsToBatch(schema: Schema, rows: readonly Row[]): RecordBatch {
  const children = schema.fields.map((f) => {
    const vector = vectorFromArray(rows.map((r) => r[f.name] ?? null), f.type);
    if (vector.data.length !== 1) throw new Error(`column "${f.name}" built ${vector.data.length} chunks`);
    return vector.data[0];
  });
  return new RecordBatch(
    schema,
    makeData({ type: new Struct(schema.fields), length: rows.length, nullCount: 0, children }),
  );
}

/** The cancellation a DoPut sees when the import stops. */
export class UploadAborted extends Error {
  override name = "UploadAborted";
}

/** A queue of batches, at most `depth` waiting; the consumer is one DoPut. */
class BatchQueue implements AsyncIterable<RecordBatch> {
  #items: RecordBatch[] = [];
  #closed = false;
  #abort: Error | null = null;
  #consumerGone = false;
  #wake: (() => void) | null = null;
  #room: (() => void) | null = null;
  #depth: number;

  constructor(depth: number) {
    this.#depth = depth;
  }

  /** Waits for room, then queues `batch`; false when the consumer has stopped. */
  async push(batch: RecordBatch): Promise<boolean> {
    while (this.#items.length >= this.#depth && !this.#consumerGone) {
      await new Promise<void>((resolve) => this.#room = resolve);
    }
    if (this.#consumerGone) return false;
    this.#items.push(batch);
    this.#wake?.();
    return true;
  }

  close(): void {
    this.#closed = true;
    this.#wake?.();
  }

  abort(err: Error): void {
    this.#abort = err;
    this.#items = [];
    this.#wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<RecordBatch> {
    try {
      while (true) {
        if (this.#abort) throw this.#abort;
        const next = this.#items.shift();
        if (next !== undefined) {
          this.#room?.();
          yield next;
        } else if (this.#closed) return;
        else await new Promise<void>((resolve) => this.#wake = resolve);
      }
    } finally {
      this.#consumerGone = true;
      this.#room?.();
    }
  }
}

/** Sends a topic's batches: `(batches) → promise of the DoPut's end`. */
export type PutFn = (batches: AsyncIterable<RecordBatch>) => Promise<void>;

/** One topic being uploaded. */
export class TopicUpload {
  readonly schema: Schema;
  #rows: Row[] = [];
  /** The work the gathered rows wait for. */
  #pending: Promise<void>[] = [];
  /** The last batch handed to the background: built and queued once this settles. */
  #sending: Promise<void> = Promise.resolve();
  #bytes = 0;
  #queue = new BatchQueue(1);
  #done: Promise<Error | null>;
  #batchBytes: number;
  #batchRows: number;
  /** Rows handed to the DoPut so far. */
  rowsSent = 0;

  constructor(schema: Schema, put: PutFn, opts: { batchBytes: number; batchRows: number }) {
    this.schema = schema;
    this.#batchBytes = opts.batchBytes;
    this.#batchRows = opts.batchRows;
    this.#done = put(this.#queue).then(
      () => null,
      (err) => err instanceof Error ? err : new Error(String(err)),
    );
  }

  /**
   * Adds a row of about `bytes` bytes, complete once `ready` (if given) resolves; sends a batch when one
   * is full. @throws when an earlier batch could not be built (its rows' work failed, or Arrow refused).
   */
  async add(row: Row, bytes: number, ready: Promise<void> | null = null): Promise<void> {
    this.#rows.push(row);
    if (ready !== null) this.#pending.push(ready);
    this.#bytes += bytes;
    if (this.#bytes >= this.#batchBytes || this.#rows.length >= this.#batchRows) await this.#flush();
  }

  /**
   * Builds and queues the rows gathered so far, after the previous batch. Ready rows are sent before
   * this returns; rows with work running are sent in the background, and this waits only for the batch
   * before them.
   */
  async #flush(): Promise<void> {
    if (this.#rows.length === 0) return;
    const rows = this.#rows;
    const pending = this.#pending;
    this.#rows = [];
    this.#pending = [];
    this.#bytes = 0;
    const previous = this.#sending;
    const sent = (async () => {
      await previous;
      await Promise.all(pending);
      const batch = rowsToBatch(this.schema, rows);
      if (await this.#queue.push(batch)) this.rowsSent += rows.length;
    })();
    sent.catch(() => {});
    this.#sending = sent;
    await (pending.length === 0 ? sent : previous);
  }

  /** Sends what is left and waits for the DoPut; returns its error, if any. */
  async finish(): Promise<Error | null> {
    try {
      await this.#flush();
      await this.#sending;
    } catch (err) {
      this.#queue.abort(err instanceof Error ? err : new Error(String(err)));
    }
    this.#queue.close();
    return await this.#done;
  }

  /** Cancels the DoPut (nothing of it stays); waits for it to end. */
  async abort(reason: string): Promise<void> {
    this.#rows = [];
    this.#pending = [];
    this.#queue.abort(new UploadAborted(reason));
    await this.#done;
  }
}
