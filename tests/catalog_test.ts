/**
 * Runs the catalog contract against PGlite (in memory) and PostgreSQL (the test cluster), plus what
 * only one driver has: PGlite persistence in a directory, PostgreSQL connection failures.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Catalog } from "../src/catalog/catalog.ts";
import { openPostgresDriver } from "../src/catalog/postgres_driver.ts";
import { UnavailableError } from "../src/errors.ts";
import { createLogger, silentLogger } from "../src/log.ts";
import { catalogContract } from "./catalog_contract.ts";
import { freshPgliteCatalog, freshPostgresCatalog } from "./_postgres.ts";
import { topicIn, zeroOneSequence } from "./_catalog_fixtures.ts";

catalogContract("pglite", freshPgliteCatalog);
catalogContract("postgres", freshPostgresCatalog);

Deno.test("pglite: Catalog.open() keeps data in its directory across reopen, one opener at a time", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mosaicod-pglite-" });
  try {
    const config = { kind: "pglite", dir: `${dir}/catalog` } as const;
    const lines: string[] = [];
    const log = createLogger({ sink: (line) => lines.push(line) });
    {
      await using db = await Catalog.open(config, { log });
      const seq = await zeroOneSequence(db, "kept", { userMetadata: [1], createdNs: 3_000_000n });
      const topic = await topicIn(db, seq, "t", { serializationFormat: "image", ontologyTag: "cam" });
      await db.commitTopic(topic.id, []);
      const busy = new UnavailableError(
        `Cannot open the embedded catalog in "${config.dir}": another process is using it`,
      );
      await assert.rejects(Catalog.open(config, { log: silentLogger() }), busy);
    }
    assert.ok(lines.some((l) => l.includes('"migration":"0001_init"')));
    await using db = await Catalog.open(config, { log: silentLogger() });
    assert.deepEqual((await db.getSequence("kept"))?.userMetadata, [1]);
    assert.equal((await db.getTopic("kept/t"))?.locked, true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("postgres: openPostgresDriver() on a closed port fails fast with UnavailableError", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const started = performance.now();
  const url = `postgres://mosaico:s3cr3t-pa55@127.0.0.1:${port}/db`;
  const err = await openPostgresDriver(url).then(() => null, (e) => e);
  assert.ok(err instanceof UnavailableError, String(err));
  assert.equal(err.message, `Cannot connect to PostgreSQL at 127.0.0.1:${port}: connection refused`);
  assert.ok(!JSON.stringify(err, Object.getOwnPropertyNames(err)).includes("s3cr3t"));
  assert.ok(performance.now() - started < 3000);
  await assert.rejects(Catalog.open({ kind: "postgres", url }, { log: silentLogger() }), UnavailableError);
});

Deno.test("postgres: a query whose connection is terminated fails with UnavailableError", async () => {
  await using db = await freshPostgresCatalog();
  const slow = db.driver.query("SELECT pg_sleep(30), 'mosaicod-terminate-me' AS tag");
  const outcome = slow.then(() => null, (e) => e);
  for (let killed = 0; killed === 0;) {
    const rows = await db.driver.query<{ pid: number }>(
      `SELECT pg_terminate_backend(pid) AS pid FROM pg_stat_activity
       WHERE query LIKE '%mosaicod-terminate-' || 'me%' AND pid <> pg_backend_pid()`,
    );
    killed = rows.length;
  }
  const err = await outcome;
  assert.ok(err instanceof UnavailableError, String(err));
  assert.deepEqual(await db.listSequences(), []); // the pool reconnects
});
