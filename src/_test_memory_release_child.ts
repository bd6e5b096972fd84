/**
 * The memory-release tests' own process (`memory_release_test.ts` runs it): the resident set is a
 * process's, and in the test runner's process other tests move it. Runs one scenario with the real C
 * allocator and prints what it measured as JSON:
 * - `hole`: 64 MiB freed in the middle of the heap, then one trim;
 * - `settle`: 48 MiB allocated while `startMemoryRelease` runs (trims meanwhile free nothing), then freed:
 *   what the trims after that return.
 *
 * The allocator's own trimming of the heap top is off (a freed block next to the top would go back by
 * itself). Imports `memory_release.ts` only.
 *
 * @module
 */
import { type Released, releaseFreedMemory, startMemoryRelease } from "./memory_release.ts";

const MiB = 1024 ** 2;
const BLOCK = 64 * 1024; // below glibc's mmap threshold: from the heap
const libc = Deno.dlopen("libc.so.6", {
  malloc: { parameters: ["usize"], result: "pointer" },
  free: { parameters: ["pointer"], result: "void" },
  memset: { parameters: ["pointer", "i32", "usize"], result: "pointer" },
  mallopt: { parameters: ["i32", "i32"], result: "i32" },
});
const M_TRIM_THRESHOLD = -1;
libc.symbols.mallopt(M_TRIM_THRESHOLD, 1 << 30);

/** `bytes` in blocks, touched; the last one is to stay allocated (it keeps the others off the heap top). */
function allocate(bytes: number): Deno.PointerValue[] {
  const blocks: Deno.PointerValue[] = [];
  for (let i = 0; i < bytes / BLOCK; i++) {
    const p = libc.symbols.malloc(BigInt(BLOCK));
    if (p === null) throw new Error("malloc failed");
    libc.symbols.memset(p, 1, BigInt(BLOCK));
    blocks.push(p);
  }
  return blocks;
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const rss = () => Deno.memoryUsage().rss;

if (Deno.args[0] === "hole") {
  const blocks = allocate(64 * MiB);
  blocks.pop();
  const touched = rss();
  for (const p of blocks) libc.symbols.free(p);
  const afterFree = rss();
  console.log(JSON.stringify({ touched, afterFree, trim: releaseFreedMemory() }));
} else if (Deno.args[0] === "settle") {
  const trims: Released[] = [];
  using _release = startMemoryRelease({
    firstMs: 10,
    intervalMs: 20,
    growthBytes: 8 * MiB,
    settleMs: 150,
    onRelease: (r) => trims.push(r),
  });
  await wait(50);
  const first = trims.length;
  const blocks = allocate(48 * MiB);
  await wait(100);
  blocks.pop();
  for (const p of blocks) libc.symbols.free(p);
  const after = trims.length;
  const returned = () => trims.slice(after).reduce((n, r) => n + r.rssBefore - r.rssAfter, 0);
  const deadline = Date.now() + 3000;
  while (returned() < 32 * MiB && Date.now() < deadline) await wait(20);
  console.log(JSON.stringify({ first, returnedAfterWork: returned(), trimsAfterWork: trims.length - after }));
} else {
  throw new Error(`unknown scenario ${Deno.args[0]}`);
}
