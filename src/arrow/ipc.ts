/**
 * Arrow IPC messages as they travel inside FlightData: a flatbuffer header plus a body. The one place
 * that turns those bytes into apache-arrow `Schema`s and `RecordBatch`es and back. Decoding keeps the
 * body zero-copy (buffers are views of it; apache-arrow copies a buffer only when it is misaligned).
 *
 * @module
 */
import { makeData, Message, MessageHeader, MetadataVersion, RecordBatch, Schema, Struct } from "apache-arrow";
import { VectorLoader } from "apache-arrow/visitor/vectorloader";
import { VectorAssembler } from "apache-arrow/visitor/vectorassembler";
import { RecordBatch as RecordBatchHeader } from "apache-arrow/ipc/metadata/message";
import { InvalidArgumentError } from "../errors.ts";
import { headerProblem, schemaProblem, unsupportedField } from "./_ipc_validate.ts";
import { messageProblem } from "./_fb_verify.ts";

export { unsupportedField };

/** A decoded IPC header: what kind of message it is, with its parsed metadata. */
export type IpcHeader =
  | { kind: "schema"; schema: Schema; bodyLength: number }
  | { kind: "record_batch"; header: RecordBatchHeader; bodyLength: number }
  | { kind: "dictionary_batch"; bodyLength: number }
  | { kind: "other"; type: number; bodyLength: number };

/** An IPC message ready to send: flatbuffer header and the padded body as parts at offsets. */
export interface EncodedIpcMessage {
  header: Uint8Array;
  bodyLength: number;
  bodyParts: { offset: number; bytes: Uint8Array }[];
}

/**
 * Parses an IPC Message flatbuffer, verified first (see `_fb_verify.ts`): apache-arrow reads whatever
 * the bytes say, so unverified bytes could make it allocate without bound.
 * @throws InvalidArgumentError when the bytes are not one, or describe an inconsistent schema.
 */
export function decodeIpcHeader(bytes: Uint8Array): IpcHeader {
  if (bytes.length < 8) {
    throw new InvalidArgumentError(`Cannot decode IPC message header: only ${bytes.length} bytes`);
  }
  const malformed = messageProblem(bytes);
  if (malformed) throw new InvalidArgumentError(`Cannot decode IPC message header: ${malformed}`);
  let msg: Message;
  try {
    // flatbuffers views some vectors (a union's type ids) as typed arrays in place: align them (with
    // `new Uint8Array`, which copies; a Node Buffer's slice() would not).
    msg = Message.decode(bytes.byteOffset % 8 === 0 ? bytes : new Uint8Array(bytes));
  } catch (err) {
    throw new InvalidArgumentError("Cannot decode IPC message header: not an Arrow IPC message", {
      cause: err,
    });
  }
  if (msg.version !== MetadataVersion.V4 && msg.version !== MetadataVersion.V5) {
    throw new InvalidArgumentError(
      `Cannot decode IPC message header: unsupported metadata version ${msg.version}`,
    );
  }
  const bodyLength = Number(msg.bodyLength);
  if (!Number.isSafeInteger(bodyLength) || bodyLength < 0) {
    throw new InvalidArgumentError(`Cannot decode IPC message header: invalid body length ${msg.bodyLength}`);
  }
  try {
    switch (msg.headerType) {
      case MessageHeader.Schema: {
        const schema = msg.header() as Schema;
        const problem = schemaProblem(schema);
        if (problem) throw new InvalidArgumentError(`Cannot decode IPC schema: ${problem}`);
        return { kind: "schema", schema, bodyLength };
      }
      case MessageHeader.RecordBatch:
        return { kind: "record_batch", header: msg.header() as RecordBatchHeader, bodyLength };
      case MessageHeader.DictionaryBatch:
        return { kind: "dictionary_batch", bodyLength };
      default:
        return { kind: "other", type: msg.headerType, bodyLength };
    }
  } catch (err) {
    if (err instanceof InvalidArgumentError) throw err;
    throw new InvalidArgumentError("Cannot decode IPC message header: malformed metadata", { cause: err });
  }
}

/**
 * Builds a RecordBatch of `schema` from a record-batch header and its body.
 * Every buffer region is checked against the body before any vector is made.
 * @throws InvalidArgumentError for compressed bodies, regions outside the body or bad node counts.
 */
export function decodeRecordBatch(schema: Schema, header: RecordBatchHeader, body: Uint8Array): RecordBatch {
  if (header.compression != null) {
    throw new InvalidArgumentError("Cannot read record batch: compressed IPC bodies are not supported");
  }
  for (const region of header.buffers) {
    const end = Number(region.offset) + Number(region.length);
    if (region.offset < 0 || region.length < 0 || end > body.length) {
      throw new InvalidArgumentError(
        `Cannot read record batch: buffer [${region.offset}, ${end}) lies outside the ${body.length}-byte body`,
      );
    }
  }
  const length = Number(header.length);
  if (!Number.isSafeInteger(length) || length < 0 || length > 2 ** 31 - 1) {
    throw new InvalidArgumentError(`Cannot read record batch: invalid row count ${header.length}`);
  }
  const problem = headerProblem(schema.fields, header.nodes, header.buffers, length, body);
  if (problem) {
    throw new InvalidArgumentError(`Cannot read record batch: it does not match the schema: ${problem}`);
  }
  // apache-arrow views buffers in place and fails on a misaligned one (`new Uint8Array` copies; a Node
  // Buffer's slice() would not). The server aligns bodies as it reassembles them (flight/grpc_patch.ts),
  // so this copy only happens when that could not be done.
  const aligned = body.byteOffset % 8 === 0 ? body : new Uint8Array(body);
  try {
    const loader = new VectorLoader(aligned, header.nodes, header.buffers, new Map(), MetadataVersion.V5);
    const children = loader.visitMany(schema.fields);
    const data = makeData({ type: new Struct(schema.fields), length, children });
    return new RecordBatch(schema, data);
  } catch (err) {
    throw new InvalidArgumentError("Cannot read record batch: body does not match its header", {
      cause: err,
    });
  }
}

/** One record batch message of an IPC stream, ready to forward: header and body are views of the stream. */
export interface ForwardedBatch {
  message: EncodedIpcMessage;
  /** Its parsed header (row count, nodes, buffers), for decoding it after all. */
  header: RecordBatchHeader;
  body: Uint8Array;
  rows: number;
}

/**
 * The record batch messages of an IPC stream (as Parquet workers produce), without decoding their
 * bodies: each header is verified and parsed, its body viewed in place. Schema messages are skipped.
 * @throws InvalidArgumentError for truncated framing, a dictionary batch or a compressed body.
 */
export function recordBatchMessages(stream: Uint8Array): ForwardedBatch[] {
  const view = new DataView(stream.buffer, stream.byteOffset, stream.byteLength);
  const out: ForwardedBatch[] = [];
  let pos = 0;
  while (pos + 4 <= stream.length) {
    let length = view.getInt32(pos, true);
    pos += 4;
    if (length === -1) { // continuation marker, then the length
      if (pos + 4 > stream.length) break;
      length = view.getInt32(pos, true);
      pos += 4;
    }
    if (length === 0) break; // end of stream
    if (length < 0 || pos + length > stream.length) {
      throw new InvalidArgumentError(
        `Cannot read IPC stream: a message of ${length} bytes at ${pos} overruns it`,
      );
    }
    const bytes = stream.subarray(pos, pos + length);
    const parsed = decodeIpcHeader(bytes);
    pos += length;
    if (pos + parsed.bodyLength > stream.length) {
      throw new InvalidArgumentError(
        `Cannot read IPC stream: a body of ${parsed.bodyLength} bytes overruns it`,
      );
    }
    const body = stream.subarray(pos, pos + parsed.bodyLength);
    pos += parsed.bodyLength;
    if (parsed.kind === "schema") continue;
    if (parsed.kind !== "record_batch") {
      throw new InvalidArgumentError(
        "Cannot read IPC stream: only schema and record batch messages are supported",
      );
    }
    if (parsed.header.compression != null) {
      throw new InvalidArgumentError("Cannot read IPC stream: compressed IPC bodies are not supported");
    }
    out.push({
      message: { header: bytes, bodyLength: body.length, bodyParts: [{ offset: 0, bytes: body }] },
      header: parsed.header,
      body,
      rows: Number(parsed.header.length),
    });
  }
  return out;
}

/** Encodes a schema as an IPC Schema message (no body). */
export function encodeSchemaMessage(schema: Schema): EncodedIpcMessage {
  return { header: Message.encode(Message.from(schema)), bodyLength: 0, bodyParts: [] };
}

/** Encodes a batch as an IPC RecordBatch message: header flatbuffer and body buffers (no copy). */
export function encodeRecordBatchMessage(batch: RecordBatch): EncodedIpcMessage {
  const assembled = VectorAssembler.assemble(batch);
  const header = new RecordBatchHeader(batch.numRows, assembled.nodes, assembled.bufferRegions, null);
  const message = Message.from(header, assembled.byteLength);
  const bodyParts = assembled.buffers.map((bytes, i) => ({
    offset: Number(assembled.bufferRegions[i].offset),
    // Buffers come typed (Float64Array, BigInt64Array...): send their bytes, without copying.
    bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
  }));
  return { header: Message.encode(message), bodyLength: assembled.byteLength, bodyParts };
}

/**
 * A schema as an encapsulated IPC message: continuation marker, little-endian length, flatbuffer,
 * padding to 8 bytes. This is the form `FlightInfo.schema` and `SchemaResult` require.
 */
export function encodeEncapsulatedSchema(schema: Schema): Uint8Array {
  const fb = encodeSchemaMessage(schema).header;
  const padded = (fb.length + 7) & ~7;
  const out = new Uint8Array(8 + padded);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0xffffffff, true);
  view.setInt32(4, padded, true);
  out.set(fb, 8);
  return out;
}

/** Reads an encapsulated IPC schema message (the inverse of `encodeEncapsulatedSchema`). */
export function decodeEncapsulatedSchema(bytes: Uint8Array): Schema {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 8 || view.getUint32(0, true) !== 0xffffffff) {
    throw new InvalidArgumentError("Cannot decode schema: missing IPC continuation marker");
  }
  const len = view.getInt32(4, true);
  if (len < 0 || 8 + len > bytes.length) throw new InvalidArgumentError("Cannot decode schema: bad length");
  const header = decodeIpcHeader(bytes.subarray(8, 8 + len));
  if (header.kind !== "schema") throw new InvalidArgumentError("Cannot decode schema: not a Schema message");
  return header.schema;
}

/** The same fields with `metadata` as the schema-level metadata. */
export function withSchemaMetadata(schema: Schema, metadata: Map<string, string>): Schema {
  return new Schema(schema.fields, metadata, schema.dictionaries, schema.metadataVersion);
}
