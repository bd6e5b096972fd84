/**
 * Our HTTP/2 client (RFC 9113): one plain-TCP connection (`Deno.connect`, h2c with prior knowledge)
 * carrying request streams, on the same framing, HPACK and frame codecs as the server. What a client needs
 * and no more: no TLS (Deno's rustls refuses the self-signed CA certificates OpenSSL-based peers accept, so
 * the Flight client keeps grpc-js for `grpc+tls://`), no server push (refused in our SETTINGS), no
 * priorities; the server's SETTINGS_MAX_CONCURRENT_STREAMS is respected by queueing requests.
 *
 * Flow control: the connection window is given back as DATA arrives (a slow stream never blocks the
 * others); a stream's window only as its consumer says it took the bytes (`ClientStream.release`), so a
 * reader that stops reading holds the server back after one window. Sending waits for the peer's
 * windows and for the socket to take what was queued beyond {@link SEND_QUEUE_BYTES}.
 *
 * Knows nothing of gRPC or Flight: must not import src/transport/grpc/ or src/flight/.
 *
 * @module
 */
import { FramedRead, type FrameSink } from "./codec/framed_read.ts";
import { FramedWrite } from "./codec/framed_write.ts";
import { parseData, writeDataHead } from "./frame/data.ts";
import { encodeGoAway, parseGoAway } from "./frame/go_away.ts";
import {
  CLIENT_PREFACE,
  Flag,
  FRAME_HEADER_BYTES,
  type FrameHead,
  FrameType,
  MAX_WINDOW,
} from "./frame/head.ts";
import { encodeHeaderBlock, type HeadersFrame } from "./frame/headers.ts";
import { encodePing, parsePing } from "./frame/ping.ts";
import { ErrorCode, errorCodeName } from "./frame/reason.ts";
import { encodeReset, parseReset } from "./frame/reset.ts";
import { encodeSettings, encodeSettingsAck, parseSettings, SettingId } from "./frame/settings.ts";
import { encodeWindowUpdate, parseWindowUpdate } from "./frame/window_update.ts";
import { type HeaderField, HpackDecoder, HpackEncoder } from "./hpack/mod.ts";
import { PeerSettings } from "./proto/settings.ts";

/** Receive window of each stream and of the connection: what a server may send ahead of the reading. */
const RECV_WINDOW = 8 * 1024 * 1024;
/** Largest frame we accept (the server sends DATA frames up to this). */
const MAX_RECV_FRAME = 1024 * 1024;
/** Largest response header list accepted. */
const MAX_HEADER_LIST = 1024 * 1024;
/** Bytes queued for the socket past which a sender waits for it. */
const SEND_QUEUE_BYTES = 4 * 1024 * 1024;

/** How to reach the server: plain TCP with prior knowledge (h2c). */
export interface Http2ClientOptions {
  hostname: string;
  port: number;
}

/** What a stream's consumer is told. Views passed in are valid only during the call. */
export interface StreamSink {
  /** A header block: the response headers, then (with `endStream`) the trailers. */
  onHeaders(fields: HeaderField[], endStream: boolean): void;
  /** Where up to `max` next DATA bytes may be read straight from the socket, or null. */
  dataTarget(max: number): Uint8Array | null;
  /** `n` DATA bytes were written at the start of the last target. */
  onDataPlaced(n: number): void;
  /** DATA bytes, as a view of the read buffer. */
  onData(bytes: Uint8Array): void;
  /** The server ended the stream (END_STREAM on DATA; after trailers `onHeaders` said so). */
  onEnd(): void;
  /** The stream ended without a proper end: reset by the server, or the connection was lost. */
  onAbort(reason: StreamAbort): void;
}

/** Why a stream ended early. */
export interface StreamAbort {
  /** An HTTP/2 error code when the server reset the stream or went away; null when the connection broke. */
  code: number | null;
  message: string;
}

/** A request stream. */
export interface ClientStream {
  readonly id: number;
  /** Sends `pieces` as DATA (END_STREAM on the last frame when `endStream`), within the peer's windows. */
  send(pieces: readonly Uint8Array[], endStream: boolean): Promise<void>;
  /** The consumer took `n` DATA bytes: the server may send that much more. */
  release(n: number): void;
  /** Resets the stream (CANCEL) unless it has ended. */
  cancel(): void;
}

interface OpenStream extends ClientStream {
  sink: StreamSink;
  sendWindow: number;
  /** DATA bytes released and not yet announced in a WINDOW_UPDATE. */
  unannounced: number;
  /** The request has ended: no more `send`. */
  ended: boolean;
  /** END_STREAM is queued for the socket. */
  endSent: boolean;
}

/** One client connection. */
export class Http2ClientConnection {
  readonly #conn: Deno.Conn;
  readonly #reader: FramedRead;
  readonly #writer: FramedWrite;
  readonly #encoder = new HpackEncoder();
  readonly #decoder = new HpackDecoder({ maxDynamicTableSize: 4096, maxHeaderListSize: MAX_HEADER_LIST });
  readonly #peer = new PeerSettings();
  readonly #streams = new Map<number, OpenStream>();
  #nextId = 1;
  #connSendWindow = 65_535;
  /** Connection-level DATA bytes received and not yet announced. */
  #connUnannounced = 0;
  /** The stream a DATA frame delivered in pieces belongs to (null: a stream we no longer know). */
  #current: OpenStream | null = null;
  /** Senders waiting for window or socket room. */
  #waiters: (() => void)[] = [];
  #failure: StreamAbort | null = null;
  #goneAway = false;
  /** The server's SETTINGS_MAX_CONCURRENT_STREAMS (unlimited until it says). */
  #maxStreams = Infinity;
  /** Requests waiting for a stream slot. */
  #slotWaiters: (() => void)[] = [];
  readonly #done: Promise<void>;

  private constructor(conn: Deno.Conn) {
    this.#conn = conn;
    this.#writer = new FramedWrite(conn, () => this.#wake());
    this.#reader = new FramedRead(conn, {
      maxFrameSize: MAX_RECV_FRAME,
      maxHeaderBlockBytes: MAX_HEADER_LIST,
      maxContinuationFrames: 256,
      initialBufferBytes: 64 * 1024,
      maxBufferBytes: 2 * MAX_RECV_FRAME,
    });
    this.#writer.enqueue(CLIENT_PREFACE);
    this.#writer.enqueue(encodeSettings([
      [SettingId.ENABLE_PUSH, 0],
      [SettingId.INITIAL_WINDOW_SIZE, RECV_WINDOW],
      [SettingId.MAX_FRAME_SIZE, MAX_RECV_FRAME],
      [SettingId.MAX_HEADER_LIST_SIZE, MAX_HEADER_LIST],
    ]));
    this.#writer.enqueue(encodeWindowUpdate(0, RECV_WINDOW - 65_535));
    this.#done = this.#read();
  }

  /** Connects and sends the preface; requests may start at once. @throws Deno errors of the connect */
  static async connect(opts: Http2ClientOptions): Promise<Http2ClientConnection> {
    const conn = await Deno.connect({ hostname: opts.hostname, port: opts.port });
    if ("setNoDelay" in conn) (conn as Deno.TcpConn).setNoDelay(true);
    return new Http2ClientConnection(conn);
  }

  /** Whether new streams can no longer be opened (the connection failed, closed or the server went away). */
  get closed(): boolean {
    return this.#failure !== null || this.#goneAway;
  }

  /** Whether the connection keeps the process alive (as `Deno.Conn.ref()`); it does at first. */
  ref(on: boolean): void {
    if (on) this.#conn.ref();
    else this.#conn.unref();
  }

  /**
   * Opens a stream with a request header block, once the server's SETTINGS_MAX_CONCURRENT_STREAMS
   * allows one more (until then the request waits here, in order).
   * @throws Error when the connection is closed
   */
  async request(
    fields: readonly HeaderField[],
    sink: StreamSink,
    opts: { endStream: boolean },
  ): Promise<ClientStream> {
    while (!this.closed && this.#streams.size >= this.#maxStreams) {
      await new Promise<void>((resolve) => this.#slotWaiters.push(resolve));
    }
    if (this.closed) throw new Error(this.#failure?.message ?? "Cannot open a stream: the server went away");
    const id = this.#nextId;
    this.#nextId += 2;
    const stream: OpenStream = {
      id,
      sink,
      sendWindow: this.#peer.initialWindow,
      unannounced: 0,
      ended: opts.endStream,
      endSent: opts.endStream,
      send: (pieces, endStream) => this.#send(stream, pieces, endStream),
      release: (n) => this.#release(stream, n),
      cancel: () => {
        if (!this.#streams.has(id)) return;
        this.#streams.delete(id);
        this.#writer.enqueue(encodeReset(id, ErrorCode.CANCEL));
        this.#wake();
      },
    };
    this.#streams.set(id, stream);
    const block = this.#encoder.encode(fields);
    this.#writer.enqueue(
      encodeHeaderBlock(id, block, { endStream: opts.endStream, maxFrameSize: this.#peer.maxFrameSize }),
    );
    return stream;
  }

  /** Sends GOAWAY and closes the socket once it is written; open streams are aborted. Idempotent. */
  async close(): Promise<void> {
    if (this.#failure === null) {
      this.#writer.enqueue(encodeGoAway(0, ErrorCode.NO_ERROR));
      await this.#writer.flushed().catch(() => {});
      this.#fail({ code: null, message: "Connection closed by the client" });
    }
    await this.#done;
  }

  async #send(stream: OpenStream, pieces: readonly Uint8Array[], endStream: boolean): Promise<void> {
    const queue = pieces.filter((p) => p.length > 0);
    if (stream.ended) throw new Error(`Cannot send on stream ${stream.id}: its request has ended`);
    if (endStream) stream.ended = true;
    if (queue.length === 0 && endStream) {
      this.#enqueueData(stream, [], 0, true);
      return;
    }
    for (let i = 0; i < queue.length; i++) {
      let piece = queue[i];
      while (piece.length > 0) {
        await this.#room(stream);
        const n = Math.min(piece.length, this.#peer.maxFrameSize, stream.sendWindow, this.#connSendWindow);
        stream.sendWindow -= n;
        this.#connSendWindow -= n;
        const last = endStream && i === queue.length - 1 && n === piece.length;
        this.#enqueueData(stream, [piece.subarray(0, n)], n, last);
        piece = piece.subarray(n);
      }
    }
  }

  #enqueueData(stream: OpenStream, parts: Uint8Array[], length: number, endStream: boolean): void {
    const head = new Uint8Array(FRAME_HEADER_BYTES);
    writeDataHead(head, 0, { length, streamId: stream.id, endStream });
    if (endStream) stream.endSent = true;
    this.#writer.enqueue(head);
    for (const p of parts) this.#writer.enqueue(p);
  }

  /** Waits until the stream may send a byte and the socket's queue has room. */
  async #room(stream: OpenStream): Promise<void> {
    for (;;) {
      this.#check(stream);
      if (stream.sendWindow > 0 && this.#connSendWindow > 0 && this.#writer.queuedBytes < SEND_QUEUE_BYTES) {
        return;
      }
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  #check(stream: OpenStream): void {
    if (this.#failure) throw new Error(this.#failure.message);
    if (!this.#streams.has(stream.id)) throw new Error(`Cannot send on stream ${stream.id}: it has ended`);
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
    let free = this.closed ? Infinity : this.#maxStreams - this.#streams.size;
    while (free-- > 0 && this.#slotWaiters.length > 0) this.#slotWaiters.shift()!();
  }

  #release(stream: OpenStream, n: number): void {
    if (!this.#streams.has(stream.id) || n <= 0) return;
    stream.unannounced += n;
    if (stream.unannounced >= RECV_WINDOW / 4) {
      this.#writer.enqueue(encodeWindowUpdate(stream.id, stream.unannounced));
      stream.unannounced = 0;
    }
  }

  /** Connection-level accounting of received DATA (given back at once). */
  #received(n: number): void {
    this.#connUnannounced += n;
    if (this.#connUnannounced >= RECV_WINDOW / 4) {
      this.#writer.enqueue(encodeWindowUpdate(0, this.#connUnannounced));
      this.#connUnannounced = 0;
    }
  }

  async #read(): Promise<void> {
    let reason: StreamAbort = { code: null, message: "Connection closed by the server" };
    try {
      await this.#reader.run(this.#sink());
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      reason = {
        code: null,
        message: `Connection failed: ${err instanceof Error ? err.message : String(err)}`,
      };
      if (typeof code === "number" && this.#failure === null) {
        this.#writer.enqueue(encodeGoAway(0, code, reason.message));
        await this.#writer.flushed().catch(() => {});
      }
    }
    this.#fail(reason);
  }

  #fail(reason: StreamAbort): void {
    if (this.#failure === null) this.#failure = reason;
    this.#writer.fail(new Error(reason.message));
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
    const streams = [...this.#streams.values()];
    this.#streams.clear();
    for (const s of streams) s.sink.onAbort(reason);
    this.#wake();
  }

  #endStream(stream: OpenStream): void {
    if (!this.#streams.delete(stream.id)) return;
    // The server answered before the whole request was sent: without its END_STREAM or a reset the
    // stream would stay open on the server's side, holding one of its concurrent streams.
    if (!stream.endSent) this.#writer.enqueue(encodeReset(stream.id, ErrorCode.CANCEL));
    stream.sink.onEnd();
    this.#wake(); // a sender of this stream sees it ended
    if (this.#goneAway && this.#streams.size === 0) {
      this.#fail({ code: null, message: "The server went away" });
    }
  }

  #sink(): FrameSink {
    return {
      onFrame: (head, payload) => this.#onFrame(head, payload),
      onDataStart: (head) => {
        this.#current = this.#streams.get(head.streamId) ?? null;
      },
      dataTarget: (max) => this.#current?.sink.dataTarget(max) ?? null,
      onDataPlaced: (n) => {
        this.#received(n);
        this.#current?.sink.onDataPlaced(n);
      },
      onDataPiece: (piece) => {
        this.#received(piece.length);
        this.#current?.sink.onData(piece);
      },
      onDataEnd: (head) => {
        const stream = this.#current;
        this.#current = null;
        if (stream && (head.flags & Flag.END_STREAM) !== 0) this.#endStream(stream);
      },
      onHeaderBlock: (head, frame, block) => this.#onHeaders(head, frame, block),
      onBufferRetired: () => {},
      beforeRead: () => undefined,
    };
  }

  #onHeaders(head: FrameHead, frame: HeadersFrame, block: Uint8Array): void {
    const fields = this.#decoder.decode(block); // always: the table must stay in step
    const stream = this.#streams.get(head.streamId);
    if (!stream) return;
    stream.sink.onHeaders(fields, frame.endStream);
    if (frame.endStream) this.#endStream(stream);
  }

  #onFrame(head: FrameHead, payload: Uint8Array): void {
    switch (head.type) {
      case FrameType.DATA: {
        this.#received(head.length);
        const { data, endStream } = parseData(head, payload);
        const stream = this.#streams.get(head.streamId);
        if (!stream) return;
        if (data.length > 0) stream.sink.onData(data);
        if (endStream) this.#endStream(stream);
        return;
      }
      case FrameType.SETTINGS: {
        const frame = parseSettings(head, payload);
        if (frame.ack) return;
        for (const [id, value] of frame.settings) {
          if (id === SettingId.MAX_CONCURRENT_STREAMS) this.#maxStreams = value;
        }
        const delta = this.#peer.apply(frame.settings);
        if (delta !== 0) { for (const s of this.#streams.values()) s.sendWindow += delta; }
        if (this.#peer.headerTableSize !== null) {
          this.#encoder.setMaxDynamicTableSize(this.#peer.headerTableSize);
        }
        this.#writer.enqueue(encodeSettingsAck());
        this.#wake();
        return;
      }
      case FrameType.PING: {
        const ping = parsePing(head, payload);
        if (!ping.ack) this.#writer.enqueue(encodePing(ping.data.slice(), true));
        return;
      }
      case FrameType.WINDOW_UPDATE: {
        const increment = parseWindowUpdate(head, payload);
        if (head.streamId === 0) {
          this.#connSendWindow = Math.min(MAX_WINDOW, this.#connSendWindow + increment);
        } else {
          const stream = this.#streams.get(head.streamId);
          if (stream) stream.sendWindow = Math.min(MAX_WINDOW, stream.sendWindow + increment);
        }
        this.#wake();
        return;
      }
      case FrameType.RST_STREAM: {
        const code = parseReset(head, payload);
        const stream = this.#streams.get(head.streamId);
        if (!stream) return;
        this.#streams.delete(head.streamId);
        stream.sink.onAbort({ code, message: `Stream reset by the server (${errorCodeName(code)})` });
        this.#wake();
        return;
      }
      case FrameType.GOAWAY: {
        const { lastStreamId, errorCode } = parseGoAway(head, payload);
        this.#goneAway = true;
        const reason = { code: errorCode, message: `The server went away (${errorCodeName(errorCode)})` };
        for (const [id, stream] of this.#streams) {
          if (id <= lastStreamId) continue;
          this.#streams.delete(id);
          stream.sink.onAbort(reason); // never processed: safe to retry
        }
        if (this.#streams.size === 0) this.#fail(reason);
        this.#wake();
        return;
      }
      default:
        return; // PRIORITY, PUSH_PROMISE (refused by our SETTINGS: the server never sends one), unknown
    }
  }
}
