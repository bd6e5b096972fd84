/**
 * PING frames (RFC 9113 section 6.7). Parse/encode layer: no state.
 *
 * @module
 */

import { encodeFrame, Flag, type FrameHead, FrameType } from "./head.ts";
import { ErrorCode, Http2ConnectionError } from "./reason.ts";

/** A received PING: its 8 opaque bytes (a view) and whether it acknowledges one of ours. */
export interface PingFrame {
  ack: boolean;
  data: Uint8Array;
}

/** Checks and parses a PING. @throws Http2ConnectionError on a stream id or a length other than 8 */
export function parsePing(head: FrameHead, payload: Uint8Array): PingFrame {
  if (head.streamId !== 0) throw new Http2ConnectionError(ErrorCode.PROTOCOL_ERROR, "PING on a stream");
  if (payload.length !== 8) throw new Http2ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "PING length not 8");
  return { ack: (head.flags & Flag.ACK) !== 0, data: payload };
}

/** A PING (or its acknowledgement) with these 8 bytes. */
export function encodePing(data: Uint8Array, ack: boolean): Uint8Array {
  return encodeFrame(FrameType.PING, ack ? Flag.ACK : 0, 0, data);
}
