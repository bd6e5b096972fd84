import assert from "node:assert/strict";
import {
  Binary,
  Bool,
  DateDay,
  Field,
  FixedSizeList,
  Float16,
  Float32,
  Float64,
  Int16,
  Int32,
  Int64,
  Int8,
  LargeUtf8,
  List,
  makeData,
  Map_,
  RecordBatch,
  Schema,
  Struct,
  TimeNanosecond,
  TimestampNanosecond,
  TimestampSecond,
  Uint16,
  Uint32,
  Uint64,
  Uint8,
  Utf8,
} from "apache-arrow";
import { InvalidArgumentError } from "../errors.ts";
import type { ColumnStats } from "../model/types.ts";
import { computeColumnStats, mergeColumnStats, timeRange } from "./stats.ts";
import { batchOf, vec } from "./_test_batches.ts";

const num = (column: string, min: number | null, max: number | null, hasNull = false, hasNan = false) =>
  ({ column, kind: "numeric", min, max, hasNull, hasNan }) satisfies ColumnStats;
const text = (column: string, min: string | null, max: string | null, hasNull = false) =>
  ({ column, kind: "text", min, max, hasNull }) satisfies ColumnStats;

Deno.test("computeColumnStats() takes min/max of every number type, skipping NaN and nulls", () => {
  const stats = computeColumnStats([batchOf({
    f64: vec(new Float64(), [3, NaN, -1, null, 2.5]),
    f32: vec(new Float32(), [1.5, -2.25, Infinity, 0, 0]),
    f16: vec(new Float16(), [0.5, -65504, NaN, 0, 0]),
    i8: vec(new Int8(), [-128, 5, 127, 0, 0]),
    u8: vec(new Uint8(), [255, 0, 7, 7, 7]),
    i16: vec(new Int16(), [-32768, 0, null, 0, 0]),
    u16: vec(new Uint16(), [65535, 3, 4, 4, 4]),
    i32: vec(new Int32(), [-(2 ** 31), 2 ** 31 - 1, 0, 0, 0]),
    u32: vec(new Uint32(), [2 ** 32 - 1, 1, 2, 2, 2]),
  })]);
  assert.deepStrictEqual(stats, [
    num("f64", -1, 3, true, true),
    num("f32", -2.25, Infinity),
    num("f16", -65504, 0.5, false, true),
    num("i8", -128, 127),
    num("u8", 0, 255),
    num("i16", -32768, 0, true),
    num("u16", 3, 65535),
    num("i32", -(2 ** 31), 2 ** 31 - 1),
    num("u32", 1, 2 ** 32 - 1),
  ]);
});

Deno.test("computeColumnStats() compares int64/uint64 exactly and reports them as float64", () => {
  const stats = computeColumnStats([batchOf({
    i64: vec(new Int64(), [-(2n ** 63n), -1n, 5n, null]),
    i64_words: vec(new Int64(), [-1n, -(2n ** 32n), 2n ** 31n, 2n ** 31n - 1n]), // same high word, low word decides
    u64: vec(new Uint64(), [2n ** 64n - 1n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 63n]),
    u64_low: vec(new Uint64(), [0x80000000n, 0x7fffffffn, 0x7fffffffn, 0x7fffffffn]),
  })]);
  assert.deepStrictEqual(stats, [
    num("i64", -9223372036854775808, 5, true),
    num("i64_words", -(2 ** 32), 2 ** 31),
    num("u64", 9007199254740992, 18446744073709551615), // 2^53 + 1 rounds to 2^53; 2^64 - 1 to 2^64
    num("u64_low", 0x7fffffff, 0x80000000),
  ]);
});

Deno.test("computeColumnStats() gives null bounds when no value remains", () => {
  const stats = computeColumnStats([batchOf({
    nulls: vec(new Float64(), [null, null]),
    nans: vec(new Float64(), [NaN, NaN]),
    words: vec(new Utf8(), [null, null]),
    flags: vec(new Bool(), [null, null]),
  })]);
  assert.deepStrictEqual(stats, [
    num("nulls", null, null, true),
    num("nans", null, null, false, true),
    text("words", null, null, true),
    num("flags", null, null, true),
  ]);
  assert.deepStrictEqual(computeColumnStats([]), []);
});

Deno.test("computeColumnStats() treats booleans as 0/1, also in a sliced batch", () => {
  const batch = batchOf({
    ones: vec(new Bool(), [true, null, true]),
    both: vec(new Bool(), [false, true, true]),
    sliced: vec(new Bool(), [false, false, true, true, true, true, true, true, true, false]),
  });
  assert.deepStrictEqual(computeColumnStats([batch]), [
    num("ones", 1, 1, true),
    num("both", 0, 1),
    num("sliced", 0, 1),
  ]);
  assert.deepStrictEqual(computeColumnStats([batch.slice(2, 3)]), [
    num("ones", 1, 1),
    num("both", 1, 1),
    num("sliced", 1, 1),
  ]);
});

Deno.test("computeColumnStats() flattens structs and hides values under a null parent", () => {
  // The child holds 100 in the row whose parent is null: it must not count.
  const x = makeData({ type: new Float64(), length: 3, data: Float64Array.of(5, 100, 1) });
  const pointType = new Struct([new Field("x", new Float64(), true)]);
  const point = makeData({
    type: pointType,
    length: 3,
    nullCount: 1,
    nullBitmap: Uint8Array.of(0b101),
    children: [x],
  });
  const stampType = new Struct([
    new Field("sec", new Int64(), false),
    new Field("nanosec", new Uint32(), false),
  ]);
  const headerType = new Struct([
    new Field("seq", new Uint32(), true),
    new Field("stamp", stampType, true),
    new Field("frame_id", new Utf8(), true),
  ]);
  const header = vec(headerType, [
    { seq: 1, stamp: { sec: -10n, nanosec: 2 }, frame_id: "map" },
    null,
    { seq: 3, stamp: null, frame_id: "base" },
  ]);
  assert.deepStrictEqual(computeColumnStats([batchOf({ point, header })]), [
    num("point.x", 1, 5, true),
    num("header.seq", 1, 3, true),
    num("header.stamp.sec", -10, -10, true),
    num("header.stamp.nanosec", 2, 2, true),
    text("header.frame_id", "base", "map", true),
  ]);
});

Deno.test("computeColumnStats() orders text by UTF-8 bytes, within and across batches", () => {
  const words = ["b", "a", "é", "", "\u{1F916}", "\uFFFD", null, "ab"];
  const stats = computeColumnStats([
    batchOf({ utf8: vec(new Utf8(), words), large: vec(new LargeUtf8(), words) }),
  ]);
  // JS `<` would call "\uFFFD" the largest: UTF-16 puts the surrogate pair of U+1F916 below it.
  assert.deepStrictEqual(stats, [text("utf8", "", "\u{1F916}", true), text("large", "", "\u{1F916}", true)]);
  const first = batchOf({ s: vec(new Utf8(), ["\u{1F916}", "ab"]) });
  const second = batchOf({ s: vec(new Utf8(), ["\uFFFD", "a"]) });
  assert.deepStrictEqual(computeColumnStats([first, second]), [text("s", "a", "\u{1F916}")]);
  assert.deepStrictEqual(computeColumnStats([second, first]), [text("s", "a", "\u{1F916}")]);
});

Deno.test("computeColumnStats() renders dates, times and timestamps as ISO text", () => {
  const day = Date.UTC(2024, 4, 1) / 86_400_000;
  const stats = computeColumnStats([batchOf({
    ts: makeData({
      type: new TimestampNanosecond(),
      length: 2,
      data: BigInt64Array.of(1_700_000_000_123_456_789n, -1n),
    }),
    utc: makeData({ type: new TimestampSecond("UTC"), length: 2, data: BigInt64Array.of(0n, 86_399n) }),
    day: makeData({ type: new DateDay(), length: 2, data: Int32Array.of(day, 0) }),
    time: makeData({
      type: new TimeNanosecond(),
      length: 2,
      data: BigInt64Array.of(3_723_000_000_000n, 500_000n),
    }),
  })]);
  assert.deepStrictEqual(stats, [
    text("ts", "1969-12-31T23:59:59.999999999", "2023-11-14T22:13:20.123456789"),
    text("utc", "1970-01-01T00:00:00Z", "1970-01-01T23:59:59Z"),
    text("day", "1970-01-01", "2024-05-01"),
    text("time", "00:00:00.000500", "01:02:03"),
  ]);
});

Deno.test("computeColumnStats() skips binary, list, fixed_size_list and map columns", () => {
  const item = new Field("item", new Float64(), true);
  const entries = new Field("entries", new Struct([new Field("key", new Utf8(), false), f("value")]), false);
  const stats = computeColumnStats([batchOf({
    bytes: vec(new Binary(), [Uint8Array.of(1)]),
    list: vec(new List(item), [[1, 2]]),
    fixed: vec(new FixedSizeList(2, item), [[1, 2]]),
    map: vec(new Map_(entries), [new Map([["k", 1]])]),
    kept: vec(new Float64(), [1]),
  })]);
  assert.deepStrictEqual(stats.map((s) => s.column), ["kept"]);
});

function f(name: string): Field {
  return new Field(name, new Float64(), true);
}

Deno.test("mergeColumnStats() equals stats over all batches and rejects a kind change", () => {
  const a = batchOf({ x: vec(new Float64(), [1, NaN]), s: vec(new Utf8(), ["m", null]) });
  const b = batchOf({ x: vec(new Float64(), [-4, null]), s: vec(new Utf8(), ["z", "c"]) });
  const merged = mergeColumnStats(computeColumnStats([a]), computeColumnStats([b]));
  assert.deepStrictEqual(merged, computeColumnStats([a, b]));
  assert.deepStrictEqual(merged, [num("x", -4, 1, true, true), text("s", "c", "z", true)]);
  assert.deepStrictEqual(mergeColumnStats([num("x", 1, 2)], [num("y", 3, 4)]), [
    num("x", 1, 2),
    num("y", 3, 4),
  ]);
  assert.deepStrictEqual(mergeColumnStats([num("x", null, null, true)], [num("x", 3, 4)]), [
    num("x", 3, 4, true),
  ]);
  assert.throws(() => mergeColumnStats([num("x", 1, 2)], [text("x", "a", "b")]), InvalidArgumentError);
});

Deno.test("timeRange() spans timestamp_ns over batches, ignoring nulls", () => {
  const ts = (values: (bigint | null)[]) => batchOf({ timestamp_ns: vec(new Int64(), values) });
  assert.deepStrictEqual(timeRange([ts([5n, null, 3n]), ts([null, 9n])]), { startNs: 3n, endNs: 9n });
  assert.deepStrictEqual(timeRange([ts([2n ** 63n - 1n, -(2n ** 63n)])]), {
    startNs: -(2n ** 63n),
    endNs: 2n ** 63n - 1n,
  });
  assert.equal(timeRange([ts([null])]), null);
  assert.equal(timeRange([batchOf({ other: vec(new Int64(), [1n]) })]), null);
  assert.equal(timeRange([batchOf({ timestamp_ns: vec(new Int32(), [1]) })]), null);
  assert.equal(timeRange([]), null);
});

function floatBatch(rows: number, columns: number): RecordBatch {
  const fields = Array.from({ length: columns }, (_, c) => f(`c${c}`));
  const children = fields.map((field, c) =>
    makeData({
      type: field.type,
      length: rows,
      data: Float64Array.from({ length: rows }, (_, i) => Math.sin(i * (c + 1))),
    })
  );
  return new RecordBatch(new Schema(fields), makeData({ type: new Struct(fields), length: rows, children }));
}

Deno.test("computeColumnStats() scans 64k rows × 8 float64 columns in well under a frame", () => {
  const batch = floatBatch(65_536, 8);
  computeColumnStats([batch]); // warm up
  const start = performance.now();
  const stats = computeColumnStats([batch]);
  const ms = performance.now() - start;
  assert.equal(stats.length, 8);
  assert.ok(ms < 100, `took ${ms.toFixed(1)} ms`); // ~2 ms measured; per-row get() takes ~100× longer
});

// `deno bench src/arrow/stats_test.ts`
let benchBatch: RecordBatch | undefined;
Deno.bench("computeColumnStats() 64k rows × 8 float64", () => {
  computeColumnStats([benchBatch ??= floatBatch(65_536, 8)]);
});
