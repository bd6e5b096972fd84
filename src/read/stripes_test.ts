import assert from "node:assert/strict";
import type { Chunk, TimeRange } from "../model/types.ts";
import { planStripes } from "./stripes.ts";

function chunk(index: number, startNs: bigint, endNs: bigint, sizeBytes = 100): Chunk {
  return {
    id: index,
    topicId: 1,
    uuid: crypto.randomUUID(),
    index,
    key: `k${index}`,
    sizeBytes,
    rowCount: 10,
    startNs,
    endNs,
    stats: [],
  };
}

const ALL: TimeRange = { startNs: null, endNs: null };

/** Which stripe each timestamp falls in (-1: none, -2: several). */
function owner(stripes: TimeRange[], ts: bigint): number {
  const hits = stripes.flatMap((s, i) =>
    (s.startNs === null || s.startNs <= ts) && (s.endNs === null || ts <= s.endNs) ? [i] : []
  );
  return hits.length === 1 ? hits[0] : hits.length === 0 ? -1 : -2;
}

Deno.test("planStripes() cuts at chunk starts into ranges of about equal bytes", () => {
  const chunks = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => chunk(i, BigInt(i * 100), BigInt(i * 100 + 99)));
  assert.deepStrictEqual(planStripes(chunks, ALL, 4), [
    { startNs: null, endNs: 199n },
    { startNs: 200n, endNs: 399n },
    { startNs: 400n, endNs: 599n },
    { startNs: 600n, endNs: null },
  ]);
  assert.deepStrictEqual(planStripes(chunks, ALL, 1), [ALL]);
  assert.equal(planStripes(chunks, ALL, 64).length, 8); // no more stripes than cut points
  assert.deepStrictEqual(planStripes([chunks[0]], ALL, 4), [ALL]);
  assert.deepStrictEqual(planStripes([], ALL, 4), [ALL]);
});

Deno.test("planStripes() covers every timestamp exactly once, overlaps and ranges included", () => {
  const chunks = [
    chunk(0, 0n, 500n, 300),
    chunk(1, 100n, 200n, 50),
    chunk(2, 100n, 900n, 50), // same start: never a cut of its own
    chunk(3, 600n, 700n, 400),
    chunk(4, 650n, 2000n, 200),
  ];
  for (const range of [ALL, { startNs: 50n, endNs: 1500n }, { startNs: 650n, endNs: null }]) {
    for (const n of [1, 2, 3, 5, 10]) {
      const stripes = planStripes(chunks, range, n);
      assert.ok(stripes.length >= 1 && stripes.length <= n);
      for (let ts = -10n; ts <= 2100n; ts += 1n) {
        const inRange = (range.startNs === null || range.startNs <= ts) &&
          (range.endNs === null || ts <= range.endNs);
        assert.equal(
          owner(stripes, ts) >= 0,
          inRange,
          `ts ${ts}, ${n} stripes of ${
            JSON.stringify(range, (_, v) => typeof v === "bigint" ? String(v) : v)
          }`,
        );
      }
      for (let i = 1; i < stripes.length; i++) assert.ok(stripes[i].startNs! > stripes[i - 1].startNs!);
    }
  }
});
