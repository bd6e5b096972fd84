/**
 * DoPut (protocol 6): the first message carries the CMD descriptor `{"topic": {"name", "key"}}` and the
 * Arrow schema; record batches follow. Decoding stops at the edge: ingest sees a Schema and an
 * AsyncIterable of RecordBatches. The reply is an empty PutResult stream, after the topic is locked.
 *
 * @module
 */
import type { RecordBatch, Schema } from "apache-arrow";
import { InvalidArgumentError } from "../errors.ts";
import { decodeIpcHeader, decodeRecordBatch } from "../arrow/ipc.ts";
import { type IngestDeps, ingestTopic, openUpload, validateUploadSchema } from "../ingest/mod.ts";
import { decodeFlightData } from "./flight_data.ts";
import { parsePutCommand } from "./put_command.ts";
import type { CallContext } from "./server.ts";

/** Consumes one DoPut stream; resolves once the upload is committed. */
export async function doPut(
  deps: IngestDeps,
  requests: AsyncIterable<Uint8Array>,
  ctx: CallContext,
): Promise<void> {
  const it = requests[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done) {
    throw new InvalidArgumentError("Cannot upload: the DoPut stream is empty (expected a schema)");
  }
  const head = decodeFlightData(first.value);
  const command = parsePutCommand(head.descriptor);
  const header = head.header.length > 0 ? decodeIpcHeader(head.header) : null;
  if (header?.kind !== "schema") {
    throw new InvalidArgumentError(
      `Cannot upload to topic "${command.topic.full}": the first message has no schema`,
    );
  }
  const schema = header.schema;
  validateUploadSchema(command.topic.full, schema); // before the topic lookup, as protocol 6.2 orders them
  const upload = await openUpload(deps, { topicName: command.topic.full, key: command.key });
  try {
    await ingestTopic(deps, upload, {
      schema,
      batches: batchesOf(it, schema, command.topic.full),
      signal: ctx.signal,
    });
  } finally {
    upload.release();
  }
  ctx.log.debug("upload committed", { topic: command.topic.full });
}

async function* batchesOf(
  it: AsyncIterator<Uint8Array>,
  schema: Schema,
  topic: string,
): AsyncGenerator<RecordBatch> {
  for (let r = await it.next(); !r.done; r = await it.next()) {
    const data = decodeFlightData(r.value);
    if (data.header.length === 0) {
      throw new InvalidArgumentError(`Cannot upload to topic "${topic}": a message carries no IPC header`);
    }
    const header = decodeIpcHeader(data.header);
    if (header.kind === "schema") {
      throw new InvalidArgumentError(`Cannot upload to topic "${topic}": the stream sent a second schema`);
    }
    if (header.kind !== "record_batch") {
      throw new InvalidArgumentError(`Cannot upload to topic "${topic}": unexpected ${header.kind} message`);
    }
    if (header.bodyLength > data.body.length) {
      throw new InvalidArgumentError(
        `Cannot upload to topic "${topic}": body is ${data.body.length} bytes, header says ${header.bodyLength}`,
      );
    }
    yield decodeRecordBatch(schema, header.header, data.body);
  }
}
