import assert from "node:assert/strict";
import { BlockWriter } from "./block_writer.ts";
import { HpackDecoder } from "./decoder.ts";
import { HpackEncoder } from "./encoder.ts";
import { type HeaderField, HeaderListTooLargeError, HpackError } from "./header.ts";
import { hex, RFC_VECTORS } from "./_test_util.ts";

const LIMITS = { maxDynamicTableSize: 4096, maxHeaderListSize: 65536 };

/** Decodes each block in turn with one decoder; checks the fields and the table size after each. */
function decodeSequence(
  decoder: HpackDecoder,
  steps: readonly { wire: string; fields: HeaderField[]; tableSize: number }[],
): void {
  for (const [i, step] of steps.entries()) {
    assert.deepEqual(decoder.decode(hex(step.wire)), step.fields, `block ${i}`);
    assert.equal(decoder.dynamicTableSize, step.tableSize, `table size after block ${i}`);
  }
}

Deno.test("HpackDecoder decodes RFC 7541 C.2 single representations", () => {
  const d = new HpackDecoder(LIMITS);
  decodeSequence(d, [
    {
      wire: "400a637573746f6d2d6b65790d637573746f6d2d686561646572",
      fields: [["custom-key", "custom-header"]],
      tableSize: 55,
    },
  ]);
  decodeSequence(new HpackDecoder(LIMITS), [
    { wire: "040c2f73616d706c652f70617468", fields: [[":path", "/sample/path"]], tableSize: 0 },
    { wire: "100870617373776f726406736563726574", fields: [["password", "secret"]], tableSize: 0 },
    { wire: "82", fields: [[":method", "GET"]], tableSize: 0 },
  ]);
});

Deno.test("HpackDecoder decodes RFC 7541 C.3 to C.6 sequences with exact eviction", () => {
  const { requests, responses } = RFC_VECTORS;
  for (const wires of [RFC_VECTORS.c3, RFC_VECTORS.c4]) {
    decodeSequence(new HpackDecoder(LIMITS), [
      { wire: wires[0], fields: requests[0], tableSize: 57 },
      { wire: wires[1], fields: requests[1], tableSize: 110 },
      { wire: wires[2], fields: requests[2], tableSize: 164 },
    ]);
  }
  for (const wires of [RFC_VECTORS.c5, RFC_VECTORS.c6]) {
    decodeSequence(new HpackDecoder({ maxDynamicTableSize: 256, maxHeaderListSize: 65536 }), [
      { wire: wires[0], fields: responses[0], tableSize: 222 },
      { wire: wires[1], fields: responses[1], tableSize: 222 },
      { wire: wires[2], fields: responses[2], tableSize: 215 },
    ]);
  }
});

Deno.test("HpackDecoder applies table size updates at the start of a block, up to our limit", () => {
  const d = new HpackDecoder(LIMITS);
  d.decode(hex("400a637573746f6d2d6b65790d637573746f6d2d686561646572"));
  assert.deepEqual(d.decode(hex("20 3fe11f 82")), [[":method", "GET"]]); // 0 then 4096: the table is emptied
  assert.equal(d.dynamicTableSize, 0);
  assert.equal(d.dynamicTableMaxSize, 4096);
  assert.throws(() => d.decode(hex("be")), HpackError);
  assert.throws(() => new HpackDecoder(LIMITS).decode(hex("3fe21f")), HpackError); // 4097
  assert.throws(() => new HpackDecoder(LIMITS).decode(hex("82 20")), HpackError); // after a field
});

Deno.test("HpackDecoder refuses bad indices, empty names and truncated blocks, then stays broken", () => {
  const bad = ["80", "be", "ff80ffffff07", "0000 0161", "4000 0161", "1080 0161", "41", "418cf1e3", "7f"];
  for (const wire of bad) {
    assert.throws(() => new HpackDecoder(LIMITS).decode(hex(wire)), HpackError, wire);
  }
  const d = new HpackDecoder(LIMITS);
  assert.throws(() => d.decode(hex("80")), HpackError);
  assert.throws(() => d.decode(hex("82")), HpackError);
});

Deno.test("HpackDecoder refuses an oversized list and keeps its table in step for the next block", () => {
  const d = new HpackDecoder({ maxDynamicTableSize: 4096, maxHeaderListSize: 100 });
  // 42 + 42 + 42 bytes of ":method: GET", then custom-key: custom-header with incremental indexing.
  assert.throws(
    () => d.decode(hex("828282 400a637573746f6d2d6b65790d637573746f6d2d686561646572")),
    HeaderListTooLargeError,
  );
  assert.deepEqual(d.decode(hex("be")), [["custom-key", "custom-header"]]);
  assert.deepEqual(d.decode(hex("8282")), [[":method", "GET"], [":method", "GET"]]);
});

Deno.test("HpackDecoder empties its table for an indexed literal larger than the table", () => {
  const d = new HpackDecoder({ maxDynamicTableSize: 64, maxHeaderListSize: 65536 });
  d.decode(hex("4001610162")); // a: b (34 bytes)
  const value = "v".repeat(40); // 1 + 40 + 32 = 73 > 64
  assert.deepEqual(d.decode(literal(0x40, "x", value)), [["x", value]]);
  assert.equal(d.dynamicTableSize, 0);
  assert.throws(() => d.decode(hex("be")), HpackError);
});

/** A block of one literal field with a new name: `flags` 0x40 incremental indexing, 0x00 without. */
function literal(flags: number, name: string, value: string): Uint8Array {
  const writer = new BlockWriter();
  writer.writeInteger(flags === 0x40 ? 6 : 4, flags, 0);
  writer.writeString(name);
  writer.writeString(value);
  return writer.finish();
}

Deno.test("HpackDecoder stops collecting an indexed-reference bomb at maxHeaderListSize", () => {
  const d = new HpackDecoder({ maxDynamicTableSize: 4096, maxHeaderListSize: 65536 });
  const value = "\0".repeat(4000);
  d.decode(literal(0x40, "x", value));
  assert.equal(d.dynamicTableSize, 4033);
  // 1 MiB of one-byte references to a 4 KB entry would be a 4 GB list: refused after 16 fields.
  const bomb = new Uint8Array(1 << 20).fill(0xbe);
  const started = performance.now();
  assert.throws(() => d.decode(bomb), HeaderListTooLargeError);
  assert.ok(performance.now() - started < 2000, "the bomb is parsed in linear time");
  assert.deepEqual(d.decode(hex("be")), [["x", value]]);
});

Deno.test("HpackDecoder skips a literal longer than the list limit, raw or Huffman, without decoding it", () => {
  for (const value of ["\0".repeat(5000), "a".repeat(5000)]) {
    const d = new HpackDecoder({ maxDynamicTableSize: 4096, maxHeaderListSize: 1000 });
    assert.throws(() => d.decode(literal(0x00, "x", value)), HeaderListTooLargeError);
    assert.deepEqual(d.decode(hex("82")), [[":method", "GET"]]);
  }
});

Deno.test("HpackDecoder decodes a typical gRPC request block in microseconds", () => {
  const request: HeaderField[] = [
    [":scheme", "http"],
    [":method", "POST"],
    [":authority", "127.0.0.1:6726"],
    [":path", "/arrow.flight.protocol.FlightService/DoGet"],
    ["te", "trailers"],
    ["content-type", "application/grpc"],
    ["user-agent", "grpc-python/1.66.1 grpc-c/43.0.0 (linux; chttp2)"],
    ["grpc-accept-encoding", "identity, deflate, gzip"],
    ["authorization", "Bearer msco_0123456789abcdef0123456789abcdef"],
    ["grpc-timeout", "29999987u"],
  ];
  const encoder = new HpackEncoder();
  const first = encoder.encode(request);
  const repeat = encoder.encode(request);
  const decoder = new HpackDecoder(LIMITS);
  assert.deepEqual(decoder.decode(first), request);
  const rounds = 20_000;
  const started = performance.now();
  for (let i = 0; i < rounds; i++) decoder.decode(repeat);
  const microseconds = ((performance.now() - started) * 1000) / rounds;
  // About 0.6 µs here; the bound leaves room for a loaded CI machine.
  assert.ok(microseconds < 25, `${microseconds.toFixed(2)} µs per block`);
});
