/**
 * How the embedded catalog creates a fresh directory (issue #17, idle memory): initdb runs in a worker
 * thread, never in the daemon's, and the daemon's PGlite instance opens the finished directory; a start
 * cut short while creating it resumes at the next one. Idle memory itself is measured by
 * `deno task bench memory`, not here.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  openPgliteDriver,
  type PgliteDriver,
  type PgliteDriverOptions,
} from "../src/catalog/pglite_driver.ts";
import { UnavailableError } from "../src/errors.ts";
import { createLogger } from "../src/log.ts";
import { startDaemon } from "./_daemon.ts";

async function names(dir: string): Promise<string[]> {
  return (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();
}

/** Opens a driver, runs `fn` on it and closes it. */
async function withDriver(
  opts: PgliteDriverOptions,
  fn: (driver: PgliteDriver) => Promise<void>,
): Promise<void> {
  const driver = await openPgliteDriver(opts);
  try {
    await fn(driver);
  } finally {
    await driver.close();
  }
}

async function sharedBuffers(driver: { query<T>(sql: string): Promise<T[]> }): Promise<string> {
  const [row] = await driver.query<{ v: string }>(`SELECT current_setting('shared_buffers') AS v`);
  return row.v;
}

Deno.test("pglite: a fresh directory is made by initdb in a worker, then opened; a cut-short start resumes", async () => {
  const root = await Deno.makeTempDir({ prefix: "mosaicod-pglite-init-" });
  try {
    const dir = join(root, "catalog");
    // A start that died during initdb left its staging folder: it is discarded and initdb runs again.
    await Deno.mkdir(join(dir, ".initdb"), { recursive: true });
    await Deno.writeTextFile(join(dir, ".initdb", "half-written"), "x");
    const lines: string[] = [];
    const log = createLogger({ sink: (line) => lines.push(line) });
    await withDriver({ dir, log }, async (driver) => {
      assert.equal(driver.created?.thread, "worker");
      assert.ok(driver.created.initdbMs > 0);
      assert.equal(await sharedBuffers(driver), "16MB");
      await driver.exec(`CREATE TABLE kept (v int); INSERT INTO kept VALUES (7)`);
    });
    const created = lines.map((l) => JSON.parse(l)).find((l) => l.msg === "catalog created");
    assert.equal(created?.thread, "worker");
    assert.equal(created?.dir, dir);
    const entries = await names(dir);
    assert.ok(entries.includes("PG_VERSION") && entries.includes("base"), entries.join());
    assert.ok(!entries.some((n) => n.startsWith(".initdb")), entries.join());

    // A start that died while moving initdb's result in: part of it is in place, the rest waits in
    // `.initdb-ready`, and PG_VERSION (moved last) is missing. The next start finishes the move.
    const other = join(root, "other");
    const ready = join(other, ".initdb-ready");
    await Deno.mkdir(ready, { recursive: true });
    for (const name of entries.filter((n) => n !== "mosaicod.lock")) {
      await Deno.rename(join(dir, name), join(name === "base" ? other : ready, name));
    }
    await withDriver({ dir: other }, async (driver) => {
      assert.deepEqual(driver.created, { thread: "worker", initdbMs: 0 }, "moved in, no second initdb");
      assert.deepEqual(await driver.query(`SELECT v FROM kept`), [{ v: 7 }]);
    });
    assert.ok(!(await names(other)).some((n) => n.startsWith(".initdb")));

    await withDriver({ dir: other }, async (driver) => {
      assert.equal(driver.created, null, "an existing directory is opened as it is");
      assert.equal(await sharedBuffers(driver), "16MB");
    });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("pglite: a catalog directory that cannot be made fails with UnavailableError naming it", async () => {
  const root = await Deno.makeTempDir({ prefix: "mosaicod-pglite-init-" });
  try {
    const file = join(root, "a-file");
    await Deno.writeTextFile(file, "not a directory");
    const err = await openPgliteDriver({ dir: file }).then(() => null, (e) => e);
    assert.ok(err instanceof UnavailableError, String(err));
    assert.match(err.message, new RegExp(`^Cannot open the embedded catalog in "${file}": `));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("pglite: a daemon's first start gives what startup freed back to the system once it listens", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "mosaicod-first-start-" });
  try {
    await using daemon = await startDaemon({ cwd, args: ["--log-level", "debug"] });
    const deadline = Date.now() + 15_000;
    let entry: Record<string, unknown> | undefined;
    while (!(entry = daemon.logs.find((e) => e.msg === "memory returned")) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(entry, "a trim after the daemon started listening");
    const { rssBeforeMiB, rssAfterMiB } = entry as { rssBeforeMiB: number; rssAfterMiB: number };
    assert.ok(rssAfterMiB > 0 && rssAfterMiB <= rssBeforeMiB, JSON.stringify(entry));
    assert.equal(await daemon.stop(), 0);
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});
