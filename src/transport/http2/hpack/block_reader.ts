/**
 * Reads HPACK primitives from one header block (RFC 7541 §5): prefixed integers with an overflow bound,
 * and string literals (raw or Huffman) bounded by the rest of the block and by a caller's length limit,
 * turned into latin1 strings without per-byte concatenation. Imports ./header.ts and ./huffman/, and
 * node:buffer for the lossless latin1 conversion (TextDecoder's "latin1" is windows-1252).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { HpackError } from "./header.ts";
import { huffmanDecode, maxHuffmanDecodedLength, minHuffmanDecodedLength } from "./huffman/decode.ts";

/** Largest integer accepted anywhere in a block (indices, lengths, table sizes): 2^31 - 1. */
export const MAX_INTEGER = 0x7fffffff;
/** 2^31 - 1 needs at most 5 continuation bytes after an 8-bit prefix; more is refused. */
const MAX_CONTINUATION_BYTES = 5;
const EMPTY = new Uint8Array(0);

/** A cursor over one header block. */
export class BlockReader {
  #bytes: Uint8Array = EMPTY;
  #latin1: Buffer = Buffer.from(EMPTY.buffer);
  #pos = 0;
  /** Huffman output, reused across strings and blocks; grows to the longest string decoded. */
  #scratch: Uint8Array = new Uint8Array(256);
  #scratchLatin1: Buffer = Buffer.from(this.#scratch.buffer);

  /** Starts reading `block`. */
  reset(block: Uint8Array): void {
    this.#bytes = block;
    this.#latin1 = Buffer.from(block.buffer, block.byteOffset, block.byteLength);
    this.#pos = 0;
  }

  /** Drops the reference to the last block, and a scratch buffer grown past 16 KiB by a long string. */
  release(): void {
    this.reset(EMPTY);
    if (this.#scratch.length > 16384) {
      this.#scratch = new Uint8Array(256);
      this.#scratchLatin1 = Buffer.from(this.#scratch.buffer);
    }
  }

  /** True once every byte of the block has been read. */
  get done(): boolean {
    return this.#pos >= this.#bytes.length;
  }

  /** The next byte, not consumed; the caller checks `done` first. */
  peek(): number {
    return this.#bytes[this.#pos];
  }

  /** Reads an integer with an N-bit prefix (RFC 7541 §5.1); refuses values above MAX_INTEGER. */
  readInteger(prefixBits: number): number {
    const bytes = this.#bytes;
    if (this.#pos >= bytes.length) throw truncated();
    const mask = (1 << prefixBits) - 1;
    let value = bytes[this.#pos++] & mask;
    if (value < mask) return value;
    let scale = 1;
    for (let i = 0; i < MAX_CONTINUATION_BYTES; i++) {
      if (this.#pos >= bytes.length) throw truncated();
      const b = bytes[this.#pos++];
      value += (b & 0x7f) * scale;
      if (value > MAX_INTEGER) throw new HpackError(`Cannot decode integer: it exceeds ${MAX_INTEGER}`);
      if ((b & 0x80) === 0) return value;
      scale *= 128;
    }
    throw new HpackError(`Cannot decode integer: more than ${MAX_CONTINUATION_BYTES} continuation bytes`);
  }

  /**
   * Reads a string literal (RFC 7541 §5.2). Returns null, with the literal consumed, when its decoded
   * length would exceed `maxLength` (a negative limit skips it without decoding): nothing is allocated
   * for a string that is refused. An empty literal is always "" (so an empty name is always seen).
   */
  readString(maxLength: number): string | null {
    const huffman = this.#pos < this.#bytes.length && (this.#bytes[this.#pos] & 0x80) !== 0;
    const length = this.readInteger(7);
    const start = this.#pos;
    const end = start + length;
    if (end > this.#bytes.length) throw truncated();
    this.#pos = end;
    if (length === 0) return "";
    if (!huffman) return length > maxLength ? null : this.#latin1.toString("latin1", start, end);
    if (minHuffmanDecodedLength(length) > maxLength) return null;
    const room = Math.min(maxLength, maxHuffmanDecodedLength(length));
    if (this.#scratch.length < room) {
      this.#scratch = new Uint8Array(Math.max(room, this.#scratch.length * 2));
      this.#scratchLatin1 = Buffer.from(this.#scratch.buffer);
    }
    const n = huffmanDecode(this.#bytes, { start, end, maxLength }, this.#scratch);
    return n < 0 ? null : this.#scratchLatin1.toString("latin1", 0, n);
  }
}

function truncated(): HpackError {
  return new HpackError("Cannot decode header block: it ends inside a field");
}
