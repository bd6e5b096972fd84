/**
 * DATA frames from the peer into stream bodies, whole or in pieces. A whole frame (small, or padded) is
 * checked and its payload queued as one view. A large unpadded frame is checked on its head, before its
 * payload is read; the payload then follows in pieces: each piece is either written by the reader straight
 * into the buffer a consumer offered (`BodyQueue.target`, no copy) or queued as a view, and credit is
 * returned as the body is consumed. Connection and stream flow control count the whole frame at its head.
 * Part of the inbound side (./inbound.ts); must not import server.ts or connection.ts (types only).
 *
 * @module
 */

import { parseData } from "../frame/data.ts";
import { Flag, type FrameHead } from "../frame/head.ts";
import { ErrorCode, Http2ConnectionError, Http2StreamError } from "../frame/reason.ts";
import type { ConnectionState } from "./connection.ts";
import type { ServerStream } from "./streams/stream.ts";

/** What DATA handling needs from the rest of the inbound side. */
export interface DataContext {
  /** Charges the control-frame budget (an empty DATA frame is one). */
  control(): void;
  /** A frame for a stream that is not open: ignored, a stream error or a connection error (thrown). */
  lateFrame(id: number, what: string): void;
  /** Resets the stream of `err` (RST_STREAM), charging the budget. */
  streamError(err: Http2StreamError): void;
}

/** The DATA frame whose payload is arriving in pieces, and the stream it feeds (null: dropped). */
interface Current {
  head: FrameHead;
  stream: ServerStream | null;
}

/** Receives every DATA frame of one connection. */
export class DataInbound {
  #s: ConnectionState;
  #ctx: DataContext;
  #current: Current | null = null;

  constructor(state: ConnectionState, ctx: DataContext) {
    this.#s = state;
    this.#ctx = ctx;
  }

  /** A whole DATA frame. @throws Http2ConnectionError, Http2StreamError */
  onFrame(head: FrameHead, payload: Uint8Array): void {
    const { data, endStream } = parseData(head, payload);
    const stream = this.#open(head, data.length > 0, endStream);
    if (stream === null) return;
    try {
      stream.onData(data, head.length, endStream);
    } catch (err) {
      this.#s.host.releaseConnection(head.length);
      throw err;
    }
  }

  /** The head of a large unpadded DATA frame; pieces follow. Stream errors reset the stream here. */
  onStart(head: FrameHead): void {
    const endStream = (head.flags & Flag.END_STREAM) !== 0;
    const current: Current = { head, stream: null };
    this.#current = current;
    let stream: ServerStream | null = null;
    try {
      stream = this.#open(head, true, endStream);
      if (stream === null) return;
      stream.onDataStart(head.length, endStream);
      current.stream = stream;
    } catch (err) {
      if (!(err instanceof Http2StreamError)) throw err;
      // Refused by the stream (not by #open, which returned the credit itself): the connection's comes back.
      if (stream !== null) this.#s.host.releaseConnection(head.length);
      this.#ctx.streamError(err);
    }
  }

  /** Where the next payload bytes (at most `max`) may be read straight into, or null. */
  target(max: number): Uint8Array | null {
    const stream = this.#live();
    return stream === null ? null : stream.body.target(max);
  }

  /** `n` bytes were read into the last {@link target}. */
  placed(n: number): void {
    const stream = this.#current?.stream ?? null;
    // A stream gone meanwhile no longer returns credit for its bytes: the connection takes it back.
    if (stream === null || stream.isClosed) this.#s.host.releaseConnection(n);
    else stream.body.placed(n);
  }

  /** A piece of the payload, as a view of the read buffer. */
  piece(piece: Uint8Array): void {
    if (this.#current?.stream === null) return; // dropped at the head: its credit is back already
    const stream = this.#live();
    if (stream === null) this.#s.host.releaseConnection(piece.length);
    else stream.body.push(piece);
  }

  /** The frame's last byte was delivered. */
  end(head: FrameHead): void {
    const stream = this.#live();
    this.#current = null;
    stream?.onDataEnd((head.flags & Flag.END_STREAM) !== 0);
  }

  /** The stream the current frame feeds, if it is still open. */
  #live(): ServerStream | null {
    const stream = this.#current?.stream ?? null;
    return stream === null || stream.isClosed ? null : stream;
  }

  /**
   * Connection-level checks of a DATA frame: window, budget, stream. @returns the open stream, or null
   * when the frame is for a stream no longer open (its credit is returned at once).
   */
  #open(head: FrameHead, hasData: boolean, endStream: boolean): ServerStream | null {
    const s = this.#s;
    if (!s.recvWindow.receive(head.length)) {
      throw new Http2ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "DATA beyond the connection window");
    }
    // Empty DATA costs budget; a real payload earns one control frame (a BDP ping, a window update).
    if (!hasData && !endStream) this.#ctx.control();
    else if (hasData) s.controlFrames.earn(1);
    const stream = s.streams.get(head.streamId);
    if (stream) return stream;
    s.host.releaseConnection(head.length);
    this.#ctx.lateFrame(head.streamId, "DATA");
    return null;
  }
}
