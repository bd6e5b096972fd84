/**
 * PRIORITY frames (RFC 9113 section 6.3): deprecated; checked for size and stream id, then ignored.
 * Parse/encode layer: no state.
 *
 * @module
 */

import type { FrameHead } from "./head.ts";
import { ErrorCode, Http2ConnectionError, Http2StreamError } from "./reason.ts";

/** Checks a PRIORITY frame. @throws Http2ConnectionError on stream 0; Http2StreamError on a length other than 5 */
export function checkPriority(head: FrameHead, payload: Uint8Array): void {
  if (head.streamId === 0) throw new Http2ConnectionError(ErrorCode.PROTOCOL_ERROR, "PRIORITY on stream 0");
  if (payload.length !== 5) {
    throw new Http2StreamError(head.streamId, ErrorCode.FRAME_SIZE_ERROR, "PRIORITY length not 5");
  }
}
