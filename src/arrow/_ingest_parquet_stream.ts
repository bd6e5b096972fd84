/**
 * Streaming Parquet encoding for the ingest path: record batches go in one at a time, Parquet bytes
 * come out row group by row group, so a chunk of any size is never held whole in memory, neither in
 * JavaScript nor in parquet-wasm's linear memory (which grows to the largest working set it ever saw
 * and never shrinks). `encodeParquetChunk()` (parquet.ts) encodes a whole chunk in one call: its wasm
 * memory reaches ~3.5–5× the chunk, which a 64 MiB chunk makes far too much for a 512 MiB daemon.
 *
 * Built on parquet-wasm 0.8's `transformParquetStream()` (arrow-rs `AsyncArrowWriter` in a
 * wasm-bindgen task). That task swallows write errors and writes a footer whatever happened, so this
 * module keeps its own record of failures and checks the footer's row count against the rows fed in.
 * It must never cancel the writer's output: the task would then wait forever and keep its buffers, so
 * an early stop ends the input and drains the output instead. A panic inside that task (a bug in
 * arrow-rs) would be thrown from a microtask, out of reach of any caller; every batch is validated by
 * arrow-rs's IPC reader first, synchronously, where a failure is an ordinary error.
 *
 * Writer settings come from `parquet.ts` (writer version 2, per-format codec, dictionary and statistics).
 * With the native codec (`--parquet-codec native`) the same stream is written by Arrow C++ instead
 * (`_parquet_native.ts`): each batch's IPC message is handed over in place, and the writer reports each
 * batch's column statistics, so that the caller need not scan it.
 *
 * Must not import anything outside `src/arrow/`, `src/model/` and `src/errors.ts`.
 *
 * @module
 */
import { RecordBatch, type Schema } from "apache-arrow";
import { batchOf, messageOf, type ReceivedBatch } from "./received_batch.ts";
import { InvalidArgumentError } from "../errors.ts";
import type { SerializationFormat } from "../model/types.ts";
import { encodeEncapsulatedSchema, encodeRecordBatchMessage } from "./ipc.ts";
import { loadParquetWasm, type ParquetWasm } from "./_parquet_wasm.ts";
import {
  type ColumnChoices,
  columnChoices,
  type ParquetCodec,
  writerProperties,
  writerSettings,
} from "./parquet.ts";
import { NativeParquetWriter } from "./_parquet_native.ts";
import type { RawLeafStats } from "./stats.ts";
import { checkFooter, FOOTER_WINDOW_BYTES, TailCopy } from "./_parquet_footer.ts";

interface ParquetStreamOptions extends ColumnChoices {
  format: SerializationFormat;
  /** Arrow bytes per row group: bounds the writer's working set in wasm memory. */
  rowGroupBytes: number;
  /** Arrow bytes per row of the first batch: sizes pages and row groups. */
  bytesPerRow: number;
}

/** One record batch, framed as a one-batch IPC stream (`IpcFramer`), and its row count. */
interface Frame {
  ipc: Uint8Array;
  rows: number;
}

/**
 * Encodes `frames` (at least one) as one Parquet file, yielding its bytes in order. Frames are pulled
 * only as fast as the writer takes them, and the writer only runs as fast as the caller consumes the
 * output, so memory stays at about one row group plus one batch. The file embeds the frames' schema.
 *
 * An error thrown by `frames` is rethrown as it is; a batch the writer rejects gives
 * InvalidArgumentError. Stopping early (`return()`) ends the writer cleanly before returning.
 */
async function* encodeParquetFrames(
  frames: AsyncIterable<Frame>,
  opts: ParquetStreamOptions,
): AsyncGenerator<Uint8Array, void, undefined> {
  const source = frames[Symbol.asyncIterator]();
  const first = await source.next();
  if (first.done) throw new InvalidArgumentError("Cannot write Parquet chunk: no record batches");
  const pq = await loadParquetWasm();
  let pending: Frame | null = first.value;
  // Shared with the pull callback; an object so that TypeScript does not narrow it away.
  const state = { failure: null as { error: unknown } | null, stopping: false, sourceDone: false, rows: 0 };
  const input = new ReadableStream({
    async pull(controller) {
      try {
        let frame = pending;
        pending = null;
        if (frame === null && !state.stopping) {
          const next = await source.next();
          state.sourceDone = next.done === true;
          frame = next.done ? null : next.value;
        }
        if (frame === null || state.stopping) return controller.close();
        controller.enqueue(toWasmBatch(pq, frame.ipc));
        state.rows += frame.rows;
      } catch (err) {
        state.failure ??= { error: err };
        controller.close(); // the writer then finishes the file; the failure is reported below
      }
    },
  }, { highWaterMark: 0 }); // hand over a batch only when the writer asks for one
  let output: ReadableStream<Uint8Array>;
  try {
    const properties = writerProperties(pq, opts.format, opts);
    output = await pq.transformParquetStream(input, properties);
  } catch (err) {
    if (state.failure) throw state.failure.error; // the first batch never reached the writer
    // Raised before any byte is written: the schema has a type Parquet cannot store.
    throw new InvalidArgumentError("Cannot write Parquet chunk: the writer rejected the schema", {
      cause: err,
    });
  }
  const reader = output.getReader();
  const tail = new TailCopy(FOOTER_WINDOW_BYTES);
  let finished = false;
  try {
    for (;;) {
      const r = await reader.read();
      if (state.failure) throw state.failure.error;
      if (r.done) break;
      tail.add(r.value); // a copy: the consumer may transfer (detach) what it is given
      yield r.value;
    }
    checkFooter(tail.bytes(), state.rows);
    finished = true;
  } finally {
    if (!finished) {
      state.stopping = true;
      await drain(reader);
    }
    reader.releaseLock();
    if (!state.sourceDone) await source.return?.();
  }
}

/**
 * Encodes `batches` (all of `schema`, at least one) as one Parquet file, yielding its bytes in order:
 * {@linkcode encodeParquetFrames} over batches framed one at a time into one reused buffer, with the
 * writer settings derived from the schema and the first batch. The file embeds `schema` as given.
 *
 * A {@linkcode ReceivedBatch} is framed from the IPC message it arrived in (header and body copied as
 * they are); a plain RecordBatch is encoded as a message first. Either way arrow-rs reads the frame
 * before the writer sees it, with the same rules.
 */
export async function* encodeParquetStream(
  schema: Schema,
  batches: AsyncIterable<RecordBatch | ReceivedBatch>,
  opts: {
    format: SerializationFormat;
    rowGroupBytes: number;
    codec?: ParquetCodec;
    /** With the native codec: each batch's row count and column extremes, as the writer takes it. */
    onBatchStats?: (rows: number, raw: RawLeafStats[]) => void;
  },
): AsyncGenerator<Uint8Array, void, undefined> {
  const source = batches[Symbol.asyncIterator]();
  const first = await source.next();
  if (first.done) throw new InvalidArgumentError("Cannot write Parquet chunk: no record batches");
  if (opts.codec === "native") {
    yield* encodeNative(schema, first.value, source, opts);
    return;
  }
  const framer = new IpcFramer(schema);
  const frames = async function* (): AsyncGenerator<Frame, void, undefined> {
    let item: RecordBatch | ReceivedBatch = first.value;
    try {
      for (;;) {
        yield { ipc: framer.frame(item), rows: batchOf(item).numRows };
        const next = await source.next();
        if (next.done) return;
        item = next.value;
      }
    } finally {
      await source.return?.();
    }
  };
  yield* encodeParquetFrames(frames(), {
    ...opts,
    bytesPerRow: bytesPerRow(batchOf(first.value)),
    ...columnChoices(schema, batchOf(first.value)),
  });
}

/**
 * The native codec's side of {@linkcode encodeParquetStream}: each batch's IPC message goes to the
 * library as it is (a RecordBatch is encoded as one first), which reads it in place; the file's bytes
 * come back row group by row group. The writer is freed however the stream ends.
 */
async function* encodeNative(
  schema: Schema,
  first: RecordBatch | ReceivedBatch,
  rest: AsyncIterator<RecordBatch | ReceivedBatch>,
  opts: {
    format: SerializationFormat;
    rowGroupBytes: number;
    onBatchStats?: (rows: number, raw: RawLeafStats[]) => void;
  },
): AsyncGenerator<Uint8Array, void, undefined> {
  const settings = writerSettings(opts.format, {
    bytesPerRow: bytesPerRow(batchOf(first)),
    rowGroupBytes: opts.rowGroupBytes,
    ...columnChoices(schema, batchOf(first)),
  });
  const writer = new NativeParquetWriter(encodeEncapsulatedSchema(schema), settings);
  const tail = new TailCopy(FOOTER_WINDOW_BYTES);
  let rows = 0;
  let done = false;
  try {
    let item = first;
    for (;;) {
      // A received batch as it arrived (read in place); a RecordBatch encoded as one message first.
      const { header, body } = item instanceof RecordBatch ? messageOf(item) : item;
      const batchRows = batchOf(item).numRows;
      rows += batchRows;
      const out = writer.write(header, body);
      opts.onBatchStats?.(batchRows, writer.batchStats());
      if (out) {
        tail.add(out);
        yield out;
      }
      const next = await rest.next();
      if (next.done) {
        done = true;
        break;
      }
      item = next.value;
    }
    const out = writer.finish();
    tail.add(out);
    checkFooter(tail.bytes(), rows);
    yield out;
  } finally {
    writer.free();
    if (!done) await rest.return?.();
  }
}

/** Arrow bytes per row of a batch (whole-row width, for rows whose width varies such as images). */
function bytesPerRow(batch: RecordBatch): number {
  return batch.data.byteLength / Math.max(1, batch.numRows);
}

/**
 * Reads the output to its end, discarding it, so the writer task finishes and frees its buffers.
 * Only called when the file is being thrown away: an error here has nothing left to spoil.
 */
async function drain(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  try {
    while (!(await reader.read()).done) { /* discard */ }
  } catch (_) {
    // The output failed as well: the task is over either way.
  }
}

/**
 * Frames one batch at a time as a one-batch IPC stream (schema, batch, end marker), the only import
 * parquet-wasm offers, into one buffer reused for every batch: the stream is copied into wasm memory
 * at once, so a fresh buffer per batch would only be garbage (~the batch size each time).
 */
class IpcFramer {
  readonly #schema: Uint8Array;
  #buffer = new Uint8Array(0);

  constructor(schema: Schema) {
    this.#schema = encodeEncapsulatedSchema(schema);
  }

  /** The framed stream; valid until the next call. */
  frame(item: RecordBatch | ReceivedBatch): Uint8Array {
    // A received batch keeps its own header and contiguous body; a RecordBatch is encoded (header, and
    // the body as views of the batch's buffers, with padding between them).
    const received = !(item instanceof RecordBatch);
    const message = received
      ? { header: item.header, bodyLength: item.body.length, bodyParts: [{ offset: 0, bytes: item.body }] }
      : encodeRecordBatchMessage(item);
    const headerLength = (message.header.length + 7) & ~7;
    const length = this.#schema.length + 8 + headerLength + message.bodyLength + 8;
    if (this.#buffer.length < length) this.#buffer = new Uint8Array(Math.ceil(length * 1.25));
    const out = this.#buffer.subarray(0, length);
    let at = this.#schema.length;
    // Padding must not carry bytes of an earlier batch: a received body has none between its buffers.
    if (received) out.fill(0, at + 8 + message.header.length, at + 8 + headerLength);
    else out.fill(0);
    const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
    out.set(this.#schema, 0);
    view.setUint32(at, 0xffffffff, true);
    view.setInt32(at + 4, headerLength, true);
    out.set(message.header, at + 8);
    at += 8 + headerLength;
    for (const part of message.bodyParts) out.set(part.bytes, at + part.offset);
    view.setUint32(at + message.bodyLength, 0xffffffff, true); // end of stream: marker, then length 0
    view.setUint32(at + message.bodyLength + 4, 0, true);
    return out;
  }
}

/** Copies one framed batch into wasm memory and hands it over as a wasm RecordBatch. */
function toWasmBatch(pq: ParquetWasm, ipc: Uint8Array) {
  let table;
  try {
    table = pq.Table.fromIPCStream(ipc); // arrow-rs validates offsets and UTF-8 here
  } catch (err) {
    if (err instanceof WebAssembly.RuntimeError) throw err; // a bug in the reader, not bad data
    throw new InvalidArgumentError("Cannot write Parquet chunk: the writer rejected the data", {
      cause: err,
    });
  }
  try {
    const wasmBatch = table.recordBatch(0);
    if (!wasmBatch) throw new Error("Cannot write Parquet chunk: a batch vanished in wasm memory");
    return wasmBatch;
  } finally {
    table.free();
  }
}
