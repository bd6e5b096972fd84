/**
 * HTTP/2 error codes (RFC 9113 section 7) and the two error kinds the protocol distinguishes: a
 * connection error (GOAWAY, then close) and a stream error (RST_STREAM, the connection lives on).
 * Parse/encode layer: imports nothing.
 *
 * @module
 */

/** The error codes of RFC 9113 section 7, as sent in RST_STREAM and GOAWAY. */
export const ErrorCode = {
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

/** One of the codes of {@link ErrorCode} (peers may send others: they are kept as numbers). */
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

const NAMES = new Map<number, string>(Object.entries(ErrorCode).map(([k, v]) => [v, k]));

/** `PROTOCOL_ERROR`, or `0x1f` for a code RFC 9113 does not define. */
export function errorCodeName(code: number): string {
  return NAMES.get(code) ?? `0x${code.toString(16)}`;
}

/** The peer broke the protocol: the whole connection ends with GOAWAY carrying `code`. */
export class Http2ConnectionError extends Error {
  override name = "Http2ConnectionError";
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

/** The peer broke the protocol on one stream: RST_STREAM with `code`, the connection lives on. */
export class Http2StreamError extends Error {
  override name = "Http2StreamError";
  constructor(readonly streamId: number, readonly code: number, message: string) {
    super(message);
  }
}
