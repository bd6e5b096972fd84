/**
 * What every HPACK file shares: the header field type, its RFC size, and the two errors the decoder
 * throws. Imports nothing; the HTTP/2 layer maps the errors to its own codes.
 *
 * @module
 */

/** Header names and values are byte strings: one char per byte (latin1), lossless. */
export type HeaderField = [name: string, value: string];

/** Per-entry overhead in the table and header-list size accounting (RFC 7541 §4.1, RFC 9113 §6.5.2). */
export const ENTRY_OVERHEAD = 32;

/** The size of one field for table eviction and SETTINGS_MAX_HEADER_LIST_SIZE: name + value + 32. */
export function fieldSize(name: string, value: string): number {
  return name.length + value.length + ENTRY_OVERHEAD;
}

/**
 * A header block that breaks RFC 7541 (bad index, integer overflow, bad Huffman padding, a table size
 * update in the wrong place or over our limit, an empty name, a truncated block). The decoding context
 * is unusable afterwards: the HTTP/2 layer answers with a COMPRESSION_ERROR connection error.
 */
export class HpackError extends Error {
  override name = "HpackError";
}

/**
 * A well-formed header block whose decoded list is larger than `maxHeaderListSize`. The decoder has
 * still read the whole block and kept its dynamic table in step with the peer's, so the HTTP/2 layer
 * can refuse the one stream (RFC 9113 §10.5.1) and keep the connection.
 */
export class HeaderListTooLargeError extends Error {
  override name = "HeaderListTooLargeError";
  /** The limit that was passed, in RFC 9113 §6.5.2 bytes. */
  readonly limitBytes: number;

  constructor(limitBytes: number) {
    super(`Cannot accept header list: its size exceeds ${limitBytes} bytes`);
    this.limitBytes = limitBytes;
  }
}
