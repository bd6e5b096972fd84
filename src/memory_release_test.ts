/**
 * Tests of `memory_release.ts` with the real C allocator: memory freed in the middle of the heap stays
 * resident until a trim gives it back.
 *
 * @module
 */
import assert from "node:assert/strict";
import { releaseFreedMemory, startMemoryRelease } from "./memory_release.ts";

const MiB = 1024 ** 2;
/** glibc's mallopt parameter of the heap top's trim threshold. */
const M_TRIM_THRESHOLD = -1;

const LIBC = {
  malloc: { parameters: ["usize"], result: "pointer" },
  free: { parameters: ["pointer"], result: "void" },
  memset: { parameters: ["pointer", "i32", "usize"], result: "pointer" },
  mallopt: { parameters: ["i32", "i32"], result: "i32" },
} as const;

/**
 * libc for a test, with the allocator's own trimming of the heap top off while it runs (in a process
 * shared with other tests, a freed block next to the top would otherwise go back by itself), and back to
 * glibc's default threshold after.
 */
function openLibc(): Deno.DynamicLibrary<typeof LIBC> & Disposable {
  const libc = Deno.dlopen("libc.so.6", LIBC);
  libc.symbols.mallopt(M_TRIM_THRESHOLD, 1 << 30);
  return Object.assign(libc, {
    [Symbol.dispose]() {
      libc.symbols.mallopt(M_TRIM_THRESHOLD, 128 * 1024);
      libc.close();
    },
  });
}

Deno.test("memory release: pages freed in the middle of a malloc heap go back to the system", () => {
  using libc = openLibc();
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
});

Deno.test("memory release: what work frees after a trim in its middle goes back once the resident set settles", async () => {
  using libc = openLibc();
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
    // What trims return from here on, summed: in a process shared with other tests the resident set also
    // moves by itself, and a trim may come for that reason and take part of the 48 MiB.
    const after = released.length;
    const returned = () => released.slice(after).reduce((n, r) => n + r.rssBefore - r.rssAfter, 0);
    const deadline = Date.now() + 3000;
    while (returned() < 32 * MiB && Date.now() < deadline) await wait(20);
    assert.ok(
      returned() >= 32 * MiB,
      `trims after the work: ${
        JSON.stringify(released.slice(after).map((r) => Math.round((r.rssBefore - r.rssAfter) / MiB)))
      } MiB`,
    );
  } finally {
    release[Symbol.dispose]();
    for (const p of blocks) libc.symbols.free(p);
  }
});
