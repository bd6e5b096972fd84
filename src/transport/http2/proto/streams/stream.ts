/**
 * One server stream (RFC 9113 section 5.1 states, seen from the server): the handler's face
 * ({@link Http2ServerStream}) and the connection's (DATA in, window updates, resets, sending one frame
 * at a time when windows allow). Talks to its connection only through {@link StreamHost}.
 * Must not import proto/connection.ts.
 *
 * @module
 */

import { FRAME_HEADER_BYTES, FrameType, writeFrameHead } from "../../frame/head.ts";
import { ErrorCode, Http2StreamError } from "../../frame/reason.ts";
import { encodeReset } from "../../frame/reset.ts";
import { encodeWindowUpdate } from "../../frame/window_update.ts";
import type { HeaderField } from "../../hpack/mod.ts";
import type { Http2ServerStream } from "./server_stream.ts";
import { growSendWindow, RecvWindow } from "./flow_control.ts";
import { BodyQueue, StreamAbortedError } from "./recv.ts";
import { type DataItem, dataItem, SendQueue, takeBytes } from "./send.ts";

/** What a stream needs from its connection. */
export interface StreamHost {
  /** Enqueues frame bytes on the socket. */
  write(bytes: Uint8Array): void;
  /** HPACK-encodes `fields` now (wire order) and frames them as HEADERS + CONTINUATION. */
  encodeHeaders(streamId: number, fields: readonly HeaderField[], endStream: boolean): Uint8Array;
  /** Resolves once everything written so far is on the socket. */
  flushed(): Promise<void>;
  /** The stream has something to send. */
  schedule(stream: ServerStream): void;
  /** `n` body bytes were consumed: connection-level credit. */
  releaseConnection(n: number): void;
  /** The stream is closed: forget it. */
  closed(stream: ServerStream): void;
}

/** Initial values of a stream. */
export interface StreamInit {
  id: number;
  headers: readonly HeaderField[];
  peer: string;
  connectionId: number;
  recvWindow: number;
  sendWindow: number;
  /** The request HEADERS carried END_STREAM (no body). */
  endStream: boolean;
  /** The request's content-length, when it has one. */
  contentLength: number | null;
}

/** The server side of one HTTP/2 stream. */
export class ServerStream implements Http2ServerStream {
  readonly id: number;
  readonly headers: readonly HeaderField[];
  readonly peer: string;
  readonly connectionId: number;
  readonly body: BodyQueue;
  /** True while on the connection's ready list. */
  scheduled = false;
  #host: StreamHost;
  #abort = new AbortController();
  #recv: RecvWindow;
  #sendWindow: number;
  #queue = new SendQueue();
  #remoteClosed = false;
  #localEnded = false;
  #closed = false;
  #endedByReset = false;
  #contentLength: number | null;
  #received = 0;

  constructor(host: StreamHost, init: StreamInit) {
    this.#host = host;
    this.id = init.id;
    this.headers = init.headers;
    this.peer = init.peer;
    this.connectionId = init.connectionId;
    this.#recv = new RecvWindow(init.recvWindow);
    this.#sendWindow = init.sendWindow;
    this.#contentLength = init.contentLength;
    this.body = new BodyQueue((n) => this.#release(n));
    if (init.endStream) this.#remoteEnd();
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** Ended by a RST_STREAM (either side's): late frames from the peer are to be ignored. */
  get endedByReset(): boolean {
    return this.#endedByReset;
  }

  /** Closed on both sides or reset. */
  get isClosed(): boolean {
    return this.#closed;
  }

  sendHeaders(fields: readonly HeaderField[], opts: { endStream?: boolean } = {}): void {
    if (this.#closed) return;
    if (this.#localEnded) throw new Error(`Stream ${this.id} already ended`);
    const endStream = opts.endStream ?? false;
    this.#localEnded = endStream;
    this.#queue.push({ kind: "headers", fields, endStream, settle: null });
    this.#host.schedule(this);
  }

  sendData(data: Uint8Array | readonly Uint8Array[]): Promise<void> {
    if (this.#closed) return Promise.reject(this.#abortError());
    if (this.#localEnded) return Promise.reject(new Error(`Stream ${this.id} already ended`));
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    this.#queue.push(dataItem(data, { resolve, reject }));
    this.#host.schedule(this);
    return promise;
  }

  sendTrailers(fields: readonly HeaderField[]): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (this.#localEnded) return Promise.reject(new Error(`Stream ${this.id} already ended`));
    this.#localEnded = true;
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    this.#queue.push({ kind: "headers", fields, endStream: true, settle: { resolve, reject } });
    this.#host.schedule(this);
    return promise;
  }

  reset(errorCode: number): void {
    if (this.#closed) return;
    this.#host.write(encodeReset(this.id, errorCode));
    this.#close(new StreamAbortedError(errorCode, `Stream ${this.id} reset by the server`));
  }

  /**
   * A DATA frame arrived: `flowLength` counts padding too.
   * @throws Http2StreamError on a window overrun, DATA after END_STREAM or a content-length mismatch
   */
  onData(data: Uint8Array, flowLength: number, endStream: boolean): void {
    this.#accept(data.length, flowLength, endStream);
    if (data.length > 0) this.body.push(data);
    if (endStream) this.#remoteEnd();
  }

  /**
   * The head of an unpadded DATA frame of `length` bytes whose payload follows in pieces (`body.push`, or
   * `body.target` + `body.placed`), then {@link onDataEnd}. Checked as {@link onData} checks a whole frame.
   * @throws Http2StreamError as {@link onData}
   */
  onDataStart(length: number, endStream: boolean): void {
    this.#accept(length, length, endStream);
  }

  /** The last piece of a DATA frame begun with {@link onDataStart} was delivered. */
  onDataEnd(endStream: boolean): void {
    if (endStream && !this.#closed) this.#remoteEnd();
  }

  #accept(dataLength: number, flowLength: number, endStream: boolean): void {
    if (this.#remoteClosed) {
      throw new Http2StreamError(this.id, ErrorCode.STREAM_CLOSED, "DATA after END_STREAM");
    }
    if (!this.#recv.receive(flowLength)) {
      throw new Http2StreamError(this.id, ErrorCode.FLOW_CONTROL_ERROR, "DATA beyond the stream window");
    }
    if (flowLength > dataLength) this.#release(flowLength - dataLength);
    this.#received += dataLength;
    if (
      this.#contentLength !== null && (this.#received > this.#contentLength ||
        (endStream && this.#received !== this.#contentLength))
    ) {
      throw new Http2StreamError(
        this.id,
        ErrorCode.PROTOCOL_ERROR,
        "Body length differs from content-length",
      );
    }
  }

  /** Trailers (HEADERS with END_STREAM) arrived. @throws Http2StreamError when the stream already ended */
  onTrailers(): void {
    if (this.#remoteClosed) {
      throw new Http2StreamError(this.id, ErrorCode.STREAM_CLOSED, "HEADERS after END_STREAM");
    }
    if (this.#contentLength !== null && this.#received !== this.#contentLength) {
      throw new Http2StreamError(
        this.id,
        ErrorCode.PROTOCOL_ERROR,
        "Body length differs from content-length",
      );
    }
    this.#remoteEnd();
  }

  /** RST_STREAM from the peer. */
  onPeerReset(code: number): void {
    this.#close(new StreamAbortedError(code, `Stream ${this.id} reset by the peer`));
  }

  /** WINDOW_UPDATE for this stream. @throws Http2StreamError when the window passes 2^31 - 1 */
  onWindowUpdate(increment: number): void {
    const grown = growSendWindow(this.#sendWindow, increment);
    if (grown === null) {
      throw new Http2StreamError(this.id, ErrorCode.FLOW_CONTROL_ERROR, "Stream window above 2^31-1");
    }
    this.#sendWindow = grown;
    if (!this.#queue.isEmpty) this.#host.schedule(this);
  }

  /** SETTINGS_INITIAL_WINDOW_SIZE changed by `delta`. @returns false when the window passes 2^31 - 1 */
  adjustSendWindow(delta: number): boolean {
    const grown = growSendWindow(this.#sendWindow, delta);
    if (grown === null) return false;
    this.#sendWindow = grown;
    if (delta > 0 && !this.#queue.isEmpty) this.#host.schedule(this);
    return true;
  }

  /** True when the next item can be written now given `connWindow`. */
  canSend(connWindow: number): boolean {
    const item = this.#queue.peek();
    if (!item) return false;
    if (item.kind === "headers" || item.remaining === 0) return true;
    return this.#sendWindow > 0 && connWindow > 0;
  }

  /** True when the next item is DATA that only the connection window holds back. */
  waitsForConnection(connWindow: number): boolean {
    const item = this.#queue.peek();
    return item?.kind === "data" && item.remaining > 0 && this.#sendWindow > 0 && connWindow <= 0;
  }

  /** True when something waits to be sent. */
  get hasQueued(): boolean {
    return !this.#queue.isEmpty;
  }

  /**
   * Writes queued header blocks and at most one DATA frame of up to `maxFrame` bytes within both windows.
   * @returns flow-controlled bytes written (the caller takes them off the connection window)
   */
  flush(connWindow: number, maxFrame: number): number {
    let sent = 0;
    for (let item = this.#queue.peek(); item && !this.#closed; item = this.#queue.peek()) {
      if (item.kind === "headers") {
        this.#queue.shift();
        this.#host.write(this.#host.encodeHeaders(this.id, item.fields, item.endStream));
        if (item.settle) this.#host.flushed().then(item.settle.resolve, item.settle.reject);
        if (item.endStream) this.#localEnd();
        continue;
      }
      if (item.remaining > 0) {
        const n = Math.min(item.remaining, this.#sendWindow, connWindow, maxFrame);
        if (sent > 0 || n <= 0) break;
        this.#writeData(item, n);
        sent = n;
        if (item.remaining > 0) break;
      }
      this.#queue.shift();
      this.#host.flushed().then(item.settle.resolve, item.settle.reject);
    }
    return sent;
  }

  /** The connection is gone (or the stream refused by GOAWAY): everything fails with `err`. */
  abort(err: StreamAbortedError): void {
    this.#close(err);
  }

  /** The read buffer `buffer` is retired: copy queued body views out of it. */
  retire(buffer: ArrayBufferLike): void {
    this.body.retire(buffer);
  }

  #writeData(item: DataItem, n: number): void {
    const head = new Uint8Array(FRAME_HEADER_BYTES);
    writeFrameHead(head, 0, { length: n, type: FrameType.DATA, flags: 0, streamId: this.id });
    this.#host.write(head);
    const views: Uint8Array[] = [];
    takeBytes(item, n, views);
    for (const v of views) this.#host.write(v);
    this.#sendWindow -= n;
  }

  #release(n: number): void {
    if (!this.#remoteClosed && !this.#closed) {
      const increment = this.#recv.release(n);
      if (increment > 0) this.#host.write(encodeWindowUpdate(this.id, increment));
    }
    this.#host.releaseConnection(n);
  }

  #remoteEnd(): void {
    this.#remoteClosed = true;
    this.body.end();
  }

  /** END_STREAM written: done unless the peer is still sending, which RST_STREAM(NO_ERROR) stops. */
  #localEnd(): void {
    if (!this.#remoteClosed) {
      this.#endedByReset = true;
      this.#host.write(encodeReset(this.id, ErrorCode.NO_ERROR));
      this.body.fail(new StreamAbortedError(ErrorCode.NO_ERROR, `Stream ${this.id} ended by the server`));
    }
    this.#closed = true;
    this.#host.closed(this);
  }

  #close(err: StreamAbortedError): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#endedByReset = true;
    this.body.fail(err);
    this.#queue.clear(err);
    this.#abort.abort(err);
    this.#host.closed(this);
  }

  #abortError(): Error {
    return this.#abort.signal.reason instanceof Error
      ? this.#abort.signal.reason
      : new StreamAbortedError(ErrorCode.CANCEL, `Stream ${this.id} closed`);
  }
}
