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
 * Large DATA frames (unpadded, at least {@link PIECEWISE_DATA_BYTES}) are not waited for: once the head
 * is in, the payload goes to the sink in pieces. Where the sink offers a target (a consumer's own buffer),
 * the payload is read from the socket straight into it; otherwise pieces are read in bounded reads and
 * handed out as views. After such a frame the next read takes only a frame header, so that the next
 * payload is not pulled into the read buffer before its target is known.
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
  /** The head of a large unpadded DATA frame: its payload follows in pieces, then `onDataEnd`. */
  onDataStart(head: FrameHead): void;
  /**
   * Where up to `max` next payload bytes of the current DATA frame may be written, or null. A target
   * handed out is filled from its start, and the count reported with `onDataPlaced`, before any other call.
   */
  dataTarget(max: number): Uint8Array | null;
  /** `n` bytes of the current DATA frame were written at the start of the last target. */
  onDataPlaced(n: number): void;
  /** Bytes of the current DATA frame's payload, as a view of the read buffer. */
  onDataPiece(piece: Uint8Array): void;
  /** The current DATA frame was delivered whole. */
  onDataEnd(head: FrameHead): void;
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

/** DATA frames at least this long are delivered in pieces, as their bytes arrive. */
export const PIECEWISE_DATA_BYTES = 32 * 1024;

/** Largest read into the read buffer while inside a DATA frame that has no target. */
const PIECE_READ_BYTES = 128 * 1024;

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
  /** The DATA frame delivered in pieces, and its payload bytes still to come. */
  #data: { head: FrameHead; remaining: number } | null = null;
  /** The last frame was delivered in pieces: read only the next frame's header. */
  #headerOnly = false;
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
      const data = this.#data;
      const target = data === null ? null : sink.dataTarget(data.remaining);
      if (target !== null) {
        // Straight from the socket into the consumer's buffer.
        const n = await this.#conn.read(target);
        if (n === null) return;
        this.bytesRead += n;
        this.lastReadMs = performance.now();
        sink.onDataPlaced(n);
        this.#advance(sink, n);
        continue;
      }
      this.#makeRoom(sink);
      const n = await this.#conn.read(this.#buf.subarray(this.#end, this.#end + this.#readSize()));
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

  /** How much the next read into the buffer may take. */
  #readSize(): number {
    const room = this.#buf.length - this.#end;
    if (this.#data !== null) return Math.min(room, this.#data.remaining, PIECE_READ_BYTES);
    if (this.#headerOnly) return Math.min(room, Math.max(1, FRAME_HEADER_BYTES - (this.#end - this.#start)));
    return room;
  }

  /** `n` more payload bytes of the current piecewise DATA frame were delivered. */
  #advance(sink: FrameSink, n: number): void {
    const data = this.#data!;
    data.remaining -= n;
    if (data.remaining > 0) return;
    this.#data = null;
    this.#headerOnly = true;
    sink.onDataEnd(data.head);
  }

  /** Hands the buffered payload bytes of the current piecewise DATA frame to the sink. */
  #dispatchPiece(sink: FrameSink): void {
    const data = this.#data!;
    const bytes = this.#buf.subarray(
      this.#start,
      this.#start + Math.min(this.#end - this.#start, data.remaining),
    );
    const target = sink.dataTarget(bytes.length);
    let n = bytes.length;
    if (target !== null) {
      n = target.length;
      target.set(n === bytes.length ? bytes : bytes.subarray(0, n));
      sink.onDataPlaced(n);
    } else {
      this.#pinned = true;
      sink.onDataPiece(bytes);
    }
    this.#start += n;
    this.#advance(sink, n);
  }

  /** Hands every complete frame in the buffer to the sink (and what is in of a piecewise DATA frame). */
  #dispatch(sink: FrameSink): void {
    const buf = this.#buf;
    for (;;) {
      if (this.#data !== null) {
        if (this.#end === this.#start) return;
        this.#dispatchPiece(sink);
        continue;
      }
      if (this.#end - this.#start < FRAME_HEADER_BYTES) return;
      this.#headerOnly = false;
      const head = readFrameHead(buf, this.#start);
      if (head.length > this.#opts.maxFrameSize) {
        throw new Http2ConnectionError(
          ErrorCode.FRAME_SIZE_ERROR,
          `Frame of ${head.length} bytes exceeds the ${this.#opts.maxFrameSize}-byte limit`,
        );
      }
      const payloadAt = this.#start + FRAME_HEADER_BYTES;
      if (this.#end - payloadAt < head.length) {
        if (!this.#piecewise(head)) return;
        this.#start = payloadAt;
        this.#data = { head, remaining: head.length };
        sink.onDataStart(head);
        continue;
      }
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

  /** Whether a frame not yet in whole goes to the sink in pieces. */
  #piecewise(head: FrameHead): boolean {
    return head.type === FrameType.DATA && head.length >= PIECEWISE_DATA_BYTES &&
      (head.flags & Flag.PADDED) === 0 && this.#block === null;
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
