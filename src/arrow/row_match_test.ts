import assert from "node:assert/strict";
import { Float64, Int32, Int64, Uint64 } from "apache-arrow";
import type { Scalar, ValueCondition } from "../model/types.ts";
import { encodeParquetChunk } from "./parquet.ts";
import { ParquetPool } from "./parquet_pool.ts";
import { matchRows, widenRange } from "./row_filter.ts";
import { batchOf, vec } from "./_test_batches.ts";

const cond = (path: string, name: "eq" | "lt" | "gt" | "geq", value: Scalar): ValueCondition => ({
  path: path.split("."),
  op: { op: name, value },
});

const BIG = 2n ** 62n;
/** Rows i = 0..9: x = i, y = i % 3, timestamp_ns = BIG + i*7 (unsorted on purpose: row 9 is earliest). */
function sample() {
  const rows = Array.from({ length: 10 }, (_, i) => i);
  return batchOf({
    timestamp_ns: vec(new Int64(), rows.map((i) => i === 9 ? BIG - 1n : BIG + BigInt(i * 7))),
    x: vec(new Float64(), rows),
    y: vec(new Int32(), rows.map((i) => i % 3)),
  });
}

Deno.test("matchRows() spans exactly the rows satisfying every condition", () => {
  const batch = sample();
  const cases: [ValueCondition[], [bigint, bigint] | null][] = [
    [[cond("x", "geq", 2)], [BIG - 1n, BIG + 56n]], // rows 2..9, row 9 the earliest
    [[cond("x", "geq", 2), cond("x", "lt", 9)], [BIG + 14n, BIG + 56n]],
    [[cond("y", "eq", 0), cond("x", "gt", 0)], [BIG - 1n, BIG + 42n]], // rows 3, 6, 9: 9 earliest, 6 latest
    [[cond("x", "eq", 4)], [BIG + 28n, BIG + 28n]],
    [[cond("x", "gt", 100)], null],
    [[], [BIG - 1n, BIG + 56n]],
  ];
  for (const [conditions, want] of cases) {
    const got = matchRows(batch, conditions);
    assert.deepStrictEqual(got, { matched: want !== null, timestampRange: want }, JSON.stringify(conditions));
  }
});

Deno.test("matchRows() honours slices and null timestamps; no timestamp column still matches", () => {
  const sliced = sample().slice(3, 7); // rows 3..6
  assert.deepStrictEqual(matchRows(sliced, [cond("x", "geq", 0)]), {
    matched: true,
    timestampRange: [BIG + 21n, BIG + 42n],
  });
  const withNulls = batchOf({
    timestamp_ns: vec(new Int64(), [5n, null, 9n, null]),
    x: vec(new Float64(), [1, 2, 3, 4]),
  });
  assert.deepStrictEqual(matchRows(withNulls, [cond("x", "geq", 2)]), {
    matched: true,
    timestampRange: [9n, 9n],
  });
  assert.deepStrictEqual(matchRows(withNulls, [cond("x", "eq", 4)]), { matched: true, timestampRange: null });
  const unsigned = batchOf({
    timestamp_ns: vec(new Uint64(), [2n ** 64n - 1n, 3n]),
    x: vec(new Float64(), [1, 2]),
  });
  assert.deepStrictEqual(matchRows(unsigned, [cond("x", "geq", 0)]), {
    matched: true,
    timestampRange: [3n, 2n ** 64n - 1n],
  });
  const noTime = batchOf({ x: vec(new Float64(), [1, 2]) });
  assert.deepStrictEqual(matchRows(noTime, [cond("x", "eq", 2)]), { matched: true, timestampRange: null });
  assert.deepStrictEqual(matchRows(noTime, [cond("x", "eq", 3)]), { matched: false, timestampRange: null });
});

Deno.test("widenRange() unions ranges, null being none", () => {
  assert.deepStrictEqual(widenRange(null, null), null);
  assert.deepStrictEqual(widenRange([1n, 2n], null), [1n, 2n]);
  assert.deepStrictEqual(widenRange(null, [3n, 4n]), [3n, 4n]);
  assert.deepStrictEqual(widenRange([5n, 6n], [-1n, 5n]), [-1n, 6n]);
});

Deno.test("ParquetPool.matchRows() reads every batch of a chunk through a worker", async () => {
  await using pool = new ParquetPool({ size: 1 });
  // Two batches: the matching rows span both, and the range must too.
  const chunk = await encodeParquetChunk([sample(), sample().slice(0, 3)], "default");
  assert.deepStrictEqual(await pool.matchRows(chunk.slice(), [cond("y", "eq", 1)]), {
    matched: true,
    timestampRange: [BIG + 7n, BIG + 49n], // rows 1, 4, 7 (and row 1 again in the second batch)
  });
  assert.deepStrictEqual(await pool.matchRows(chunk.slice(), [cond("x", "gt", 100)]), {
    matched: false,
    timestampRange: null,
  });
  // A column the chunk lacks: no match, as with anyRowMatches().
  assert.deepStrictEqual(await pool.matchRows(chunk.slice(), [cond("nope", "eq", 1)]), {
    matched: false,
    timestampRange: null,
  });
  // A chunk without timestamp_ns (never ingested so): still answers whether a row matches.
  const bare = await encodeParquetChunk([batchOf({ x: vec(new Float64(), [1, 2]) })], "default");
  assert.deepStrictEqual(await pool.matchRows(bare.slice(), [cond("x", "eq", 2)]), {
    matched: true,
    timestampRange: null,
  });
});
