/**
 * HEADERS and CONTINUATION frames (RFC 9113 sections 6.2, 6.10): padding and priority removal on
 * receive; a header block split into HEADERS + CONTINUATION at the peer's max frame size on send.
 * Parse/encode layer: no state, imports only ./head.ts, ./data.ts (padding) and ./reason.ts.
 *
 * @module
 */

import { stripPadding } from "./data.ts";
import { Flag, FRAME_HEADER_BYTES, type FrameHead, FrameType, readUint32, writeFrameHead } from "./head.ts";
import { ErrorCode, Http2ConnectionError } from "./reason.ts";

/** A received HEADERS frame: the first fragment of a header block (a view into the read buffer). */
export interface HeadersFrame {
  fragment: Uint8Array;
  endStream: boolean;
  endHeaders: boolean;
  /** The (ignored) priority names the stream itself: a stream error once the block is decoded. */
  selfDependent: boolean;
}

/** Bytes of the priority fields a HEADERS frame may carry (deprecated, ignored). */
const PRIORITY_BYTES = 5;

/**
 * Strips padding and priority fields from a HEADERS payload.
 * @throws Http2ConnectionError on stream 0 or bad padding
 */
export function parseHeaders(head: FrameHead, payload: Uint8Array): HeadersFrame {
  if (head.streamId === 0) throw new Http2ConnectionError(ErrorCode.PROTOCOL_ERROR, "HEADERS on stream 0");
  let fragment = (head.flags & Flag.PADDED) !== 0 ? stripPadding(payload, "HEADERS") : payload;
  let selfDependent = false;
  if ((head.flags & Flag.PRIORITY) !== 0) {
    if (fragment.length < PRIORITY_BYTES) {
      throw new Http2ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "HEADERS too short for its priority");
    }
    selfDependent = (readUint32(fragment, 0) & 0x7fffffff) === head.streamId;
    fragment = fragment.subarray(PRIORITY_BYTES);
  }
  return {
    fragment,
    endStream: (head.flags & Flag.END_STREAM) !== 0,
    endHeaders: (head.flags & Flag.END_HEADERS) !== 0,
    selfDependent,
  };
}

/**
 * Frames an encoded header block: one HEADERS frame, then CONTINUATION frames when the block is
 * longer than `maxFrameSize`; all in one buffer so that it is written in one piece.
 */
export function encodeHeaderBlock(
  streamId: number,
  block: Uint8Array,
  opts: { endStream: boolean; maxFrameSize: number },
): Uint8Array {
  const frames = Math.max(1, Math.ceil(block.length / opts.maxFrameSize));
  const out = new Uint8Array(block.length + frames * FRAME_HEADER_BYTES);
  let at = 0;
  for (let i = 0; i < frames; i++) {
    const start = i * opts.maxFrameSize;
    const piece = block.subarray(start, Math.min(block.length, start + opts.maxFrameSize));
    const last = i === frames - 1;
    const flags = (last ? Flag.END_HEADERS : 0) | (i === 0 && opts.endStream ? Flag.END_STREAM : 0);
    writeFrameHead(out, at, {
      length: piece.length,
      type: i === 0 ? FrameType.HEADERS : FrameType.CONTINUATION,
      flags,
      streamId,
    });
    out.set(piece, at + FRAME_HEADER_BYTES);
    at += FRAME_HEADER_BYTES + piece.length;
  }
  return out;
}
