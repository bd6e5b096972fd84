/**
 * One HTTP/2 server connection: TLS ALPN check, preface and SETTINGS exchange, the read loop, send
 * scheduling, the connection window, keepalive and idle timeouts, two-step GOAWAY, and the end of the
 * connection on protocol errors (GOAWAY with the error code, then close). Frame-by-frame handling of
 * what the peer sends lives in ./inbound.ts. Knows nothing of gRPC. Must not import server.ts.
 *
 * @module
 */

import type { Logger } from "../../../log.ts";
import { FramedRead } from "../codec/framed_read.ts";
import { FramedWrite } from "../codec/framed_write.ts";
import { encodeGoAway } from "../frame/go_away.ts";
import { CLIENT_PREFACE, MAX_STREAM_ID } from "../frame/head.ts";
import { encodeHeaderBlock } from "../frame/headers.ts";
import { ErrorCode, errorCodeName, Http2ConnectionError } from "../frame/reason.ts";
import { encodeSettings } from "../frame/settings.ts";
import { encodeWindowUpdate } from "../frame/window_update.ts";
import { type HeaderField, HpackDecoder, HpackEncoder } from "../hpack/mod.ts";
import type { Http2Limits } from "../limits.ts";
import { Budget } from "./budget.ts";
import { Inbound } from "./inbound.ts";
import { PingPong } from "./ping_pong.ts";
import { localSettings, PeerSettings } from "./settings.ts";
import { RecvWindow } from "./streams/flow_control.ts";
import { StreamAbortedError } from "./streams/recv.ts";
import { StreamStore } from "./streams/store.ts";
import type { Http2ServerStream } from "./streams/server_stream.ts";
import type { ServerStream, StreamHost } from "./streams/stream.ts";

/** How a connection is set up. */
export interface ConnectionOptions {
  limits: Readonly<Http2Limits>;
  log: Logger;
  /** "127.0.0.1:54321" / "[::1]:54321". */
  peer: string;
  /** Unique among the server's connections over its lifetime (see `Http2ServerStream.connectionId`). */
  connectionId: number;
  /** Called once per accepted request stream. */
  onStream: (stream: Http2ServerStream) => void;
}

/** Shared state the inbound frame handlers work on. */
export interface ConnectionState {
  readonly limits: Readonly<Http2Limits>;
  readonly log: Logger;
  readonly peer: string;
  readonly connectionId: number;
  readonly onStream: (stream: Http2ServerStream) => void;
  readonly streams: StreamStore;
  readonly decoder: HpackDecoder;
  readonly encoder: HpackEncoder;
  readonly peerSettings: PeerSettings;
  readonly recvWindow: RecvWindow;
  readonly resets: Budget;
  readonly controlFrames: Budget;
  readonly pings: PingPong;
  readonly host: StreamHost;
  /** Connection send window (may go negative after a SETTINGS change). */
  sendWindow: number;
  /** Streams above this id are refused (set by the final GOAWAY). */
  acceptUpTo: number;
  /** The peer sent GOAWAY: close once the open streams are done. */
  peerGoneAway: boolean;
  /** Writes, pumps and finishes as the connection needs. */
  readonly conn: Connection;
}

const PUMP_FLOOR_BYTES = 256 * 1024;

/** The server side of one HTTP/2 connection. */
export class Connection implements StreamHost {
  readonly #socket: Deno.Conn;
  readonly #reader: FramedRead;
  readonly #writer: FramedWrite;
  readonly #state: ConnectionState;
  readonly #inbound: Inbound;
  readonly #createdMs = performance.now();
  #handshakeDone = false;
  #closing = false;
  /** 0: serving; 1: first GOAWAY and PING sent; 2: final GOAWAY sent. */
  #shutdownPhase = 0;
  #lastBusyMs = performance.now();
  #readResume: (() => void) | null = null;
  #pumpRoom: number;

  constructor(socket: Deno.Conn, opts: ConnectionOptions) {
    const { limits } = opts;
    this.#socket = socket;
    this.#reader = new FramedRead(socket, {
      maxFrameSize: limits.maxFrameSize,
      maxHeaderBlockBytes: 2 * limits.maxHeaderListSize,
      maxContinuationFrames: limits.maxContinuationFrames,
      initialBufferBytes: 64 * 1024,
      maxBufferBytes: limits.maxReadBufferBytes,
    });
    this.#writer = new FramedWrite(socket, () => this.#onWriteProgress());
    this.#pumpRoom = Math.max(PUMP_FLOOR_BYTES, limits.maxQueuedWriteBytes / 4);
    this.#state = {
      limits,
      log: opts.log,
      peer: opts.peer,
      connectionId: opts.connectionId,
      onStream: opts.onStream,
      streams: new StreamStore(),
      // Blocks up to twice the advertised list size decode, so that a slightly large one gets a 431.
      decoder: new HpackDecoder({
        maxDynamicTableSize: limits.maxDynamicTableSize,
        maxHeaderListSize: 2 * limits.maxHeaderListSize,
      }),
      encoder: new HpackEncoder(),
      peerSettings: new PeerSettings(),
      recvWindow: new RecvWindow(limits.connectionWindow),
      resets: new Budget(limits.resetBurst, limits.resetsPerSecond),
      controlFrames: new Budget(limits.controlFrameBurst, limits.controlFramesPerSecond),
      pings: new PingPong(),
      host: this,
      sendWindow: 65_535,
      acceptUpTo: MAX_STREAM_ID,
      peerGoneAway: false,
      conn: this,
    };
    this.#inbound = new Inbound(this.#state, {
      onHandshake: () => this.#handshakeDone = true,
      onShutdownPingAck: () => this.#finalGoAway(),
    });
  }

  /** Streams open on this connection. */
  get activeStreams(): number {
    return this.#state.streams.size;
  }

  /** Serves the connection until it closes. Never throws. */
  async serve(tls: boolean): Promise<void> {
    const log = this.#state.log;
    try {
      if (tls) {
        const { alpnProtocol } = await (this.#socket as Deno.TlsConn).handshake();
        if (alpnProtocol !== null && alpnProtocol !== "h2") {
          log.debug("tls peer chose another protocol", { alpnProtocol });
          return;
        }
      }
      this.write(encodeSettings(localSettings(this.#state.limits)));
      const extra = this.#state.limits.connectionWindow - 65_535;
      if (extra > 0) this.write(encodeWindowUpdate(0, extra));
      if (!await this.#reader.readPreface(CLIENT_PREFACE)) {
        log.debug("connection without the HTTP/2 preface");
        return;
      }
      await this.#reader.run(this.#inbound);
      log.debug("connection closed by the peer");
    } catch (err) {
      if (err instanceof Http2ConnectionError) await this.#fail(err);
      else if (!this.#closing) log.debug("connection failed", { err });
    } finally {
      this.#teardown(new StreamAbortedError(ErrorCode.CANCEL, "Connection lost"));
    }
  }

  /** Ends the connection for a protocol error: GOAWAY with its code, then close. */
  async #fail(err: Http2ConnectionError): Promise<void> {
    if (this.#closing) return;
    const fields = {
      code: errorCodeName(err.code),
      reason: err.message,
      lastStreamId: this.#state.streams.highestId,
    };
    if (err.code === ErrorCode.ENHANCE_YOUR_CALM) this.#state.log.warn("peer flooded the connection", fields);
    else this.#state.log.debug("peer broke the protocol", fields);
    await this.#goAwayAndClose(err.code, err.message);
  }

  /** Graceful close, step one: GOAWAY(2^31-1) and a PING; the final GOAWAY follows the PING's answer. */
  shutdown(): void {
    if (this.#closing || this.#shutdownPhase > 0) return;
    if (!this.#handshakeDone) return this.close();
    this.#shutdownPhase = 1;
    this.write(encodeGoAway(MAX_STREAM_ID, ErrorCode.NO_ERROR, "shutting down"));
    const ping = this.#state.pings.ping("shutdown", performance.now());
    if (ping) this.write(ping);
  }

  /** Closes now: open streams are aborted. */
  close(reason = "Server shutting down"): void {
    this.#teardown(new StreamAbortedError(ErrorCode.CANCEL, reason));
  }

  /** Timer check: handshake, idle and keepalive timeouts, shutdown PING fallback. */
  tick(nowMs: number): void {
    if (this.#closing) return;
    const { limits, streams, pings, log } = this.#state;
    if (!this.#handshakeDone) {
      if (nowMs - this.#createdMs > limits.handshakeTimeoutMs) {
        log.debug("handshake timed out");
        this.close("Handshake timed out");
      }
      return;
    }
    if (this.#shutdownPhase === 1 && pings.waitingMs("shutdown", nowMs) > 1000) this.#finalGoAway();
    if (pings.waitingMs("keepalive", nowMs) > limits.keepaliveTimeoutMs) {
      log.debug("keepalive ping unanswered");
      this.close("Peer unresponsive");
      return;
    }
    // Idle means no open stream for a while; PINGs do not keep a connection busy.
    if (streams.size > 0) this.#lastBusyMs = nowMs;
    if (streams.size === 0 && nowMs - this.#lastBusyMs > limits.idleTimeoutMs) {
      log.debug("idle connection closed");
      void this.#goAwayAndClose(ErrorCode.NO_ERROR, "idle");
    } else if (streams.size > 0 && nowMs - this.#reader.lastReadMs > limits.keepaliveIntervalMs) {
      const ping = pings.ping("keepalive", nowMs);
      if (ping) this.write(ping);
    }
  }

  // --- StreamHost ---

  write(bytes: Uint8Array): void {
    if (!this.#closing) this.#writer.enqueue(bytes);
  }

  encodeHeaders(streamId: number, fields: readonly HeaderField[], endStream: boolean): Uint8Array {
    const block = this.#state.encoder.encode(fields);
    return encodeHeaderBlock(streamId, block, {
      endStream,
      maxFrameSize: this.#state.peerSettings.maxFrameSize,
    });
  }

  flushed(): Promise<void> {
    return this.#writer.flushed();
  }

  schedule(stream: ServerStream): void {
    this.#state.streams.schedule(stream);
    this.pump();
  }

  releaseConnection(n: number): void {
    const increment = this.#state.recvWindow.release(n);
    if (increment > 0) this.write(encodeWindowUpdate(0, increment));
  }

  closed(stream: ServerStream): void {
    this.#state.streams.remove(stream, stream.endedByReset ? "reset" : "closed");
    this.#lastBusyMs = performance.now();
    if (this.#state.streams.size === 0) queueMicrotask(() => this.#finishIfDone());
  }

  // --- sending ---

  /** Writes what ready streams have, within the windows and the write-queue high-water mark. */
  pump(): void {
    const state = this.#state;
    if (this.#closing || !state.streams.hasReady) return;
    const maxFrame = Math.min(state.peerSettings.maxFrameSize, state.limits.maxSendFrameSize);
    const { bytes, frames } = state.streams.pump(
      state.sendWindow,
      maxFrame,
      () => this.#writer.queuedBytes < this.#pumpRoom,
    );
    state.sendWindow -= bytes;
    // A peer acknowledging each DATA frame with WINDOW_UPDATEs (stream and connection) stays in budget.
    if (frames > 0) state.controlFrames.earn(2 * frames);
  }

  /** Read-side backpressure: stop reading while the peer does not read what we queued. */
  beforeRead(): Promise<void> | undefined {
    if (this.#writer.queuedBytes <= this.#state.limits.maxQueuedWriteBytes) return undefined;
    return new Promise((resolve) => this.#readResume = resolve);
  }

  #onWriteProgress(): void {
    if (this.#readResume && this.#writer.queuedBytes <= this.#state.limits.maxQueuedWriteBytes / 2) {
      const resume = this.#readResume;
      this.#readResume = null;
      resume();
    }
    this.pump();
  }

  // --- ending ---

  #finalGoAway(): void {
    if (this.#shutdownPhase !== 1 || this.#closing) return;
    this.#shutdownPhase = 2;
    this.#state.acceptUpTo = this.#state.streams.highestId;
    this.write(encodeGoAway(this.#state.acceptUpTo, ErrorCode.NO_ERROR, "shutting down"));
    this.#finishIfDone();
  }

  #finishIfDone(): void {
    if (this.#closing || this.#state.streams.size > 0) return;
    if (this.#shutdownPhase === 2 || this.#state.peerGoneAway) {
      void this.#writer.flushed().finally(() => this.close("Connection done"));
    }
  }

  async #goAwayAndClose(code: number, message: string): Promise<void> {
    if (this.#closing) return;
    this.#writer.enqueue(encodeGoAway(this.#state.streams.highestId, code, message));
    this.#closing = true;
    this.#abortStreams(new StreamAbortedError(code, `Connection error: ${message}`));
    const timer = setTimeout(() => this.#writer.fail(new Error("GOAWAY not written in time")), 1000);
    await this.#writer.flushed().then(
      () => clearTimeout(timer),
      (err) => this.#state.log.debug("GOAWAY not written", { err }),
    );
    clearTimeout(timer);
    this.#teardown(new StreamAbortedError(code, message));
  }

  #abortStreams(err: StreamAbortedError): void {
    for (const stream of [...this.#state.streams.values()]) stream.abort(err);
  }

  #teardown(err: StreamAbortedError): void {
    this.#abortStreams(err);
    if (this.#socketClosed) return;
    this.#closing = true;
    this.#socketClosed = true;
    this.#writer.fail(err);
    this.#readResume?.();
    try {
      this.#socket.close();
    } catch (e) {
      if (!(e instanceof Deno.errors.BadResource)) throw e;
    }
    this.#closedResolvers.resolve();
  }

  #socketClosed = false;
  #closedResolvers = Promise.withResolvers<void>();

  /** Resolves once the socket is closed. */
  get done(): Promise<void> {
    return this.#closedResolvers.promise;
  }
}
