/**
 * What the peer sends, frame by frame: SETTINGS (and their ack), PING answers, WINDOW_UPDATE, DATA into
 * stream bodies, request HEADERS into new streams (id rules, concurrency cap, header checks, 431),
 * RST_STREAM, GOAWAY; the flood budgets are charged here. Stream errors become RST_STREAM; connection
 * errors are thrown to the connection. Must not import server.ts.
 *
 * @module
 */

import type { FrameSink } from "../codec/framed_read.ts";
import { parseGoAway } from "../frame/go_away.ts";
import { type FrameHead, FrameType, MAX_WINDOW } from "../frame/head.ts";
import type { HeadersFrame } from "../frame/headers.ts";
import { encodePing, parsePing } from "../frame/ping.ts";
import { checkPriority } from "../frame/priority.ts";
import { ErrorCode, Http2ConnectionError, Http2StreamError } from "../frame/reason.ts";
import { encodeReset, parseReset } from "../frame/reset.ts";
import { encodeSettingsAck, parseSettings } from "../frame/settings.ts";
import { parseWindowUpdate } from "../frame/window_update.ts";
import { type HeaderField, HeaderListTooLargeError, HpackError } from "../hpack/mod.ts";
import type { ConnectionState } from "./connection.ts";
import { DataInbound } from "./inbound_data.ts";
import { contentLength, headerListSize, requestProblem, trailerProblem } from "./request_headers.ts";
import { StreamAbortedError } from "./streams/recv.ts";
import { ServerStream } from "./streams/stream.ts";

/** Connection events the inbound side reports. */
export interface InboundEvents {
  /** The peer's first SETTINGS arrived: the handshake is complete. */
  onHandshake(): void;
  /** The PING between the two shutdown GOAWAYs was answered. */
  onShutdownPingAck(): void;
}

/** Handles every frame the peer sends on one connection. */
export class Inbound implements FrameSink {
  #s: ConnectionState;
  #events: InboundEvents;
  #first = true;
  #data: DataInbound;

  constructor(state: ConnectionState, events: InboundEvents) {
    this.#s = state;
    this.#events = events;
    this.#data = new DataInbound(state, {
      control: () => this.#control(),
      lateFrame: (id, what) => this.#lateFrame(id, what),
      streamError: (err) => this.#streamError(err),
    });
  }

  beforeRead(): Promise<void> | undefined {
    return this.#s.conn.beforeRead();
  }

  onBufferRetired(old: ArrayBufferLike): void {
    for (const stream of this.#s.streams.values()) stream.retire(old);
  }

  onFrame(head: FrameHead, payload: Uint8Array): void {
    if (this.#first) this.#checkFirst(head);
    try {
      this.#dispatch(head, payload);
    } catch (err) {
      if (!(err instanceof Http2StreamError)) throw err;
      this.#streamError(err);
    }
  }

  onDataStart(head: FrameHead): void {
    if (this.#first) this.#checkFirst(head);
    this.#data.onStart(head);
  }

  dataTarget(max: number): Uint8Array | null {
    return this.#data.target(max);
  }

  onDataPlaced(n: number): void {
    this.#data.placed(n);
  }

  onDataPiece(piece: Uint8Array): void {
    this.#data.piece(piece);
  }

  onDataEnd(head: FrameHead): void {
    this.#data.end(head);
  }

  onHeaderBlock(head: FrameHead, frame: HeadersFrame, block: Uint8Array): void {
    if (this.#first) this.#checkFirst(head);
    const fields = this.#decode(block);
    try {
      this.#headers(head, frame, fields);
    } catch (err) {
      if (!(err instanceof Http2StreamError)) throw err;
      this.#streamError(err);
    }
  }

  #checkFirst(head: FrameHead): void {
    if (head.type !== FrameType.SETTINGS || head.flags !== 0) {
      throw new Http2ConnectionError(ErrorCode.PROTOCOL_ERROR, "First frame is not SETTINGS");
    }
    this.#first = false;
    this.#events.onHandshake();
  }

  #dispatch(head: FrameHead, payload: Uint8Array): void {
    switch (head.type) {
      case FrameType.DATA:
        return this.#data.onFrame(head, payload);
      case FrameType.RST_STREAM:
        return this.#reset(head, payload);
      case FrameType.SETTINGS:
        return this.#settings(head, payload);
      case FrameType.PING:
        return this.#ping(head, payload);
      case FrameType.WINDOW_UPDATE:
        return this.#windowUpdate(head, payload);
      case FrameType.GOAWAY:
        return this.#goAway(head, payload);
      case FrameType.PRIORITY:
        this.#control();
        return checkPriority(head, payload);
      case FrameType.PUSH_PROMISE:
        throw new Http2ConnectionError(ErrorCode.PROTOCOL_ERROR, "PUSH_PROMISE from a client");
      default:
        // Unknown frame types are ignored (RFC 9113 section 4.1) but cost budget.
        this.#control();
    }
  }

  #headers(head: FrameHead, frame: HeadersFrame, fields: HeaderField[]): void {
    const s = this.#s;
    const id = head.streamId;
    if (id % 2 === 0) {
      throw new Http2ConnectionError(ErrorCode.PROTOCOL_ERROR, `Client stream id ${id} is even`);
    }
    const open = s.streams.get(id);
    if (open) {
      if (!frame.endStream) {
        throw new Http2StreamError(id, ErrorCode.PROTOCOL_ERROR, "Second HEADERS without END_STREAM");
      }
      const problem = trailerProblem(fields);
      if (problem) throw new Http2StreamError(id, ErrorCode.PROTOCOL_ERROR, problem);
      return open.onTrailers();
    }
    if (id <= s.streams.highestId) return this.#lateFrame(id, "HEADERS");
    s.streams.highestId = id;
    if (frame.selfDependent) {
      throw new Http2StreamError(id, ErrorCode.PROTOCOL_ERROR, "Stream depends on itself");
    }
    if (id > s.acceptUpTo) return this.#refuse(id);
    if (s.streams.size >= s.limits.maxConcurrentStreams) return this.#refuse(id);
    if (headerListSize(fields) > s.limits.maxHeaderListSize) return this.#tooLarge(id, frame.endStream);
    const problem = requestProblem(fields);
    if (problem) throw new Http2StreamError(id, ErrorCode.PROTOCOL_ERROR, problem);
    const length = contentLength(fields);
    if (Number.isNaN(length)) {
      throw new Http2StreamError(id, ErrorCode.PROTOCOL_ERROR, "Invalid content-length");
    }
    const stream = new ServerStream(s.host, {
      id,
      headers: fields,
      peer: s.peer,
      connectionId: s.connectionId,
      recvWindow: s.limits.initialStreamWindow,
      sendWindow: s.peerSettings.initialWindow,
      endStream: frame.endStream,
      contentLength: length,
    });
    s.streams.add(stream);
    try {
      s.onStream(stream);
    } catch (err) {
      s.log.error("stream handler threw", { err, streamId: id });
      stream.reset(ErrorCode.INTERNAL_ERROR);
    }
  }

  #decode(block: Uint8Array): HeaderField[] {
    try {
      return this.#s.decoder.decode(block);
    } catch (err) {
      if (err instanceof HeaderListTooLargeError) {
        throw new Http2ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, "Header list far above the limit");
      }
      if (err instanceof HpackError) throw new Http2ConnectionError(ErrorCode.COMPRESSION_ERROR, err.message);
      throw err;
    }
  }

  /** A frame for a stream id that is not open: idle (error), recently reset (ignored) or closed. */
  #lateFrame(id: number, what: string): void {
    const s = this.#s;
    if (id > s.streams.highestId) {
      throw new Http2ConnectionError(ErrorCode.PROTOCOL_ERROR, `${what} on idle stream ${id}`);
    }
    const past = s.streams.past(id);
    if (past === "reset") return;
    if (what === "HEADERS") {
      throw past === "closed"
        ? new Http2ConnectionError(ErrorCode.STREAM_CLOSED, `HEADERS on closed stream ${id}`)
        : new Http2ConnectionError(
          ErrorCode.PROTOCOL_ERROR,
          `Stream id ${id} not above ${s.streams.highestId}`,
        );
    }
    throw new Http2StreamError(id, ErrorCode.STREAM_CLOSED, `${what} on closed stream ${id}`);
  }

  #refuse(id: number): void {
    this.#charge("Too many refused streams");
    this.#s.host.write(encodeReset(id, ErrorCode.REFUSED_STREAM));
    this.#s.streams.rememberReset(id);
  }

  /** Header list above SETTINGS_MAX_HEADER_LIST_SIZE (but decodable): 431 and end of stream. */
  #tooLarge(id: number, endStream: boolean): void {
    const s = this.#s;
    this.#charge("Too many rejected streams");
    s.host.write(s.host.encodeHeaders(id, [[":status", "431"]], true));
    if (!endStream) s.host.write(encodeReset(id, ErrorCode.NO_ERROR));
    s.streams.rememberReset(id);
  }

  #streamError(err: Http2StreamError): void {
    const s = this.#s;
    this.#charge("Too many stream errors");
    s.log.debug("stream error", { streamId: err.streamId, code: err.code, reason: err.message });
    const stream = s.streams.get(err.streamId);
    s.host.write(encodeReset(err.streamId, err.code));
    if (stream) stream.abort(new StreamAbortedError(err.code, err.message));
    s.streams.rememberReset(err.streamId);
  }

  #reset(head: FrameHead, payload: Uint8Array): void {
    const code = parseReset(head, payload);
    const s = this.#s;
    this.#charge("Too many stream resets");
    const stream = s.streams.get(head.streamId);
    if (stream) return stream.onPeerReset(code);
    if (head.streamId > s.streams.highestId) {
      throw new Http2ConnectionError(ErrorCode.PROTOCOL_ERROR, `RST_STREAM on idle stream ${head.streamId}`);
    }
  }

  #settings(head: FrameHead, payload: Uint8Array): void {
    this.#control();
    const frame = parseSettings(head, payload);
    if (frame.ack) return;
    const s = this.#s;
    const delta = s.peerSettings.apply(frame.settings);
    if (s.peerSettings.headerTableSize !== null) {
      s.encoder.setMaxDynamicTableSize(
        Math.min(s.peerSettings.headerTableSize, s.limits.maxDynamicTableSize),
      );
      s.peerSettings.headerTableSize = null;
    }
    // The ACK goes out before any DATA the new window allows: gRPC C++ clients (pyarrow) count a raised
    // window of theirs only once they see our ACK, and refuse DATA sent into it before.
    s.host.write(encodeSettingsAck());
    if (delta !== 0) {
      for (const stream of s.streams.values()) {
        if (!stream.adjustSendWindow(delta)) {
          throw new Http2ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "Stream window above 2^31-1");
        }
      }
    }
    s.conn.pump();
  }

  #ping(head: FrameHead, payload: Uint8Array): void {
    this.#control();
    const { ack, data } = parsePing(head, payload);
    if (!ack) return this.#s.host.write(encodePing(data, true));
    if (this.#s.pings.onAck(data) === "shutdown") this.#events.onShutdownPingAck();
  }

  #windowUpdate(head: FrameHead, payload: Uint8Array): void {
    this.#control();
    const increment = parseWindowUpdate(head, payload);
    const s = this.#s;
    if (head.streamId === 0) {
      if (s.sendWindow + increment > MAX_WINDOW) {
        throw new Http2ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "Connection window above 2^31-1");
      }
      s.sendWindow += increment;
      return s.conn.pump();
    }
    const stream = s.streams.get(head.streamId);
    if (stream) return stream.onWindowUpdate(increment);
    if (head.streamId > s.streams.highestId) {
      throw new Http2ConnectionError(
        ErrorCode.PROTOCOL_ERROR,
        `WINDOW_UPDATE on idle stream ${head.streamId}`,
      );
    }
  }

  #goAway(head: FrameHead, payload: Uint8Array): void {
    this.#control();
    const { errorCode } = parseGoAway(head, payload);
    const s = this.#s;
    s.log.debug("peer sent GOAWAY", { code: errorCode });
    s.peerGoneAway = true;
    if (s.streams.size === 0) queueMicrotask(() => s.conn.close("Peer went away"));
  }

  /** A frame that carries no request or body: flood budget. */
  #control(): void {
    if (!this.#s.controlFrames.take()) {
      throw new Http2ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, "Too many control frames");
    }
  }

  /** A stream reset (by the peer or by us because of the peer): Rapid Reset budget. */
  #charge(reason: string): void {
    if (!this.#s.resets.take()) throw new Http2ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, reason);
  }
}
