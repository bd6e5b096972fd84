/**
 * DATA frames (RFC 9113 section 6.1): padding removal on receive, the frame header on send.
 * Parse/encode layer: no state, imports only ./head.ts and ./reason.ts.
 *
 * @module
 */

import { Flag, FRAME_HEADER_BYTES, type FrameHead, FrameType, writeFrameHead } from "./head.ts";
import { ErrorCode, Http2ConnectionError } from "./reason.ts";

/** A received DATA frame. `data` is a view into the read buffer, padding removed. */
export interface DataFrame {
  data: Uint8Array;
  endStream: boolean;
}

/** Strips the padding of a DATA payload. @throws Http2ConnectionError on a bad stream id or padding */
export function parseData(head: FrameHead, payload: Uint8Array): DataFrame {
  if (head.streamId === 0) throw new Http2ConnectionError(ErrorCode.PROTOCOL_ERROR, "DATA on stream 0");
  const endStream = (head.flags & Flag.END_STREAM) !== 0;
  if ((head.flags & Flag.PADDED) === 0) return { data: payload, endStream };
  return { data: stripPadding(payload, "DATA"), endStream };
}

/** The payload without its pad-length byte and padding. @throws Http2ConnectionError when padding is too long */
export function stripPadding(payload: Uint8Array, what: string): Uint8Array {
  if (payload.length < 1) {
    throw new Http2ConnectionError(ErrorCode.FRAME_SIZE_ERROR, `${what} too short for padding`);
  }
  const padLength = payload[0];
  if (padLength >= payload.length) {
    throw new Http2ConnectionError(ErrorCode.PROTOCOL_ERROR, `${what} padding longer than the payload`);
  }
  return payload.subarray(1, payload.length - padLength);
}

/** Writes the 9-byte header of a DATA frame at `offset` of `buf`. */
export function writeDataHead(
  buf: Uint8Array,
  offset: number,
  opts: { length: number; streamId: number; endStream: boolean },
): void {
  writeFrameHead(buf, offset, {
    length: opts.length,
    type: FrameType.DATA,
    flags: opts.endStream ? Flag.END_STREAM : 0,
    streamId: opts.streamId,
  });
}

/** Bytes of a DATA frame header, for callers sizing buffers. */
export const DATA_HEAD_BYTES = FRAME_HEADER_BYTES;
