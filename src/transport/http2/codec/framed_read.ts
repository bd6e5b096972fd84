/**
 * Bytes to frames: reads the socket into a large buffer, checks the client preface, splits frames in
 * place (payloads are views, never copies), enforces the frame-size limit before a payload is read,
 * and reassembles HEADERS + CONTINUATION into one header block with a size and frame-count cap.
 * Knows nothing of streams or settings: it calls a {@link FrameSink}. Must not import proto/.
 *
 * Buffer policy: a buffer whose bytes were handed out as DATA views ("pinned") is never written over;
 * when its tail is too small a new buffer is taken, the partial frame copied across (the only copy),
 * and the sink is told so it can copy any views still queued (bounding memory a stalled body pins).
 * A buffer without handed-out views is compacted and reused.
 *
 * @module
 */

import { Flag, FRAME_HEADER_BYTES, type FrameHead, FrameType, readFrameHead } from "../frame/head.ts";
import { type HeadersFrame, parseHeaders } from "../frame/headers.ts";
import { ErrorCode, Http2ConnectionError } from "../frame/reason.ts";

/** The read half of a socket. */
export interface ByteReader {
  read(p: Uint8Array): Promise<number | null>;
}

/** Where frames go. Every call is synchronous; views are valid until `onBufferRetired` says otherwise. */
export interface FrameSink {
  /** One complete frame other than HEADERS and CONTINUATION; `payload` is a view of the read buffer. */
  onFrame(head: FrameHead, payload: Uint8Array): void;
  /** A complete header block (HEADERS plus any CONTINUATION); `block` is only valid during the call. */
  onHeaderBlock(head: FrameHead, frame: HeadersFrame, block: Uint8Array): void;
  /** The read buffer `old` will not be written again but DATA views into it may still be queued. */
  onBufferRetired(old: ArrayBufferLike): void;
  /** Awaited before each socket read when it returns a promise: read-side backpressure. */
  beforeRead(): Promise<void> | undefined;
}

/** Limits the reader enforces. */
export interface FramedReadOptions {
  /** Our SETTINGS_MAX_FRAME_SIZE: a longer frame is a FRAME_SIZE_ERROR. */
  maxFrameSize: number;
  /** Largest header block (HEADERS + CONTINUATION payloads) accepted: past it, ENHANCE_YOUR_CALM. */
  maxHeaderBlockBytes: number;
  /** Most CONTINUATION frames in one header block (empty ones included): past it, ENHANCE_YOUR_CALM. */
  maxContinuationFrames: number;
  /** First buffer size; it grows up to `maxBufferBytes` while reads fill it. */
  initialBufferBytes: number;
  maxBufferBytes: number;
}

interface PendingBlock {
  head: FrameHead;
  frame: HeadersFrame;
  bytes: Uint8Array;
  length: number;
  continuations: number;
}

/** Reads frames from one connection. */
export class FramedRead {
  #conn: ByteReader;
  #opts: FramedReadOptions;
  #buf: Uint8Array;
  #start = 0;
  #end = 0;
  #pinned = false;
  #nextSize: number;
  #block: PendingBlock | null = null;
  /** `performance.now()` of the last read that returned bytes. */
  lastReadMs = performance.now();
  /** Bytes read from the socket so far. */
  bytesRead = 0;

  constructor(conn: ByteReader, opts: FramedReadOptions) {
    this.#conn = conn;
    this.#opts = opts;
    this.#nextSize = opts.initialBufferBytes;
    this.#buf = new Uint8Array(opts.initialBufferBytes);
  }

  /** Reads and checks the 24-byte client preface. @returns false on EOF or a wrong preface */
  async readPreface(preface: Uint8Array): Promise<boolean> {
    while (this.#end < preface.length) {
      const n = await this.#conn.read(this.#buf.subarray(this.#end));
      if (n === null) return false;
      this.#account(n);
      for (let i = this.#end - n; i < Math.min(this.#end, preface.length); i++) {
        if (this.#buf[i] !== preface[i]) return false;
      }
    }
    this.#start = preface.length;
    return true;
  }

  /** The frame type of the next complete frame header, or -1 before 9 bytes are in. */
  peekType(): number {
    return this.#end - this.#start >= FRAME_HEADER_BYTES ? this.#buf[this.#start + 3] : -1;
  }

  /** Reads until EOF, dispatching frames to `sink`. @throws Http2ConnectionError on framing errors */
  async run(sink: FrameSink): Promise<void> {
    for (;;) {
      this.#dispatch(sink);
      const wait = sink.beforeRead();
      if (wait) await wait;
      this.#makeRoom(sink);
      const n = await this.#conn.read(this.#buf.subarray(this.#end));
      if (n === null) return;
      this.#account(n);
    }
  }

  /** Raises the frame-size limit (our SETTINGS_MAX_FRAME_SIZE once acknowledged). */
  setMaxFrameSize(size: number): void {
    this.#opts = { ...this.#opts, maxFrameSize: size };
  }

  #account(n: number): void {
    this.#end += n;
    this.bytesRead += n;
    this.lastReadMs = performance.now();
    if (this.#end === this.#buf.length && this.#nextSize < this.#opts.maxBufferBytes) {
      this.#nextSize = Math.min(this.#opts.maxBufferBytes, this.#nextSize * 4);
    }
  }

  /** Hands every complete frame in the buffer to the sink. */
  #dispatch(sink: FrameSink): void {
    const buf = this.#buf;
    while (this.#end - this.#start >= FRAME_HEADER_BYTES) {
      const head = readFrameHead(buf, this.#start);
      if (head.length > this.#opts.maxFrameSize) {
        throw new Http2ConnectionError(
          ErrorCode.FRAME_SIZE_ERROR,
          `Frame of ${head.length} bytes exceeds the ${this.#opts.maxFrameSize}-byte limit`,
        );
      }
      const payloadAt = this.#start + FRAME_HEADER_BYTES;
      if (this.#end - payloadAt < head.length) return;
      this.#start = payloadAt + head.length;
      const payload = buf.subarray(payloadAt, this.#start);
      if (this.#block !== null || head.type === FrameType.HEADERS || head.type === FrameType.CONTINUATION) {
        this.#headerFrame(sink, head, payload);
      } else {
        if (head.type === FrameType.DATA && head.length > 0) this.#pinned = true;
        sink.onFrame(head, payload);
      }
    }
  }

  #headerFrame(sink: FrameSink, head: FrameHead, payload: Uint8Array): void {
    const block = this.#block;
    if (block === null) {
      if (head.type === FrameType.CONTINUATION) {
        throw new Http2ConnectionError(ErrorCode.PROTOCOL_ERROR, "CONTINUATION without HEADERS");
      }
      const frame = parseHeaders(head, payload);
      this.#checkBlockSize(frame.fragment.length);
      if (frame.endHeaders) return sink.onHeaderBlock(head, frame, frame.fragment);
      const bytes = new Uint8Array(Math.max(frame.fragment.length * 2, 1024));
      bytes.set(frame.fragment);
      this.#block = { head, frame, bytes, length: frame.fragment.length, continuations: 0 };
      return;
    }
    if (head.type !== FrameType.CONTINUATION || head.streamId !== block.head.streamId) {
      throw new Http2ConnectionError(ErrorCode.PROTOCOL_ERROR, "Header block interrupted by another frame");
    }
    block.continuations++;
    if (block.continuations > this.#opts.maxContinuationFrames) {
      throw new Http2ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, "Too many CONTINUATION frames");
    }
    const length = block.length + payload.length;
    this.#checkBlockSize(length);
    if (length > block.bytes.length) {
      const grown = new Uint8Array(Math.min(this.#opts.maxHeaderBlockBytes, length * 2));
      grown.set(block.bytes.subarray(0, block.length));
      block.bytes = grown;
    }
    block.bytes.set(payload, block.length);
    block.length = length;
    if ((head.flags & Flag.END_HEADERS) === 0) return;
    this.#block = null;
    sink.onHeaderBlock(block.head, block.frame, block.bytes.subarray(0, length));
  }

  #checkBlockSize(length: number): void {
    if (length > this.#opts.maxHeaderBlockBytes) {
      throw new Http2ConnectionError(
        ErrorCode.ENHANCE_YOUR_CALM,
        `Header block exceeds ${this.#opts.maxHeaderBlockBytes} bytes`,
      );
    }
  }

  /** Makes sure the next read has room for at least the partial frame plus a useful amount. */
  #makeRoom(sink: FrameSink): void {
    const partial = this.#end - this.#start;
    if (partial === 0 && !this.#pinned) {
      this.#start = this.#end = 0;
    }
    const needed = partial >= FRAME_HEADER_BYTES
      ? FRAME_HEADER_BYTES + readFrameHead(this.#buf, this.#start).length
      : FRAME_HEADER_BYTES;
    const tail = this.#buf.length - this.#end;
    // Keep filling the current buffer while the partial frame fits and a read can still be large.
    if (
      this.#start + needed <= this.#buf.length &&
      (tail >= 16_384 || (partial > 0 && tail >= needed - partial))
    ) {
      return;
    }
    const size = Math.max(this.#nextSize, needed);
    if (!this.#pinned && size <= this.#buf.length) {
      this.#buf.copyWithin(0, this.#start, this.#end);
    } else {
      const old = this.#buf;
      this.#buf = new Uint8Array(size);
      this.#buf.set(old.subarray(this.#start, this.#end));
      if (this.#pinned) sink.onBufferRetired(old.buffer);
      this.#pinned = false;
    }
    this.#start = 0;
    this.#end = partial;
  }
}
