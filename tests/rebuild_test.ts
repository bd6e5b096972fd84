/**
 * Catalog rebuild (issue #6): a daemon's store alone is enough to rebuild its catalog. A pyarrow client
 * fills a real daemon, a snapshot of everything a client sees is taken, the catalog is deleted,
 * `main.ts rebuild` runs with the start task's permissions, and a restarted daemon must show exactly
 * the same snapshot.
 */
import assert from "node:assert/strict";
import { startDaemon } from "./_daemon.ts";
import { mosaicod, pythonClient } from "./_commands.ts";

function python(mode: "populate" | "snapshot", url: string): Promise<unknown> {
  return pythonClient("rebuild_snapshot.py", url, mode);
}

function rebuild(cwd: string, ...args: string[]) {
  return mosaicod(cwd, "rebuild", ...args);
}

function command(cwd: string, name: "rebuild" | "verify", ...args: string[]) {
  return mosaicod(cwd, name, ...args);
}

Deno.test("rebuild: a catalog rebuilt from the store shows clients exactly what the original did", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "mosaicod-rebuild-" });
  try {
    let before: unknown;
    {
      await using daemon = await startDaemon({ cwd });
      await python("populate", daemon.url);
      before = await python("snapshot", daemon.url);
      assert.equal(await daemon.stop(), 0);
    }
    await Deno.remove(`${cwd}/data/catalog`, { recursive: true });

    const dry = await rebuild(cwd, "--dry-run");
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^Would rebuild 3 sequence\(s\), 5 topic\(s\), \d+ chunk\(s\)/);
    const first = await rebuild(cwd);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^Rebuilt 3 sequence\(s\), 5 topic\(s\), [1-9]\d* chunk\(s\)/m);
    assert.match(first.stdout, /Restored 3 session\(s\), 3 notification\(s\) and 2 layer\(s\)/);
    assert.match(first.stdout, /Already in the catalog: 0 sequence\(s\) and topic\(s\); problems found: 0/);
    // Idempotent: a second run finds everything in place and changes nothing.
    const again = await rebuild(cwd);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /Already in the catalog: 8 sequence\(s\) and topic\(s\); problems found: 0/);

    {
      await using daemon = await startDaemon({ cwd });
      const after = await python("snapshot", daemon.url);
      assert.deepStrictEqual(after, before);
      assert.equal(await daemon.stop(), 0);
    }

    // verify: no drift after the rebuild; then drift of each kind is found, and --repair removes only
    // the dead upload.
    const clean = await command(cwd, "verify");
    assert.equal(clean.code, 0, clean.stdout + clean.stderr);
    assert.match(
      clean.stdout,
      /Checked 3 sequence\(s\), 5 topic\(s\), \d+ chunk\(s\), \d+ object\(s\): 0 drift\(s\), 0 removed/,
    );
    const chunks: string[] = [];
    for await (const path of walk(`${cwd}/data/store/sequences`)) {
      if (path.endsWith(".parquet")) chunks.push(path);
    }
    chunks.sort();
    const dead = chunks[0].replace(
      /\/\d+-[^/]+\.parquet$/,
      "/000099-00000000-0000-4000-8000-000000000000.parquet",
    );
    await Deno.copyFile(chunks[0], dead);
    await Deno.remove(chunks[1].replace(/\.parquet$/, ".json"));
    const drifted = await command(cwd, "verify");
    assert.equal(drifted.code, 1);
    assert.match(drifted.stdout, /^uncommitted: .*000099-00000000-0000-4000-8000-000000000000\.parquet: /m);
    assert.match(drifted.stdout, /^missing: .*\.json: manifest of chunk /m);
    const repaired = await command(cwd, "verify", "--repair");
    assert.match(repaired.stdout, /^removed: .*000099-00000000-0000-4000-8000-000000000000\.parquet$/m);
    assert.equal(repaired.code, 1, "the missing manifest is not repairable");
    await assert.rejects(Deno.stat(dead), Deno.errors.NotFound);
    assert.ok((await Deno.stat(chunks[0])).isFile, "committed chunks are never removed");
  } finally {
    await Deno.remove(cwd, { recursive: true }).catch(() => {});
  }
});

Deno.test("rebuild: a damaged store is reported, the rest restored, and the exit code says so", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "mosaicod-rebuild-" });
  try {
    {
      await using daemon = await startDaemon({ cwd });
      await python("populate", daemon.url);
      assert.equal(await daemon.stop(), 0);
    }
    await Deno.remove(`${cwd}/data/catalog`, { recursive: true });
    // Drop one chunk of a finalized topic and garble one sequence manifest.
    const chunks: string[] = [];
    const manifests: string[] = [];
    for await (const path of walk(`${cwd}/data/store/sequences`)) {
      if (path.endsWith(".parquet")) chunks.push(path);
      if (path.endsWith("sequence.json")) manifests.push(path);
    }
    await Deno.remove(chunks[0]);
    await Deno.writeTextFile(manifests[0], "{not json");
    const r = await rebuild(cwd);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /problem: .*sequence\.json: unreadable/);
    assert.match(r.stdout, /problems found: [1-3]\b/); // the chunk may belong to the garbled sequence
  } finally {
    await Deno.remove(cwd, { recursive: true }).catch(() => {});
  }
});

async function* walk(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) yield* walk(path);
    else yield path;
  }
}
