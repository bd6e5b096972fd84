import assert from "node:assert/strict";
import { HpackError } from "../header.ts";
import { hex, toHex } from "../_test_util.ts";
import { huffmanDecode, maxHuffmanDecodedLength } from "./decode.ts";
import { huffmanEncode, huffmanEncodedLength } from "./encode.ts";
import { EOS, HUFFMAN_CODES, HUFFMAN_LENGTHS } from "./table.ts";

function encode(s: string): Uint8Array {
  const out = new Uint8Array(huffmanEncodedLength(s));
  assert.equal(huffmanEncode(s, out, 0), out.length);
  return out;
}

function decode(bytes: Uint8Array, maxLength = 1 << 20): string | null {
  const out = new Uint8Array(maxHuffmanDecodedLength(bytes.length));
  const n = huffmanDecode(bytes, { start: 0, end: bytes.length, maxLength }, out);
  return n < 0 ? null : String.fromCharCode(...out.subarray(0, n));
}

Deno.test("huffman table is a complete prefix code with EOS as 30 one-bits", () => {
  assert.equal(HUFFMAN_CODES.length, 257);
  assert.equal(HUFFMAN_LENGTHS[EOS], 30);
  assert.equal(HUFFMAN_CODES[EOS], 0x3fffffff);
  // Kraft sum of exactly 1: every bit string is a prefix of some code (complete), none is ambiguous.
  let kraft = 0;
  for (const length of HUFFMAN_LENGTHS) kraft += 2 ** (30 - length);
  assert.equal(kraft, 2 ** 30);
  const seen = new Set<string>();
  for (let sym = 0; sym <= EOS; sym++) {
    const bits = HUFFMAN_CODES[sym].toString(2).padStart(HUFFMAN_LENGTHS[sym], "0");
    for (let k = 1; k < bits.length; k++) assert.ok(!seen.has(bits.slice(0, k)), `prefix of ${sym}`);
    seen.add(bits);
  }
});

Deno.test("huffmanEncode() matches RFC 7541 C.4 and C.6 strings", () => {
  assert.equal(toHex(encode("www.example.com")), "f1e3c2e5f23a6ba0ab90f4ff");
  assert.equal(toHex(encode("no-cache")), "a8eb10649cbf");
  assert.equal(toHex(encode("custom-key")), "25a849e95ba97d7f");
  assert.equal(toHex(encode("custom-value")), "25a849e95bb8e8b4bf");
  assert.equal(toHex(encode("302")), "6402");
  assert.equal(
    toHex(encode("Mon, 21 Oct 2013 20:13:21 GMT")),
    "d07abe941054d444a8200595040b8166e082a62d1bff",
  );
  assert.equal(toHex(encode("")), "");
});

Deno.test("huffmanDecode() inverts huffmanEncode() for every byte and long strings", () => {
  for (let b = 0; b < 256; b++) {
    const s = String.fromCharCode(b);
    assert.equal(decode(encode(s)), s, `byte ${b}`);
  }
  const all = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join("");
  assert.equal(decode(encode(all + all)), all + all);
  assert.equal(decode(hex("f1e3c2e5f23a6ba0ab90f4ff")), "www.example.com");
});

Deno.test("huffmanDecode() refuses EOS, padding over 7 bits, and padding that is not all ones", () => {
  assert.throws(() => decode(hex("ffffffff")), HpackError); // EOS (30 ones) then 2 padding bits
  assert.throws(() => decode(hex("f1e3c2e5f23a6ba0ab90f4ffff")), HpackError); // a whole byte of padding
  assert.throws(() => decode(hex("fe")), HpackError); // 8 bits that are not a code: '11111110'
  // "0" is 00000: its padding must be 111, so 0x00 (000 padding) is refused and 0x07 accepted.
  assert.equal(decode(hex("07")), "0");
  assert.throws(() => decode(hex("00")), HpackError);
  assert.throws(() => decode(hex("06")), HpackError);
  assert.equal(decode(new Uint8Array(0)), "");
});

Deno.test("huffmanDecode() stops at maxLength without writing past it", () => {
  const bytes = encode("aaaaaaaaaa");
  assert.equal(decode(bytes, 10), "aaaaaaaaaa");
  assert.equal(decode(bytes, 9), null);
  const out = new Uint8Array(3);
  assert.equal(huffmanDecode(bytes, { start: 0, end: bytes.length, maxLength: 3 }, out), -1);
});

Deno.test("huffmanEncodedLength() refuses chars above 0xff", () => {
  assert.throws(() => huffmanEncodedLength("caf\u0100"), RangeError);
});
