/**
 * The event log and background jobs (issue #7) over both catalog drivers, a real store, the real ingest
 * and read paths and the real job runner: events in commit order without gaps; a job claimed by two
 * runners (two connections, like two daemons) runs once; an expired lease hands a job to another
 * runner; failures back off and end dead; retry and cancel; deferred deletion honours its retention;
 * compaction of 200 small chunks keeps every row in order; statistics refresh; start-up recovery.
 */
import assert from "node:assert/strict";
import { Float64, Int64, type RecordBatch } from "apache-arrow";
import { ParquetPool } from "../src/arrow/parquet_pool.ts";
import { batchOf, structOf, vec } from "../src/arrow/_test_batches.ts";
import { Catalog } from "../src/catalog/catalog.ts";
import { openPostgresDriver } from "../src/catalog/postgres_driver.ts";
import { silentLogger } from "../src/log.ts";
import * as lifecycle from "../src/lifecycle/mod.ts";
import type { LifecycleDeps } from "../src/lifecycle/mod.ts";
import { compactTopicJob, refreshStatsJob } from "../src/model/job_payloads.ts";
import {
  sequenceManifestKey,
  sequencePrefix,
  sessionManifestKey,
  tombstoneKey,
  topicPrefix,
} from "../src/model/store_layout.ts";
import type { CatalogEvent, Job, Topic } from "../src/model/types.ts";
import {
  compactTopic,
  createJobRunner,
  DEFAULT_RUNNER_SETTINGS,
  enqueueStatsRefresh,
} from "../src/ops/jobs/mod.ts";
import type { JobOutcome, JobRunnerSettings } from "../src/ops/jobs/mod.ts";
import { recoverDeletions, STALE_TOMBSTONE_MS } from "../src/ops/recover.ts";
import { verifyStore } from "../src/ops/verify.ts";
import { openTopicRead } from "../src/read/mod.ts";
import { FsStore } from "../src/store/fs_store.ts";
import { freshPgliteCatalog, freshPostgresCatalog, testDatabaseUrl } from "./_postgres.ts";
import { createTopicWithData } from "./_topics.ts";
import { zeroOneSequence } from "./_catalog_fixtures.ts";

interface Env extends AsyncDisposable {
  deps: LifecycleDeps;
  catalog: Catalog;
  store: FsStore;
  decoder: ParquetPool;
  /** A runner over every job kind, as the daemon builds it (not started). */
  runner(settings?: Partial<JobRunnerSettings>, owner?: string): ReturnType<typeof createJobRunner>;
}

/** Job settings for the lifecycle: no compaction at finalize unless asked, retention 0 unless given. */
function jobSettings(over: Partial<NonNullable<LifecycleDeps["jobs"]>> = {}): LifecycleDeps["jobs"] {
  return { maxAttempts: 3, deletionRetentionMs: 0, compactMinChunks: 0, compactBelowBytes: 0, ...over };
}

async function freshEnv(makeCatalog: () => Promise<Catalog>, jobs = jobSettings()): Promise<Env> {
  const stack = new AsyncDisposableStack();
  const log = silentLogger();
  const catalog = stack.use(await makeCatalog());
  const dir = await Deno.makeTempDir({ prefix: "mosaicod-jobs-" });
  stack.defer(() => Deno.remove(dir, { recursive: true }));
  const store = stack.use(await FsStore.open(dir, { log }));
  const decoder = stack.use(new ParquetPool({ size: 1, idleMs: 1000 }));
  const deps: LifecycleDeps = { catalog, store, log, now: () => Date.now(), jobs };
  return {
    deps,
    catalog,
    store,
    decoder,
    runner: (settings = {}, owner) =>
      createJobRunner(
        { catalog, store, log, decoder, chunkTargetBytes: 64 * 1024, rowGroupBytes: 64 * 1024 },
        { ...DEFAULT_RUNNER_SETTINGS, backoffMs: 0, ...settings },
        { owner },
      ),
    [Symbol.asyncDispose]: () => stack.disposeAsync(),
  };
}

/** Runs due jobs until none is left; returns "kind:outcome" per job. */
async function drain(env: Env, settings?: Partial<JobRunnerSettings>): Promise<string[]> {
  const runner = env.runner(settings);
  const out: string[] = [];
  for (let o = await runner.runOnce(); o; o = await runner.runOnce()) out.push(`${o.job.kind}:${o.outcome}`);
  return out;
}

async function keys(store: FsStore, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const o of store.list(prefix)) out.push(o.key);
  return out.sort();
}

/** `count` batches of 50 rows; every other batch reaches back into its predecessor's time range. */
function overlappingBatches(count: number): RecordBatch[] {
  return Array.from({ length: count }, (_, i) => {
    const base = BigInt(i * 100 - (i % 2) * 30);
    const ts = Array.from({ length: 50 }, (_, j) => base + BigInt(j * 2));
    return batchOf({
      timestamp_ns: vec(new Int64(), ts),
      x: vec(new Float64(), ts.map((t, j) => Number(t) / 7 + j)),
      header: structOf({ seq: vec(new Int64(), ts.map((_, j) => BigInt(i * 1000 + j))) }),
    });
  });
}

/** Every row of a topic as DoGet would send it, as `ts|x|seq` strings. */
async function readRows(env: Env, topicName: string, signal = new AbortController().signal) {
  const read = await openTopicRead({ ...env.deps, decoder: env.decoder }, { topicName, range: null, signal });
  const rows: string[] = [];
  for await (const b of read.batches) rows.push(...batchRows(b));
  return rows;
}

function batchRows(b: RecordBatch): string[] {
  const ts = b.getChild("timestamp_ns")!.toArray();
  const x = b.getChild("x")!.toArray();
  const seq = b.getChild("header")!.getChildAt(0)!.toArray();
  return Array.from({ length: b.numRows }, (_, i) => `${ts[i]}|${x[i]}|${seq[i]}`);
}

async function topicWithChunks(env: Env, name: string, batches: RecordBatch[]): Promise<Topic> {
  const seq = await lifecycle.createSequence(env.deps, { name, userMetadata: {} });
  const topic = await createTopicWithData(env.deps, seq, {
    rest: "/imu",
    tag: "imu",
    batches,
    chunkTargetBytes: 1,
  });
  await lifecycle.finalizeSequence(env.deps, { sequence: name, key: seq.uuid });
  return (await env.catalog.getTopic(topic.name))!;
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!await check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A second catalog on the same database (another daemon's pool); for PGlite, the same instance. */
async function secondCatalog(catalog: Catalog): Promise<{ catalog: Catalog; close(): Promise<void> }> {
  const schema = (catalog.driver as { schema?: string }).schema;
  if (catalog.driver.kind === "pglite" || schema === undefined) {
    return {
      catalog,
      close: () => Promise.resolve(),
    };
  }
  const other = Catalog.fromDriver(await openPostgresDriver(await testDatabaseUrl(), { schema }));
  return { catalog: other, close: () => other.close() };
}

const DRIVERS = [["pglite", freshPgliteCatalog], ["postgres", freshPostgresCatalog]] as const;

for (const [driver, makeCatalog] of DRIVERS) {
  const t = (name: string, fn: () => Promise<void>) => Deno.test(`jobs (${driver}): ${name}`, fn);

  t("lifecycle changes append events in order, once, with consecutive ids", async () => {
    await using env = await freshEnv(makeCatalog);
    const seq = await lifecycle.createSequence(env.deps, { name: "run", userMetadata: {} });
    await createTopicWithData(env.deps, seq, {
      rest: "/imu",
      tag: "imu",
      batches: overlappingBatches(2),
      chunkTargetBytes: 1,
    });
    await lifecycle.createNotification(env.deps, { on: { sequence: "run" }, notifyType: "error", msg: "m" });
    await lifecycle.finalizeSequence(env.deps, { sequence: "run", key: seq.uuid });
    const other = await lifecycle.createSequence(env.deps, { name: "gone", userMetadata: {} });
    await lifecycle.abortSequence(env.deps, { sequence: "gone", key: other.uuid });
    const events = await env.catalog.listEvents(0, 100);
    assert.deepEqual(events.map((e) => [e.kind, e.sequence, e.topic]), [
      ["sequence.created", "run", null],
      ["topic.created", "run", "run/imu"],
      ["chunk.committed", "run", "run/imu"],
      ["chunk.committed", "run", "run/imu"],
      ["topic.locked", "run", "run/imu"],
      ["notification.created", "run", null],
      ["sequence.finalized", "run", null],
      ["sequence.created", "gone", null],
      ["sequence.aborted", "gone", null],
    ]);
    assert.deepEqual(events.map((e) => e.id), events.map((_, i) => i + 1));
    assert.deepEqual(events[4].detail, {
      chunks: 2,
      rows: 100,
      bytes: (events[4].detail as { bytes: number }).bytes,
    });
    assert.equal(await env.catalog.lastEventId(), events.length);
    assert.deepEqual((await env.catalog.listEvents(3, 2)).map((e) => e.id), [4, 5]);
    assert.ok(!JSON.stringify(events).includes(seq.uuid), "events never carry the write keys");
  });

  t("a page of events is capped by bytes, and paging still returns every event once", async () => {
    await using env = await freshEnv(makeCatalog);
    const seq = await lifecycle.createSequence(env.deps, { name: "big", userMetadata: {} });
    const msg = "x".repeat(1024 * 1024);
    for (let i = 0; i < 12; i++) {
      await env.catalog.createNotification({
        target: "sequence",
        targetId: seq.id,
        notifyType: "error",
        msg,
        createdMs: i,
      });
    }
    const first = await env.catalog.listEvents(0, 1000);
    assert.ok(first.length > 1 && first.length < 13, `${first.length} events in the first page`);
    const all = [...first];
    for (let page = first; page.length > 0;) {
      page = await env.catalog.listEvents(all.at(-1)!.id, 1000);
      all.push(...page);
    }
    assert.deepEqual(all.map((e) => e.id), Array.from({ length: 13 }, (_, i) => i + 1));
  });

  t("a reader following concurrent writers sees every id exactly once, in order", async () => {
    await using env = await freshEnv(makeCatalog);
    const other = await secondCatalog(env.catalog);
    try {
      const wake: (() => void)[] = [];
      const unlisten = await other.catalog.listen("events", () => wake.splice(0).forEach((w) => w()));
      const seen: CatalogEvent[] = [];
      let writing = true;
      const reader = (async () => {
        for (let last = 0; writing || last < await other.catalog.lastEventId();) {
          const page = await other.catalog.listEvents(last, 7);
          seen.push(...page);
          if (page.length > 0) last = page.at(-1)!.id;
          else await new Promise<void>((r) => (wake.push(r), setTimeout(r, 20)));
        }
      })();
      await Promise.all(
        Array.from({ length: 40 }, (_, i) => zeroOneSequence(env.catalog, `s${i}`)),
      );
      writing = false;
      await reader;
      await unlisten?.();
      assert.deepEqual(seen.map((e) => e.id), Array.from({ length: 40 }, (_, i) => i + 1));
      assert.deepEqual(new Set(seen.map((e) => e.sequence)).size, 40);
      if (driver === "postgres") assert.ok(unlisten, "PostgreSQL can listen");
    } finally {
      await other.close();
    }
  });

  t("a job claimed by two runners on two connections runs exactly once", async () => {
    await using env = await freshEnv(makeCatalog);
    const other = await secondCatalog(env.catalog);
    const ids: number[] = [];
    for (let i = 0; i < 30; i++) {
      ids.push((await env.catalog.enqueueJob(refreshStatsJob(crypto.randomUUID(), { maxAttempts: 3 }))).id);
    }
    const runners = [
      env.runner({ concurrency: 3, pollMs: 20 }, "daemon-a"),
      createJobRunner(
        {
          catalog: other.catalog,
          store: env.store,
          log: silentLogger(),
          decoder: env.decoder,
          chunkTargetBytes: 1,
          rowGroupBytes: 1,
        },
        { ...DEFAULT_RUNNER_SETTINGS, concurrency: 3, pollMs: 20 },
        { owner: "daemon-b" },
      ),
    ];
    const outcomes: JobOutcome[] = [];
    for (const r of runners) r.onOutcome((o) => outcomes.push(o));
    try {
      await Promise.all(runners.map((r) => r.start()));
      await waitFor("every job done", () => Promise.resolve(outcomes.length >= ids.length));
    } finally {
      await Promise.all(runners.map((r) => r.stop()));
      await other.close();
    }
    assert.deepEqual(outcomes.map((o) => o.job.id).sort((a, b) => a - b), ids);
    assert.ok(outcomes.every((o) => o.outcome === "done"));
    const jobs = await env.catalog.listJobs({ states: ["done"] });
    assert.equal(jobs.length, ids.length);
    assert.ok(jobs.every((j) => j.attempts === 1), "no job was claimed twice");
  });

  t("a job whose runner died is claimed again once its lease expires", async () => {
    await using env = await freshEnv(makeCatalog);
    const job = await env.catalog.enqueueJob(refreshStatsJob(crypto.randomUUID(), { maxAttempts: 3 }));
    const dead = await env.catalog.claimJob({
      owner: "killed-daemon",
      leaseMs: 1000,
      kinds: ["refresh_stats"],
    });
    assert.equal(dead?.id, job.id);
    const runner = env.runner();
    assert.equal(await runner.runOnce(), null, "leased to the dead daemon");
    await new Promise((r) => setTimeout(r, 1100));
    const outcome = await runner.runOnce();
    assert.equal(outcome?.outcome, "done");
    const after = (await env.catalog.getJob(job.id))!;
    assert.equal(after.attempts, 2);
    assert.match(after.lastError ?? "", /lease expired: the runner \(killed-daemon\) stopped/);
    assert.equal(await env.catalog.finishJob(job.id, "killed-daemon"), false, "the dead runner lost it");
  });

  t("failures back off, end dead, and can be retried or cancelled", async () => {
    await using env = await freshEnv(makeCatalog);
    const topic = await topicWithChunks(env, "broken", overlappingBatches(3));
    const [chunk] = await env.catalog.listChunks(topic.id);
    await env.store.delete(chunk.key);
    await env.catalog.driver.query("UPDATE chunks SET stats_version = 0");
    const job = await env.catalog.enqueueJob(refreshStatsJob(topic.uuid, { maxAttempts: 2 }));
    assert.deepEqual(await drain(env, { backoffMs: 60_000 }), ["refresh_stats:failed"]);
    let now = (await env.catalog.getJob(job.id))!;
    assert.equal(now.state, "failed");
    assert.match(now.lastError!, /Cannot find|not found|No such/i);
    assert.ok(now.runAfterMs > Date.now() + 30_000, "backs off before the next attempt");
    await env.catalog.driver.query("UPDATE jobs SET run_after_ms = 0 WHERE id = $1", [job.id]);
    assert.deepEqual(await drain(env), ["refresh_stats:dead"]);
    assert.deepEqual((await env.catalog.listJobs()).map((j) => [j.id, j.state]), [[job.id, "dead"]]);
    now = await env.catalog.retryJob(job.id);
    assert.deepEqual([now.state, now.attempts], ["pending", 0]);
    now = await env.catalog.cancelJob(job.id);
    assert.equal(now.state, "cancelled");
    assert.deepEqual(await drain(env), [], "a cancelled job never runs");
    await assert.rejects(env.catalog.cancelJob(job.id), /already cancelled/);
    await assert.rejects(env.catalog.retryJob(99999), /Cannot find job 99999/);
  });

  t("deletion with retention: invisible at once, objects removed only after the retention", async () => {
    await using env = await freshEnv(makeCatalog, jobSettings({ deletionRetentionMs: 1500 }));
    const seq = await lifecycle.createSequence(env.deps, { name: "tmp", userMetadata: {} });
    await createTopicWithData(env.deps, seq, { rest: "/imu", tag: "imu", batches: overlappingBatches(2) });
    const deletedAt = Date.now();
    await lifecycle.deleteSequence(env.deps, { sequence: "tmp" });
    assert.equal(await env.catalog.getSequence("tmp"), null, "invisible at once");
    assert.ok(await env.store.head(tombstoneKey(seq.uuid)));
    const objects = await keys(env.store, sequencePrefix(seq.uuid));
    assert.ok(objects.length >= 4);
    assert.deepEqual(await drain(env), [], "not due during the retention");
    const report = await verifyStore(env.deps);
    assert.deepEqual(report.drift, [], "awaiting removal is not drift");
    assert.equal(report.pendingRemoval, objects.length + 1);
    // The name is free again at once, and the new sequence never mixes with the old objects.
    const again = await lifecycle.createSequence(env.deps, { name: "tmp", userMetadata: {} });
    await new Promise((r) => setTimeout(r, Math.max(0, deletedAt + 1600 - Date.now())));
    assert.deepEqual(await drain(env), ["delete_objects:done"]);
    assert.deepEqual(await keys(env.store, sequencePrefix(seq.uuid)), []);
    assert.equal(await env.store.head(tombstoneKey(seq.uuid)), null);
    assert.ok(await env.catalog.getSequence("tmp"));
    assert.ok((await keys(env.store, sequencePrefix(again.uuid))).length > 0);
    assert.deepEqual((await verifyStore(env.deps)).drift, []);
  });

  t("start-up recovery re-enqueues a lost deletion job with its remaining retention", async () => {
    await using env = await freshEnv(makeCatalog, jobSettings({ deletionRetentionMs: 60_000 }));
    const seq = await lifecycle.createSequence(env.deps, { name: "x", userMetadata: {} });
    const { ulid } = (await env.catalog.getSessionByUuid(seq.uuid))!;
    await lifecycle.deleteSequence(env.deps, { sequence: "x" });
    // The catalog lost its jobs (restored from an old backup, say): the tombstone still holds.
    await env.catalog.driver.query("DELETE FROM jobs");
    assert.deepEqual(
      (await verifyStore(env.deps)).drift.map((d) => d.what).sort(),
      [sequenceManifestKey(seq.uuid), sessionManifestKey(seq.uuid, ulid), tombstoneKey(seq.uuid)].sort(),
      "the manifests (sequence, implicit session) and the tombstone are leftovers",
    );
    const log = silentLogger();
    assert.equal(await recoverDeletions({ catalog: env.catalog, store: env.store, log, maxAttempts: 3 }), 1);
    assert.equal(await recoverDeletions({ catalog: env.catalog, store: env.store, log, maxAttempts: 3 }), 0);
    const [job] = await env.catalog.listJobs();
    assert.equal(job.kind, "delete_objects");
    assert.ok(job.runAfterMs > Date.now() + 50_000, "the retention still holds");
    assert.deepEqual((await verifyStore(env.deps)).drift, []);
    await env.catalog.driver.query("UPDATE jobs SET run_after_ms = 0");
    assert.deepEqual(await drain(env), ["delete_objects:done"]);
    assert.deepEqual(await keys(env.store, sequencePrefix(seq.uuid)), []);

    // A tombstone of a resource the catalog still holds: young, it may be another daemon's deletion in
    // flight and stays; old, the deletion never happened and it is withdrawn.
    const alive = await lifecycle.createSequence(env.deps, { name: "alive", userMetadata: {} });
    const tombstone = tombstoneKey(alive.uuid);
    const body = {
      version: 1,
      kind: "tombstone",
      prefix: sequencePrefix(alive.uuid),
      created_ms: Date.now(),
    };
    await env.store.put(tombstone, new TextEncoder().encode(JSON.stringify(body)));
    const deps = { catalog: env.catalog, store: env.store, log, maxAttempts: 3 };
    assert.equal(await recoverDeletions(deps), 0);
    assert.ok(await env.store.head(tombstone), "a young tombstone stays");
    await recoverDeletions({ ...deps, now: () => Date.now() + STALE_TOMBSTONE_MS + 1000 });
    assert.equal(await env.store.head(tombstone), null, "an old one is withdrawn");
    assert.ok(await env.catalog.getSequence("alive"));
  });

  t("compaction of 200 small chunks: same rows in the same order, fewer chunks, one switch", async () => {
    await using env = await freshEnv(makeCatalog);
    const topic = await topicWithChunks(env, "many", overlappingBatches(200));
    const before = await env.catalog.listChunks(topic.id);
    assert.equal(before.length, 200);
    const rowsBefore = await readRows(env, topic.name);
    assert.equal(rowsBefore.length, 200 * 50);
    // A read that planned before the switch finishes on the old chunks (they wait out the grace period).
    const early = await openTopicRead({ ...env.deps, decoder: env.decoder }, {
      topicName: topic.name,
      range: null,
      signal: new AbortController().signal,
    });
    const earlyRows: string[] = [];
    const iterator = early.batches[Symbol.asyncIterator]();
    const first = await iterator.next();
    earlyRows.push(...batchRows(first.value));

    const job = await env.catalog.enqueueJob(compactTopicJob(topic.uuid, { maxAttempts: 3 }));
    assert.deepEqual(await drain(env, { compactionGraceMs: 60_000 }), ["compact_topic:done"]);
    assert.equal((await env.catalog.getJob(job.id))!.state, "done");
    const after = await env.catalog.listChunks(topic.id);
    assert.ok(after.length > 1 && after.length < 20, `${after.length} chunks after compaction`);
    for (let i = 1; i < after.length; i++) {
      assert.ok(after[i - 1].endNs <= after[i].startNs, "sorted, no overlap");
    }
    assert.deepEqual(await readRows(env, topic.name), rowsBefore);

    for (let r = await iterator.next(); !r.done; r = await iterator.next()) {
      earlyRows.push(...batchRows(r.value));
    }
    assert.deepEqual(earlyRows, rowsBefore, "the read planned before the switch saw only the old chunks");

    const events = await env.catalog.listEvents(0, 1000);
    assert.deepEqual(events.at(-1)!.detail, {
      chunks_before: 200,
      chunks: after.length,
      rows: 10_000,
      bytes: after.reduce((n, c) => n + c.sizeBytes, 0),
    });
    let report = await verifyStore(env.deps);
    assert.deepEqual(report.drift, []);
    assert.equal(report.pendingRemoval, 400, "the old chunks and their manifests await the grace period");
    await env.catalog.driver.query("UPDATE jobs SET run_after_ms = 0 WHERE state = 'pending'");
    assert.deepEqual(await drain(env), ["delete_objects:done"]);
    const chunkObjects = await keys(env.store, `${topicPrefix(topic.sequenceUuid, topic.uuid)}/chunks`);
    assert.equal(chunkObjects.length, after.length * 2);
    report = await verifyStore(env.deps);
    assert.deepEqual([report.drift, report.pendingRemoval], [[], 0]);
  });

  t("a compaction that fails leaves the original chunks in place and nothing behind", async () => {
    await using env = await freshEnv(makeCatalog);
    const topic = await topicWithChunks(env, "keep", overlappingBatches(40));
    const before = await env.catalog.listChunks(topic.id);
    const objects = await keys(env.store, topicPrefix(topic.sequenceUuid, topic.uuid));
    const rows = await readRows(env, topic.name);
    // The real store, except that the second new chunk cannot be written (a full disk, say).
    let chunkPuts = 0;
    const failing = new Proxy(env.store, {
      get(target, property) {
        const value = Reflect.get(target, property, target);
        if (property !== "put") return typeof value === "function" ? value.bind(target) : value;
        return (key: string, ...rest: unknown[]) => {
          if (key.endsWith(".parquet") && ++chunkPuts === 2) {
            return Promise.reject(new Error("injected: no space left on device"));
          }
          return (value as (...a: unknown[]) => Promise<void>).call(target, key, ...rest);
        };
      },
    });
    const deps = {
      ...env.deps,
      store: failing,
      decoder: env.decoder,
      chunkTargetBytes: 16 * 1024,
      rowGroupBytes: 16 * 1024,
      graceMs: 0,
      maxAttempts: 3,
    };
    const signal = new AbortController().signal;
    await assert.rejects(
      compactTopic(deps, { topic_uuid: topic.uuid }, { signal, log: silentLogger() }),
      /injected: no space left on device/,
    );
    assert.equal(chunkPuts, 2, "the failure was injected mid-way");
    assert.deepEqual(await env.catalog.listChunks(topic.id), before);
    assert.deepEqual(await keys(env.store, topicPrefix(topic.sequenceUuid, topic.uuid)), objects);
    assert.deepEqual(await readRows(env, topic.name), rows);
    assert.deepEqual((await verifyStore(env.deps)).drift, []);
    assert.deepEqual(await env.catalog.listJobs(), [], "no removal was enqueued");
  });

  t("a compaction whose runner lost its job cannot switch", async () => {
    await using env = await freshEnv(makeCatalog);
    const topic = await topicWithChunks(env, "fenced", overlappingBatches(20));
    const before = await env.catalog.listChunks(topic.id);
    const objects = await keys(env.store, topicPrefix(topic.sequenceUuid, topic.uuid));
    const job = await env.catalog.enqueueJob(compactTopicJob(topic.uuid, { maxAttempts: 3 }));
    assert.equal(
      (await env.catalog.claimJob({ owner: "a", leaseMs: 60_000, kinds: ["compact_topic"] }))?.id,
      job.id,
    );
    await env.catalog.cancelJob(job.id); // or: the lease expired and another runner took it
    const deps = {
      ...env.deps,
      decoder: env.decoder,
      chunkTargetBytes: 1 << 20,
      rowGroupBytes: 1 << 20,
      graceMs: 0,
      maxAttempts: 3,
    };
    await assert.rejects(
      compactTopic(deps, { topic_uuid: topic.uuid }, {
        signal: new AbortController().signal,
        log: silentLogger(),
        fence: { jobId: job.id, owner: "a" },
      }),
      /Job \d+ is no longer run by a/,
    );
    assert.deepEqual(await env.catalog.listChunks(topic.id), before);
    assert.deepEqual(await keys(env.store, topicPrefix(topic.sequenceUuid, topic.uuid)), objects);
    assert.deepEqual((await verifyStore(env.deps)).drift, []);
  });

  t("finalizing enqueues the compaction of topics made of many small chunks", async () => {
    await using env = await freshEnv(
      makeCatalog,
      jobSettings({ compactMinChunks: 10, compactBelowBytes: 1 << 20 }),
    );
    const topic = await topicWithChunks(env, "auto", overlappingBatches(12));
    const few = await topicWithChunks(env, "few", overlappingBatches(3));
    const jobs = await env.catalog.listJobs();
    assert.deepEqual(jobs.map((j: Job) => [j.kind, j.payload]), [["compact_topic", {
      topic_uuid: topic.uuid,
    }]]);
    assert.ok(few);
    assert.deepEqual(await drain(env), ["compact_topic:done"]);
    assert.equal((await env.catalog.listChunks(topic.id)).length, 1);
  });

  t("statistics written by an older format are refreshed from the chunk files", async () => {
    await using env = await freshEnv(makeCatalog);
    const topic = await topicWithChunks(env, "old", overlappingBatches(5));
    const original = await env.catalog.listChunks(topic.id, { withStats: true });
    assert.ok(original[0].stats.length > 0);
    // As a chunk recorded by an older version would look: another format, no usable statistics.
    await env.catalog.driver.query("UPDATE chunks SET stats_version = 0 WHERE topic_id = $1", [topic.id]);
    await env.catalog.driver.query("DELETE FROM chunk_stats");
    assert.equal(await enqueueStatsRefresh(env.catalog, { maxAttempts: 3 }), 1);
    assert.equal(await enqueueStatsRefresh(env.catalog, { maxAttempts: 3 }), 1, "deduplicated, not doubled");
    assert.equal((await env.catalog.listJobs()).length, 1);
    assert.deepEqual(await drain(env), ["refresh_stats:done"]);
    assert.deepEqual(await env.catalog.listChunks(topic.id, { withStats: true }), original);
    assert.equal(await enqueueStatsRefresh(env.catalog, { maxAttempts: 3 }), 0);
    assert.deepEqual((await verifyStore(env.deps)).drift, []);
  });
}
