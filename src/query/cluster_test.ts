import assert from "node:assert/strict";
import type { TimeInterval } from "../arrow/match_intervals.ts";
import { intersectClusterLists } from "./cluster.ts";

const iv = (...pairs: [number, number][]): TimeInterval[] => pairs.map(([s, e]) => [BigInt(s), BigInt(e)]);

Deno.test("intersectClusterLists() with no tolerance answers the exact overlaps", () => {
  const a = iv([0, 10], [20, 30], [40, 50]);
  const b = iv([5, 25], [50, 60], [70, 80]);
  assert.deepStrictEqual(intersectClusterLists([a, b], 0n), iv([5, 10], [20, 25], [50, 50]));
  assert.deepStrictEqual(intersectClusterLists([b, a], 0n), iv([5, 10], [20, 25], [50, 50]));
  // A gap of 1 ns is not an overlap
  assert.deepStrictEqual(intersectClusterLists([iv([0, 10]), iv([11, 20])], 0n), []);
  // Every list must take part
  assert.deepStrictEqual(intersectClusterLists([a, b, iv([8, 22])], 0n), iv([8, 10], [20, 22]));
  assert.deepStrictEqual(intersectClusterLists([a, b, []], 0n), []);
});

Deno.test("intersectClusterLists() joins clusters within the tolerance and answers the gap between them", () => {
  const a = iv([100, 140]);
  const b = iv([155, 200]);
  assert.deepStrictEqual(intersectClusterLists([a, b], 14n), []);
  assert.deepStrictEqual(intersectClusterLists([a, b], 15n), iv([140, 155])); // exactly at the tolerance
  assert.deepStrictEqual(intersectClusterLists([a, b], 20n), iv([140, 155]));
  assert.deepStrictEqual(intersectClusterLists([a, b], 21n), iv([140, 155])); // odd tolerances stay exact
  // True overlaps keep their bounds whatever the tolerance
  assert.deepStrictEqual(intersectClusterLists([iv([0, 100]), iv([50, 60])], 1000n), iv([50, 60]));
  // Three topics: all pairwise within tolerance; the window spans the latest end to the earliest start
  assert.deepStrictEqual(intersectClusterLists([iv([0, 10]), iv([14, 20]), iv([12, 12])], 4n), iv([10, 14]));
  assert.deepStrictEqual(intersectClusterLists([iv([0, 10]), iv([15, 20]), iv([12, 12])], 4n), []);
  // Negative timestamps
  assert.deepStrictEqual(intersectClusterLists([iv([-30, -20]), iv([-17, -5])], 3n), iv([-20, -17]));
});

Deno.test("intersectClusterLists() merges windows that touch, and one list answers its own clusters", () => {
  // b's two clusters share an instant: a meets them as one
  assert.deepStrictEqual(intersectClusterLists([iv([10, 15]), iv([0, 12], [12, 20])], 0n), iv([10, 15]));
  assert.deepStrictEqual(intersectClusterLists([iv([0, 5], [20, 30])], 0n), iv([0, 5], [20, 30]));
  assert.deepStrictEqual(intersectClusterLists([iv([0, 5], [20, 30])], 15n), iv([0, 30]));
  assert.deepStrictEqual(intersectClusterLists([], 0n), []);
});
