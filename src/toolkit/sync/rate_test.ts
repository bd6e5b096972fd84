import assert from "node:assert/strict";
import { Field, Float64, Int64, makeData, RecordBatch, Schema, Struct, vectorFromArray } from "apache-arrow";
import { type BucketClock, estimateBatchBytes, parseRate, splitBatch, TokenBucket } from "./rate.ts";

Deno.test("parseRate() reads bytes per second with K, M and G suffixes and refuses the rest", () => {
  assert.deepEqual(parseRate("10M"), { ok: true, bytesPerS: 10 * 1024 * 1024 });
  assert.deepEqual(parseRate("1.5k"), { ok: true, bytesPerS: 1536 });
  assert.deepEqual(parseRate(" 2048 "), { ok: true, bytesPerS: 2048 });
  assert.deepEqual(parseRate("1GiB/s"), { ok: true, bytesPerS: 1024 ** 3 });
  for (const bad of ["", "fast", "-1M", "10T", "1 M M"]) assert.equal(parseRate(bad).ok, false, bad);
  assert.deepEqual(parseRate("100"), { ok: false, problem: "must be at least 1K (1024 bytes per second)" });
});

Deno.test("TokenBucket: after its burst, bytes wait for the rate; idle time refills up to the burst only", async () => {
  let now = 0;
  const slept: number[] = [];
  const clock: BucketClock = {
    nowMs: () => now,
    sleep: (ms) => {
      slept.push(ms);
      now += ms;
      return Promise.resolve();
    },
  };
  const bucket = new TokenBucket(1000, { burstBytes: 500, clock });
  await bucket.take(500); // the burst
  assert.deepEqual(slept, []);
  await bucket.take(1000); // a second of debt
  assert.deepEqual(slept, [1000]);
  now += 60_000; // a minute idle refills 500 at most
  await bucket.take(1500);
  assert.deepEqual(slept, [1000, 1000]);
  const aborted = new AbortController();
  aborted.abort(new Error("stop"));
  await assert.rejects(new TokenBucket(1000, { burstBytes: 1 }).take(10_000, aborted.signal), /stop/);
});

Deno.test("splitBatch() cuts a batch into consecutive slices within the bound and keeps a small one whole", () => {
  const schema = new Schema([
    new Field("timestamp_ns", new Int64(), false),
    new Field("x", new Float64(), true),
  ]);
  const n = 1000;
  const children = [
    vectorFromArray(Array.from({ length: n }, (_, i) => BigInt(i)), new Int64()).data[0],
    vectorFromArray(Array.from({ length: n }, (_, i) => i), new Float64()).data[0],
  ];
  const batch = new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: n, children }));
  assert.ok(estimateBatchBytes(batch) >= 16 * n);
  assert.equal(splitBatch(batch, 1 << 20).length, 1);
  const pieces = splitBatch(batch, 1600);
  assert.ok(pieces.length >= 10);
  assert.ok(pieces.every((p) => p.bytes <= 1600 && p.batch.numRows >= 1));
  const starts = pieces.map((p) => p.batch.getChildAt(0)!.get(0));
  assert.equal(starts[0], 0n);
  assert.equal(pieces.reduce((s, p) => s + p.batch.numRows, 0), n);
  assert.equal(pieces.at(-1)!.batch.getChildAt(0)!.get(pieces.at(-1)!.batch.numRows - 1), BigInt(n - 1));
});
