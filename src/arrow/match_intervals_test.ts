import assert from "node:assert/strict";
import { Float64, Int32, Int64, type RecordBatch } from "apache-arrow";
import type { ValueCondition } from "../model/types.ts";
import { coalesceIntervals, matchIntervals, type TimeInterval } from "./match_intervals.ts";
import { encodeParquetChunk } from "./parquet.ts";
import { ParquetPool } from "./parquet_pool.ts";
import { batchOf, vec } from "./_test_batches.ts";

const gt = (path: string, value: number): ValueCondition => ({ path: [path], op: { op: "gt", value } });

async function* stream(...batches: RecordBatch[]) {
  yield* batches;
}

interface Row {
  ts: bigint | null;
  x: number | null;
  y: number;
}

function batch(rows: Row[]): RecordBatch {
  return batchOf({
    timestamp_ns: vec(new Int64(), rows.map((r) => r.ts)),
    x: vec(new Float64(), rows.map((r) => r.x)),
    y: vec(new Int32(), rows.map((r) => r.y)),
  });
}

/** The rule, written the obvious way: sort the matching timestamps, cut at gaps above `gap`. */
function bruteForce(rows: Row[], xAbove: number, gap: bigint | null): TimeInterval[] {
  const ts = rows.filter((r) => r.ts !== null && r.x !== null && r.x > xAbove).map((r) => r.ts!)
    .sort((a, b) => a < b ? -1 : a > b ? 1 : 0);
  const out: TimeInterval[] = [];
  for (const t of ts) {
    const last = out[out.length - 1];
    if (last && (gap === null || t - last[1] <= gap)) last[1] = t;
    else out.push([t, t]);
  }
  return out;
}

/** A small deterministic generator (no seeding API in Math.random). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

Deno.test("matchIntervals() cuts the matching timestamps at gaps above the limit, exactly at it too", async () => {
  const rows: Row[] = [0n, 10n, 20n, 31n, 41n, 52n].map((ts) => ({ ts, x: 1, y: 0 }));
  const b = batch(rows);
  assert.deepStrictEqual(await matchIntervals(stream(b), [], 10n), [[0n, 20n], [31n, 41n], [52n, 52n]]);
  assert.deepStrictEqual(await matchIntervals(stream(b), [], 11n), [[0n, 52n]]);
  assert.deepStrictEqual(await matchIntervals(stream(b), [], 9n), [
    [0n, 0n],
    [10n, 10n],
    [20n, 20n],
    [
      31n,
      31n,
    ],
    [41n, 41n],
    [52n, 52n],
  ]);
  assert.deepStrictEqual(await matchIntervals(stream(b), [], null), [[0n, 52n]]);
  assert.deepStrictEqual(await matchIntervals(stream(b), [gt("x", 5)], 10n), []);
  assert.deepStrictEqual(await matchIntervals(stream(), [], 10n), []);
});

Deno.test("matchIntervals() agrees with the obvious rule on unsorted batches with nulls", async () => {
  const next = lcg(42);
  for (let round = 0; round < 60; round++) {
    const n = 1 + Math.floor(next() * 300);
    const spread = 10 + Math.floor(next() * 5000);
    const rows: Row[] = Array.from({ length: n }, () => ({
      ts: next() < 0.03 ? null : BigInt(Math.floor(next() * spread)) - 100n,
      x: next() < 0.1 ? null : next(),
      y: Math.floor(next() * 3),
    }));
    const xAbove = next() * 0.8;
    const gap = next() < 0.1 ? null : BigInt(Math.floor(next() * 60));
    // Cut into batches of random sizes (one batch per chunk slice), the last one possibly a slice.
    const whole = batch(rows);
    const cut = Math.floor(next() * n);
    const got = await matchIntervals(stream(whole.slice(0, cut), whole.slice(cut)), [gt("x", xAbove)], gap);
    assert.deepStrictEqual(got, bruteForce(rows, xAbove, gap), `round ${round}`);
  }
});

Deno.test("coalesceIntervals() joins intervals within the gap, in time order", () => {
  const list: TimeInterval[] = [[50n, 60n], [0n, 10n], [12n, 20n], [5n, 8n], [21n, 21n]];
  assert.deepStrictEqual(coalesceIntervals(list, 0n), [[0n, 10n], [12n, 20n], [21n, 21n], [50n, 60n]]);
  assert.deepStrictEqual(coalesceIntervals(list, 1n), [[0n, 10n], [12n, 21n], [50n, 60n]]);
  assert.deepStrictEqual(coalesceIntervals(list, 2n), [[0n, 21n], [50n, 60n]]);
  assert.deepStrictEqual(coalesceIntervals(list, null), [[0n, 60n]]);
  assert.deepStrictEqual(coalesceIntervals([[0n, 5n], [5n, 7n]], 0n), [[0n, 7n]]); // a shared instant
  assert.deepStrictEqual(list[0], [50n, 60n]); // the input is not modified
});

Deno.test("ParquetPool.matchIntervals() clusters a chunk's rows in a worker, reading every batch", async () => {
  await using pool = new ParquetPool({ size: 1 });
  const first = batch([{ ts: 100n, x: 1, y: 0 }, { ts: 0n, x: 1, y: 1 }, { ts: 50n, x: 0, y: 1 }]);
  const second = batch([{ ts: 105n, x: 1, y: 1 }, { ts: 2n ** 62n, x: 1, y: 1 }]);
  const chunk = await encodeParquetChunk([first, second], "default");
  assert.deepStrictEqual(
    await pool.matchIntervals(chunk.slice(), [gt("x", 0.5)], { gapNs: 10n }),
    [[0n, 0n], [100n, 105n], [2n ** 62n, 2n ** 62n]],
  );
  assert.deepStrictEqual(
    await pool.matchIntervals(chunk.slice(), [gt("y", 0)], { gapNs: null }),
    [[0n, 2n ** 62n]],
  );
  assert.deepStrictEqual(await pool.matchIntervals(chunk.slice(), [gt("nope", 0)], { gapNs: 1n }), []);
});
