/**
 * The 9-byte frame header (RFC 9113 section 4.1), frame type and flag constants, the client preface.
 * Parse/encode layer: imports nothing but ./reason.ts.
 *
 * @module
 */

/** Bytes in a frame header. */
export const FRAME_HEADER_BYTES = 9;

/** The 24 bytes every client sends first: "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n". */
export const CLIENT_PREFACE = new TextEncoder().encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/** Frame types of RFC 9113 section 6. */
export const FrameType = {
  DATA: 0x0,
  HEADERS: 0x1,
  PRIORITY: 0x2,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
} as const;

/** Frame flags (their meaning depends on the frame type). */
export const Flag = {
  END_STREAM: 0x1,
  ACK: 0x1,
  END_HEADERS: 0x4,
  PADDED: 0x8,
  PRIORITY: 0x20,
} as const;

/** The smallest SETTINGS_MAX_FRAME_SIZE a peer may announce, and the initial one. */
export const MIN_MAX_FRAME_SIZE = 16_384;
/** The largest SETTINGS_MAX_FRAME_SIZE allowed: 2^24 - 1. */
export const MAX_MAX_FRAME_SIZE = 16_777_215;
/** The largest flow-control window: 2^31 - 1. */
export const MAX_WINDOW = 2_147_483_647;
/** The largest stream id: 2^31 - 1. */
export const MAX_STREAM_ID = 2_147_483_647;

/** A parsed frame header. */
export interface FrameHead {
  length: number;
  type: number;
  flags: number;
  /** The stream id with the reserved bit cleared. */
  streamId: number;
}

/** Reads the frame header at `offset` (the caller checked that 9 bytes are there). */
export function readFrameHead(buf: Uint8Array, offset: number): FrameHead {
  return {
    length: (buf[offset] << 16) | (buf[offset + 1] << 8) | buf[offset + 2],
    type: buf[offset + 3],
    flags: buf[offset + 4],
    streamId: ((buf[offset + 5] & 0x7f) << 24 | (buf[offset + 6] << 16) | (buf[offset + 7] << 8) |
      buf[offset + 8]) >>> 0,
  };
}

/** Writes a frame header at `offset` of `buf`. */
export function writeFrameHead(
  buf: Uint8Array,
  offset: number,
  head: FrameHead,
): void {
  const { length, type, flags, streamId } = head;
  buf[offset] = (length >>> 16) & 0xff;
  buf[offset + 1] = (length >>> 8) & 0xff;
  buf[offset + 2] = length & 0xff;
  buf[offset + 3] = type;
  buf[offset + 4] = flags;
  writeUint31(buf, offset + 5, streamId);
}

/** A fresh 9-byte frame header. */
export function frameHead(length: number, type: number, flags: number, streamId: number): Uint8Array {
  const buf = new Uint8Array(FRAME_HEADER_BYTES);
  writeFrameHead(buf, 0, { length, type, flags, streamId });
  return buf;
}

/** A whole frame: header plus a payload copied behind it. */
export function encodeFrame(type: number, flags: number, streamId: number, payload?: Uint8Array): Uint8Array {
  const length = payload?.length ?? 0;
  const buf = new Uint8Array(FRAME_HEADER_BYTES + length);
  writeFrameHead(buf, 0, { length, type, flags, streamId });
  if (payload) buf.set(payload, FRAME_HEADER_BYTES);
  return buf;
}

/** Big-endian 32-bit read (reserved bit included: callers mask it). */
export function readUint32(buf: Uint8Array, offset: number): number {
  return ((buf[offset] << 24) | (buf[offset + 1] << 16) | (buf[offset + 2] << 8) | buf[offset + 3]) >>> 0;
}

/** Big-endian 31-bit write, the reserved bit left clear. */
export function writeUint31(buf: Uint8Array, offset: number, value: number): void {
  buf[offset] = (value >>> 24) & 0x7f;
  buf[offset + 1] = (value >>> 16) & 0xff;
  buf[offset + 2] = (value >>> 8) & 0xff;
  buf[offset + 3] = value & 0xff;
}

/** Big-endian 32-bit write. */
export function writeUint32(buf: Uint8Array, offset: number, value: number): void {
  buf[offset] = (value >>> 24) & 0xff;
  buf[offset + 1] = (value >>> 16) & 0xff;
  buf[offset + 2] = (value >>> 8) & 0xff;
  buf[offset + 3] = value & 0xff;
}
