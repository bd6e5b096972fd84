/**
 * The check that parquet-wasm's streaming writer finished a file with every row (it writes a footer
 * whatever happened): a copy of the stream's last bytes, and the footer's row count read from them with
 * just enough of the thrift compact protocol. Folder-private to `arrow/`; imports nothing.
 *
 * @module
 */

/**
 * The file's last bytes kept for the footer check: the writer puts the whole footer in its last output,
 * and a footer stays far smaller than this even with hundreds of row groups.
 */
export const FOOTER_WINDOW_BYTES = 1 << 20;

/** A copy of the last `size` bytes of a stream. */
export class TailCopy {
  readonly #buffer: Uint8Array;
  #length = 0;

  constructor(size: number) {
    this.#buffer = new Uint8Array(size);
  }

  add(chunk: Uint8Array): void {
    const size = this.#buffer.length;
    if (chunk.length >= size) {
      this.#buffer.set(chunk.subarray(chunk.length - size));
      this.#length = size;
      return;
    }
    const keep = Math.min(this.#length, size - chunk.length);
    this.#buffer.copyWithin(0, this.#length - keep, this.#length);
    this.#buffer.set(chunk, keep);
    this.#length = keep + chunk.length;
  }

  bytes(): Uint8Array {
    return this.#buffer.subarray(0, this.#length);
  }
}

/** Proves the writer finished the file with every row: the footer must be there and count `rows`. */
export function checkFooter(bytes: Uint8Array, rows: number): void {
  const n = bytes.length;
  const magic = n >= 8 && new TextDecoder().decode(bytes.subarray(n - 4)) === "PAR1";
  const footerLength = magic ? new DataView(bytes.buffer, bytes.byteOffset).getUint32(n - 8, true) : 0;
  if (!magic || footerLength + 8 > n) {
    throw new Error("Cannot write Parquet chunk: the writer did not finish the file");
  }
  const written = readFooterRowCount(bytes.subarray(n - 8 - footerLength, n - 8));
  if (written !== BigInt(rows)) {
    throw new Error(`Cannot write Parquet chunk: the writer stored ${written} of ${rows} rows`);
  }
}

/** `num_rows` (field 3) of a thrift-compact `FileMetaData`; the other fields are skipped. */
function readFooterRowCount(footer: Uint8Array): bigint {
  const r = new CompactReader(footer);
  let numRows: bigint | null = null;
  for (let field = r.fieldHeader(0); field !== null; field = r.fieldHeader(field.id)) {
    if (field.id === 3 && field.type === I64) numRows = r.zigzag();
    else r.skip(field.type, 0);
  }
  if (numRows === null) throw new Error("Cannot write Parquet chunk: the footer has no row count");
  return numRows;
}

// Thrift compact type ids.
const TRUE = 1, FALSE = 2, BYTE = 3, I16 = 4, I32 = 5, I64 = 6, DOUBLE = 7, BINARY = 8;
const LIST = 9, SET = 10, MAP = 11, STRUCT = 12;

/** Just enough of the thrift compact protocol to walk a Parquet footer. */
class CompactReader {
  #pos = 0;
  constructor(readonly bytes: Uint8Array) {}

  byte(): number {
    if (this.#pos >= this.bytes.length) throw new Error("Cannot write Parquet chunk: truncated footer");
    return this.bytes[this.#pos++];
  }

  varint(): bigint {
    let value = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const b = this.byte();
      value |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return value;
    }
    throw new Error("Cannot write Parquet chunk: malformed footer");
  }

  zigzag(): bigint {
    const v = this.varint();
    return (v >> 1n) ^ -(v & 1n);
  }

  /** The next field of the current struct, or null at its end. */
  fieldHeader(lastId: number): { id: number; type: number } | null {
    const h = this.byte();
    if (h === 0) return null;
    const delta = h >> 4;
    return { id: delta === 0 ? Number(this.zigzag()) : lastId + delta, type: h & 0x0f };
  }

  skip(type: number, depth: number): void {
    if (depth > 32) throw new Error("Cannot write Parquet chunk: footer nested too deeply");
    if (type === TRUE || type === FALSE) return; // a field's bool lives in its header
    if (type === BYTE) this.#advance(1);
    else if (type === I16 || type === I32 || type === I64) this.varint();
    else if (type === DOUBLE) this.#advance(8);
    else if (type === BINARY) this.#advance(Number(this.varint()));
    else if (type === LIST || type === SET) {
      const h = this.byte();
      const size = (h >> 4) === 15 ? Number(this.varint()) : h >> 4;
      for (let i = 0; i < size; i++) this.#skipElement(h & 0x0f, depth);
    } else if (type === MAP) {
      const size = Number(this.varint());
      const kv = size > 0 ? this.byte() : 0;
      for (let i = 0; i < size; i++) {
        this.#skipElement(kv >> 4, depth);
        this.#skipElement(kv & 0x0f, depth);
      }
    } else if (type === STRUCT) {
      for (let f = this.fieldHeader(0); f !== null; f = this.fieldHeader(f.id)) this.skip(f.type, depth + 1);
    } else throw new Error(`Cannot write Parquet chunk: unknown thrift type ${type} in the footer`);
  }

  /** Collection elements: bools take a byte each. */
  #skipElement(type: number, depth: number): void {
    if (type === TRUE || type === FALSE) this.#advance(1);
    else this.skip(type, depth + 1);
  }

  #advance(n: number): void {
    this.#pos += n;
    if (this.#pos > this.bytes.length) throw new Error("Cannot write Parquet chunk: truncated footer");
  }
}
