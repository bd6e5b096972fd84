import { grpcError } from "./_test_grpc_error.ts";
import assert from "node:assert/strict";
import { GrpcMessageReader, HEAD_STASH_BYTES, messagePrefix } from "./message_reader.ts";
import { GrpcCode } from "./status.ts";

function framed(bytes: Uint8Array, flag: 0 | 1 = 0): Uint8Array {
  const out = new Uint8Array(5 + bytes.length);
  out.set(messagePrefix(flag, bytes.length));
  out.set(bytes, 5);
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

/**
 * A body delivering `stream` in slices of the given sizes (cycled), each slice in a buffer that is
 * overwritten as soon as the next one is asked for, as an HTTP/2 layer reusing its read buffer would.
 */
async function* body(stream: Uint8Array, sizes: number[]): AsyncGenerator<Uint8Array> {
  const scratch = new Uint8Array(Math.max(...sizes));
  let pos = 0;
  for (let i = 0; pos < stream.length; i++) {
    const n = Math.min(sizes[i % sizes.length], stream.length - pos);
    scratch.set(stream.subarray(pos, pos + n));
    yield scratch.subarray(0, n);
    scratch.fill(0xee);
    pos += n;
  }
}

async function readAll(reader: GrpcMessageReader): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (let m = await reader.next(); m !== null; m = await reader.next()) out.push(m.bytes);
  return out;
}

/** A message whose payload starts at `offset` (bytes 0..offset-1 are 0xAA, then the payload). */
function withPayloadAt(offset: number, payloadBytes: number): Uint8Array {
  const msg = new Uint8Array(offset + payloadBytes).fill(0xaa, 0, offset);
  for (let i = 0; i < payloadBytes; i++) msg[offset + i] = i & 0xff;
  return msg;
}

/** The payload offset as a service would tell it: the first byte not 0xAA, -1 while all are. */
function payloadOffset(head: Uint8Array): number {
  return head.findIndex((b) => b !== 0xaa);
}

Deno.test("GrpcMessageReader.next() splits messages at any chunking, each into its own buffer", async () => {
  const messages = [
    new Uint8Array([1, 2, 3]),
    new Uint8Array(0),
    new Uint8Array(70_000).map((_, i) => i * 13),
    new Uint8Array([9]),
  ];
  const stream = concat(messages.map((m) => framed(m)));
  for (const sizes of [[1], [2, 3], [5], [7], [16_384], [stream.length], [4, 1, 100_000]]) {
    const reader = new GrpcMessageReader(body(stream, sizes), { maxMessageBytes: 1 << 20 });
    const got = await readAll(reader);
    assert.deepEqual(got, messages, `chunking ${sizes}`);
    assert.equal(reader.ended, true);
    assert.equal(await reader.next(), null, "stays at the end");
  }
});

Deno.test("GrpcMessageReader.next() places a message so that its payload starts 8-byte aligned", async () => {
  for (const offset of [0, 1, 3, 8, 13, 100, 1001, HEAD_STASH_BYTES - 1]) {
    const msg = withPayloadAt(offset, 64);
    for (const sizes of [[msg.length + 5], [5, msg.length], [6, 1], [2, 3, 700], [9, 3]]) {
      const reader = new GrpcMessageReader(body(framed(msg), sizes), {
        maxMessageBytes: 1 << 20,
        bodyOffset: payloadOffset,
      });
      const got = await reader.next();
      assert.ok(got !== null);
      assert.deepEqual(got.bytes, msg, `offset ${offset}, chunking ${sizes}`);
      assert.equal((got.bytes.byteOffset + offset) % 8, 0, `offset ${offset}, chunking ${sizes}: aligned`);
    }
  }
});

Deno.test("GrpcMessageReader.next() reads into the buffers `allocate` gives, however large and dirty", async () => {
  const messages = [withPayloadAt(3, 70_000), withPayloadAt(0, 100_000), withPayloadAt(13, 5)];
  const stream = concat(messages.map((m) => framed(m)));
  const asked: number[] = [];
  for (const sizes of [[1, 7, 16_384], [stream.length], [5, 100]]) {
    const reader = new GrpcMessageReader(body(stream, sizes), {
      maxMessageBytes: 1 << 20,
      bodyOffset: payloadOffset,
      // Larger than asked and full of old bytes, as a reused buffer is.
      allocate: (bytes) => (asked.push(bytes), new Uint8Array(bytes + 4096).fill(0x5c).buffer),
    });
    const got = await readAll(reader);
    assert.deepEqual(got, messages, `chunking ${sizes}`);
    got.forEach((m, i) =>
      assert.equal(m.buffer.byteLength, asked.at(i - got.length)! + 4096, "the given buffer")
    );
  }
});

Deno.test("GrpcMessageReader.next() gives up aligning past the head it may set aside, and still reads", async () => {
  const msg = withPayloadAt(HEAD_STASH_BYTES + 3, 10);
  const reader = new GrpcMessageReader(body(framed(msg), [100]), {
    maxMessageBytes: 1 << 20,
    bodyOffset: payloadOffset,
  });
  const got = await reader.next();
  assert.deepEqual(got?.bytes, msg);
  assert.equal(got?.bytes.byteOffset, 0, "unknown offset: no padding");
});

Deno.test("GrpcMessageReader.next() refuses a length over the limit before reading the message", async () => {
  const prefix = messagePrefix(0, 1025);
  let pulled = 0;
  async function* counted(): AsyncGenerator<Uint8Array> {
    pulled++;
    yield prefix;
    pulled++;
    yield new Uint8Array(1025);
  }
  const err = await grpcError(new GrpcMessageReader(counted(), { maxMessageBytes: 1024 }).next());
  assert.equal(err.code, GrpcCode.RESOURCE_EXHAUSTED);
  assert.equal(err.message, "Received message larger than max (1025 vs 1024)");
  assert.equal(pulled, 1, "refused on the prefix");
  // At the limit exactly: accepted.
  const ok = new GrpcMessageReader(body(framed(new Uint8Array(1024)), [300]), { maxMessageBytes: 1024 });
  assert.equal((await ok.next())?.bytes.length, 1024);
});

Deno.test("GrpcMessageReader.next() tells a body cut inside a message from a clean end", async () => {
  const msg = framed(new Uint8Array(100).fill(4));
  const cases: [Uint8Array, string][] = [
    [msg.subarray(0, 3), "3 of the 5 prefix bytes"],
    [msg.subarray(0, 5), "0 of 100 bytes"],
    [msg.subarray(0, 60), "55 of 100 bytes"],
    [concat([msg, msg.subarray(0, 2)]), "2 of the 5 prefix bytes"],
  ];
  for (const [stream, what] of cases) {
    for (const bodyOffset of [undefined, payloadOffset]) {
      const reader = new GrpcMessageReader(body(stream, [7]), { maxMessageBytes: 1000, bodyOffset });
      const err = await grpcError(readAll(reader));
      assert.equal(err.code, GrpcCode.INVALID_ARGUMENT);
      assert.equal(err.message, `Truncated request: the stream ended inside a message (${what})`);
    }
  }
  assert.deepEqual(
    await readAll(new GrpcMessageReader(body(new Uint8Array(0), [1]), { maxMessageBytes: 9 })),
    [],
  );
});

Deno.test("GrpcMessageReader.next() passes compressed messages through as they came, and refuses other flags", async () => {
  const reader = new GrpcMessageReader(body(framed(new Uint8Array([1, 2]), 1), [3]), {
    maxMessageBytes: 10,
    bodyOffset: payloadOffset,
  });
  assert.deepEqual(await reader.next(), { compressed: true, bytes: new Uint8Array([1, 2]) });
  const bad = framed(new Uint8Array([1]));
  bad[0] = 2;
  const err = await grpcError(new GrpcMessageReader(body(bad, [6]), { maxMessageBytes: 10 }).next());
  assert.equal(err.code, GrpcCode.INTERNAL);
});

Deno.test("GrpcMessageReader.next() reads only as far as asked (the rest of the body stays unread)", async () => {
  let pulled = 0;
  const msg = framed(new Uint8Array([7, 7, 7]));
  async function* lazy(): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < 100; i++) {
      pulled++;
      yield msg;
    }
  }
  const reader = new GrpcMessageReader(lazy(), { maxMessageBytes: 10 });
  await reader.next();
  await reader.next();
  assert.equal(pulled, 2);
  assert.equal(reader.ended, false);
});

Deno.test("GrpcMessageReader: a body that reads into buffers fills the rest of each message itself, aligned", async () => {
  const messages = [
    new Uint8Array(3000).map((_, i) => i % 199),
    new Uint8Array(10),
    new Uint8Array(5000).fill(3),
  ];
  const stream = concat(messages.map((m) => framed(m)));
  const chunks = body(stream, [700]);
  const reads: number[] = [];
  /** Iteration gives 700-byte chunks; readInto fills at most 1,000 bytes per call from the same stream. */
  let pending: Uint8Array = new Uint8Array(0);
  const source = {
    [Symbol.asyncIterator]: () => ({
      next: async (): Promise<IteratorResult<Uint8Array>> => {
        if (pending.length > 0) {
          const value = pending;
          pending = new Uint8Array(0);
          return { value, done: false };
        }
        return await chunks.next();
      },
    }),
    readInto: async (dest: Uint8Array): Promise<number> => {
      if (pending.length === 0) {
        const r = await chunks.next();
        if (r.done) return 0;
        pending = r.value.slice();
      }
      const n = Math.min(dest.length, pending.length, 1000);
      dest.set(pending.subarray(0, n));
      pending = pending.subarray(n);
      reads.push(n);
      return n;
    },
  };
  const reader = new GrpcMessageReader(source, { maxMessageBytes: 1 << 20, bodyOffset: () => 3 });
  const got = await readAll(reader);
  assert.deepEqual(got, messages);
  assert.ok(reads.length > 0, "readInto was used");
  for (const m of got) if (m.length > 0) assert.equal((m.byteOffset + 3) % 8, 0, "payload 8-byte aligned");
});
