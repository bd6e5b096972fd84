import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { StreamDecoder } from "@grpc/grpc-js/build/src/stream-decoder.js";
import { applyGrpcPatches, partialMessage } from "./grpc_patch.ts";
import { decodeFlightData, encodeFlightData } from "./flight_data.ts";
import { silentLogger } from "../log.ts";

function flightFrame(headerLen: number, body: number[]): Buffer {
  const header = new Uint8Array(headerLen).fill(3);
  return encodeFlightData({
    header,
    bodyLength: body.length,
    bodyParts: [{ offset: 0, bytes: Uint8Array.from(body) }],
  }).framed;
}

/** Feeds `stream` to a decoder in slices of the given sizes (cycled). */
function feed(decoder: StreamDecoder, stream: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = [];
  let pos = 0;
  for (let i = 0; pos < stream.length; i++) {
    const n = sizes[i % sizes.length];
    out.push(...decoder.write(stream.subarray(pos, pos + n)));
    pos += n;
  }
  return out;
}

Deno.test("grpc_patch: reassembly splits frames at any chunking and aligns data_body to 8 bytes", () => {
  assert.equal(applyGrpcPatches(silentLogger()), true, "grpc-js internals must match the patch");
  const frames = [
    flightFrame(3, [1, 2, 3, 4, 5, 6, 7, 8]),
    flightFrame(250, new Array(64).fill(9)),
    flightFrame(1, []),
  ];
  const stream = Buffer.concat([...frames, Buffer.from([0, 0, 0, 0, 0])]); // plus an empty message
  for (const sizes of [[1], [2, 3], [7], [64], [stream.length], [5, 1000]]) {
    const msgs = feed(new StreamDecoder(-1), stream, sizes);
    assert.equal(msgs.length, 4, `chunking ${sizes}`);
    for (let i = 0; i < 3; i++) {
      assert.deepEqual([...msgs[i]], [...frames[i]], `frame ${i} bytes, chunking ${sizes}`);
    }
    assert.equal(msgs[3].length, 5);
  }
});

Deno.test("grpc_patch: data_body is 8-byte aligned when the first slice reaches it", () => {
  applyGrpcPatches(silentLogger());
  for (const headerLen of [0, 1, 3, 100, 250, 1000]) {
    const frame = flightFrame(headerLen, [1, 2, 3, 4, 5, 6, 7, 8]);
    // as HTTP/2 delivers it: sometimes the prefix alone, then the rest; sometimes all at once
    for (const sizes of [[frame.length], [5, frame.length], [2, frame.length]]) {
      const [msg] = feed(new StreamDecoder(-1), frame, sizes);
      const fd = decodeFlightData(msg.subarray(5));
      assert.equal(fd.body.byteOffset % 8, 0, `header ${headerLen}, chunking ${sizes}`);
      assert.deepEqual([...fd.body], [1, 2, 3, 4, 5, 6, 7, 8]);
    }
  }
});

Deno.test("grpc_patch: a frame above the receive limit is refused", () => {
  applyGrpcPatches(silentLogger());
  const decoder = new StreamDecoder(10);
  assert.throws(() => decoder.write(flightFrame(40, [1])), /larger than max/);
});

Deno.test("grpc_patch: the decoder tells a message cut short from a clean end", () => {
  applyGrpcPatches(silentLogger());
  const frame = flightFrame(40, [1, 2, 3, 4, 5, 6, 7, 8]);
  const decoder = new StreamDecoder(-1);
  const state = decoder as unknown as Parameters<typeof partialMessage>[0];
  assert.equal(partialMessage(state), null, "nothing received yet");
  decoder.write(frame.subarray(0, 3));
  assert.equal(partialMessage(state), "3 of the 5 prefix bytes");
  decoder.write(frame.subarray(3, 20));
  assert.equal(partialMessage(state), `15 of ${frame.length - 5} bytes`);
  assert.equal(decoder.write(frame.subarray(20)).length, 1);
  assert.equal(partialMessage(state), null, "a whole message leaves nothing pending");
});

Deno.test("grpc_patch: a large message's buffer waits for half of it, and the result is the same", () => {
  applyGrpcPatches(silentLogger());
  const body = new Uint8Array(3 * 1024 * 1024 + 13).map((_, i) => i * 7);
  const frame = encodeFlightData({
    header: new Uint8Array(21).fill(5),
    bodyLength: body.length,
    bodyParts: [{ offset: 0, bytes: body }],
  }).framed;
  const size = frame.length - 5;
  // Each held slice counts its bytes plus 512 for its own objects.
  for (const step of [100, 1000, 64 * 1024, 1024 * 1024 + 1, frame.length]) {
    const decoder = new StreamDecoder(-1);
    const state = decoder as unknown as Parameters<typeof partialMessage>[0] & {
      alignedState?: { message: Buffer | null };
    };
    const out: Buffer[] = [];
    let cost = 0;
    let allocatedAt = -1;
    for (let pos = 0; pos < frame.length; pos += step) {
      out.push(...decoder.write(frame.subarray(pos, pos + step)));
      const received = Math.min(pos + step, frame.length) - 5;
      if (received >= size) break;
      cost += Math.min(step, received) + 512;
      if (allocatedAt < 0 && cost < size / 2) {
        assert.ok(state.alignedState?.message === null, `no buffer after ${received} of ${size} bytes`);
        assert.equal(partialMessage(state), `${received} of ${size} bytes`);
      } else {
        allocatedAt = allocatedAt < 0 ? received : allocatedAt;
        assert.ok(state.alignedState?.message, `a buffer after ${received} of ${size} bytes`);
        assert.equal(partialMessage(state), `${received} of ${size} bytes`);
      }
    }
    if (step <= 64 * 1024) {
      assert.ok(
        allocatedAt > 0 && allocatedAt < size / 2 + step,
        `step ${step}: allocated at ${allocatedAt}`,
      );
    }
    assert.equal(out.length, 1, `step ${step}`);
    assert.ok(out[0].equals(frame), `step ${step}: the same bytes`);
    const fd = decodeFlightData(out[0].subarray(5));
    assert.equal(fd.body.byteOffset % 8, 0, `step ${step}: data_body aligned`);
    assert.equal(partialMessage(state), null);
  }
});

Deno.test("grpc_patch: a message trickling in 1-byte frames holds slices worth at most half its size", () => {
  applyGrpcPatches(silentLogger());
  const decoder = new StreamDecoder(-1);
  const state = decoder as unknown as { alignedState?: { message: Buffer | null; held: Buffer[] } };
  const size = 8 * 1024 * 1024;
  decoder.write(Buffer.from([0, 0, 0x80, 0, 0])); // claims 8 MiB
  let held = 0;
  while (state.alignedState?.message === null) {
    decoder.write(Buffer.from([0x0a]));
    held = Math.max(held, state.alignedState.held.length);
  }
  // Each slice counts its byte plus 512: the buffer comes once they are worth half the message.
  assert.equal(held, Math.ceil(size / 2 / 513) - 1);
  assert.equal(state.alignedState?.held.length, 0, "the slices are released once copied");
});

Deno.test("grpc_patch: a prefix that claims a large message allocates nothing until the bytes come", () => {
  applyGrpcPatches(silentLogger());
  const decoder = new StreamDecoder(-1);
  const state = decoder as unknown as Parameters<typeof partialMessage>[0] & {
    alignedState?: { message: Buffer | null };
  };
  const prefix = Buffer.from([0, 0x04, 0, 0, 0]); // claims 64 MiB
  assert.deepEqual(decoder.write(Buffer.concat([prefix, Buffer.from([0x0a, 0x02, 1, 2])])), []);
  assert.ok(state.alignedState?.message === null, "no buffer for a claim");
  assert.equal(partialMessage(state), `4 of ${64 * 1024 * 1024} bytes`);
});
