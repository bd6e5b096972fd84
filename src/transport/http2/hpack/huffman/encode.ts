/**
 * HPACK Huffman encoding (RFC 7541 §5.2): the encoded length of a latin1 string, and the encoding itself
 * into a caller's buffer, padded with the most significant bits of EOS (ones). Imports ./table.ts.
 *
 * @module
 */
import { HUFFMAN_CODES, HUFFMAN_LENGTHS } from "./table.ts";

/**
 * Bytes that `s` takes once Huffman-coded. Throws RangeError on a char above 0xff: header strings are
 * byte strings, one char per byte.
 */
export function huffmanEncodedLength(s: string): number {
  let bits = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) throw new RangeError(`Cannot encode header string: char ${c} at ${i} is not a byte`);
    bits += HUFFMAN_LENGTHS[c];
  }
  return (bits + 7) >>> 3;
}

/**
 * Writes the Huffman code of `s` at `out[offset]` and returns the offset after it. `out` must have room
 * for `huffmanEncodedLength(s)` bytes (which also validated the chars).
 */
export function huffmanEncode(s: string, out: Uint8Array, offset: number): number {
  let pos = offset;
  // Pending bits, right-aligned; fewer than 8 between symbols, so a code of up to 24 bits fits in 31.
  let acc = 0;
  let pending = 0;
  for (let i = 0; i < s.length; i++) {
    const sym = s.charCodeAt(i);
    let code = HUFFMAN_CODES[sym];
    let length = HUFFMAN_LENGTHS[sym];
    if (length > 24) {
      // Codes of 25..30 bits go in two steps so the accumulator stays within 31 bits.
      const high = length - 16;
      acc = (acc << high) | (code >>> 16);
      pending += high;
      while (pending >= 8) {
        pending -= 8;
        out[pos++] = acc >>> pending;
      }
      acc &= (1 << pending) - 1;
      code &= 0xffff;
      length = 16;
    }
    acc = (acc << length) | code;
    pending += length;
    while (pending >= 8) {
      pending -= 8;
      out[pos++] = acc >>> pending;
    }
    acc &= (1 << pending) - 1;
  }
  if (pending > 0) out[pos++] = (acc << (8 - pending)) | (0xff >>> pending);
  return pos;
}
