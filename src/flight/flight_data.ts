/**
 * FlightData, the message of the data path (DoPut, DoGet, DoExchange), with a hand-written codec:
 * decoding keeps `data_header` and `data_body` as zero-copy views of the received buffer, and encoding
 * writes the gRPC 5-byte frame prefix, the protobuf framing, the IPC header and the body into one
 * buffer that is sent as is (see `grpc_patch.ts`), so each outgoing byte is copied once.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { LEN, PbReader, ProtobufError, varintSize, writeVarint } from "./_pb.ts";
import type { EncodedIpcMessage } from "../arrow/ipc.ts";
import { decodeDescriptor, encodeDescriptor, type FlightDescriptor } from "./messages.ts";

const BODY_FIELD = 1000;

export interface FlightData {
  descriptor: FlightDescriptor | null;
  /** Arrow IPC Message flatbuffer (no continuation marker, no length prefix); empty if absent. */
  header: Uint8Array;
  appMetadata: Uint8Array;
  /** IPC message body; empty if absent. */
  body: Uint8Array;
}

/** Decodes one FlightData message. @throws ProtobufError on malformed bytes. */
export function decodeFlightData(buf: Uint8Array): FlightData {
  const r = new PbReader(buf);
  const empty = buf.subarray(0, 0);
  const out: FlightData = { descriptor: null, header: empty, appMetadata: empty, body: empty };
  while (!r.done()) {
    const [field, wt] = r.tag();
    if (field === 1) {
      r.expect(field, wt, LEN);
      const d = r.bytes();
      out.descriptor = decodeDescriptor(d);
    } else if (field === 2) {
      r.expect(field, wt, LEN);
      out.header = r.bytes();
    } else if (field === 3) {
      r.expect(field, wt, LEN);
      out.appMetadata = r.bytes();
    } else if (field === BODY_FIELD) {
      r.expect(field, wt, LEN);
      out.body = r.bytes();
    } else r.skip(wt);
  }
  return out;
}

/**
 * Where `data_body`'s bytes start inside a FlightData message, judged from its first bytes only;
 * -1 when the prefix does not reach the body or the bytes are not FlightData. Used to place received
 * messages so that the body lands 8-byte aligned.
 */
export function peekBodyOffset(prefix: Uint8Array): number {
  try {
    const r = new PbReader(prefix);
    while (!r.done()) {
      const [field, wt] = r.tag();
      if (wt !== LEN) return -1;
      if (field === BODY_FIELD) {
        r.varint();
        return r.pos;
      }
      if (field > 3) return -1;
      r.bytes();
    }
  } catch (err) {
    if (!(err instanceof ProtobufError)) throw err;
  }
  return -1;
}

/**
 * A FlightData message already framed for gRPC (5-byte prefix included). `grpc_patch.ts` makes
 * grpc-js send `framed` as is; without the patch, `serializeFramed` hands grpc-js the unframed view.
 */
export class FramedMessage {
  constructor(readonly framed: Buffer) {}
}

/** grpc-js serializer for `FramedMessage`: the message bytes without the gRPC prefix. */
export function serializeFramed(msg: FramedMessage): Buffer {
  return msg.framed.subarray(5);
}

const TAG_DESCRIPTOR = 0x0a;
const TAG_HEADER = 0x12;
const TAG_APP_METADATA = 0x1a;
const TAG_BODY = [0xc2, 0x3e]; // (1000 << 3) | LEN as a varint

/** Encodes one FlightData message into a single pre-framed buffer. */
export function encodeFlightData(
  msg: EncodedIpcMessage,
  opts: { descriptor?: FlightDescriptor; appMetadata?: Uint8Array } = {},
): FramedMessage {
  const desc = opts.descriptor ? encodeDescriptor(opts.descriptor) : null;
  const app = opts.appMetadata;
  let size = 0;
  if (desc) size += 1 + varintSize(desc.length) + desc.length;
  if (msg.header.length) size += 1 + varintSize(msg.header.length) + msg.header.length;
  if (app?.length) size += 1 + varintSize(app.length) + app.length;
  if (msg.bodyLength) size += 2 + varintSize(msg.bodyLength) + msg.bodyLength;
  const out = Buffer.allocUnsafe(5 + size);
  out[0] = 0;
  out.writeUInt32BE(size, 1);
  let pos = 5;
  const field = (tag: number[], bytes: Uint8Array) => {
    for (const t of tag) out[pos++] = t;
    pos = writeVarint(out, pos, bytes.length);
    out.set(bytes, pos);
    pos += bytes.length;
  };
  if (desc) field([TAG_DESCRIPTOR], desc);
  if (msg.header.length) field([TAG_HEADER], msg.header);
  if (app?.length) field([TAG_APP_METADATA], app);
  if (msg.bodyLength) {
    for (const t of TAG_BODY) out[pos++] = t;
    pos = writeVarint(out, pos, msg.bodyLength);
    let filled = 0;
    for (const part of msg.bodyParts) {
      if (part.offset > filled) out.fill(0, pos + filled, pos + part.offset);
      out.set(part.bytes, pos + part.offset);
      filled = part.offset + part.bytes.length;
    }
    if (filled < msg.bodyLength) out.fill(0, pos + filled, pos + msg.bodyLength);
  }
  return new FramedMessage(out);
}
