/**
 * HTTP/2 frames and HPACK field representations built by hand for the transport's attack tests: nothing
 * here validates what it builds, so a test can break any rule on purpose. Written independently of
 * src/transport/ (it must not share the server's reading of the RFCs); `_h2_peer.ts` sends them.
 *
 * @module
 */

/** HTTP/2 frame types (RFC 9113 section 6). */
export const FRAME = {
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

/** Frame flags. */
export const FLAG = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4, PADDED: 0x8, PRIORITY: 0x20 } as const;

/** HTTP/2 error codes (RFC 9113 section 7), and their names for assertion messages. */
export const ERR = {
  NO_ERROR: 0x0,
  PROTOCOL_ERROR: 0x1,
  INTERNAL_ERROR: 0x2,
  FLOW_CONTROL_ERROR: 0x3,
  SETTINGS_TIMEOUT: 0x4,
  STREAM_CLOSED: 0x5,
  FRAME_SIZE_ERROR: 0x6,
  REFUSED_STREAM: 0x7,
  CANCEL: 0x8,
  COMPRESSION_ERROR: 0x9,
  CONNECT_ERROR: 0xa,
  ENHANCE_YOUR_CALM: 0xb,
  INADEQUATE_SECURITY: 0xc,
  HTTP_1_1_REQUIRED: 0xd,
} as const;

/** The name of an error code (`ENHANCE_YOUR_CALM`), or its number for an unknown one. */
export function errName(code: number | null | undefined): string {
  if (code === null || code === undefined) return String(code);
  return Object.entries(ERR).find(([, c]) => c === code)?.[0] ?? `0x${code.toString(16)}`;
}

/** SETTINGS identifiers. */
export const SETTING = {
  HEADER_TABLE_SIZE: 0x1,
  ENABLE_PUSH: 0x2,
  MAX_CONCURRENT_STREAMS: 0x3,
  INITIAL_WINDOW_SIZE: 0x4,
  MAX_FRAME_SIZE: 0x5,
  MAX_HEADER_LIST_SIZE: 0x6,
} as const;

export const PREFACE = new TextEncoder().encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
export const MAX_WINDOW = 2 ** 31 - 1;

// Frames

/** One frame: the 9-byte header (whose length field says `length`, default the payload's) and the payload. */
export function frame(
  type: number,
  flags: number,
  streamId: number,
  payload: Uint8Array = new Uint8Array(0),
  length = payload.length,
): Uint8Array {
  const out = new Uint8Array(9 + payload.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, length << 8);
  out[3] = type;
  out[4] = flags;
  view.setUint32(5, streamId >>> 0);
  out.set(payload, 9);
  return out;
}

const u32 = (...values: number[]) => {
  const out = new Uint8Array(4 * values.length);
  values.forEach((v, i) => new DataView(out.buffer).setUint32(4 * i, v >>> 0));
  return out;
};

export function settingsFrame(entries: readonly (readonly [number, number])[] = []): Uint8Array {
  const payload = new Uint8Array(6 * entries.length);
  const view = new DataView(payload.buffer);
  entries.forEach(([id, value], i) => {
    view.setUint16(6 * i, id);
    view.setUint32(6 * i + 2, value >>> 0);
  });
  return frame(FRAME.SETTINGS, 0, 0, payload);
}

export const settingsAck = (): Uint8Array => frame(FRAME.SETTINGS, FLAG.ACK, 0);
export const pingFrame = (opaque: Uint8Array = new Uint8Array(8), ack = false): Uint8Array =>
  frame(FRAME.PING, ack ? FLAG.ACK : 0, 0, opaque);
export const rstFrame = (streamId: number, code: number): Uint8Array =>
  frame(FRAME.RST_STREAM, 0, streamId, u32(code));
export const windowUpdateFrame = (streamId: number, increment: number): Uint8Array =>
  frame(FRAME.WINDOW_UPDATE, 0, streamId, u32(increment));
export const goawayFrame = (lastStreamId: number, code: number): Uint8Array =>
  frame(FRAME.GOAWAY, 0, 0, u32(lastStreamId, code));
export const dataFrame = (streamId: number, payload: Uint8Array, endStream = false): Uint8Array =>
  frame(FRAME.DATA, endStream ? FLAG.END_STREAM : 0, streamId, payload);

/** A HEADERS frame carrying a whole block (END_HEADERS) unless `endHeaders` is false. */
export function headersFrame(
  streamId: number,
  block: Uint8Array,
  { endStream = false, endHeaders = true } = {},
): Uint8Array {
  const flags = (endStream ? FLAG.END_STREAM : 0) | (endHeaders ? FLAG.END_HEADERS : 0);
  return frame(FRAME.HEADERS, flags, streamId, block);
}

export const continuationFrame = (streamId: number, block: Uint8Array, endHeaders = false): Uint8Array =>
  frame(FRAME.CONTINUATION, endHeaders ? FLAG.END_HEADERS : 0, streamId, block);

/** A gRPC message: the 5-byte prefix (uncompressed) and the bytes. */
export function grpcMessage(message: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + message.length);
  new DataView(out.buffer).setUint32(1, message.length);
  out.set(message, 5);
  return out;
}

// HPACK (RFC 7541), the few representations the tests need, without Huffman coding

/** An HPACK integer with an N-bit prefix; `first` holds the representation's high bits. */
export function hpackInt(value: number, prefixBits: number, first = 0): number[] {
  const max = (1 << prefixBits) - 1;
  if (value < max) return [first | value];
  const out = [first | max];
  let rest = value - max;
  while (rest >= 128) {
    out.push((rest % 128) + 128);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return out;
}

const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

function hpackString(s: string): number[] {
  const bytes = latin1(s);
  return [...hpackInt(bytes.length, 7), ...bytes];
}

/** Literal field with a literal name: `without` indexing, `incremental` (added to the table) or `never`. */
export function hpackLiteral(
  name: string,
  value: string,
  mode: "without" | "incremental" | "never" = "without",
): number[] {
  const first = mode === "incremental" ? 0x40 : mode === "never" ? 0x10 : 0x00;
  return [first, ...hpackString(name), ...hpackString(value)];
}

/** Indexed field (static table 1..61, dynamic table from 62). */
export const hpackIndexed = (index: number): number[] => hpackInt(index, 7, 0x80);
/** Dynamic table size update (only at the start of a block). */
export const hpackSizeUpdate = (size: number): number[] => hpackInt(size, 5, 0x20);

/** The request headers of a gRPC call to `/arrow.flight.protocol.FlightService/<method>`, as one block. */
export function grpcRequestBlock(method: string, extra: number[] = []): Uint8Array {
  return Uint8Array.from([
    0x83, // :method POST
    0x86, // :scheme http
    ...hpackLiteral(":path", `/arrow.flight.protocol.FlightService/${method}`),
    ...hpackLiteral(":authority", "127.0.0.1"),
    ...hpackLiteral("content-type", "application/grpc"),
    ...hpackLiteral("te", "trailers"),
    ...extra,
  ]);
}
