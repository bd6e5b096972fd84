/**
 * Row predicates for ontology queries (protocol 9.4): does at least one row of a batch satisfy every
 * condition at once, and (2026 `include_timestamp_range`) which `timestamp_ns` range do those rows
 * span? Evaluated straight over Arrow buffers, one condition at a time, each narrowing a byte mask of
 * candidate rows.
 *
 * Comparison rules, the same ones the chunk statistics (`stats.ts`) prune with:
 * - numeric columns (int/uint of every width, float16/32/64, bool as 0/1) compare with integers,
 *   floats and booleans (as 0/1). int64/uint64 and integer query values compare exactly, beyond 2^53
 *   too; NaN matches nothing.
 * - utf8/large_utf8 compare with strings in UTF-8 byte order; date/time/timestamp columns compare with
 *   strings through their statistics text (`2024-05-01T12:00:00.500`).
 * - any other pairing (a string against a number column, a list column…) never matches, nor does a
 *   null value, a value under a null struct, or a path the schema lacks.
 *
 * Must not import anything outside `src/arrow/`, `src/model/` and `src/errors.ts`.
 *
 * @module
 */
import {
  type Data,
  DataType,
  type Field,
  Precision,
  type RecordBatch,
  type Schema,
  Type,
} from "apache-arrow";
import type { Scalar, ValueCondition, ValueOp } from "../model/types.ts";
import { combineMask, compareUtf8, type RowMask, scanWide } from "./_stats_scan.ts";
import { isTemporal, temporalToText } from "./_temporal_text.ts";
import { TIMESTAMP_COLUMN } from "./stats.ts";

/** Whether some row of `batch` satisfies all `conditions` (an empty list matches any non-empty batch). */
export function anyRowMatches(batch: RecordBatch, conditions: readonly ValueCondition[]): boolean {
  return matchingRows(batch, conditions) !== null;
}

/** What the rows satisfying a group of conditions amount to, in one batch or one chunk. */
export interface RowMatch {
  /** Some row satisfies every condition. */
  matched: boolean;
  /**
   * Smallest and largest `timestamp_ns` of those rows (exact int64), or null when none matched, or when
   * the data has no top-level 64-bit integer `timestamp_ns` (which ingest never lets in).
   */
  timestampRange: [bigint, bigint] | null;
}

/** {@linkcode anyRowMatches}, plus the `timestamp_ns` range of every row that satisfies all `conditions`. */
export function matchRows(batch: RecordBatch, conditions: readonly ValueCondition[]): RowMatch {
  const rows = matchingRows(batch, conditions);
  if (rows === null) return { matched: false, timestampRange: null };
  const leaf = findLeaf(batch, [TIMESTAMP_COLUMN]);
  const type = leaf?.data.type;
  if (leaf === null || !DataType.isInt(type) || type.bitWidth !== 64) {
    return { matched: true, timestampRange: null };
  }
  const valid = leaf.valid;
  const mask = valid === null ? rows : rows.map((r, i) => r & valid[i]);
  const values = leaf.data.values as BigInt64Array | BigUint64Array;
  const { minIndex, maxIndex } = scanWide(values, rows.length, mask);
  if (minIndex < 0) return { matched: true, timestampRange: null };
  return { matched: true, timestampRange: [BigInt(values[minIndex]), BigInt(values[maxIndex])] };
}

/** The union of two ranges (null: none). */
export function widenRange(a: [bigint, bigint] | null, b: [bigint, bigint] | null): [bigint, bigint] | null {
  if (a === null) return b;
  if (b === null) return a;
  return [a[0] < b[0] ? a[0] : b[0], a[1] > b[1] ? a[1] : b[1]];
}

/** Rows of `batch` satisfying all `conditions` (one byte per row, 1 = satisfied), or null when none does. */
function matchingRows(batch: RecordBatch, conditions: readonly ValueCondition[]): Uint8Array | null {
  const n = batch.numRows;
  if (n === 0) return null;
  let rows: Uint8Array = new Uint8Array(n).fill(1);
  for (const condition of conditions) {
    const leaf = findLeaf(batch, condition.path);
    if (leaf === null) return null;
    rows = narrow(rows, leaf, condition.op);
    if (!rows.includes(1)) return null;
  }
  return rows;
}

/** The dotted leaf paths (`header.stamp.sec`) a set of conditions reads: the columns to decode. */
export function conditionColumns(conditions: readonly ValueCondition[]): string[] {
  return [...new Set(conditions.map((c) => c.path.join(".")))];
}

/** Whether `schema` has a leaf column at `path` (walking struct children). */
export function hasLeaf(schema: Schema, path: readonly string[]): boolean {
  return leafIndices(schema.fields, path) !== null;
}

/** The child index at each step of `path` to a non-struct column, or null when there is none. */
function leafIndices(fields: readonly Field[], path: readonly string[]): number[] | null {
  const indices: number[] = [];
  for (const [depth, name] of path.entries()) {
    const i = fields.findIndex((f) => f.name === name);
    if (i < 0) return null;
    indices.push(i);
    const type = fields[i].type;
    if (depth === path.length - 1) return DataType.isStruct(type) ? null : indices;
    if (!DataType.isStruct(type)) return null;
    fields = type.children;
  }
  return null;
}

interface Leaf {
  data: Data;
  /** Rows valid at this leaf and every ancestor struct, or null when all are. */
  valid: RowMask;
}

function findLeaf(batch: RecordBatch, path: readonly string[]): Leaf | null {
  const indices = leafIndices(batch.schema.fields, path);
  if (indices === null) return null;
  let data: Data = batch.data;
  let valid: RowMask = null;
  for (const i of indices) {
    data = data.children[i];
    valid = combineMask(valid, data.nullBitmap, data.offset, data.nullCount, data.length);
  }
  return { data, valid };
}

/** `rows` with every row cleared whose value fails `op` (rows already cleared stay cleared). */
function narrow(rows: Uint8Array, { data, valid }: Leaf, op: ValueOp): Uint8Array {
  const test = rowTest(data, op);
  const n = Math.min(rows.length, data.length);
  const out = new Uint8Array(rows.length);
  if (test === null) return out;
  for (let i = 0; i < n; i++) {
    if (rows[i] === 1 && (valid === null || valid[i] === 1) && test(i)) out[i] = 1;
  }
  return out;
}

/** `cmp(row)` gives the sign of value − operand (NaN when incomparable); the op decides from it. */
function rowTest(data: Data, op: ValueOp): ((i: number) => boolean) | null {
  const compareTo = comparator(data);
  if (compareTo === null) return null;
  if (op.op === "between") {
    const low = compareTo(op.low), high = compareTo(op.high);
    if (low === null || high === null) return null;
    return (i) => low(i) >= 0 && high(i) <= 0;
  }
  const cmp = compareTo(op.value);
  if (cmp === null) return null;
  switch (op.op) {
    case "eq":
      return (i) => cmp(i) === 0;
    case "lt":
      return (i) => cmp(i) < 0;
    case "leq":
      return (i) => cmp(i) <= 0;
    case "gt":
      return (i) => cmp(i) > 0;
    case "geq":
      return (i) => cmp(i) >= 0;
  }
}

type RowCompare = (i: number) => number;

/** For a column, a function from an operand to a row comparison, or null when the column never matches. */
function comparator(data: Data): ((operand: Scalar) => RowCompare | null) | null {
  const type = data.type;
  const values = data.values;
  if (isTemporal(type)) {
    return (operand) => {
      if (typeof operand !== "string") return null;
      return (i) => compareUtf8(temporalToText(type, BigInt(values[i])), operand);
    };
  }
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
  if (type.typeId === Type.Utf8 || type.typeId === Type.LargeUtf8) {
    const bytes = values as Uint8Array, offsets = data.valueOffsets as Int32Array | BigInt64Array;
    return (operand) => {
      if (typeof operand !== "string") return null;
      const target = new TextEncoder().encode(operand);
      return (i) => compareBytes(bytes, Number(offsets[i]), Number(offsets[i + 1]), target);
    };
  }
  return null;
}

/** Numeric columns take numbers and booleans (as 0/1); strings never match them. */
function numeric(
  make: (v: number | bigint) => RowCompare,
): (operand: Scalar) => RowCompare | null {
  return (operand) => {
    if (typeof operand === "string") return null;
    if (typeof operand === "boolean") return make(operand ? 1n : 0n);
    return make(operand);
  };
}

function compareNumbers(x: number, v: number): number {
  return x < v ? -1 : x > v ? 1 : x === v ? 0 : NaN;
}

/** Sign of `x − v` computed exactly, for an integer `x` and any number `v` (NaN when `v` is NaN). */
export function compareExact(x: bigint, v: number | bigint): number {
  if (typeof v === "bigint") return x < v ? -1 : x > v ? 1 : 0;
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
