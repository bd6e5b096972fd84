/**
 * Row predicates for ontology queries (protocol 9.4, 0.7 delta Q5/Q7): does at least one row of a batch
 * satisfy every condition at once, and (2026 `include_timestamp_range`) which `timestamp_ns` range do
 * those rows span? Evaluated straight over Arrow buffers, one condition at a time, each narrowing a
 * byte mask of candidate rows.
 *
 * Comparison rules (`_row_compare.ts`), which the chunk statistics (`stats.ts`) prune consistently with:
 * - numeric columns (int/uint of every width, float16/32/64, bool as 0/1) compare with integers,
 *   floats and booleans (as 0/1). int64/uint64 and integer query values compare exactly, beyond 2^53
 *   too; NaN matches nothing (not `$neq`, not `$outside` either).
 * - utf8/large_utf8 compare with strings in UTF-8 byte order; `glob` (SDK 0.6/0.7 `$match`) is a
 *   full match of the text (`model/glob.ts`) and applies to these columns only.
 * - date/time/timestamp columns compare with strings: decimal integers as the raw stored value, ISO
 *   8601 dates, date-times and times of day as instants, exactly; other strings through the
 *   statistics text (`2024-05-01T12:00:00.500`).
 * - `neq` holds for a value that compares and differs; `in` when some operand is equal; `outside`
 *   below the low bound or above the high one.
 * - any other pairing (a string against a number column, a list column…) never matches, nor does a
 *   null value, a value under a null struct, or a path the schema lacks.
 *
 * Must not import anything outside `src/arrow/`, `src/model/` and `src/errors.ts`.
 *
 * @module
 */
import { type Data, DataType, type Field, type RecordBatch, type Schema } from "apache-arrow";
import { globMatcher, parseGlob } from "../model/glob.ts";
import type { ValueCondition, ValueOp } from "../model/types.ts";
import { comparator, isText, textReader } from "./_row_compare.ts";
import { combineMask, type RowMask, scanWide } from "./_stats_scan.ts";
import { TIMESTAMP_COLUMN } from "./stats.ts";

export { compareExact } from "./_row_compare.ts";
/** UTF-8 byte (code point) order of two strings: the order of every string comparison in queries. */
export { compareUtf8 } from "./_stats_scan.ts";

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

/**
 * The `timestamp_ns` values of the rows of `batch` that satisfy every condition, in row order (empty when
 * none does, or when the data has no top-level signed 64-bit `timestamp_ns`, which ingest never lets in).
 */
export function matchingTimestamps(batch: RecordBatch, conditions: readonly ValueCondition[]): BigInt64Array {
  const rows = matchingRows(batch, conditions);
  const leaf = rows === null ? null : findLeaf(batch, [TIMESTAMP_COLUMN]);
  const type = leaf?.data.type;
  if (rows === null || leaf === null || !DataType.isInt(type) || type.bitWidth !== 64 || !type.isSigned) {
    return new BigInt64Array(0);
  }
  const valid = leaf.valid;
  const values = leaf.data.values as BigInt64Array;
  let count = 0;
  for (let i = 0; i < rows.length; i++) if (rows[i] && (valid === null || valid[i])) count++;
  const out = new BigInt64Array(count);
  for (let i = 0, j = 0; i < rows.length; i++) {
    if (rows[i] && (valid === null || valid[i])) out[j++] = values[i];
  }
  return out;
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

/** A row test: whether row `i`'s (valid) value satisfies an operator. */
type RowTest = (i: number) => boolean;

/** The test of `op` on a column's rows, or null when no row of the column can satisfy it. */
function rowTest(data: Data, op: ValueOp): RowTest | null {
  if (op.op === "glob") {
    if (!isText(data)) return null;
    const matches = globMatcher(parseGlob(op.pattern)), text = textReader(data);
    return (i) => matches(text(i));
  }
  if (op.op === "in" && isText(data) && op.values.every((v) => typeof v === "string")) {
    const set = new Set(op.values), text = textReader(data);
    return (i) => set.has(text(i));
  }
  const compareTo = comparator(data);
  if (compareTo === null) return null;
  switch (op.op) {
    case "between":
    case "outside": {
      const low = compareTo(op.low), high = compareTo(op.high);
      if (low === null || high === null) return null;
      // NaN signs fail both: a NaN value is never inside nor outside.
      return op.op === "between" ? (i) => low(i) >= 0 && high(i) <= 0 : (i) => low(i) < 0 || high(i) > 0;
    }
    case "in": {
      const tests = op.values.map(compareTo).filter((c) => c !== null);
      if (tests.length === 0) return null;
      return (i) => tests.some((cmp) => cmp(i) === 0);
    }
  }
  const cmp = compareTo(op.value);
  if (cmp === null) return null;
  switch (op.op) {
    case "eq":
      return (i) => cmp(i) === 0;
    case "neq":
      return (i) => {
        const c = cmp(i);
        return c < 0 || c > 0; // NaN is not "different": it matches nothing
      };
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
