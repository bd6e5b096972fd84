/**
 * The SDK 0.6/0.7 operators of `row_filter.ts` (0.7 delta Q4, Q5): `neq`, `in`, `outside` and `glob`
 * on every column kind, nulls and NaN included. The earlier operators: row_filter_test.ts.
 */
import assert from "node:assert/strict";
import {
  Bool,
  Float64,
  Int32,
  Int64,
  LargeUtf8,
  makeData,
  type RecordBatch,
  Uint64,
  Utf8,
} from "apache-arrow";
import type { ValueOp } from "../model/types.ts";
import { anyRowMatches, matchRows } from "./row_filter.ts";
import { batchOf, structOf, vec } from "./_test_batches.ts";

const show = (o: ValueOp) => JSON.stringify(o, (_, v) => typeof v === "bigint" ? `${v}n` : v);

function assertCases(batch: RecordBatch, cases: [ValueOp, boolean][]): void {
  const got = cases.map(([o]) => `${show(o)} → ${anyRowMatches(batch, [{ path: ["x"], op: o }])}`);
  assert.deepStrictEqual(got, cases.map(([o, want]) => `${show(o)} → ${want}`));
}

Deno.test("anyRowMatches(): neq, in and outside on a float64 column with a null and NaN", () => {
  assertCases(batchOf({ x: vec(new Float64(), [2, null, NaN, 2]) }), [
    [{ op: "neq", value: 2 }, false], // null and NaN are never "different"
    [{ op: "neq", value: 3 }, true],
    [{ op: "neq", value: 2n }, false],
    [{ op: "in", values: [1, 2.5] }, false],
    [{ op: "in", values: [1, 2n] }, true],
    [{ op: "in", values: ["2", true] }, false], // true is 1
    [{ op: "outside", low: 2, high: 2 }, false], // bounds excluded, NaN is never outside
    [{ op: "outside", low: 2.5, high: 3 }, true],
    [{ op: "outside", low: 1, high: 1.5 }, true],
  ]);
});

Deno.test("anyRowMatches(): int64 and uint64 stay exact beyond 2^53 for the new operators", () => {
  const big = 2n ** 53n;
  const x = makeData({ type: new Int64(), data: BigInt64Array.of(big, big + 1n) });
  assertCases(batchOf({ x }), [
    [{ op: "neq", value: big }, true],
    [{ op: "neq", value: Number(big) }, true],
    [{ op: "in", values: [big + 2n, big - 1n] }, false],
    [{ op: "in", values: [big + 1n] }, true],
    [{ op: "outside", low: big, high: big }, true],
    [{ op: "outside", low: big, high: big + 1n }, false],
  ]);
  const u = makeData({ type: new Uint64(), data: BigUint64Array.of(2n ** 64n - 1n) });
  assertCases(batchOf({ x: u }), [
    [{ op: "neq", value: 2n ** 64n - 1n }, false],
    [{ op: "outside", low: 0n, high: 2n ** 64n - 2n }, true],
  ]);
});

Deno.test("anyRowMatches(): bool columns compare as 0/1", () => {
  assertCases(batchOf({ x: vec(new Bool(), [true, true]) }), [
    [{ op: "neq", value: true }, false],
    [{ op: "neq", value: 0 }, true],
    [{ op: "in", values: [false, 1n] }, true],
    [{ op: "outside", low: false, high: false }, true],
  ]);
});

Deno.test("anyRowMatches(): string operators on utf8 and large_utf8, in UTF-8 byte order", async (t) => {
  for (const type of [new Utf8(), new LargeUtf8()]) {
    await t.step(String(type), () => {
      assertCases(batchOf({ x: vec(type, ["run_01", null, "é😀", "a*b"]) }), [
        [{ op: "neq", value: "run_01" }, true],
        [{ op: "in", values: ["é😀", "x"] }, true],
        [{ op: "in", values: ["run_0", "a"] }, false],
        [{ op: "in", values: ["run_01", 5] }, true], // mixed kinds: the string compares
        [{ op: "outside", low: "a*b", high: "é😀" }, false],
        [{ op: "outside", low: "a*c", high: "z" }, true],
        [{ op: "glob", pattern: "run_##" }, true],
        [{ op: "glob", pattern: "run_#" }, false],
        [{ op: "glob", pattern: "run" }, false], // a full match
        [{ op: "glob", pattern: "?😀" }, true],
        [{ op: "glob", pattern: "a[*]b" }, true],
        [{ op: "glob", pattern: "[!a-z]*" }, true],
        [{ op: "glob", pattern: "" }, false],
        [{ op: "glob", pattern: "*" }, true],
      ]);
    });
  }
});

Deno.test("anyRowMatches(): globs match strings only; never a null row or one under a null struct", () => {
  assertCases(batchOf({ x: vec(new Int32(), [1]) }), [[{ op: "glob", pattern: "*" }, false]]);
  assertCases(batchOf({ x: vec(new Utf8(), [null]) }), [
    [{ op: "glob", pattern: "*" }, false],
    [{ op: "neq", value: "a" }, false],
  ]);
  const s = structOf({ name: vec(new Utf8(), ["front", "rear"]) }, [false, true]);
  const batch = batchOf({ s });
  assert.equal(anyRowMatches(batch, [{ path: ["s", "name"], op: { op: "glob", pattern: "f*" } }]), false);
  assert.equal(anyRowMatches(batch, [{ path: ["s", "name"], op: { op: "in", values: ["rear"] } }]), true);
});

Deno.test("matchRows(): the new operators narrow the time range like the others", () => {
  const batch = batchOf({
    timestamp_ns: makeData({ type: new Int64(), data: BigInt64Array.of(10n, 20n, 30n, 40n) }),
    x: vec(new Float64(), [1, 5, 9, 5]),
    s: vec(new Utf8(), ["a", "b", "c", "b"]),
  });
  const range = (ops: [string, ValueOp][]) =>
    matchRows(batch, ops.map(([path, op]) => ({ path: [path], op }))).timestampRange;
  assert.deepEqual(range([["x", { op: "outside", low: 2, high: 8 }]]), [10n, 30n]);
  assert.deepEqual(range([["x", { op: "neq", value: 1 }], ["s", { op: "in", values: ["b"] }]]), [20n, 40n]);
  assert.deepEqual(range([["s", { op: "glob", pattern: "[ac]" }], ["x", { op: "neq", value: 9 }]]), [
    10n,
    10n,
  ]);
  assert.equal(range([["s", { op: "glob", pattern: "d" }]]), null);
});
