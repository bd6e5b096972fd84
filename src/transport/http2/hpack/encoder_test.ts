import assert from "node:assert/strict";
import { HpackDecoder } from "./decoder.ts";
import { HpackEncoder } from "./encoder.ts";
import type { HeaderField } from "./header.ts";
import { RFC_VECTORS, toHex } from "./_test_util.ts";

const LIMITS = { maxDynamicTableSize: 65536, maxHeaderListSize: 1 << 20 };

Deno.test("HpackEncoder writes RFC 7541 C.4 requests byte for byte", () => {
  const encoder = new HpackEncoder();
  for (const [i, fields] of RFC_VECTORS.requests.entries()) {
    assert.equal(toHex(encoder.encode(fields)), RFC_VECTORS.c4[i], `request ${i}`);
  }
});

Deno.test("HpackEncoder writes RFC 7541 C.6 responses, set-cookie never indexed", () => {
  const encoder = new HpackEncoder({ maxDynamicTableSize: 256 });
  const decoder = new HpackDecoder({ maxDynamicTableSize: 256, maxHeaderListSize: 65536 });
  const [first, second, third] = RFC_VECTORS.responses;
  // The peer's table is 256 bytes here: our first block announces it.
  const block1 = encoder.encode(first);
  assert.equal(toHex(block1), "3fe101" + RFC_VECTORS.c6[0]);
  // "307" is 3 bytes Huffman-coded too: not shorter, so it stays raw, as in C.5.2.
  const block2 = encoder.encode(second);
  assert.equal(toHex(block2), RFC_VECTORS.c5[1]);
  const block3 = encoder.encode(third);
  // As C.6.3 up to set-cookie, which is sent never-indexed (0001, name index 55) instead of indexed.
  assert.ok(toHex(block3).startsWith("88c16196d07abe941054d444a8200595040b8166e084a62d1bffc05a839bd9ab1f28"));
  assert.deepEqual(decoder.decode(block1), first);
  assert.deepEqual(decoder.decode(block2), second);
  assert.deepEqual(decoder.decode(block3), third);
});

Deno.test("HpackEncoder sends credentials and cookies never-indexed, and keeps them out of its table", () => {
  const encoder = new HpackEncoder();
  const secrets: HeaderField[] = [
    ["authorization", "Bearer abc"],
    ["mosaico-api-key-token", "msco_secret"],
    ["cookie", "a=b"],
  ];
  for (let round = 0; round < 2; round++) {
    const block = encoder.encode(secrets);
    const decoder = new HpackDecoder(LIMITS);
    assert.deepEqual(decoder.decode(block), secrets);
    assert.equal(decoder.dynamicTableSize, 0);
    assert.equal(block[0] & 0xf0, 0x10, "never-indexed representation");
  }
});

Deno.test("HpackEncoder indexes repeated fields, Huffman-codes only when shorter", () => {
  const encoder = new HpackEncoder();
  const decoder = new HpackDecoder(LIMITS);
  const fields: HeaderField[] = [[":status", "200"], ["content-type", "application/grpc"], [
    "grpc-status",
    "0",
  ]];
  const first = encoder.encode(fields);
  const second = encoder.encode(fields);
  assert.deepEqual(decoder.decode(first), fields);
  assert.deepEqual(decoder.decode(second), fields);
  assert.equal(toHex(second), "88bfbe"); // :status 200 static; both others from the dynamic table
  // "x-b" takes 19 bits Huffman-coded, "\0\0" 26: neither is shorter, both stay raw.
  assert.equal(toHex(encoder.encode([["x-b", "\0\0"]])), "4003782d62020000");
  assert.equal(toHex(encoder.encode([["x-c", "aaaa"]])), "4003782d6383" + "18c63f"); // 'a' is 5 bits
});

Deno.test("HpackEncoder announces table size changes at the next block, smallest first", () => {
  const encoder = new HpackEncoder({ maxDynamicTableSize: 65536 });
  const decoder = new HpackDecoder(LIMITS);
  const fields: HeaderField[] = [["x-a", "1"], ["x-b", "2"]];
  decoder.decode(encoder.encode(fields));
  encoder.setMaxDynamicTableSize(0);
  encoder.setMaxDynamicTableSize(8192);
  const block = encoder.encode(fields);
  assert.equal(toHex(block.subarray(0, 4)), "203fe13f"); // 0, then 8192
  assert.deepEqual(decoder.decode(block), fields);
  assert.equal(decoder.dynamicTableMaxSize, 8192);
  encoder.setMaxDynamicTableSize(1 << 20); // above our cap of 65536
  assert.deepEqual(decoder.decode(encoder.encode(fields)), fields);
  assert.equal(decoder.dynamicTableMaxSize, 65536);
  encoder.setMaxDynamicTableSize(65536); // no change: no update
  assert.equal(toHex(encoder.encode([[":method", "GET"]])), "82");
});

Deno.test("HpackEncoder does not index a field larger than 3/4 of the table", () => {
  const encoder = new HpackEncoder();
  const decoder = new HpackDecoder(LIMITS);
  const big: HeaderField[] = [["x-big", "v".repeat(3100)]];
  assert.deepEqual(decoder.decode(encoder.encode(big)), big);
  assert.equal(decoder.dynamicTableSize, 0);
});

Deno.test("HpackEncoder.encode() refuses chars above 0xff and stays in step with the decoder", () => {
  const encoder = new HpackEncoder();
  const decoder = new HpackDecoder(LIMITS);
  assert.throws(() => encoder.encode([["x-a", "1"], ["x-b", "\u20ac"]]), RangeError);
  const fields: HeaderField[] = [["x-a", "1"], ["x-c", "\xe9\xff"]];
  assert.deepEqual(decoder.decode(encoder.encode(fields)), fields);
  assert.deepEqual(decoder.decode(encoder.encode(fields)), fields);
});
