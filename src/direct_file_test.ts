/**
 * Tests of `direct_file.ts`: every length around the block and buffer sizes, written in uneven pieces,
 * reads back exactly, through a descriptor the kernel shows was opened with `O_DIRECT`; an aborted file
 * is closed; without `--allow-ffi` there is no direct file and the export's output file writes through the
 * page cache instead, with the same bytes.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DirectFile } from "./direct_file.ts";
import { OutputFile } from "./toolkit/export/_output.ts";

const MiB = 1 << 20;
const O_DIRECT = Deno.build.arch === "aarch64" ? 0o200000 : 0o40000;

function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed | 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 255;
  }
  return out;
}

/** The open flags of this process's descriptors of `path` (read from /proc by a shell), [] when none is. */
async function openFlags(path: string): Promise<number[]> {
  const script = 'for f in /proc/$1/fd/*; do [ "$(readlink "$f")" = "$2" ] && sed -n "s/^flags:\\s*//p" ' +
    '"/proc/$1/fdinfo/${f##*/}"; done; true';
  const out = await new Deno.Command("sh", {
    args: ["-c", script, "sh", String(Deno.pid), path],
    stdout: "piped",
  })
    .output();
  return new TextDecoder().decode(out.stdout).split("\n").filter((l) => l !== "").map((l) => parseInt(l, 8));
}

Deno.test("a direct file reads back exactly, whatever the length and the pieces", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mosaicod-direct-" });
  try {
    const lengths = [0, 1, 4095, 4096, 4097, 4 * MiB - 1, 4 * MiB, 4 * MiB + 1, 9 * MiB + 3];
    for (const [i, length] of lengths.entries()) {
      const path = join(dir, `f${i}`);
      const data = pattern(length, i + 7);
      const file = DirectFile.create(path);
      assert.ok(file, "direct writes are possible on this Linux file system");
      assert.deepEqual(
        (await openFlags(path)).map((f) => (f & O_DIRECT) !== 0),
        [true],
        "opened once, with O_DIRECT",
      );
      const pieces = pattern(64, length + 1);
      let at = 0;
      for (let k = 0; at < length; k++) {
        // Pieces of 0 bytes to 3 MiB, most of them not a multiple of the block size.
        const n = Math.min(length - at, [0, 1, 4096, 5000, 3 * MiB, 123_457][pieces[k % 64] % 6]);
        await file.write(data.subarray(at, at + n));
        at += n;
        assert.equal(file.bytes, at);
      }
      await file.close();
      assert.deepEqual(await openFlags(path), [], "closed");
      const back = await Deno.readFile(path);
      assert.equal(back.length, length, `length ${length}`);
      assert.ok(back.every((b, j) => b === data[j]), `bytes of length ${length}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a direct file truncates what was there, an aborted one is closed with what it wrote; export uses them", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mosaicod-direct-" });
  try {
    const path = join(dir, "f");
    await Deno.writeFile(path, pattern(10 * MiB, 3));
    const file = DirectFile.create(path)!;
    await file.write(pattern(5 * MiB, 4));
    await file.abort();
    assert.deepEqual(await openFlags(path), []);
    const size = (await Deno.stat(path)).size;
    assert.ok(size <= 5 * MiB, `the old content is gone (${size} bytes)`);
    await assert.rejects(() => file.write(new Uint8Array(1)), /closed/);

    const again = DirectFile.create(path)!;
    await again.write(pattern(100, 5));
    await again.close();
    assert.deepEqual(await Deno.readFile(path), pattern(100, 5));
    await assert.rejects(() => again.close(), /closed/);

    const out = await OutputFile.create(join(dir, "o.bin"));
    assert.equal(out.direct, true, "export writes past the page cache here");
    await out.write(pattern(5000, 6));
    await out.commit();
    assert.deepEqual(await Deno.readFile(join(dir, "o.bin")), pattern(5000, 6));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("without --allow-ffi there is no direct file, and export's output file writes through the page cache", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mosaicod-direct-" });
  try {
    const script = `
      import { DirectFile } from "${new URL("./direct_file.ts", import.meta.url)}";
      import { OutputFile } from "${new URL("./toolkit/export/_output.ts", import.meta.url)}";
      const [dir] = Deno.args;
      if (DirectFile.create(dir + "/d") !== null) throw new Error("a direct file without --allow-ffi");
      const out = await OutputFile.create(dir + "/o.bin");
      for (let i = 0; i < 300; i++) await out.write(new Uint8Array(7001).fill(i & 255));
      await out.commit();
      console.log(JSON.stringify({ direct: out.direct, bytes: out.bytes }));
    `;
    await Deno.writeTextFile(join(dir, "script.ts"), script);
    await Deno.writeTextFile(join(dir, "script.ts"), script);
    const run = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--config",
        new URL("../deno.json", import.meta.url).pathname,
        "--allow-read",
        `--allow-write=${dir}`,
        "--allow-env",
        join(dir, "script.ts"),
        dir,
      ],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(run.success, new TextDecoder().decode(run.stderr));
    assert.deepEqual(JSON.parse(new TextDecoder().decode(run.stdout)), { direct: false, bytes: 300 * 7001 });
    const back = await Deno.readFile(join(dir, "o.bin"));
    assert.equal(back.length, 300 * 7001);
    for (let i = 0; i < 300; i++) assert.equal(back[i * 7001 + 7000], i & 255);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
