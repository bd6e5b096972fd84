/**
 * A record batch together with the IPC message it arrived in, and that message as a buffer of its own
 * that can be transferred to another thread: what lets an uploaded batch reach the Parquet writer in a
 * worker without being copied or encoded again.
 *
 * Must not import anything outside `src/arrow/`, `src/errors.ts` and `src/buffer_recycler.ts` (which
 * imports nothing of the project).
 *
 * @module
 */
import { RecordBatch, type Schema } from "apache-arrow";
import { InvalidArgumentError } from "../errors.ts";
import { decodeIpcHeader, decodeRecordBatch, encodeRecordBatchMessage } from "./ipc.ts";
import { isTakenWhole } from "../buffer_recycler.ts";

/**
 * A record batch as a client sent it: the decoded batch (views of `body`) and the IPC message it came
 * in, whose bytes it may be handed over with (the batch must not be used after that).
 */
export interface ReceivedBatch {
  batch: RecordBatch;
  /** The IPC Message flatbuffer (a RecordBatch header). */
  header: Uint8Array;
  /** The message body, exactly the header's `bodyLength` bytes. */
  body: Uint8Array;
}

/** The decoded batch of an item. */
export function batchOf(item: RecordBatch | ReceivedBatch): RecordBatch {
  return item instanceof RecordBatch ? item : item.batch;
}

/** An IPC RecordBatch message in one buffer of its own, so that it can be transferred to a worker. */
export interface BatchMessage {
  header: Uint8Array;
  body: Uint8Array;
}

/** Smallest message whose buffer is transferred rather than copied (no pooled buffer is this large). */
const TRANSFER_MIN_BYTES = 4096;
/** Bytes of a received message's buffer allowed outside its header and body (framing, padding). */
const FOREIGN_MAX_BYTES = 64;

/**
 * `item` as a message that owns its buffer: a received batch whose buffer holds its message alone (both
 * transports allocate one buffer per message) as it is, anything else copied or encoded into a new one.
 */
export function messageOf(item: RecordBatch | ReceivedBatch): BatchMessage {
  if (!(item instanceof RecordBatch)) {
    const { header, body } = item;
    const buffer = body.buffer;
    const span = body.byteOffset + body.byteLength - header.byteOffset;
    // A buffer the transport took from the recycler holds this message alone, whatever else it spans.
    const owned = buffer instanceof ArrayBuffer && header.buffer === buffer &&
      header.byteOffset <= body.byteOffset &&
      body.byteLength >= TRANSFER_MIN_BYTES &&
      (buffer.byteLength - span <= FOREIGN_MAX_BYTES || isTakenWhole(buffer));
    return owned ? { header, body } : packMessage(header, [{ offset: 0, bytes: body }], body.byteLength);
  }
  const message = encodeRecordBatchMessage(item);
  return packMessage(message.header, message.bodyParts, message.bodyLength);
}

/** Header and body parts copied into one new buffer; the body starts 8-byte aligned. */
function packMessage(
  header: Uint8Array,
  parts: readonly { offset: number; bytes: Uint8Array }[],
  bodyLength: number,
): BatchMessage {
  const at = (header.length + 7) & ~7;
  const buffer = new Uint8Array(at + bodyLength); // zeroed: padding between parts stays zero
  buffer.set(header, 0);
  for (const part of parts) buffer.set(part.bytes, at + part.offset);
  return { header: buffer.subarray(0, header.length), body: buffer.subarray(at) };
}

/**
 * Decodes a message made by {@linkcode messageOf} back into a batch of `schema` (views of its body).
 * @throws InvalidArgumentError when it is not a record batch of `schema`.
 */
export function receivedFrom(schema: Schema, message: BatchMessage): ReceivedBatch {
  const header = decodeIpcHeader(message.header);
  if (header.kind !== "record_batch") {
    throw new InvalidArgumentError(
      `Cannot encode chunk: expected a record batch, got a ${header.kind} message`,
    );
  }
  if (message.body.length < header.bodyLength) {
    throw new InvalidArgumentError(
      `Cannot encode chunk: body is ${message.body.length} bytes, header says ${header.bodyLength}`,
    );
  }
  const body = message.body.subarray(0, header.bodyLength);
  return { batch: decodeRecordBatch(schema, header.header, body), header: message.header, body };
}
