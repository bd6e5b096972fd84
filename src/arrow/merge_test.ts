import assert from "node:assert/strict";
import {
  Binary,
  Bool,
  type Data,
  DataType,
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
  RecordBatch,
  RecordBatchReader,
  RecordBatchStreamWriter,
  Schema,
  Struct,
  TimestampNanosecond,
  Type,
  Uint16,
  Uint32,
  Uint64,
  Uint8,
  Utf8,
  vectorFromArray,
} from "apache-arrow";
import { CancelledError, InvalidArgumentError } from "../errors.ts";
import { isSortedByTimestamp, mergeSortedStreams, sliceTimeRange, sortByTimestamp } from "./merge.ts";

/** Deterministic pseudo-random numbers in [0, 1). */
function prng(seed: number): () => number {
  let s = (seed * 0x9e3779b1 + 1) >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

const f64 = (name: string) => new Field(name, new Float64(), true);
const stamp = new Struct([new Field("sec", new Int64(), false), new Field("nanosec", new Uint32(), false)]);
const header = new Struct([
  new Field("seq", new Uint32(), true),
  new Field("stamp", stamp, true),
  new Field("frame_id", new Utf8(), true),
]);
const deep = new Struct([
  new Field(
    "l2",
    new Struct([new Field("l3", new Struct([f64("x"), new Field("tag", new Utf8(), true)]), true)]),
    true,
  ),
]);

/** Raw bits of `n` random floats of `bytes` width, NaN payloads, -0 and subnormals included. */
function floatData(type: Float16 | Float32 | Float64, n: number, rnd: () => number, nulls: boolean): Data {
  const words = new Uint32Array(n * type.ArrayType.BYTES_PER_ELEMENT / 2).map(() => (rnd() * 2 ** 32) >>> 0);
  const specials = [0x7ff80000, 0x7ff00000, 0xfff80000, 0x80000000, 0x7ff00001];
  for (let i = 0; i < words.length; i += 7) words[i] = specials[i % specials.length];
  const data = new type.ArrayType(words.buffer);
  const nullBitmap = nulls
    ? Uint8Array.from({ length: (n + 7) >> 3 }, () => (rnd() * 256) | 0x11)
    : undefined;
  return makeData({ type, length: n, data, nullBitmap } as never);
}

/** `timestamps.length` rows of every protocol type, nulls at every level; column `seq` is the row number. */
export function everyTypeBatch(timestamps: bigint[], seed = 1): RecordBatch {
  const n = timestamps.length;
  const rnd = prng(seed);
  const maybe = <T>(v: () => T, p = 0.2): T | null => rnd() < p ? null : v();
  const int = (bits: number) => Math.floor(rnd() * 2 ** bits) - 2 ** (bits - 1);
  const text = () => ["", "héllo", "🤖", "\u0000nul", "x".repeat(40)][Math.floor(rnd() * 5)] + int(8);
  const list = (k: number) =>
    Array.from({ length: k }, () => maybe(() => [rnd(), -0, 1e-310][Math.floor(rnd() * 3)]));
  const cols: [Field, Data][] = [];
  const col = (name: string, type: DataType, values: unknown[], nullable = true) =>
    cols.push([new Field(name, type, nullable), vectorFromArray(values, type).data[0]]);
  const gen = <T>(f: (i: number) => T) => Array.from({ length: n }, (_, i) => f(i));
  col("timestamp_ns", new Int64(), timestamps, false);
  col("seq", new Int32(), gen((i) => i), false);
  col("i8", new Int8(), gen(() => maybe(() => int(8))));
  col("i16", new Int16(), gen(() => maybe(() => int(16))));
  col("i32", new Int32(), gen(() => maybe(() => int(32))));
  col(
    "i64",
    new Int64(),
    gen((i) => maybe(() => [-(2n ** 63n), 2n ** 63n - 1n, BigInt(int(32)) << 20n][i % 3])),
  );
  col("u8", new Uint8(), gen(() => maybe(() => int(8) + 128)));
  col("u16", new Uint16(), gen(() => int(16) + 32768), false);
  col("u32", new Uint32(), gen(() => maybe(() => int(32) + 2 ** 31)));
  col("u64", new Uint64(), gen((i) => maybe(() => [0n, 2n ** 64n - 1n, 2n ** 53n + 1n][i % 3])));
  col("flag", new Bool(), gen(() => maybe(() => rnd() < 0.5)));
  col("text", new Utf8(), gen(() => maybe(text)));
  col("large_text", new LargeUtf8(), gen(() => maybe(text)));
  col("bytes", new Binary(), gen(() => maybe(() => new TextEncoder().encode(text()))));
  col("covariance", new List(f64("item")), gen(() => maybe(() => list(int(3) + 4))));
  col("k", new FixedSizeList(3, f64("item")), gen(() => maybe(() => list(3))));
  col("stamp_utc", new TimestampNanosecond("UTC"), gen(() => maybe(() => int(40))));
  col("day", new DateDay(), gen(() => maybe(() => new Date(86_400_000 * int(16)))));
  const headerValue = () => ({
    seq: maybe(() => int(16) + 2 ** 15),
    stamp: maybe(() => ({ sec: BigInt(int(40)), nanosec: int(16) + 2 ** 15 })),
    frame_id: maybe(text),
  });
  col("header", header, gen(() => maybe(headerValue)));
  col(
    "deep",
    deep,
    gen(() =>
      maybe(() => ({ l2: maybe(() => ({ l3: maybe(() => ({ x: maybe(rnd), tag: maybe(text) })) })) }))
    ),
  );
  col("always_null", new Struct([f64("x")]), gen(() => null));
  cols.push([new Field("f16", new Float16(), true), floatData(new Float16(), n, rnd, true)]);
  cols.push([new Field("f32", new Float32(), true), floatData(new Float32(), n, rnd, true)]);
  cols.push([new Field("f64", new Float64(), false), floatData(new Float64(), n, rnd, false)]);
  const fields = cols.map(([f]) => f);
  const data = makeData({ type: new Struct(fields), length: n, children: cols.map(([, d]) => d) });
  return new RecordBatch(new Schema(fields), data);
}

/** One cell as text from its raw bits, written independently of the code under test. */
function cell(data: Data, i: number): string {
  if (data.typeId === Type.Null || !data.getValid(i)) return "∅";
  const t = data.type;
  const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  if (DataType.isBool(t)) return String((data.values[(data.offset + i) >> 3] >> ((data.offset + i) & 7)) & 1);
  if (DataType.isStruct(t)) return `{${data.children.map((c) => cell(c, i)).join(",")}}`;
  if (DataType.isFixedSizeList(t)) {
    return `[${Array.from({ length: t.listSize }, (_, k) => cell(data.children[0], i * t.listSize + k))}]`;
  }
  if (data.valueOffsets) {
    const [a, b] = [Number(data.valueOffsets[i]), Number(data.valueOffsets[i + 1])];
    if (DataType.isList(t)) {
      return `[${Array.from({ length: b - a }, (_, k) => cell(data.children[0], a + k))}]`;
    }
    return hex(data.values.subarray(a, b));
  }
  const v = data.values as Uint8Array;
  const w = v.BYTES_PER_ELEMENT * data.stride;
  return hex(new Uint8Array(v.buffer, v.byteOffset + i * w, w));
}

function rowsOf(batches: RecordBatch[]): string[] {
  return batches.flatMap((b) => Array.from({ length: b.numRows }, (_, i) => cell(b.data, i)));
}

/** The expected order: a plain stable sort of (key, source) pairs. */
function referenceOrder(sources: RecordBatch[][]): string[] {
  const all = sources.flatMap((batches, s) => {
    const rows = rowsOf(batches);
    const keys = batches.flatMap((b) => [...b.getChild("timestamp_ns")!] as bigint[]);
    return rows.map((row, i) => ({ row, key: keys[i], s }));
  });
  all.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.s - b.s));
  return all.map((r) => r.row);
}

function timestamps(n: number, seed: number, spread: number, base = 0n): bigint[] {
  const rnd = prng(seed);
  return Array.from({ length: n }, () => base + BigInt(Math.floor(rnd() * spread)));
}

const byValue = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0);

/** A batch cut into pieces at odd offsets, so bitmaps start mid-byte. */
function cut(batch: RecordBatch, sizes: number[]): RecordBatch[] {
  const out: RecordBatch[] = [];
  for (let at = 0, k = 0; at < batch.numRows; k++) {
    const len = Math.min(sizes[k % sizes.length], batch.numRows - at);
    out.push(batch.slice(at, at + len));
    at += len;
  }
  return out;
}

function ipcRoundTrip(batches: RecordBatch[]): RecordBatch[] {
  return [...RecordBatchReader.from(RecordBatchStreamWriter.writeAll(batches).toUint8Array(true))];
}

for (const n of [300, 5000]) {
  Deno.test(`sortByTimestamp() sorts ${n} rows of every type stably and bit for bit`, () => {
    const input = cut(everyTypeBatch(timestamps(n, n, n / 4, -(2n ** 62n))), [3, 1000, 77, 0, 2000]);
    assert.equal(isSortedByTimestamp(input), false);
    const out = sortByTimestamp(input);
    assert.deepEqual(out.map((b) => b.numRows), input.map((b) => b.numRows));
    assert.ok(isSortedByTimestamp(out));
    assert.deepStrictEqual(rowsOf(out), referenceOrder([input]));
    assert.deepStrictEqual(rowsOf(ipcRoundTrip(out)), rowsOf(out), "output is well-formed Arrow");
    for (const b of out) {
      for (const [i, child] of b.data.children.entries()) {
        const nulls = Array.from({ length: b.numRows }, (_, r) => child.getValid(r)).filter((v) => !v).length;
        assert.equal(
          child.nullCount,
          child.typeId === Type.Null ? b.numRows : nulls,
          b.schema.fields[i].name,
        );
      }
    }
  });
}

Deno.test("sortByTimestamp() returns sorted input as is and handles int64 extremes and empty input", () => {
  const sorted = everyTypeBatch([-(2n ** 63n), -1n, 0n, 0n, 2n ** 63n - 1n]);
  const out = sortByTimestamp([sorted]);
  assert.equal(out[0], sorted);
  const reversed = everyTypeBatch([2n ** 63n - 1n, 0n, -(2n ** 63n), 2n ** 32n, 2n ** 32n - 1n]);
  const ts = (b: RecordBatch[]) => b.flatMap((x) => [...x.getChild("timestamp_ns")!]);
  assert.deepStrictEqual(ts(sortByTimestamp([reversed])), [
    -(2n ** 63n),
    0n,
    2n ** 32n - 1n,
    2n ** 32n,
    2n ** 63n - 1n,
  ]);
  assert.deepStrictEqual(sortByTimestamp([]), []);
  assert.ok(isSortedByTimestamp([]));
});

Deno.test("sortByTimestamp() refuses batches without an int64 timestamp_ns", () => {
  const fields = [new Field("timestamp_ns", new Int32(), false)];
  const batch = new RecordBatch(
    new Schema(fields),
    makeData({
      type: new Struct(fields),
      length: 2,
      children: [vectorFromArray([2, 1], new Int32()).data[0]],
    }),
  );
  assert.throws(() => sortByTimestamp([batch]), InvalidArgumentError);
});

async function* stream(batches: RecordBatch[], state?: { pulled: boolean; closed: boolean }) {
  try {
    for (const b of batches) {
      if (state) state.pulled = true;
      yield b;
    }
  } finally {
    if (state) state.closed = true;
  }
}

Deno.test("mergeSortedStreams() merges overlapping sources with ties by source index, in batches ≤ targetRows", async () => {
  const sources = Array.from({ length: 5 }, (_, s) => {
    const sorted = sortByTimestamp([everyTypeBatch(timestamps(400 + s * 50, s + 10, 300), s)]);
    return cut(sorted[0], [1, 0, 90, 200, 7]);
  });
  const out = await Array.fromAsync(mergeSortedStreams(sources.map((b) => stream(b)), { targetRows: 100 }));
  assert.ok(out.every((b) => b.numRows > 0 && b.numRows <= 100));
  assert.deepStrictEqual(rowsOf(out), referenceOrder(sources));
  assert.deepStrictEqual(rowsOf(ipcRoundTrip(out)), rowsOf(out));
});

Deno.test("mergeSortedStreams() orders ties by source index, lower bounds included", async () => {
  const sources = [[5n, 5n, 7n], [1n, 5n, 5n], [5n, 6n]].map((t, s) => [everyTypeBatch(t, s)]);
  const merge = mergeSortedStreams(sources.map((b) => stream(b)), {
    targetRows: 2,
    lowerBounds: [5n, null, 5n],
  });
  assert.deepStrictEqual(rowsOf(await Array.fromAsync(merge)), referenceOrder(sources));
});

Deno.test("mergeSortedStreams() passes non-overlapping sources through as zero-copy slices", async () => {
  const sources = [0n, 1000n, 2000n].map((base, s) => {
    const batch = sortByTimestamp([everyTypeBatch(timestamps(1000, s, 1000, base), s)])[0];
    return cut(batch, [400]);
  });
  const out = await Array.fromAsync(mergeSortedStreams(sources.map((b) => stream(b)), { targetRows: 300 }));
  assert.deepStrictEqual(rowsOf(out), referenceOrder(sources));
  const buffers = new Set(sources.flat().map((b) => b.getChild("f64")!.data[0].values.buffer));
  assert.ok(out.every((b) => buffers.has(b.getChild("f64")!.data[0].values.buffer)), "rows were copied");
  // Per source, batches of 400, 400 and 200 rows: each 400 is split evenly in two.
  assert.deepStrictEqual(out.map((b) => b.numRows), Array(15).fill(200));
});

Deno.test("mergeSortedStreams() opens a source with a lower bound only when the merge reaches it", async () => {
  const early = everyTypeBatch([1n, 2n, 3n]);
  const late = everyTypeBatch([10n, 11n]);
  const lateState = { pulled: false, closed: false };
  const merge = mergeSortedStreams([stream([early]), stream([late], lateState)], {
    targetRows: 1,
    lowerBounds: [null, 10n],
  });
  const seen: bigint[] = [];
  for await (const b of merge) {
    seen.push(b.getChild("timestamp_ns")!.get(0));
    if (seen.length <= 3) assert.equal(lateState.pulled, false, `pulled before row ${seen.length}`);
  }
  assert.deepStrictEqual(seen, [1n, 2n, 3n, 10n, 11n]);
});

Deno.test("mergeSortedStreams() handles no sources, empty sources and empty batches", async () => {
  assert.deepStrictEqual(await Array.fromAsync(mergeSortedStreams([])), []);
  const empty = everyTypeBatch([]);
  const out = await Array.fromAsync(
    mergeSortedStreams([stream([]), stream([empty, empty]), stream([empty])]),
  );
  assert.deepStrictEqual(out, []);
  const one = everyTypeBatch([5n]);
  const merged = await Array.fromAsync(mergeSortedStreams([stream([empty, one, empty]), stream([])]));
  assert.deepStrictEqual(rowsOf(merged), rowsOf([one]));
  await assert.rejects(Array.fromAsync(mergeSortedStreams([], { targetRows: 0 })), InvalidArgumentError);
});

Deno.test("mergeSortedStreams() merges 200 interleaved sources", async () => {
  const sources = Array.from(
    { length: 200 },
    (_, s) => cut(sortByTimestamp([everyTypeBatch(timestamps(20, s, 50), s)])[0], [7]),
  );
  const out = await Array.fromAsync(mergeSortedStreams(sources.map((b) => stream(b)), { targetRows: 1000 }));
  assert.equal(out.reduce((n, b) => n + b.numRows, 0), 4000);
  assert.ok(out.every((b, i) => b.numRows <= 1000 && (b.numRows > 500 || i === out.length - 1)));
  assert.deepStrictEqual(rowsOf(out), referenceOrder(sources));
});

Deno.test("mergeSortedStreams() stops with CancelledError on abort and closes its sources", async () => {
  const states = [0, 1].map(() => ({ pulled: false, closed: false }));
  const sources = states.map((st, s) =>
    stream(cut(everyTypeBatch(timestamps(100, s, 10).sort(byValue)), [10]), st)
  );
  const ac = new AbortController();
  const merge = mergeSortedStreams(sources, { signal: ac.signal, targetRows: 5 });
  await merge.next();
  ac.abort(new Error("client went away"));
  await assert.rejects(merge.next(), CancelledError);
  assert.ok(states.every((st) => st.closed));
});

Deno.test("mergeSortedStreams() closes its sources when the consumer stops early", async () => {
  const states = [0, 1].map(() => ({ pulled: false, closed: false }));
  const sources = states.map((st, s) =>
    stream(cut(everyTypeBatch(timestamps(100, s, 10).sort(byValue)), [10]), st)
  );
  for await (const _ of mergeSortedStreams(sources, { targetRows: 5 })) break;
  assert.ok(states.every((st) => st.closed));
});

Deno.test("sliceTimeRange() keeps exactly the rows within inclusive bounds", () => {
  const batches = cut(everyTypeBatch([1n, 2n, 2n, 3n, 5n, 5n, 8n, 9n]), [3, 3, 2]);
  const ts = (r: { startNs: bigint | null; endNs: bigint | null }) =>
    sliceTimeRange(batches, r).flatMap((b) => [...b.getChild("timestamp_ns")!]);
  assert.deepStrictEqual(ts({ startNs: 2n, endNs: 5n }), [2n, 2n, 3n, 5n, 5n]);
  assert.deepStrictEqual(ts({ startNs: null, endNs: 2n }), [1n, 2n, 2n]);
  assert.deepStrictEqual(ts({ startNs: 6n, endNs: null }), [8n, 9n]);
  assert.deepStrictEqual(ts({ startNs: 6n, endNs: 7n }), []);
  assert.deepStrictEqual(sliceTimeRange(batches, { startNs: 6n, endNs: 7n }), []);
  assert.equal(sliceTimeRange(batches, { startNs: null, endNs: null })[0], batches[0]);
});
