/**
 * FlightData, the message of the data path (DoPut, DoGet, DoExchange), with a hand-written codec:
 * decoding keeps `data_header` and `data_body` as zero-copy views of the received buffer. Encoding
 * writes the gRPC 5-byte frame prefix, the protobuf framing and the IPC header into one buffer; a large
 * body stays in the buffers it is in, sent after it as they are (our transport takes a message in
 * pieces), and a small one is copied in. grpc-js, which needs one buffer, gets the pieces joined once
 * (see `grpc_patch.ts`).
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
 * A FlightData message already framed for gRPC (5-byte prefix included), in one piece or several sent
 * one after the other without joining them. `grpc_patch.ts` makes grpc-js send `framed` (the pieces
 * joined, once) as is; without the patch, `serializeFramed` hands grpc-js the unframed view.
 */
export class FramedMessage {
  readonly parts: readonly Uint8Array[];
  /** Bytes of every part, prefix included. */
  readonly byteLength: number;
  #joined: Buffer | null;

  constructor(framed: Buffer | readonly Uint8Array[]) {
    if (framed instanceof Uint8Array) {
      this.parts = [framed];
      this.byteLength = framed.length;
      this.#joined = framed;
    } else {
      this.parts = framed;
      this.byteLength = framed.reduce((n, p) => n + p.length, 0);
      this.#joined = framed.length === 1 ? asBuffer(framed[0]) : null;
    }
  }

  /** The whole message in one buffer (the parts joined at the first call). */
  get framed(): Buffer {
    if (this.#joined === null) {
      const out = Buffer.allocUnsafe(this.byteLength);
      let at = 0;
      for (const p of this.parts) at += (out.set(p, at), p.length);
      this.#joined = out;
    }
    return this.#joined;
  }
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** grpc-js serializer for `FramedMessage`: the message bytes without the gRPC prefix. */
export function serializeFramed(msg: FramedMessage): Buffer {
  return msg.framed.subarray(5);
}

const TAG_DESCRIPTOR = 0x0a;
const TAG_HEADER = 0x12;
const TAG_APP_METADATA = 0x1a;
const TAG_BODY = [0xc2, 0x3e]; // (1000 << 3) | LEN as a varint

/**
 * Bodies at least this long are sent from their own buffers, after a buffer with everything before them:
 * copying them would cost an allocation (zeroed) and a pass over every byte.
 */
const SEPARATE_BODY_BYTES = 64 * 1024;
/** Padding between body parts (IPC aligns buffers to 8 or 64 bytes). */
const ZEROS = new Uint8Array(64);

/** Encodes one FlightData message, pre-framed: one buffer, or one before a large body's own buffers. */
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
  const separate = msg.bodyLength >= SEPARATE_BODY_BYTES;
  const out = Buffer.allocUnsafe(5 + size - (separate ? msg.bodyLength : 0));
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
  if (!msg.bodyLength) return new FramedMessage(out);
  for (const t of TAG_BODY) out[pos++] = t;
  pos = writeVarint(out, pos, msg.bodyLength);
  if (separate) return new FramedMessage([out, ...bodyPieces(msg)]);
  let filled = 0;
  for (const part of msg.bodyParts) {
    if (part.offset > filled) out.fill(0, pos + filled, pos + part.offset);
    out.set(part.bytes, pos + part.offset);
    filled = part.offset + part.bytes.length;
  }
  if (filled < msg.bodyLength) out.fill(0, pos + filled, pos + msg.bodyLength);
  return new FramedMessage(out);
}

/** The body as views of its parts, with zeros for the gaps between them and after the last. */
function bodyPieces(msg: EncodedIpcMessage): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  const zeros = (n: number) => pieces.push(n <= ZEROS.length ? ZEROS.subarray(0, n) : new Uint8Array(n));
  let filled = 0;
  for (const part of msg.bodyParts) {
    if (part.offset > filled) zeros(part.offset - filled);
    if (part.bytes.length) pieces.push(part.bytes);
    filled = part.offset + part.bytes.length;
  }
  if (filled < msg.bodyLength) zeros(msg.bodyLength - filled);
  return pieces;
}
