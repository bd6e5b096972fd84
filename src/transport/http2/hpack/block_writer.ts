/**
 * Writes HPACK primitives into one header block (RFC 7541 §5): prefixed integers, and string literals
 * Huffman-coded when that is strictly shorter. The buffer is reused from block to block; `finish()`
 * hands out a copy. Imports ./huffman/encode.ts.
 *
 * @module
 */
import { huffmanEncode, huffmanEncodedLength } from "./huffman/encode.ts";

/** Blocks under this size reuse one buffer; a larger one is dropped after use. */
const KEPT_CAPACITY = 16384;

/** A growable output buffer for one header block at a time. */
export class BlockWriter {
  #buf = new Uint8Array(512);
  #pos = 0;

  /** Writes `value` with an N-bit prefix; `flags` are the representation bits above the prefix. */
  writeInteger(prefixBits: number, flags: number, value: number): void {
    this.#ensure(6);
    const buf = this.#buf;
    const mask = (1 << prefixBits) - 1;
    if (value < mask) {
      buf[this.#pos++] = flags | value;
      return;
    }
    buf[this.#pos++] = flags | mask;
    let rest = value - mask;
    while (rest >= 128) {
      buf[this.#pos++] = (rest % 128) | 0x80;
      rest = Math.floor(rest / 128);
    }
    buf[this.#pos++] = rest;
  }

  /** Writes a string literal, Huffman-coded when strictly shorter. Throws RangeError on a char above 0xff. */
  writeString(s: string): void {
    const huffmanLength = huffmanEncodedLength(s);
    if (huffmanLength < s.length) {
      this.writeInteger(7, 0x80, huffmanLength);
      this.#ensure(huffmanLength);
      this.#pos = huffmanEncode(s, this.#buf, this.#pos);
      return;
    }
    this.writeInteger(7, 0, s.length);
    this.#ensure(s.length);
    const buf = this.#buf;
    let pos = this.#pos;
    for (let i = 0; i < s.length; i++) buf[pos++] = s.charCodeAt(i);
    this.#pos = pos;
  }

  /** The block written since the last call, as a new array; the writer starts over. */
  finish(): Uint8Array {
    const block = this.#buf.slice(0, this.#pos);
    this.#pos = 0;
    if (this.#buf.length > KEPT_CAPACITY) this.#buf = new Uint8Array(512);
    return block;
  }

  #ensure(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    const grown = new Uint8Array(Math.max(this.#buf.length * 2, this.#pos + n));
    grown.set(this.#buf.subarray(0, this.#pos));
    this.#buf = grown;
  }
}
