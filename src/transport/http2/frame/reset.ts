/**
 * RST_STREAM frames (RFC 9113 section 6.4). Parse/encode layer: no state.
 *
 * @module
 */

import { encodeFrame, type FrameHead, FrameType, readUint32, writeUint32 } from "./head.ts";
import { ErrorCode, Http2ConnectionError } from "./reason.ts";

/** The error code of a RST_STREAM. @throws Http2ConnectionError on stream 0 or a length other than 4 */
export function parseReset(head: FrameHead, payload: Uint8Array): number {
  if (head.streamId === 0) throw new Http2ConnectionError(ErrorCode.PROTOCOL_ERROR, "RST_STREAM on stream 0");
  if (payload.length !== 4) {
    throw new Http2ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "RST_STREAM length not 4");
  }
  return readUint32(payload, 0);
}

/** A RST_STREAM for `streamId` with `errorCode`. */
export function encodeReset(streamId: number, errorCode: number): Uint8Array {
  const payload = new Uint8Array(4);
  writeUint32(payload, 0, errorCode);
  return encodeFrame(FrameType.RST_STREAM, 0, streamId, payload);
}
