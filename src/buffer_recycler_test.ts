/**
 * Tests of `buffer_recycler.ts`: which kept buffer a take gets, the bounds on what is kept, the idle drop.
 *
 * @module
 */
import assert from "node:assert/strict";
import { BufferRecycler, RECYCLED_MIN_BYTES } from "./buffer_recycler.ts";

const KiB = 1024;

Deno.test("buffer recycler: a take gets the smallest kept buffer that fits within twice its size, else a new one", () => {
  const r = new BufferRecycler({ maxBytes: 16 * 1024 * KiB, maxBuffers: 8, idleMs: 60_000 });
  try {
    const fresh = r.take(100 * KiB + 1);
    assert.equal(fresh.byteLength, 128 * KiB, "rounded up to 64 KiB");
    assert.equal(r.reused, 0);
    const big = new ArrayBuffer(1024 * KiB);
    r.give(big);
    r.give(fresh);
    assert.equal(r.keptBytes, 1152 * KiB);
    assert.equal(r.take(120 * KiB), fresh, "the smallest that fits");
    assert.notEqual(r.take(400 * KiB), big, "1 MiB is more than twice 400 KiB: a new one");
    assert.equal(r.take(600 * KiB), big);
    assert.equal(r.reused, 2);
    assert.equal(r.keptBytes, 0);
    // Small, detached and oversized buffers are not kept; small takes are exact.
    r.give(new ArrayBuffer(RECYCLED_MIN_BYTES - 1));
    const moved = new ArrayBuffer(RECYCLED_MIN_BYTES);
    moved.transfer();
    r.give(moved);
    r.give(new ArrayBuffer(32 * 1024 * KiB));
    assert.equal(r.keptBytes, 0);
    assert.equal(r.take(10).byteLength, 10);
  } finally {
    r.clear();
  }
});

Deno.test("buffer recycler: keeps at most maxBuffers and maxBytes, dropping the oldest", () => {
  const r = new BufferRecycler({ maxBytes: 512 * KiB, maxBuffers: 3, idleMs: 60_000 });
  try {
    const buffers = Array.from({ length: 5 }, () => new ArrayBuffer(128 * KiB));
    for (const b of buffers) r.give(b);
    assert.equal(r.keptBytes, 384 * KiB, "three kept");
    const taken = [r.take(128 * KiB), r.take(128 * KiB), r.take(128 * KiB)];
    assert.deepEqual(new Set(taken), new Set(buffers.slice(2)), "the newest three");
    for (let i = 0; i < 3; i++) r.give(new ArrayBuffer(256 * KiB));
    assert.equal(r.keptBytes, 512 * KiB, "bytes bound: two of 256 KiB");
  } finally {
    r.clear();
  }
});

Deno.test("buffer recycler: what is kept is dropped once no take came for idleMs", async () => {
  const r = new BufferRecycler({ idleMs: 50 });
  r.give(new ArrayBuffer(RECYCLED_MIN_BYTES));
  assert.equal(r.keptBytes, RECYCLED_MIN_BYTES);
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(r.keptBytes, 0);
});
