import assert from "node:assert/strict";
import { decodeFlightData, encodeFlightData, peekBodyOffset, serializeFramed } from "./flight_data.ts";

function message(headerLen: number, parts: { offset: number; bytes: number[] }[], bodyLength: number) {
  return {
    header: new Uint8Array(headerLen).map((_, i) => (i * 7) & 0xff),
    bodyLength,
    bodyParts: parts.map((p) => ({ offset: p.offset, bytes: Uint8Array.from(p.bytes) })),
  };
}

Deno.test("flight_data: encode writes the gRPC prefix and decodes back exactly", () => {
  const msg = message(200, [{ offset: 0, bytes: [1, 2, 3] }, { offset: 8, bytes: [9, 9] }], 16);
  const framed = encodeFlightData(msg, {
    descriptor: { type: "cmd", cmd: new TextEncoder().encode("{}"), path: [] },
    appMetadata: Uint8Array.of(5),
  }).framed;
  assert.equal(framed[0], 0, "uncompressed flag");
  assert.equal(framed.readUInt32BE(1), framed.length - 5, "length prefix");
  const fd = decodeFlightData(serializeFramed({ framed } as never));
  assert.equal(fd.descriptor?.type, "cmd");
  assert.deepEqual([...fd.header], [...msg.header]);
  assert.deepEqual([...fd.appMetadata], [5]);
  assert.deepEqual([...fd.body], [1, 2, 3, 0, 0, 0, 0, 0, 9, 9, 0, 0, 0, 0, 0, 0], "gaps are zero padding");
});

Deno.test("flight_data: decode keeps header and body as views of the input", () => {
  const bytes = serializeFramed(encodeFlightData(message(40, [{ offset: 0, bytes: [7, 7, 7, 7] }], 8)));
  const fd = decodeFlightData(bytes);
  assert.equal(fd.body.buffer, bytes.buffer);
  assert.equal(fd.header.buffer, bytes.buffer);
  assert.equal(fd.descriptor, null);
});

Deno.test("flight_data: peekBodyOffset finds data_body for any header size", () => {
  for (const headerLen of [0, 1, 127, 128, 300, 20000]) {
    const bytes = serializeFramed(encodeFlightData(message(headerLen, [{ offset: 0, bytes: [42] }], 8)));
    const off = peekBodyOffset(bytes);
    assert.equal(bytes[off], 42, `header ${headerLen}`);
    assert.equal(decodeFlightData(bytes).body.byteOffset, bytes.byteOffset + off);
  }
  assert.equal(peekBodyOffset(Uint8Array.of(0x12, 0x05, 1)), -1, "prefix too short to reach the body");
  assert.equal(peekBodyOffset(Uint8Array.of(0x08, 0x01)), -1, "not FlightData");
});

Deno.test("flight_data: a large body is sent from its own buffers, with the same bytes as a joined message", () => {
  const big = (n: number, seed: number) => new Uint8Array(n).map((_, i) => (i * 31 + seed) & 0xff);
  // Parts with gaps (one longer than the shared padding), a trailing gap, an empty part.
  const parts = [
    { offset: 0, bytes: big(70_000, 1) },
    { offset: 70_008, bytes: big(5, 2) },
    { offset: 70_200, bytes: new Uint8Array(0) },
    { offset: 70_400, bytes: big(100_000, 3) },
  ];
  const msg = { header: big(300, 4), bodyLength: 170_464, bodyParts: parts };
  const framed = encodeFlightData(msg, { appMetadata: Uint8Array.of(1, 2) });
  assert.ok(framed.parts.length > 2, "the body's parts are pieces of their own");
  assert.equal(framed.parts[1], parts[0].bytes, "a body part is sent as it is, not copied");
  assert.equal(framed.byteLength, framed.parts.reduce((n, p) => n + p.length, 0));
  const joined = framed.framed;
  assert.equal(joined.length, framed.byteLength);
  assert.equal(joined.readUInt32BE(1), joined.length - 5, "length prefix");
  const expected = new Uint8Array(msg.bodyLength);
  for (const p of parts) expected.set(p.bytes, p.offset);
  const fd = decodeFlightData(joined.subarray(5));
  assert.deepEqual(new Uint8Array(fd.body), expected, "gaps are zero padding");
  assert.deepEqual(new Uint8Array(fd.header), msg.header);
  assert.deepEqual([...fd.appMetadata], [1, 2]);
  // Below the threshold: one buffer, as before.
  const small = encodeFlightData({
    header: big(10, 5),
    bodyLength: 1000,
    bodyParts: [{ offset: 0, bytes: big(1000, 6) }],
  });
  assert.equal(small.parts.length, 1);
  assert.deepEqual(new Uint8Array(decodeFlightData(small.framed.subarray(5)).body), big(1000, 6));
});
