import { concat } from "../../../_test_fuzz.ts";
import assert from "node:assert/strict";
import { encodeFrame, Flag, type FrameHead, FrameType } from "../frame/head.ts";
import type { HeadersFrame } from "../frame/headers.ts";
import { ErrorCode, Http2ConnectionError } from "../frame/reason.ts";
import { FramedRead, type FrameSink } from "./framed_read.ts";
import { FramedWrite } from "./framed_write.ts";

/** A socket read half that returns the given chunks, then EOF. */
function chunkedReader(chunks: Uint8Array[]) {
  let i = 0;
  return {
    read(p: Uint8Array): Promise<number | null> {
      if (i >= chunks.length) return Promise.resolve(null);
      const chunk = chunks[i];
      const n = Math.min(p.length, chunk.length);
      p.set(chunk.subarray(0, n));
      if (n < chunk.length) chunks[i] = chunk.subarray(n);
      else i++;
      return Promise.resolve(n);
    },
  };
}

/** Splits `bytes` into pieces of `size`. */
function pieces(bytes: Uint8Array, size: number): Uint8Array[] {
  const out = [];
  for (let at = 0; at < bytes.length; at += size) out.push(bytes.slice(at, at + size));
  return out;
}

class RecordingSink implements FrameSink {
  /** Whole frames, and DATA frames delivered in pieces (their pieces joined when read). */
  #frames: [FrameHead, Uint8Array[]][] = [];
  #piecewise: [FrameHead, Uint8Array[]] | null = null;
  #target: Uint8Array | null = null;
  blocks: [number, Uint8Array, HeadersFrame][] = [];
  retired: ArrayBufferLike[] = [];
  /** [kind, bytes] of each piece of a piecewise DATA frame: "view" or "placed". */
  pieces: [string, number][] = [];
  /** @param offer a target for piecewise DATA (null: pieces come as views) */
  constructor(readonly offer: (max: number) => Uint8Array | null = () => null) {}
  get frames(): [FrameHead, Uint8Array][] {
    return this.#frames.map(([head, parts]) => [head, parts.length === 1 ? parts[0] : concat(...parts)]);
  }
  onFrame(head: FrameHead, payload: Uint8Array) {
    this.#frames.push([head, [payload]]);
  }
  onDataStart(head: FrameHead) {
    assert.equal(this.#piecewise, null);
    this.#piecewise = [head, []];
    this.#frames.push(this.#piecewise);
  }
  dataTarget(max: number) {
    assert.equal(this.#target, null, "a target is reported before the next is asked for");
    this.#target = this.offer(max);
    assert.ok(this.#target === null || this.#target.length <= max);
    return this.#target;
  }
  onDataPlaced(n: number) {
    assert.ok(this.#target !== null && n > 0 && n <= this.#target.length);
    this.#piecewise![1].push(this.#target.slice(0, n));
    this.pieces.push(["placed", n]);
    this.#target = null;
  }
  onDataPiece(piece: Uint8Array) {
    this.#piecewise![1].push(piece);
    this.pieces.push(["view", piece.length]);
  }
  onDataEnd(head: FrameHead) {
    assert.equal(this.#piecewise?.[0], head);
    this.#piecewise = null;
  }
  onHeaderBlock(head: FrameHead, frame: HeadersFrame, block: Uint8Array) {
    this.blocks.push([head.streamId, block.slice(), frame]);
  }
  onBufferRetired(old: ArrayBufferLike) {
    this.retired.push(old);
  }
  beforeRead() {
    return undefined;
  }
}

const OPTS = {
  maxFrameSize: 65_536,
  maxHeaderBlockBytes: 4096,
  maxContinuationFrames: 4,
  initialBufferBytes: 64 * 1024,
  maxBufferBytes: 256 * 1024,
};

Deno.test("FramedRead: frames split across 7-byte reads arrive whole, DATA as views of the read buffer", async () => {
  const data = new Uint8Array(40_000).map((_, i) => i % 251);
  const bytes = concat(...[
    encodeFrame(FrameType.SETTINGS, 0, 0),
    encodeFrame(FrameType.DATA, 0, 1, data),
    encodeFrame(FrameType.DATA, Flag.END_STREAM, 1, data),
  ]);
  const sink = new RecordingSink();
  await new FramedRead(chunkedReader(pieces(bytes, 7)), OPTS).run(sink);
  assert.deepEqual(sink.frames.map(([h]) => [h.type, h.length]), [[4, 0], [0, 40_000], [0, 40_000]]);
  assert.deepEqual(sink.frames[1][1], data);
  assert.deepEqual(sink.frames[2][1], data);
});

Deno.test("FramedRead: a buffer holding DATA views is never overwritten; it is retired instead", async () => {
  const frames = Array.from(
    { length: 40 },
    (_, i) => encodeFrame(FrameType.DATA, 0, 1, new Uint8Array(30_000).fill(i)),
  );
  const sink = new RecordingSink();
  await new FramedRead(chunkedReader(pieces(concat(...frames), 50_000)), OPTS).run(sink);
  assert.equal(sink.frames.length, 40);
  sink.frames.forEach(([, payload], i) => assert.ok(payload.every((b) => b === i), `frame ${i} intact`));
  assert.ok(sink.retired.length > 0);
});

Deno.test("FramedRead: a large DATA frame goes in pieces, read straight into the targets the sink offers", async () => {
  const data = new Uint8Array(60_000).map((_, i) => i % 253);
  const small = new Uint8Array(100).fill(7);
  const bytes = concat(
    encodeFrame(FrameType.DATA, 0, 1, data),
    encodeFrame(FrameType.DATA, 0, 1, small),
    encodeFrame(FrameType.DATA, Flag.END_STREAM, 1, data),
  );
  const sizes: number[] = [];
  // The socket has only the first 5,000 bytes at first: the head of the first frame and a bit of it.
  const reader = chunkedReader([bytes.subarray(0, 5_000), bytes.subarray(5_000)]);
  // Targets of at most 25,000 bytes: a frame needs several.
  const sink = new RecordingSink((max) => new Uint8Array(Math.min(max, 25_000)));
  await new FramedRead({ read: (p) => (sizes.push(p.length), reader.read(p)) }, OPTS).run(sink);
  assert.deepEqual(sink.frames.map(([h]) => [h.type, h.flags, h.length]), [[0, 0, 60_000], [0, 0, 100], [
    0,
    1,
    60_000,
  ]]);
  assert.deepEqual(sink.frames[0][1], data);
  assert.deepEqual(sink.frames[1][1], small);
  assert.deepEqual(sink.frames[2][1], data);
  // The first frame: what the first read took was handed to a target by copy, the rest came straight
  // from the socket into targets; then a read of just the next header. The last two frames were read
  // whole by one read (the first of them is small, so the read was not limited).
  assert.deepEqual(sink.pieces.map(([kind]) => kind), ["placed", "placed", "placed", "placed"]);
  assert.equal(sink.pieces.reduce((a, [, n]) => a + n, 0), 60_000);
  assert.ok(sizes.includes(9), `a header-only read after a piecewise frame: ${sizes}`);
  assert.ok(sizes.includes(25_000), `reads into a target: ${sizes}`);
});

Deno.test("FramedRead: without targets, a large DATA frame's pieces are views; padded frames stay whole", async () => {
  const data = new Uint8Array(65_000).map((_, i) => i % 241);
  const padded = concat(Uint8Array.of(3), data.subarray(0, 40_000), new Uint8Array(3));
  const bytes = concat(
    encodeFrame(FrameType.DATA, 0, 1, data),
    encodeFrame(FrameType.DATA, Flag.PADDED, 1, padded),
  );
  const sink = new RecordingSink();
  await new FramedRead(chunkedReader(pieces(bytes, 10_000)), OPTS).run(sink);
  assert.deepEqual(sink.frames[0][1], data);
  assert.deepEqual(sink.frames[1][1], padded);
  assert.ok(sink.pieces.length > 1 && sink.pieces.every(([kind]) => kind === "view"));
  assert.equal(sink.pieces.reduce((a, [, n]) => a + n, 0), 65_000);
});

Deno.test("FramedRead: HEADERS + CONTINUATION are reassembled into one block", async () => {
  const bytes = concat(...[
    encodeFrame(FrameType.HEADERS, Flag.END_STREAM, 1, Uint8Array.from([1, 2])),
    encodeFrame(FrameType.CONTINUATION, 0, 1, Uint8Array.from([3])),
    encodeFrame(FrameType.CONTINUATION, Flag.END_HEADERS, 1, Uint8Array.from([4, 5])),
  ]);
  const sink = new RecordingSink();
  await new FramedRead(chunkedReader([bytes]), OPTS).run(sink);
  assert.equal(sink.blocks.length, 1);
  assert.deepEqual(sink.blocks[0][1], Uint8Array.from([1, 2, 3, 4, 5]));
  assert.equal(sink.blocks[0][2].endStream, true);
});

async function readError(bytes: Uint8Array): Promise<number> {
  try {
    await new FramedRead(chunkedReader([bytes]), OPTS).run(new RecordingSink());
  } catch (err) {
    if (err instanceof Http2ConnectionError) return err.code;
    throw err;
  }
  return -1;
}

Deno.test("FramedRead: framing errors are connection errors with the RFC's codes", async () => {
  const headers = encodeFrame(FrameType.HEADERS, 0, 1, Uint8Array.from([1]));
  assert.equal(
    await readError(encodeFrame(FrameType.DATA, 0, 1, new Uint8Array(65_537))),
    ErrorCode.FRAME_SIZE_ERROR,
  );
  assert.equal(
    await readError(encodeFrame(FrameType.CONTINUATION, Flag.END_HEADERS, 1)),
    ErrorCode.PROTOCOL_ERROR,
  );
  assert.equal(
    await readError(concat(headers, encodeFrame(FrameType.PING, 0, 0, new Uint8Array(8)))),
    ErrorCode.PROTOCOL_ERROR,
  );
  assert.equal(
    await readError(concat(headers, encodeFrame(FrameType.CONTINUATION, 0, 3))),
    ErrorCode.PROTOCOL_ERROR,
  );
  const empties = Array.from({ length: 5 }, () => encodeFrame(FrameType.CONTINUATION, 0, 1));
  assert.equal(await readError(concat(headers, ...empties)), ErrorCode.ENHANCE_YOUR_CALM);
  const big = encodeFrame(FrameType.CONTINUATION, 0, 1, new Uint8Array(4096));
  assert.equal(await readError(concat(headers, big)), ErrorCode.ENHANCE_YOUR_CALM);
});

Deno.test("FramedRead: the preface is checked", async () => {
  const preface = new TextEncoder().encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
  assert.equal(await new FramedRead(chunkedReader(pieces(preface, 5)), OPTS).readPreface(preface), true);
  const http1 = new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  assert.equal(await new FramedRead(chunkedReader([http1]), OPTS).readPreface(preface), false);
});

Deno.test("FramedWrite: small pieces of one tick go out in one write; large ones as they are", async () => {
  const writes: Uint8Array[] = [];
  const writer = new FramedWrite({
    write(p: Uint8Array) {
      writes.push(p.slice());
      return Promise.resolve(Math.min(p.length, 100_000)); // short writes are continued
    },
  }, () => {});
  for (let i = 0; i < 10; i++) writer.enqueue(new Uint8Array(9).fill(i));
  const big = new Uint8Array(300_000).fill(7);
  writer.enqueue(big);
  await writer.flushed();
  assert.equal(writes[0].length, 90);
  assert.deepEqual(writes.slice(1).map((w) => w.length), [300_000, 200_000, 100_000]);
  assert.equal(writer.queuedBytes, 0);
});

Deno.test("FramedWrite: whenWritten resolves in offset order and a failed socket rejects waiters", async () => {
  let release: (() => void) | null = null;
  const writer = new FramedWrite({
    write(p: Uint8Array) {
      return new Promise((resolve) => release = () => resolve(p.length));
    },
  }, () => {});
  writer.enqueue(new Uint8Array(10));
  const first = writer.whenWritten(writer.offset);
  await Promise.resolve();
  writer.enqueue(new Uint8Array(10));
  const second = writer.flushed();
  release!();
  await first;
  writer.fail(new Error("socket gone"));
  await assert.rejects(second, /socket gone/);
});
