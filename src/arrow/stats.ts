/**
 * Per-chunk column statistics (protocol 10.4) and the chunk time range, computed from Arrow buffers.
 * The catalog stores them; ontology queries use them to skip chunks before scanning Parquet.
 *
 * Leaf columns are visited depth-first; struct children are flattened with `.` (`header.stamp.sec`).
 * - numeric (int/uint of every width, float16/32/64, bool as 0/1): min/max as float64, NaN excluded
 *   (it sets `hasNan`); int64/uint64 are compared exactly and rounded to float64 once.
 * - text (utf8, large_utf8, and date/time/timestamp rendered as in `_temporal_text.ts`): min/max in
 *   UTF-8 byte order.
 * - binary, list, fixed_size_list, map, union, dictionary…: no statistics; nothing below a list is visited.
 * A row whose parent struct is null counts as null for every child. A column with no non-null
 * (non-NaN) value has `min`/`max` null (the Rust daemon wrote placeholder bounds instead).
 *
 * Must not import anything outside `src/arrow/`, `src/model/` and `src/errors.ts`.
 *
 * @module
 */
import { type Data, DataType, type Field, Precision, type RecordBatch, Type } from "apache-arrow";
import { InvalidArgumentError } from "../errors.ts";
import type { ColumnStats } from "../model/types.ts";
import {
  combineMask,
  compareUtf8,
  type RowMask,
  scanBools,
  scanNumbers,
  scanText,
  scanWide,
} from "./_stats_scan.ts";
import { isTemporal, temporalToText } from "./_temporal_text.ts";

/** The column whose range becomes a chunk's `startNs`/`endNs`. */
export const TIMESTAMP_COLUMN = "timestamp_ns";

/** Statistics of every leaf column over all `batches` (same schema), in schema order. */
export function computeColumnStats(batches: RecordBatch[]): ColumnStats[] {
  let stats: ColumnStats[] = [];
  for (const batch of batches) {
    const own: ColumnStats[] = [];
    batch.schema.fields.forEach((field, i) => visit(field.name, field, batch.data.children[i], null, own));
    stats = stats.length === 0 ? own : mergeColumnStats(stats, own);
  }
  return stats;
}

/**
 * Combines the statistics of two runs of rows (e.g. successive batches of one chunk), so a writer can
 * keep only the running result. Columns are matched by name; columns only in `b` are appended.
 * @throws InvalidArgumentError when a column is numeric on one side and text on the other.
 */
export function mergeColumnStats(a: ColumnStats[], b: ColumnStats[]): ColumnStats[] {
  const pending = new Map(b.map((s) => [s.column, s]));
  const merged = a.map((left) => {
    const right = pending.get(left.column);
    if (right === undefined) return left;
    pending.delete(left.column);
    return mergeOne(left, right);
  });
  return [...merged, ...pending.values()];
}

function mergeOne(a: ColumnStats, b: ColumnStats): ColumnStats {
  if (a.kind === "numeric" && b.kind === "numeric") {
    return {
      column: a.column,
      kind: "numeric",
      min: a.min === null ? b.min : b.min === null ? a.min : Math.min(a.min, b.min),
      max: a.max === null ? b.max : b.max === null ? a.max : Math.max(a.max, b.max),
      hasNull: a.hasNull || b.hasNull,
      hasNan: a.hasNan || b.hasNan,
    };
  }
  if (a.kind === "text" && b.kind === "text") {
    return {
      column: a.column,
      kind: "text",
      min: a.min === null ? b.min : b.min === null ? a.min : compareUtf8(a.min, b.min) <= 0 ? a.min : b.min,
      max: a.max === null ? b.max : b.max === null ? a.max : compareUtf8(a.max, b.max) >= 0 ? a.max : b.max,
      hasNull: a.hasNull || b.hasNull,
    };
  }
  throw new InvalidArgumentError(
    `Cannot merge statistics of column "${a.column}": it is ${a.kind} in one batch and ${b.kind} in another`,
  );
}

function visit(column: string, field: Field, data: Data, parent: RowMask, out: ColumnStats[]): void {
  const n = data.length;
  const mask = combineMask(parent, data.nullBitmap, data.offset, data.nullCount, n);
  const type = field.type;
  // A mask exists only when this row or an ancestor is null somewhere in the batch.
  const hasNull = mask !== null;
  if (DataType.isStruct(type)) {
    type.children.forEach((child, i) => visit(`${column}.${child.name}`, child, data.children[i], mask, out));
    return;
  }
  const numeric = (min: number | null, max: number | null, hasNan = false): void => {
    out.push({ column, kind: "numeric", min, max, hasNull, hasNan });
  };
  const text = (min: string | null, max: string | null): void => {
    out.push({ column, kind: "text", min, max, hasNull });
  };
  const values = data.values;
  if (isTemporal(type)) {
    const range = wideOrNarrowRange(values, n, mask);
    if (range === null) text(null, null);
    else text(temporalToText(type, range.min), temporalToText(type, range.max));
  } else if (DataType.isInt(type) && type.bitWidth === 64) {
    const { minIndex, maxIndex } = scanWide(values, n, mask);
    if (minIndex < 0) numeric(null, null);
    else numeric(Number(values[minIndex]), Number(values[maxIndex]));
  } else if (DataType.isInt(type) || DataType.isFloat(type)) {
    const view = DataType.isFloat(type) && type.precision === Precision.HALF // stored as uint16 bits
      ? new Float16Array(values.buffer, values.byteOffset, values.length)
      : values;
    const r = scanNumbers(view, n, mask);
    if (r.count === 0) numeric(null, null, r.hasNan);
    else numeric(r.min, r.max, r.hasNan);
  } else if (DataType.isBool(type)) {
    const { anyTrue, anyFalse } = scanBools(values, data.offset, n, mask);
    numeric(anyFalse ? 0 : anyTrue ? 1 : null, anyTrue ? 1 : anyFalse ? 0 : null);
  } else if (type.typeId === Type.Utf8 || type.typeId === Type.LargeUtf8) {
    const r = scanText(values, data.valueOffsets, n, mask);
    const decoder = new TextDecoder();
    text(r && decoder.decode(r.min), r && decoder.decode(r.max));
  }
}

/** Exact min/max of a temporal column, whose raw values are int32 (date32, time32) or int64. */
function wideOrNarrowRange(
  values: Int32Array | BigInt64Array,
  n: number,
  mask: RowMask,
): { min: bigint; max: bigint } | null {
  if (values instanceof BigInt64Array) {
    const { minIndex, maxIndex } = scanWide(values, n, mask);
    return minIndex < 0 ? null : { min: values[minIndex], max: values[maxIndex] };
  }
  const r = scanNumbers(values, n, mask);
  return r.count === 0 ? null : { min: BigInt(r.min), max: BigInt(r.max) };
}

/**
 * One leaf's extremes over a batch as the native codec's writer reports them (`native/parquet/
 * column_stats.h`): kind `f` (number-typed, doubles as text), `i`/`u` (int64/uint64, exact), `t` (date,
 * time, timestamp: raw stored value, exact), `b` (0/1), `s` (UTF-8 text); `n` has nulls, `x` has NaN.
 */
export interface RawLeafStats {
  c: string;
  k: "f" | "i" | "u" | "t" | "b" | "s";
  n: 0 | 1;
  x: 0 | 1;
  lo?: string;
  hi?: string;
}

/**
 * The ColumnStats (and `timestamp_ns` range) of one batch of `schema` from its raw extremes: the values
 * {@linkcode computeColumnStats} and {@linkcode timeRange} give for that batch.
 */
export function statsFromRaw(
  schema: { fields: readonly Field[] },
  raw: readonly RawLeafStats[],
): { stats: ColumnStats[]; range: TimeRangeNs | null } {
  const types = new Map<string, DataType>();
  const walk = (fields: readonly Field[], prefix: string) => {
    for (const f of fields) {
      types.set(prefix + f.name, f.type);
      if (DataType.isStruct(f.type)) walk(f.type.children, `${prefix}${f.name}.`);
    }
  };
  walk(schema.fields, "");
  let range: TimeRangeNs | null = null;
  const number = (text: string) => text === "inf" ? Infinity : text === "-inf" ? -Infinity : Number(text);
  const stats = raw.map((r): ColumnStats => {
    const hasNull = r.n === 1;
    const column = r.c;
    switch (r.k) {
      case "s":
        return { column, kind: "text", min: r.lo ?? null, max: r.hi ?? null, hasNull };
      case "t": {
        const type = types.get(column)!;
        const text = (v: string | undefined) => v === undefined ? null : temporalToText(type, BigInt(v));
        return { column, kind: "text", min: text(r.lo), max: text(r.hi), hasNull };
      }
      case "i":
      case "u": {
        const type = types.get(column);
        if (
          r.lo !== undefined && column === TIMESTAMP_COLUMN && r.k === "i" && type && DataType.isInt(type)
        ) {
          range = { startNs: BigInt(r.lo), endNs: BigInt(r.hi!) };
        }
        const value = (v: string | undefined) => v === undefined ? null : Number(BigInt(v));
        return { column, kind: "numeric", min: value(r.lo), max: value(r.hi), hasNull, hasNan: false };
      }
      default: {
        const value = (v: string | undefined) => v === undefined ? null : number(v);
        return { column, kind: "numeric", min: value(r.lo), max: value(r.hi), hasNull, hasNan: r.x === 1 };
      }
    }
  });
  return { stats, range };
}

/** Inclusive nanosecond range of a chunk: min and max `timestamp_ns`. */
export interface TimeRangeNs {
  startNs: bigint;
  endNs: bigint;
}

/**
 * Smallest and largest non-null value of the top-level int64 `timestamp_ns` column over `batches`,
 * or null when there is no such column or it holds no value.
 */
export function timeRange(batches: RecordBatch[]): TimeRangeNs | null {
  let range: TimeRangeNs | null = null;
  for (const batch of batches) {
    const i = batch.schema.fields.findIndex((f) => f.name === TIMESTAMP_COLUMN);
    if (i < 0) continue;
    const type = batch.schema.fields[i].type;
    if (!DataType.isInt(type) || type.bitWidth !== 64 || !type.isSigned) continue;
    const data = batch.data.children[i] as Data<typeof type>;
    const values = data.values as BigInt64Array;
    const mask = combineMask(null, data.nullBitmap, data.offset, data.nullCount, data.length);
    const { minIndex, maxIndex } = scanWide(values, data.length, mask);
    if (minIndex >= 0) range = mergeTimeRanges(range, { startNs: values[minIndex], endNs: values[maxIndex] });
  }
  return range;
}

/** Union of two time ranges (either may be null), for writers that track ranges batch by batch. */
export function mergeTimeRanges(a: TimeRangeNs | null, b: TimeRangeNs | null): TimeRangeNs | null {
  if (a === null || b === null) return a ?? b;
  return {
    startNs: a.startNs < b.startNs ? a.startNs : b.startNs,
    endNs: a.endNs > b.endNs ? a.endNs : b.endNs,
  };
}
