/**
 * Tests of `memory_release.ts` with the real C allocator, each scenario in a process of its own
 * (`_test_memory_release_child.ts`): memory freed in the middle of the heap stays resident until a trim
 * gives it back, and what work frees after a trim in its middle goes back once the resident set settles.
 *
 * @module
 */
import assert from "node:assert/strict";

const MiB = 1024 ** 2;
const CHILD = new URL("./_test_memory_release_child.ts", import.meta.url).pathname;

// deno-lint-ignore no-explicit-any
async function scenario(name: string): Promise<any> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-ffi", "--allow-read", "--allow-env", CHILD, name],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  assert.equal(out.code, 0, text.decode(out.stderr));
  return JSON.parse(text.decode(out.stdout).trim().split("\n").at(-1)!);
}

Deno.test("memory release: pages freed in the middle of a malloc heap go back to the system", async () => {
  const { touched, afterFree, trim } = await scenario("hole");
  assert.ok(afterFree > touched - 16 * MiB, "the freed 64 MiB stay resident before a trim");
  assert.ok(trim, "malloc_trim is available on Linux with glibc");
  assert.ok(
    trim.rssBefore - trim.rssAfter >= 48 * MiB,
    `returned ${((trim.rssBefore - trim.rssAfter) / MiB).toFixed(1)} MiB of the 64 freed`,
  );
});

Deno.test("memory release: what work frees after a trim in its middle goes back once the resident set settles", async () => {
  const { first, returnedAfterWork, trimsAfterWork } = await scenario("settle");
  assert.ok(first >= 1, "a first trim once started");
  assert.ok(
    returnedAfterWork >= 32 * MiB,
    `${trimsAfterWork} trims after the work returned ${
      (returnedAfterWork / MiB).toFixed(1)
    } MiB of the 48 freed`,
  );
});
