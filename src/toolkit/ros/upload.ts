/**
 * One topic's upload while the file is read: rows accumulate into record batches (a batch is sent
 * when it reaches `batchBytes`, counted from the serialized message sizes, or `batchRows`), and batches
 * flow to the topic's DoPut through a queue one batch deep, so memory stays bounded by the topics open
 * at once, whatever the file's size. `abort()` cancels the DoPut: the daemon keeps nothing of it.
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

  /** Adds a row of about `bytes` bytes; sends a batch when one is full. */
  async add(row: Row, bytes: number): Promise<void> {
    this.#rows.push(row);
    this.#bytes += bytes;
    if (this.#bytes >= this.#batchBytes || this.#rows.length >= this.#batchRows) await this.#flush();
  }

  async #flush(): Promise<void> {
    if (this.#rows.length === 0) return;
    const rows = this.#rows;
    this.#rows = [];
    this.#bytes = 0;
    const batch = rowsToBatch(this.schema, rows);
    if (await this.#queue.push(batch)) this.rowsSent += rows.length;
  }

  /** Sends what is left and waits for the DoPut; returns its error, if any. */
  async finish(): Promise<Error | null> {
    try {
      await this.#flush();
    } catch (err) {
      this.#queue.abort(err instanceof Error ? err : new Error(String(err)));
    }
    this.#queue.close();
    return await this.#done;
  }

  /** Cancels the DoPut (nothing of it stays); waits for it to end. */
  async abort(reason: string): Promise<void> {
    this.#rows = [];
    this.#queue.abort(new UploadAborted(reason));
    await this.#done;
  }
}
