import assert from "node:assert/strict";
import { BlockReader, MAX_INTEGER } from "./block_reader.ts";
import { HpackError } from "./header.ts";
import { hex } from "./_test_util.ts";

function reader(text: string): BlockReader {
  const r = new BlockReader();
  r.reset(hex(text));
  return r;
}

Deno.test("BlockReader.readInteger() decodes RFC 7541 C.1 examples", () => {
  assert.equal(reader("0a").readInteger(5), 10); // C.1.1
  assert.equal(reader("1f9a0a").readInteger(5), 1337); // C.1.2
  assert.equal(reader("2a").readInteger(8), 42); // C.1.3
  assert.equal(reader("ea").readInteger(5), 10); // bits above the prefix are ignored
  assert.equal(reader("1f00").readInteger(5), 31);
});

Deno.test("BlockReader.readInteger() refuses values past 2^31 - 1, long encodings and truncation", () => {
  // 2^31 - 1 with a 7-bit prefix: 127, then 0x7fffff80 in 7-bit groups, least significant first.
  assert.equal(reader("7f80ffffff07").readInteger(7), MAX_INTEGER);
  assert.throws(() => reader("7f81ffffff07").readInteger(7), HpackError); // 2^31
  assert.throws(() => reader("7fffffffffffffffff0f").readInteger(7), HpackError);
  assert.throws(() => reader("7f808080808000").readInteger(7), HpackError); // 6 continuation bytes
  assert.throws(() => reader("1f9a").readInteger(5), HpackError);
  assert.throws(() => reader("").readInteger(5), HpackError);
});

Deno.test("BlockReader.readString() reads raw and Huffman literals, lossless for every byte", () => {
  const r = reader("03616263 8cf1e3c2e5f23a6ba0ab90f4ff 0480ff00c3 00 80");
  assert.equal(r.readString(100), "abc");
  assert.equal(r.readString(100), "www.example.com");
  assert.equal(r.readString(100), "\x80\xff\x00\xc3");
  assert.equal(r.readString(100), "");
  assert.equal(r.readString(-1), "");
  assert.ok(r.done);
});

Deno.test("BlockReader.readString() refuses a length past the block and skips one past maxLength", () => {
  assert.throws(() => reader("05616263").readString(100), HpackError);
  assert.throws(() => reader("7fffffffff07").readString(100), HpackError);
  const r = reader("03616263 8cf1e3c2e5f23a6ba0ab90f4ff 026869");
  assert.equal(r.readString(2), null);
  assert.equal(r.readString(14), null);
  assert.equal(r.readString(2), "hi");
  assert.ok(r.done);
});
