/**
 * DoPut (protocol 6): the first message carries the CMD descriptor `{"topic": {"name", "key"}}` and the
 * Arrow schema; record batches follow. Decoding stops at the edge: ingest sees a Schema and an
 * AsyncIterable of RecordBatches, each with the IPC message it came in (handed to the encoder as is). The reply is an empty PutResult stream, after the topic is locked.
 * The command parser is a parameter: the 2026 protocol's command (`v2026/commands.ts`) names the topic
 * and its key differently, and everything after it is the same upload.
 *
 * @module
 */
import type { RecordBatch, Schema } from "apache-arrow";
import type { ReceivedBatch } from "../arrow/chunk_encoder.ts";
import { InvalidArgumentError } from "../errors.ts";
import type { LocatorLimits } from "../model/locator.ts";
import { decodeIpcHeader, decodeRecordBatch } from "../arrow/ipc.ts";
import { type IngestDeps, ingestTopic, openUpload, validateUploadSchema } from "../ingest/mod.ts";
import { decodeFlightData } from "./flight_data.ts";
import type { FlightDescriptor } from "./messages.ts";
import { parsePutCommand, type PutCommand } from "./put_command.ts";
import type { CallContext } from "./server.ts";

/** Limits a DoPut applies to its command. */
export interface PutLimits {
  readonly locator?: LocatorLimits;
}

/**
 * Reads the upload command from the first message's descriptor (absent: null).
 * @throws InvalidArgumentError (or ResourceExhaustedError) for a missing or malformed command.
 */
export type PutCommandParser = (
  descriptor: FlightDescriptor | null,
  opts: { limits?: LocatorLimits },
) => PutCommand;

/** Consumes one DoPut stream; resolves once the upload is committed. */
export async function doPut(
  deps: IngestDeps,
  requests: AsyncIterable<Uint8Array>,
  ctx: CallContext,
  opts: { limits?: PutLimits; parseCommand?: PutCommandParser } = {},
): Promise<void> {
  const it = requests[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done) {
    throw new InvalidArgumentError("Cannot upload: the DoPut stream is empty (expected a schema)");
  }
  const { command, schema } = decodeUploadHead(first.value, opts.limits, opts.parseCommand);
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

/**
 * Decodes the first FlightData message of an upload: the command (which topic, which key) and a schema
 * that upload rules accept, checked before the topic is looked up, as protocol 6.2 orders them.
 * @throws InvalidArgumentError (or ProtobufError) for anything malformed; ResourceExhaustedError for an
 *   oversized command.
 */
export function decodeUploadHead(
  bytes: Uint8Array,
  limits: PutLimits = {},
  parseCommand: PutCommandParser = parsePutCommand,
): { command: PutCommand; schema: Schema } {
  const head = decodeFlightData(bytes);
  const command = parseCommand(head.descriptor, { limits: limits.locator });
  const header = head.header.length > 0 ? decodeIpcHeader(head.header) : null;
  if (header?.kind !== "schema") {
    throw new InvalidArgumentError(
      `Cannot upload to topic "${command.topic.full}": the first message has no schema`,
    );
  }
  validateUploadSchema(command.topic.full, header.schema);
  return { command, schema: header.schema };
}

async function* batchesOf(
  it: AsyncIterator<Uint8Array>,
  schema: Schema,
  topic: string,
): AsyncGenerator<ReceivedBatch> {
  for (let r = await it.next(); !r.done; r = await it.next()) {
    yield receiveUploadBatch(r.value, schema, topic);
  }
}

/**
 * Decodes one later FlightData message of an upload into a record batch of `schema`.
 * @throws InvalidArgumentError (or ProtobufError) for anything but a well-formed record batch of `schema`.
 */
export function decodeUploadBatch(bytes: Uint8Array, schema: Schema, topic: string): RecordBatch {
  return receiveUploadBatch(bytes, schema, topic).batch;
}

/**
 * {@linkcode decodeUploadBatch}, keeping the IPC message: the batch is a view of `bytes`, whose buffer the
 * encoder may take over.
 */
export function receiveUploadBatch(bytes: Uint8Array, schema: Schema, topic: string): ReceivedBatch {
  const data = decodeFlightData(bytes);
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
  const body = data.body.subarray(0, header.bodyLength);
  return { batch: decodeRecordBatch(schema, header.header, body), header: data.header, body };
}
