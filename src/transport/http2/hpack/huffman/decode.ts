/**
 * HPACK Huffman decoding (RFC 7541 §5.2) four bits at a time through a state machine derived from the
 * code table: a state is an internal node of the code tree (256 of them, the root is 0), and each
 * (state, nibble) transition gives the next state, the symbol completed on the way (at most one: codes
 * are at least 5 bits long), whether EOS was reached (an error), and whether the next state may end a
 * string (padding: fewer than 8 bits, all ones). The table (4096 entries) is built on first use.
 * Imports ./table.ts and ../header.ts (for HpackError).
 *
 * @module
 */
import { HpackError } from "../header.ts";
import { EOS, HUFFMAN_CODES, HUFFMAN_LENGTHS } from "./table.ts";

/** Transition flags, packed above the 8-bit symbol; the next state sits in bits 16..23. */
const EMITS = 0x100;
const FAILS = 0x200;
const ACCEPTS = 0x400;

let transitions: Uint32Array | null = null;

/** Builds the code tree, then walks every nibble from every internal node. */
function buildTransitions(): Uint32Array {
  // children[2 * node + bit]: >= 0 an internal node, < 0 a leaf holding symbol -(child + 1).
  const children: number[] = [0, 0];
  let nodes = 1;
  for (let sym = 0; sym <= EOS; sym++) {
    const code = HUFFMAN_CODES[sym];
    let node = 0;
    for (let bit = HUFFMAN_LENGTHS[sym] - 1; bit >= 0; bit--) {
      const at = 2 * node + ((code >>> bit) & 1);
      if (bit === 0) {
        children[at] = -(sym + 1);
      } else {
        if (children[at] === 0) {
          children[at] = nodes++;
          children.push(0, 0);
        }
        node = children[at];
      }
    }
  }
  // A string may end in a node reached from the root by at most 7 one-bits (RFC 7541 §5.2 padding).
  const accepting = new Uint8Array(nodes);
  accepting[0] = 1;
  for (let node = 0, depth = 0; depth < 7; depth++) {
    node = children[2 * node + 1];
    accepting[node] = 1;
  }
  const table = new Uint32Array(nodes * 16);
  for (let state = 0; state < nodes; state++) {
    for (let nibble = 0; nibble < 16; nibble++) {
      let node = state;
      let entry = 0;
      for (let bit = 3; bit >= 0; bit--) {
        const child = children[2 * node + ((nibble >>> bit) & 1)];
        if (child >= 0) {
          node = child;
        } else if (-(child + 1) === EOS) {
          entry |= FAILS;
          break;
        } else {
          entry |= EMITS | -(child + 1);
          node = 0;
        }
      }
      if (accepting[node] === 1) entry |= ACCEPTS;
      table[state * 16 + nibble] = entry | (node << 16);
    }
  }
  return table;
}

/** The most bytes `length` Huffman-coded bytes can decode to (the shortest code is 5 bits). */
export function maxHuffmanDecodedLength(encodedLength: number): number {
  return Math.floor((encodedLength * 8) / 5);
}

/** The fewest bytes `length` Huffman-coded bytes can decode to (the longest code is 30 bits). */
export function minHuffmanDecodedLength(encodedLength: number): number {
  return Math.floor((encodedLength * 8) / 30);
}

/**
 * Decodes `src[start, end)` into `out` from offset 0 and returns the decoded length, or -1 as soon as it
 * would pass `maxLength` (the rest is then not checked). `out` must hold `min(maxLength,
 * maxHuffmanDecodedLength(end - start))` bytes. Throws HpackError on EOS or bad padding.
 */
export function huffmanDecode(
  src: Uint8Array,
  range: { start: number; end: number; maxLength: number },
  out: Uint8Array,
): number {
  const table = transitions ??= buildTransitions();
  const { start, end, maxLength } = range;
  let state = 0;
  let accepts = ACCEPTS;
  let n = 0;
  for (let i = start; i < end; i++) {
    const byte = src[i];
    let entry = table[(state << 4) | (byte >>> 4)];
    if ((entry & FAILS) !== 0) throw new HpackError("Cannot decode Huffman string: it contains EOS");
    if ((entry & EMITS) !== 0) {
      if (n === maxLength) return -1;
      out[n++] = entry & 0xff;
    }
    entry = table[((entry >>> 16) << 4) | (byte & 0xf)];
    if ((entry & FAILS) !== 0) throw new HpackError("Cannot decode Huffman string: it contains EOS");
    if ((entry & EMITS) !== 0) {
      if (n === maxLength) return -1;
      out[n++] = entry & 0xff;
    }
    state = entry >>> 16;
    accepts = entry & ACCEPTS;
  }
  if (accepts === 0) {
    throw new HpackError("Cannot decode Huffman string: padding is longer than 7 bits or not all ones");
  }
  return n;
}
