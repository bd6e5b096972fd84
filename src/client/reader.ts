/**
 * Reading a DoGet answer: FlightData messages decoded with the server's codecs (`flight/flight_data.ts`,
 * `arrow/ipc.ts`) into the stream's schema and its record batches, as they arrive.
 *
 * @module
 */
import type { RecordBatch, Schema } from "apache-arrow";
import { decodeIpcHeader, decodeRecordBatch, type IpcHeader } from "../arrow/ipc.ts";
import type { ReceivedBatch } from "../arrow/received_batch.ts";
import { decodeFlightData } from "../flight/flight_data.ts";
import { ClientError, GrpcCode } from "./errors.ts";
import type { ResponseStream } from "./_stream.ts";

/** A malformed answer: what the server sent cannot be decoded. */
function malformed(what: string, err?: unknown): ClientError {
  const why = err instanceof Error ? `: ${err.message}` : "";
  return new ClientError(GrpcCode.INTERNAL, `Cannot decode the server's answer: ${what}${why}`, {
    cause: err,
  });
}

/** One FlightData message: its IPC header (as sent, and decoded) and body; null for one without a header. */
function decodePart(message: Uint8Array): { raw: Uint8Array; head: IpcHeader; body: Uint8Array } | null {
  try {
    const fd = decodeFlightData(message);
    return fd.header.length === 0
      ? null
      : { raw: fd.header, head: decodeIpcHeader(fd.header), body: fd.body };
  } catch (err) {
    throw malformed("FlightData", err);
  }
}

/** The schema and record batches of one DoGet; cancel (or dispose) to stop early. */
export class FlightReader implements AsyncIterable<RecordBatch>, Disposable {
  readonly #responses: ResponseStream;
  #schema: Schema | null = null;

  constructor(responses: ResponseStream) {
    this.#responses = responses;
  }

  /** The stream's schema (its first message); null when the stream ended without one. @throws ClientError */
  async schema(): Promise<Schema | null> {
    while (this.#schema === null) {
      const message = await this.#responses.next();
      if (message === null) return null;
      const part = decodePart(message);
      if (part === null) continue; // app_metadata only
      if (part.head.kind !== "schema") throw malformed(`a ${part.head.kind} message before the schema`);
      this.#schema = part.head.schema;
    }
    return this.#schema;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<RecordBatch> {
    for await (const item of this.received()) yield item.batch;
  }

  /**
   * The record batches with the IPC messages they came in (views of the received buffers, which a
   * consumer may hand to a worker as they are: `arrow/received_batch.ts`). @throws ClientError
   */
  async *received(): AsyncGenerator<ReceivedBatch> {
    try {
      const schema = await this.schema();
      if (schema === null) return;
      for (let m = await this.#responses.next(); m !== null; m = await this.#responses.next()) {
        const part = decodePart(m);
        if (part === null) continue;
        if (part.head.kind !== "record_batch") throw malformed(`an unexpected ${part.head.kind} message`);
        let batch: RecordBatch;
        try {
          batch = decodeRecordBatch(schema, part.head.header, part.body);
        } catch (err) {
          throw malformed("record batch", err);
        }
        yield { batch, header: part.raw, body: part.body.subarray(0, part.head.bodyLength) };
      }
    } finally {
      this.#responses[Symbol.dispose]();
    }
  }

  /** The schema and every batch, once the stream ended. @throws ClientError */
  async readAll(): Promise<{ schema: Schema | null; batches: RecordBatch[] }> {
    const batches: RecordBatch[] = [];
    for await (const b of this) batches.push(b);
    return { schema: this.#schema, batches };
  }

  /** Stops the read (the server sees the call cancelled). */
  cancel(): void {
    this.#responses.cancel();
  }

  [Symbol.dispose](): void {
    this.#responses[Symbol.dispose]();
  }
}
