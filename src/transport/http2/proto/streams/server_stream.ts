/**
 * The handler's face of a request stream: what the gRPC layer (or any user of the transport) may call.
 * Implemented by ./stream.ts. Imports only the HPACK field type.
 *
 * @module
 */

import type { HeaderField } from "../../hpack/mod.ts";

/** A request body: DATA payloads in order (views), or bytes read into the consumer's own buffer. */
export interface Http2Body extends AsyncIterable<Uint8Array> {
  /**
   * Fills the start of `dest` with the next body bytes; with nothing queued the connection may read them
   * from the socket straight into `dest`. May be mixed with the iteration (one consumer, one call at a
   * time). @returns the bytes written (at least 1), 0 at the end of the body
   */
  readInto(dest: Uint8Array): Promise<number>;
}

/** A request stream as the handler sees it. */
export interface Http2ServerStream {
  readonly id: number;
  /** Request headers, pseudo-headers included, in order. */
  readonly headers: readonly HeaderField[];
  /** "127.0.0.1:54321" / "[::1]:54321". */
  readonly peer: string;
  /**
   * The connection's number, never reused while the server runs: a client port is reused soon after a
   * connection closes (loopback TIME_WAIT reuse), so `peer` alone may name two connections over time.
   */
  readonly connectionId: number;
  /** Aborted on RST_STREAM from the peer, a reset, or a lost connection. */
  readonly signal: AbortSignal;
  /**
   * DATA payloads as views, in order, ending at END_STREAM; single consumer. Flow-control credit is
   * returned only as chunks are consumed: an unread body stops the peer (bounded memory). Throws
   * `StreamAbortedError` (./recv.ts) when the stream is reset or the connection lost before END_STREAM.
   */
  readonly body: Http2Body;
  /** Response headers; `endStream` makes them trailers-only (the stream is done). */
  sendHeaders(fields: readonly HeaderField[], opts?: { endStream?: boolean }): void;
  /**
   * DATA, split at the peer's max frame size; resolves once it fits the peer's windows and the socket
   * took it (backpressure). Several buffers are sent as one message without concatenating.
   */
  sendData(data: Uint8Array | readonly Uint8Array[]): Promise<void>;
  /** Trailers with END_STREAM: the stream is done. */
  sendTrailers(fields: readonly HeaderField[]): Promise<void>;
  /** RST_STREAM with `errorCode` (RFC 9113 section 7); the stream is done. */
  reset(errorCode: number): void;
}
