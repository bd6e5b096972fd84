/**
 * GOAWAY frames (RFC 9113 section 6.8). Parse/encode layer: no state.
 *
 * @module
 */

import { encodeFrame, type FrameHead, FrameType, readUint32, writeUint31, writeUint32 } from "./head.ts";
import { ErrorCode, Http2ConnectionError } from "./reason.ts";

/** A received GOAWAY. */
export interface GoAwayFrame {
  lastStreamId: number;
  errorCode: number;
}

/** Parses a GOAWAY (its debug data is ignored). @throws Http2ConnectionError on a stream or short frame */
export function parseGoAway(head: FrameHead, payload: Uint8Array): GoAwayFrame {
  if (head.streamId !== 0) throw new Http2ConnectionError(ErrorCode.PROTOCOL_ERROR, "GOAWAY on a stream");
  if (payload.length < 8) {
    throw new Http2ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "GOAWAY shorter than 8 bytes");
  }
  return { lastStreamId: readUint32(payload, 0) & 0x7fffffff, errorCode: readUint32(payload, 4) };
}

/** A GOAWAY naming the last stream processed, an error code and a short debug text. */
export function encodeGoAway(lastStreamId: number, errorCode: number, debug = ""): Uint8Array {
  const text = new TextEncoder().encode(debug.slice(0, 200));
  const payload = new Uint8Array(8 + text.length);
  writeUint31(payload, 0, lastStreamId);
  writeUint32(payload, 4, errorCode);
  payload.set(text, 8);
  return encodeFrame(FrameType.GOAWAY, 0, 0, payload);
}
