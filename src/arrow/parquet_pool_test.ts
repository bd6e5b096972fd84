import assert from "node:assert/strict";
import { Field, Float64, Int64, makeData, RecordBatch, Schema, Struct, Utf8 } from "apache-arrow";
import { DataLossError } from "../errors.ts";
import type { Scalar, ValueCondition } from "../model/types.ts";
import { tableFromArrays } from "apache-arrow";
import { decodeParquetChunk, encodeParquetChunk } from "./parquet.ts";
import { ParquetPool } from "./parquet_pool.ts";
import { vec } from "./_test_batches.ts";

/** Rows (x, header.stamp.sec, header.frame): (1, 10, "a"), (2, 20, "b"), (3, null header). */
function sampleBatch(): RecordBatch {
  const stamp = new Struct([new Field("sec", new Int64(), false)]);
  const header = new Struct([new Field("stamp", stamp, true), new Field("frame", new Utf8(), true)]);
  const fields = [new Field("x", new Float64(), true), new Field("header", header, true)];
  const stampData = makeData({ type: stamp, length: 3, children: [vec(new Int64(), [10n, 20n, 30n])] });
  const headerData = makeData({
    type: header,
    length: 3,
    nullCount: 1,
    nullBitmap: Uint8Array.of(0b011),
    children: [stampData, vec(new Utf8(), ["a", "b", "c"])],
  });
  const x = vec(new Float64(), [1, 2, 3]);
  return new RecordBatch(
    new Schema(fields),
    makeData({ type: new Struct(fields), length: 3, children: [x, headerData] }),
  );
}

const CHUNK = await encodeParquetChunk([sampleBatch()], "default");
/** A fresh copy of the chunk: the pool transfers (detaches) the buffer it is given. */
const chunk = () => CHUNK.slice();

const eq = (path: string, value: Scalar): ValueCondition => ({
  path: path.split("."),
  op: { op: "eq", value },
});

Deno.test("ParquetPool.anyRowMatches() answers through a worker, reading nested leaf columns", async () => {
  await using pool = new ParquetPool({ size: 1 });
  const cases: [ValueCondition[], boolean][] = [
    [[eq("x", 2)], true],
    [[eq("x", 4)], false],
    [[{ path: ["x"], op: { op: "between", low: 2.5, high: 3 } }], true],
    [[eq("header.stamp.sec", 20)], true],
    [[eq("header.stamp.sec", 30n)], false], // under a null header
    [[eq("header.frame", "c")], false], // likewise
    [[eq("header.stamp.sec", 20n), eq("header.frame", "b")], true],
    [[eq("header.stamp.sec", 10), eq("header.frame", "b")], false], // not the same row
    [[eq("x", 1), eq("header.stamp.sec", 10), eq("header.frame", "a")], true],
    [[eq("header.stamp", 10)], false], // a struct, not a leaf
    [[eq("header.frame", 1)], false],
    [[eq("x", "2")], false],
  ];
  const got = [];
  for (const [conditions] of cases) got.push(await pool.anyRowMatches(chunk(), conditions));
  assert.deepStrictEqual(got, cases.map(([, want]) => want));
  assert.equal(pool.workers, 1);
});

Deno.test("ParquetPool scans a chunk's local file as they scan its bytes; a missing file is DATA_LOSS", async () => {
  await using pool = new ParquetPool({ size: 1 });
  const path = await Deno.makeTempFile({ suffix: ".parquet" });
  try {
    await Deno.writeFile(path, CHUNK);
    const conditions = [[eq("x", 2)], [eq("x", 4)], [eq("header.stamp.sec", 20n), eq("header.frame", "b")]];
    for (const c of conditions) {
      assert.equal(await pool.anyRowMatches({ path }, c), await pool.anyRowMatches(chunk(), c));
      assert.deepStrictEqual(await pool.matchRows({ path }, c), await pool.matchRows(chunk(), c));
      const gap = { gapNs: null };
      assert.deepStrictEqual(
        await pool.matchIntervals({ path }, c, gap),
        await pool.matchIntervals(chunk(), c, gap),
      );
    }
    assert.equal(await pool.anyRowMatches({ path }, [eq("x", 3)]), true);
  } finally {
    await Deno.remove(path);
  }
  await assert.rejects(pool.anyRowMatches({ path }, [eq("x", 1)]), {
    name: "DataLossError",
    message: /missing/,
  });
  assert.equal(await pool.anyRowMatches(chunk(), [eq("x", 1)]), true); // and keeps answering
});

Deno.test("ParquetPool.anyRowMatches() transfers a buffer the view owns whole and copies any other", async () => {
  await using pool = new ParquetPool({ size: 1 });
  const owned = chunk();
  assert.equal(await pool.anyRowMatches(owned, [eq("x", 3)]), true);
  assert.equal(owned.byteLength, 0); // detached
  const padded = new Uint8Array(CHUNK.length + 8);
  padded.set(CHUNK, 4);
  const view = padded.subarray(4, 4 + CHUNK.length);
  assert.equal(await pool.anyRowMatches(view, [eq("x", 3)]), true);
  assert.equal(view.byteLength, CHUNK.length);
  assert.deepStrictEqual(view, CHUNK);
});

Deno.test("ParquetPool.anyRowMatches() rejects unreadable bytes with DataLossError and keeps answering", async () => {
  await using pool = new ParquetPool({ size: 1 });
  const corrupt = chunk(); // Parquet magic at both ends, the rest scrambled
  for (let i = 4; i < corrupt.length - 8; i++) corrupt[i] ^= 0x5a;
  const unreadable: [string, Uint8Array][] = [
    ["garbage", Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13)],
    ["empty", new Uint8Array(0)],
    ["corrupt", corrupt],
    ["truncated", CHUNK.slice(0, CHUNK.length - 1)],
  ];
  for (const [name, bytes] of unreadable) {
    await assert.rejects(pool.anyRowMatches(bytes, [eq("x", 1)]), DataLossError, name);
    assert.equal(await pool.anyRowMatches(chunk(), [eq("x", 1)]), true, `after ${name}`);
    assert.equal(await pool.anyRowMatches(chunk(), [eq("x", 5)]), false, `after ${name}`);
  }
  assert.equal(pool.workers, 1); // an error reply does not cost the worker
});

Deno.test("ParquetPool: a condition on a column the chunk lacks is false, not a reader crash", async () => {
  await using pool = new ParquetPool({ size: 1 });
  assert.equal(await pool.anyRowMatches(chunk(), [eq("nope", 1)]), false);
  assert.equal(await pool.anyRowMatches(chunk(), [eq("x", 1), eq("nope", 1)]), false);
  assert.equal(pool.workers, 1);
});

Deno.test("ParquetPool: a reader crash on a corrupt chunk is DATA_LOSS and the worker is replaced", async () => {
  await using pool = new ParquetPool({ size: 1 });
  const rows = tableFromArrays({ x: Float64Array.from({ length: 1000 }, (_, i) => i) });
  const good = await encodeParquetChunk(rows.batches, "default");
  // Deterministic corruption (a few bytes overwritten between the magics) until the reader panics:
  // parquet-wasm does so on about a third of such files.
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
  let crashes = 0;
  for (let trial = 0; trial < 200 && crashes === 0; trial++) {
    const bytes = good.slice();
    for (let k = 0; k < 3; k++) {
      bytes[4 + Math.floor(next() * (bytes.length - 12))] = Math.floor(next() * 256);
    }
    const outcome = await pool.anyRowMatches(bytes, [eq("x", 1)]).catch((err: Error) => err);
    if (outcome instanceof Error) {
      assert.ok(outcome instanceof DataLossError, String(outcome));
      if (/Parquet reader failed/.test(outcome.message)) crashes++;
    }
  }
  assert.equal(crashes, 1, "no corruption made the reader crash: find another way to exercise a crash");
  assert.equal(await pool.anyRowMatches(chunk(), [eq("x", 1)]), true);
  assert.equal(await pool.anyRowMatches(chunk(), [eq("x", 5)]), false);
  assert.equal(pool.workers, 1);
});

Deno.test("ParquetPool runs at most `size` scans at once and answers each one", async () => {
  await using pool = new ParquetPool({ size: 2 });
  const expected = Array.from({ length: 10 }, (_, i) => i % 3 === 0);
  let most = 0;
  const scans = expected.map((want, i) =>
    pool.anyRowMatches(chunk(), [eq("x", want ? 1 + (i % 3) : 10 + i)]).finally(() => {
      most = Math.max(most, pool.workers);
    })
  );
  assert.equal(pool.workers, 2); // spawned on demand, synchronously, up to the size
  assert.deepStrictEqual(await Promise.all(scans), expected);
  assert.ok(most <= 2, `saw ${most} workers`);
  assert.equal(pool.workers, 2);
});

Deno.test("ParquetPool stops workers idle for `idleMs` and starts new ones on demand", async () => {
  await using pool = new ParquetPool({ size: 2, idleMs: 50 });
  assert.equal(pool.workers, 0);
  const scans = [pool.anyRowMatches(chunk(), [eq("x", 1)]), pool.anyRowMatches(chunk(), [eq("x", 0)])];
  assert.equal(pool.workers, 2);
  assert.deepStrictEqual(await Promise.all(scans), [true, false]);
  const deadline = Date.now() + 2_000; // 50 ms plus slack for a loaded machine
  while (pool.workers > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(pool.workers, 0);
  assert.equal(await pool.anyRowMatches(chunk(), [eq("header.frame", "a")]), true);
  assert.equal(pool.workers, 1);
});

Deno.test("ParquetPool rejects scans once disposed, including those waiting for a worker", async () => {
  const pool = new ParquetPool({ size: 1 });
  const running = pool.anyRowMatches(chunk(), [eq("x", 2)]);
  const waiting = pool.anyRowMatches(chunk(), [eq("x", 2)]);
  await pool[Symbol.asyncDispose]();
  await assert.rejects(waiting, /ParquetPool is closed/);
  assert.equal(await running, true); // the scan in progress finishes, then its worker stops
  assert.equal(pool.workers, 0);
  await assert.rejects(pool.anyRowMatches(chunk(), [eq("x", 2)]), /ParquetPool is closed/);
  assert.equal(pool.workers, 0);
});

Deno.test("new ParquetPool() needs a positive integer size", () => {
  for (const size of [0, -1, 1.5, NaN]) assert.throws(() => new ParquetPool({ size }), RangeError);
});

Deno.test("ParquetPool.decode() gives the batches an in-thread decode gives, schema metadata included", async () => {
  await using pool = new ParquetPool({ size: 1 });
  const rows = tableFromArrays({
    timestamp_ns: BigInt64Array.from({ length: 5000 }, (_, i) => BigInt(i)),
    x: Float64Array.from({ length: 5000 }, (_, i) => i / 3),
  });
  const bytes = await encodeParquetChunk(rows.batches, "default");
  const local = await Array.fromAsync(decodeParquetChunk(bytes, { batchRows: 2048 }));
  const remote = await pool.decode(bytes.slice(), { batchRows: 2048 });
  assert.deepStrictEqual(remote.map((b) => b.numRows), [2048, 2048, 904]);
  assert.deepStrictEqual(remote.map((b) => b.numRows), local.map((b) => b.numRows));
  assert.deepStrictEqual(
    remote.flatMap((b) => [...b.getChild("x")!]),
    local.flatMap((b) => [...b.getChild("x")!]),
  );
  assert.deepStrictEqual([...remote[0].schema.metadata], [...local[0].schema.metadata]);
  await assert.rejects(pool.decode(new Uint8Array(64)), DataLossError);
  assert.equal((await pool.decode(bytes.slice())).length, 1);
});
