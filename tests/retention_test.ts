/**
 * History retention (`ops/prune.ts`) over both catalog drivers: old events go as a prefix of the log and a
 * subscription that would miss pruned events is refused (at open, and when pruning overtakes it); done and
 * cancelled jobs past their retention go while failed, dead and active ones stay; 0 keeps everything;
 * concurrent pruners delete each row once; the daemon's periodic pruner runs and stops.
 *
 * Ages are made by moving rows' timestamps back in the real catalog (the clock is the database's).
 */
import assert from "node:assert/strict";
import type { RecordBatch } from "apache-arrow";
import type { Catalog } from "../src/catalog/catalog.ts";
import { FailedPreconditionError } from "../src/errors.ts";
import { silentLogger } from "../src/log.ts";
import { deleteKeysJob } from "../src/model/job_payloads.ts";
import { pruneHistory, type PruneResult, startPruner } from "../src/ops/prune.ts";
import { type EventSubscription, openEventStream } from "../src/read/mod.ts";
import { freshPgliteCatalog, freshPostgresCatalog } from "./_postgres.ts";
import { zeroOneSequence } from "./_catalog_fixtures.ts";

const HOUR = 3_600_000;
const RETAIN = { eventRetentionMs: 60_000, jobRetentionMs: 60_000 };

async function appendEvents(catalog: Catalog, count: number, prefix = "s"): Promise<void> {
  for (let i = 0; i < count; i++) {
    await zeroOneSequence(catalog, `${prefix}${i}`);
  }
}

/** Moves the events with these ids an hour into the past. */
async function ageEvents(catalog: Catalog, ids: number[]): Promise<void> {
  await catalog.driver.query("UPDATE events SET created_ms = created_ms - $2 WHERE id = ANY($1::int8[])", [
    ids,
    HOUR,
  ]);
}

async function eventIds(catalog: Catalog): Promise<number[]> {
  return (await catalog.listEvents(0, 1000)).map((e) => e.id);
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

function open(catalog: Catalog, afterId: number, more: Partial<EventSubscription> = {}, pageSize = 1000) {
  return openEventStream(
    { catalog, log: silentLogger() },
    { afterId, follow: false, kinds: null, ...more },
    { signal: new AbortController().signal, pageSize },
  );
}

async function idsOf(batches: AsyncIterable<RecordBatch> | Iterable<RecordBatch>): Promise<number[]> {
  const out: number[] = [];
  for await (const b of batches) {
    out.push(...Array.from(b.getChild("id")!.toArray() as BigInt64Array, Number));
  }
  return out;
}

const DRIVERS = [["pglite", freshPgliteCatalog], ["postgres", freshPostgresCatalog]] as const;

for (const [driver, makeCatalog] of DRIVERS) {
  const t = (name: string, fn: () => Promise<void>) => Deno.test(`retention (${driver}): ${name}`, fn);

  t(
    "old events go as a prefix of the log, in batches; younger ones and everything after them stay",
    async () => {
      await using catalog = await makeCatalog();
      await appendEvents(catalog, 12);
      // 1..7 are old, 8 is young, 9 is old again (a clock step): the prefix stops at 8.
      await ageEvents(catalog, [...range(1, 7), 9]);
      assert.deepEqual(await pruneHistory(catalog, RETAIN, { batch: 3 }), {
        events: 7,
        jobs: 0,
        eventsPrunedThrough: 7,
      });
      assert.deepEqual(await eventIds(catalog), range(8, 12));
      assert.equal(await catalog.eventsPrunedThrough(), 7);
      assert.equal(await catalog.lastEventId(), 12, "ids go on where they were");
      assert.deepEqual(await pruneHistory(catalog, RETAIN), { events: 0, jobs: 0, eventsPrunedThrough: 7 });
      await ageEvents(catalog, [8]);
      assert.equal((await pruneHistory(catalog, RETAIN)).events, 2, "8 and 9 once 8 is old too");
      await appendEvents(catalog, 1, "after");
      assert.deepEqual(await eventIds(catalog), [10, 11, 12, 13]);
    },
  );

  t("retention 0 keeps events and jobs forever", async () => {
    await using catalog = await makeCatalog();
    await appendEvents(catalog, 3);
    await ageEvents(catalog, range(1, 3));
    const job = await catalog.cancelJob(
      (await catalog.enqueueJob(deleteKeysJob(["k"], { maxAttempts: 1, delayMs: 0 }))).id,
    );
    await catalog.driver.query("UPDATE jobs SET updated_ms = updated_ms - $1", [HOUR]);
    assert.deepEqual(await pruneHistory(catalog, { eventRetentionMs: 0, jobRetentionMs: 0 }), {
      events: 0,
      jobs: 0,
      eventsPrunedThrough: 0,
    });
    assert.deepEqual(await eventIds(catalog), [1, 2, 3]);
    assert.equal((await catalog.getJob(job.id))?.state, "cancelled");
  });

  t(
    "a subscription that would miss pruned events is refused; from 0 it starts at the oldest kept",
    async () => {
      await using catalog = await makeCatalog();
      await appendEvents(catalog, 10);
      await ageEvents(catalog, range(1, 4));
      await pruneHistory(catalog, RETAIN);
      await assert.rejects(
        open(catalog, 3),
        (err: Error) =>
          err instanceof FailedPreconditionError &&
          /after id 3: events up to id 4 are past the event retention .* resume after id 4 \(losing 1 events\)/
            .test(err.message),
      );
      assert.deepEqual(await idsOf(await open(catalog, 4)), range(5, 10));
      assert.deepEqual(await idsOf(await open(catalog, 0)), range(5, 10));
      assert.deepEqual(await idsOf(await open(catalog, 7, { kinds: ["sequence.created"] })), range(8, 10));
    },
  );

  t("a stream that pruning overtakes ends with FAILED_PRECONDITION instead of skipping events", async () => {
    await using catalog = await makeCatalog();
    await appendEvents(catalog, 10);
    /** Reads one page (2 events) after `afterId`, prunes through `prune`, and expects the refusal. */
    const overtake = async (afterId: number, prune: number, refusal: RegExp) => {
      const stream = (await open(catalog, afterId, {}, 2))[Symbol.asyncIterator]();
      assert.deepEqual(await idsOf(once(await stream.next())), [afterId + 1, afterId + 2]);
      await ageEvents(catalog, range(afterId + 1, prune));
      await pruneHistory(catalog, RETAIN);
      await assert.rejects(
        stream.next(),
        (err: Error) => err instanceof FailedPreconditionError && refusal.test(err.message),
      );
    };
    // Between two pages: the next page starts past the event expected.
    await overtake(0, 6, /after id 2: events up to id 6 are past the event retention/);
    // Everything it had still to send is gone: the page is empty, which is not "caught up".
    await overtake(6, 10, /after id 8: events up to id 10 are past the event retention/);
  });

  t("a follower that pruning overtakes ends at its next event instead of skipping any", async () => {
    await using catalog = await makeCatalog();
    await appendEvents(catalog, 4);
    const follower = (await openEventStream(
      { catalog, log: silentLogger() },
      { afterId: 0, follow: true, kinds: null },
      { signal: new AbortController().signal, pageSize: 2, pollMs: 50, safetyPollMs: 50 },
    ))[Symbol.asyncIterator]();
    assert.deepEqual(await idsOf(once(await follower.next())), [1, 2]);
    await ageEvents(catalog, range(1, 4));
    await pruneHistory(catalog, RETAIN);
    const next = follower.next();
    await appendEvents(catalog, 1, "later");
    await assert.rejects(
      next,
      (err: Error) =>
        err instanceof FailedPreconditionError &&
        /after id 2: events up to id 4 are past the event retention/.test(err.message),
    );
  });

  t("done and cancelled jobs past their retention go; failed, dead, active and young ones stay", async () => {
    await using catalog = await makeCatalog();
    const job = (key: string, maxAttempts = 3, delayMs = 0) =>
      catalog.enqueueJob(deleteKeysJob([key], { maxAttempts, delayMs }));
    const owner = "test-runner";
    const claim = async () =>
      (await catalog.claimJob({ owner, leaseMs: 60_000, kinds: ["delete_objects"] }))!;
    const done = await job("done");
    assert.equal((await claim()).id, done.id);
    assert.ok(await catalog.finishJob(done.id, owner));
    const cancelled = await catalog.cancelJob((await job("cancelled")).id);
    const dead = await job("dead", 1);
    assert.equal((await claim()).id, dead.id);
    assert.equal(await catalog.failJob(dead.id, owner, "boom", 0), "dead");
    const failed = await job("failed");
    assert.equal((await claim()).id, failed.id);
    assert.equal(await catalog.failJob(failed.id, owner, "boom", HOUR), "failed");
    const pending = await job("pending", 3, HOUR);
    await catalog.driver.query("UPDATE jobs SET updated_ms = updated_ms - $1", [HOUR]);
    const youngDone = await job("young");
    assert.equal((await claim()).id, youngDone.id);
    assert.ok(await catalog.finishJob(youngDone.id, owner));
    assert.deepEqual(
      await pruneHistory(catalog, { eventRetentionMs: 0, jobRetentionMs: 60_000 }, { batch: 1 }),
      {
        events: 0,
        jobs: 2,
        eventsPrunedThrough: 0,
      },
    );
    const left = await catalog.listJobs({});
    assert.deepEqual(left.map((j) => [j.id, j.state]).sort((a, b) => Number(a[0]) - Number(b[0])), [
      [dead.id, "dead"],
      [failed.id, "failed"],
      [pending.id, "pending"],
      [youngDone.id, "done"],
    ]);
    assert.equal(await catalog.getJob(cancelled.id), null);
    assert.equal(await catalog.getJob(done.id), null);
  });

  t("a job that a retry is making pending is not pruned under it", async () => {
    await using catalog = await makeCatalog();
    const enqueued = await catalog.enqueueJob(deleteKeysJob(["k"], { maxAttempts: 1, delayMs: 0 }));
    const job = await catalog.cancelJob(enqueued.id);
    await catalog.driver.query("UPDATE jobs SET updated_ms = updated_ms - $1", [HOUR]);
    let pruning: Promise<PruneResult> | undefined;
    // What `jobs retry` does (lock the row, make it pending), held open while a pruner runs.
    await catalog.driver.transaction(async (tx) => {
      await tx.query("SELECT 1 FROM jobs WHERE id = $1 FOR UPDATE", [job.id]);
      await tx.query("UPDATE jobs SET state = 'pending', attempts = 0 WHERE id = $1", [job.id]);
      pruning = pruneHistory(catalog, { eventRetentionMs: 0, jobRetentionMs: 60_000 });
      await new Promise((r) => setTimeout(r, 300));
    });
    assert.equal((await pruning!).jobs, 0);
    assert.equal((await catalog.getJob(job.id))?.state, "pending");
  });

  t("concurrent pruners delete each event once and agree on where the log starts", async () => {
    await using catalog = await makeCatalog();
    await appendEvents(catalog, 40);
    await ageEvents(catalog, range(1, 30));
    const runs = await Promise.all([1, 2, 3].map(() => pruneHistory(catalog, RETAIN, { batch: 4 })));
    assert.equal(runs.reduce((n, r) => n + r.events, 0), 30);
    assert.equal(await catalog.eventsPrunedThrough(), 30);
    assert.deepEqual(await eventIds(catalog), range(31, 40));
  });

  t("the daemon's pruner prunes at start and every interval, and stops when disposed", async () => {
    await using catalog = await makeCatalog();
    await appendEvents(catalog, 5);
    await ageEvents(catalog, range(1, 5));
    {
      await using _pruner = startPruner({ catalog, log: silentLogger(), settings: RETAIN, intervalMs: 100 });
      await until(async () => (await catalog.eventsPrunedThrough()) === 5);
      await appendEvents(catalog, 3, "later");
      await ageEvents(catalog, [6, 7, 8]);
      await until(async () => (await catalog.eventsPrunedThrough()) === 8);
    }
    await appendEvents(catalog, 1, "after");
    await ageEvents(catalog, [9]);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(await eventIds(catalog), [9], "a disposed pruner prunes no more");
  });
}

/** The one batch of an iterator result, as an iterable. */
function once(r: IteratorResult<RecordBatch>): RecordBatch[] {
  assert.ok(!r.done);
  return [r.value];
}

async function until(predicate: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
