/**
 * Tests of `memory_release.ts` with the real C allocator: memory freed in the middle of the heap stays
 * resident until a trim gives it back.
 *
 * @module
 */
import assert from "node:assert/strict";
import { releaseFreedMemory, startMemoryRelease } from "./memory_release.ts";

const MiB = 1024 ** 2;

Deno.test("memory release: pages freed in the middle of a malloc heap go back to the system", () => {
  const libc = Deno.dlopen("libc.so.6", {
    malloc: { parameters: ["usize"], result: "pointer" },
    free: { parameters: ["pointer"], result: "void" },
    memset: { parameters: ["pointer", "i32", "usize"], result: "pointer" },
  });
  try {
    // 64 KiB blocks are below glibc's mmap threshold, so they come from the heap; the last one stays
    // allocated, so freeing the others leaves a hole the allocator does not return by itself.
    const block = 64 * 1024;
    const blocks: Deno.PointerValue[] = [];
    for (let i = 0; i < 1024; i++) {
      const p = libc.symbols.malloc(BigInt(block));
      assert.ok(p, "malloc");
      libc.symbols.memset(p, 1, BigInt(block));
      blocks.push(p);
    }
    const kept = blocks.pop();
    const touched = Deno.memoryUsage().rss;
    for (const p of blocks) libc.symbols.free(p);
    assert.ok(Deno.memoryUsage().rss > touched - 16 * MiB, "the freed 64 MiB stay resident before a trim");

    const released = releaseFreedMemory();
    assert.ok(released, "malloc_trim is available on Linux with glibc");
    assert.ok(
      released.rssBefore - released.rssAfter >= 48 * MiB,
      `returned ${((released.rssBefore - released.rssAfter) / MiB).toFixed(1)} MiB of the 64 freed`,
    );
    libc.symbols.free(kept!);
  } finally {
    libc.close();
  }
});

Deno.test("memory release: what work frees after a trim in its middle goes back once the resident set settles", async () => {
  const libc = Deno.dlopen("libc.so.6", {
    malloc: { parameters: ["usize"], result: "pointer" },
    free: { parameters: ["pointer"], result: "void" },
    memset: { parameters: ["pointer", "i32", "usize"], result: "pointer" },
  });
  const released: { rssBefore: number; rssAfter: number }[] = [];
  const blocks: Deno.PointerValue[] = [];
  const release = startMemoryRelease({
    firstMs: 10,
    intervalMs: 20,
    growthBytes: 8 * MiB,
    settleMs: 150,
    onRelease: (r) => released.push(r),
  });
  try {
    const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    await wait(50);
    assert.ok(released.length >= 1, "a first trim");
    // Work: 48 MiB in use (a trim meanwhile frees nothing), then freed but for its last block.
    for (let i = 0; i < 768; i++) {
      const p = libc.symbols.malloc(BigInt(64 * 1024));
      libc.symbols.memset(p, 1, BigInt(64 * 1024));
      blocks.push(p);
    }
    await wait(100);
    const kept = blocks.pop()!;
    for (const p of blocks) libc.symbols.free(p);
    blocks.length = 0;
    blocks.push(kept);
    const deadline = Date.now() + 3000;
    while (!released.some((r) => r.rssBefore - r.rssAfter >= 32 * MiB) && Date.now() < deadline) {
      await wait(20);
    }
    assert.ok(
      released.some((r) => r.rssBefore - r.rssAfter >= 32 * MiB),
      `trims: ${JSON.stringify(released.map((r) => Math.round((r.rssBefore - r.rssAfter) / MiB)))} MiB`,
    );
  } finally {
    release[Symbol.dispose]();
    for (const p of blocks) libc.symbols.free(p);
    libc.close();
  }
});
