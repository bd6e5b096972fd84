/**
 * WINDOW_UPDATE frames (RFC 9113 section 6.9). Parse/encode layer: no state.
 *
 * @module
 */

import { encodeFrame, type FrameHead, FrameType, readUint32, writeUint31 } from "./head.ts";
import { ErrorCode, Http2ConnectionError, Http2StreamError } from "./reason.ts";

/**
 * The window increment (1 to 2^31-1).
 * @throws Http2ConnectionError on a bad length or a zero increment on stream 0; Http2StreamError on a
 * zero increment on a stream
 */
export function parseWindowUpdate(head: FrameHead, payload: Uint8Array): number {
  if (payload.length !== 4) {
    throw new Http2ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "WINDOW_UPDATE length not 4");
  }
  const increment = readUint32(payload, 0) & 0x7fffffff;
  if (increment === 0) {
    if (head.streamId === 0) throw new Http2ConnectionError(ErrorCode.PROTOCOL_ERROR, "WINDOW_UPDATE of 0");
    throw new Http2StreamError(head.streamId, ErrorCode.PROTOCOL_ERROR, "WINDOW_UPDATE of 0");
  }
  return increment;
}

/** A WINDOW_UPDATE of `increment` for `streamId` (0: the connection). */
export function encodeWindowUpdate(streamId: number, increment: number): Uint8Array {
  const payload = new Uint8Array(4);
  writeUint31(payload, 0, increment);
  return encodeFrame(FrameType.WINDOW_UPDATE, 0, streamId, payload);
}
