/**
 * Per-row comparison of a column's values with one query operand, for `row_filter.ts`: a function from
 * an operand to `cmp(row)`, the sign of value − operand (NaN when incomparable, e.g. a NaN value), or
 * null when the column never matches that operand. Also the text of a string row, for globs and sets.
 *
 * - numeric columns (int/uint of every width, float16/32/64, bool as 0/1) take numbers and booleans;
 *   int64/uint64 and integer operands compare exactly, beyond 2^53 too.
 * - utf8/large_utf8 take strings, in UTF-8 byte order.
 * - date/time/timestamp take strings: a decimal integer compares with the raw stored value, an ISO
 *   8601 date, date-time or time of day with the instant (`model/temporal_operand.ts`), exactly, in
 *   the column's unit; any other string with the value's statistics text (`_temporal_text.ts`).
 *
 * Must not import anything outside `src/arrow/`, `src/model/` and `src/errors.ts`.
 *
 * @module
 */
import { type Data, DataType, DateUnit, Precision, TimeUnit, Type } from "apache-arrow";
import { parseTemporalOperand } from "../model/temporal_operand.ts";
import type { Scalar } from "../model/types.ts";
import { compareUtf8 } from "./_stats_scan.ts";
import { isTemporal, temporalToText } from "./_temporal_text.ts";

/** Sign of a row's value minus the operand. */
export type RowCompare = (i: number) => number;

/** For a column, a function from an operand to a row comparison, or null when the column never matches. */
export function comparator(data: Data): ((operand: Scalar) => RowCompare | null) | null {
  const type = data.type;
  const values = data.values;
  if (isTemporal(type)) return temporalComparator(type, values as Int32Array | BigInt64Array);
  if (DataType.isInt(type) && type.bitWidth === 64) {
    const wide = values as BigInt64Array | BigUint64Array;
    return numeric((v) => (i) => compareExact(wide[i], v));
  }
  if (DataType.isInt(type) || DataType.isFloat(type)) {
    const narrow = DataType.isFloat(type) && type.precision === Precision.HALF
      ? new Float16Array(values.buffer, values.byteOffset, values.length)
      : values as ArrayLike<number>;
    return numeric((v) =>
      typeof v === "number" ? (i) => compareNumbers(narrow[i], v) : (i) => -compareExact(v, narrow[i])
    );
  }
  if (DataType.isBool(type)) {
    const bits = values as Uint8Array, offset = data.offset;
    return numeric((v) => (i) => {
      const bit = offset + i;
      return compareExact(BigInt((bits[bit >> 3] >> (bit & 7)) & 1), v);
    });
  }
  if (isText(data)) {
    const bytes = values as Uint8Array, offsets = data.valueOffsets as Int32Array | BigInt64Array;
    return (operand) => {
      if (typeof operand !== "string") return null;
      const target = new TextEncoder().encode(operand);
      return (i) => compareBytes(bytes, Number(offsets[i]), Number(offsets[i + 1]), target);
    };
  }
  return null;
}

/** Whether `data` is a utf8 or large_utf8 column. */
export function isText(data: Data): boolean {
  return data.type.typeId === Type.Utf8 || data.type.typeId === Type.LargeUtf8;
}

/** The text of row `i` of a utf8/large_utf8 column (valid rows only). */
export function textReader(data: Data): (i: number) => string {
  const bytes = data.values as Uint8Array, offsets = data.valueOffsets as Int32Array | BigInt64Array;
  const decoder = new TextDecoder();
  return (i) => decoder.decode(bytes.subarray(Number(offsets[i]), Number(offsets[i + 1])));
}

const NS_PER_UNIT: Record<TimeUnit, bigint> = {
  [TimeUnit.SECOND]: 1_000_000_000n,
  [TimeUnit.MILLISECOND]: 1_000_000n,
  [TimeUnit.MICROSECOND]: 1_000n,
  [TimeUnit.NANOSECOND]: 1n,
};

function temporalComparator(
  type: DataType,
  values: Int32Array | BigInt64Array,
): (operand: Scalar) => RowCompare | null {
  const raw = (i: number): bigint => BigInt(values[i]);
  const isTime = DataType.isTime(type);
  const nsPerRaw = DataType.isDate(type)
    ? (type.unit === DateUnit.DAY ? 86_400_000_000_000n : 1_000_000n)
    : NS_PER_UNIT[(type as DataType & { unit: TimeUnit }).unit];
  return (operand) => {
    if (typeof operand !== "string") return null;
    const parsed = parseTemporalOperand(operand);
    if (parsed?.kind === "integer") return (i) => compareBigints(raw(i), parsed.value);
    if (parsed !== null && (parsed.kind === "time") === isTime) {
      // value × nsPerRaw against ns: exact through the floor of ns / nsPerRaw and its remainder.
      let q = parsed.ns / nsPerRaw, r = parsed.ns % nsPerRaw;
      if (r < 0n) q -= 1n, r += nsPerRaw;
      return (i) => {
        const c = compareBigints(raw(i), q);
        return c !== 0 || r === 0n ? c : -1; // equal to q: below the operand by the remainder
      };
    }
    return (i) => compareUtf8(temporalToText(type, raw(i)), operand);
  };
}

/** Numeric columns take numbers and booleans (as 0/1); strings never match them. */
function numeric(make: (v: number | bigint) => RowCompare): (operand: Scalar) => RowCompare | null {
  return (operand) => {
    if (typeof operand === "string") return null;
    if (typeof operand === "boolean") return make(operand ? 1n : 0n);
    return make(operand);
  };
}

function compareNumbers(x: number, v: number): number {
  return x < v ? -1 : x > v ? 1 : x === v ? 0 : NaN;
}

function compareBigints(x: bigint, v: bigint): number {
  return x < v ? -1 : x > v ? 1 : 0;
}

/** Sign of `x − v` computed exactly, for an integer `x` and any number `v` (NaN when `v` is NaN). */
export function compareExact(x: bigint, v: number | bigint): number {
  if (typeof v === "bigint") return compareBigints(x, v);
  if (Number.isNaN(v)) return NaN;
  if (v === Infinity) return -1;
  if (v === -Infinity) return 1;
  if (Number.isInteger(v)) return compareExact(x, BigInt(v));
  return x <= BigInt(Math.floor(v)) ? -1 : 1; // v has a fraction: x is never equal to it
}

/** Sign of `bytes[start..end) − target` in byte order. */
function compareBytes(bytes: Uint8Array, start: number, end: number, target: Uint8Array): number {
  const len = end - start, common = Math.min(len, target.length);
  for (let k = 0; k < common; k++) {
    const d = bytes[start + k] - target[k];
    if (d !== 0) return d;
  }
  return len - target.length;
}
