/**
 * Minimal protocol-buffers wire format: just what the Flight messages need (varints, 64-bit ints,
 * doubles, length-delimited fields). Decoding never copies bytes fields: they are subarrays of the
 * input. Folder-private to `flight/`.
 *
 * @module
 */

/** Wire types. */
export const VARINT = 0;
export const I64 = 1;
export const LEN = 2;
export const I32 = 5;

/** Thrown for bytes that are not a valid protobuf message; callers turn it into INVALID_ARGUMENT. */
export class ProtobufError extends Error {
  override name = "ProtobufError";
}

const utf8Decoder = new TextDecoder("utf-8", { fatal: true });
const utf8Encoder = new TextEncoder();

/** Sequential reader over one message's bytes. */
export class PbReader {
  readonly buf: Uint8Array;
  pos: number;
  readonly end: number;

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  done(): boolean {
    return this.pos >= this.end;
  }

  /** Reads a field key; returns [fieldNumber, wireType]. */
  tag(): [number, number] {
    const key = this.varint();
    const field = Math.floor(key / 8);
    if (field === 0) throw new ProtobufError("field number 0 is invalid");
    return [field, key & 7];
  }

  /** Reads a varint as a JS number (exact up to 2^53; larger values lose precision). */
  varint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtobufError("truncated varint");
      const b = this.buf[this.pos++];
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
    throw new ProtobufError("varint longer than 10 bytes");
  }

  /** Reads a varint as a signed 64-bit integer (two's complement), as `int64` fields are encoded. */
  int64(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtobufError("truncated varint");
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return BigInt.asIntN(64, result);
      shift += 7n;
    }
    throw new ProtobufError("varint longer than 10 bytes");
  }

  /** Reads a length-delimited field as a zero-copy subarray. */
  bytes(): Uint8Array {
    const len = this.varint();
    if (len > this.end - this.pos) throw new ProtobufError("length-delimited field runs past the end");
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  /** Reads a length-delimited field as strict UTF-8. */
  string(): string {
    try {
      return utf8Decoder.decode(this.bytes());
    } catch (err) {
      if (err instanceof ProtobufError) throw err;
      throw new ProtobufError("string field is not valid UTF-8");
    }
  }

  double(): number {
    if (this.end - this.pos < 8) throw new ProtobufError("truncated double");
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).getFloat64(0, true);
    this.pos += 8;
    return v;
  }

  /** Skips a field of the given wire type (unknown fields are ignored, as protobuf requires). */
  skip(wireType: number): void {
    switch (wireType) {
      case VARINT:
        this.varint();
        return;
      case I64:
        this.advance(8);
        return;
      case LEN:
        this.bytes();
        return;
      case I32:
        this.advance(4);
        return;
      default:
        throw new ProtobufError(`unsupported wire type ${wireType}`);
    }
  }

  /** Asserts the wire type of a known field. */
  expect(field: number, wireType: number, expected: number): void {
    if (wireType !== expected) {
      throw new ProtobufError(`field ${field} has wire type ${wireType}, expected ${expected}`);
    }
  }

  private advance(n: number): void {
    if (this.end - this.pos < n) throw new ProtobufError("truncated field");
    this.pos += n;
  }
}

/**
 * Append-only writer. Messages are built back to front-free: nested messages are encoded first
 * (into their own writer) and embedded as bytes, which is fine for the small control messages.
 */
export class PbWriter {
  #chunks: Uint8Array[] = [];
  #scratch = new Uint8Array(10);
  length = 0;

  /** Writes a field key. */
  tag(field: number, wireType: number): this {
    return this.varint(field * 8 + wireType);
  }

  varint(value: number): this {
    let n = 0;
    let v = value;
    while (v >= 0x80) {
      this.#scratch[n++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    this.#scratch[n++] = v;
    this.#push(this.#scratch.slice(0, n));
    return this;
  }

  int64Field(field: number, value: bigint): this {
    if (value === 0n) return this;
    this.tag(field, VARINT);
    let v = BigInt.asUintN(64, value);
    const out: number[] = [];
    while (v >= 0x80n) {
      out.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    out.push(Number(v));
    this.#push(Uint8Array.from(out));
    return this;
  }

  uintField(field: number, value: number): this {
    return value === 0 ? this : this.tag(field, VARINT).varint(value);
  }

  boolField(field: number, value: boolean): this {
    return value ? this.tag(field, VARINT).varint(1) : this;
  }

  /** Writes a bytes field; empty values are omitted (proto3 default). */
  bytesField(field: number, value: Uint8Array | undefined): this {
    if (!value || value.length === 0) return this;
    return this.#len(field, value);
  }

  /** Writes a string field; empty strings are omitted. */
  stringField(field: number, value: string | undefined): this {
    if (!value) return this;
    return this.#len(field, utf8Encoder.encode(value));
  }

  /** Writes a repeated string element (written even when empty, to keep the element). */
  repeatedString(field: number, value: string): this {
    return this.#len(field, utf8Encoder.encode(value));
  }

  /** Writes an embedded message (always written, even when empty: presence matters). */
  messageField(field: number, encoded: Uint8Array): this {
    return this.#len(field, encoded);
  }

  finish(): Uint8Array {
    if (this.#chunks.length === 1) return this.#chunks[0];
    const out = new Uint8Array(this.length);
    let off = 0;
    for (const c of this.#chunks) {
      out.set(c, off);
      off += c.length;
    }
    return out;
  }

  #len(field: number, value: Uint8Array): this {
    this.tag(field, LEN).varint(value.length);
    this.#push(value);
    return this;
  }

  #push(bytes: Uint8Array): void {
    this.#chunks.push(bytes);
    this.length += bytes.length;
  }
}

/** Number of bytes a varint takes. */
export function varintSize(value: number): number {
  let n = 1;
  let v = value;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

/** Writes a varint into `buf` at `pos`; returns the new position. */
export function writeVarint(buf: Uint8Array, pos: number, value: number): number {
  let v = value;
  while (v >= 0x80) {
    buf[pos++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  buf[pos++] = v;
  return pos;
}
