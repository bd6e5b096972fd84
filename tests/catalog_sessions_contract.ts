/**
 * The catalog contract for sessions (protocol 2026): part of the suite of `catalog_contract.ts`, run on
 * every driver. Creation and lookup, the finalize rules, finalize racing a topic creation, deletion with
 * its topics, the 0.1.0 lock derived from the sessions, exact nanosecond times, usage ranges, events.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Catalog, FinalizeOptions } from "../src/catalog/catalog.ts";
import { AlreadyExistsError, FailedPreconditionError, NotFoundError } from "../src/errors.ts";
import type { NewChunk, Sequence, Session } from "../src/model/types.ts";
import { newUlid } from "../src/model/ulid.ts";
import { openSession, sequence2026, sessionTopic, topicIn, zeroOneSequence } from "./_catalog_fixtures.ts";

type Test = (title: string, fn: (db: Catalog) => Promise<void>) => void;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** The 2026 finalize: needs a topic, a second finalize succeeds unchanged. */
const FINALIZE_2026: FinalizeOptions = { completedNs: null, requireTopics: true, alreadyCompleted: "keep" };

function chunk(index: number, startNs: bigint, endNs: bigint): NewChunk {
  const stats = [{ column: "x", kind: "numeric", min: 1, max: 2, hasNull: false, hasNan: false }] as const;
  return {
    uuid: crypto.randomUUID(),
    index,
    key: `k/${crypto.randomUUID()}.parquet`,
    sizeBytes: 100,
    rowCount: 3,
    startNs,
    endNs,
    stats: [...stats],
  };
}

/** A session of `seq` with one locked topic per path, finalized at `completedNs`. */
async function finalizedSession(
  db: Catalog,
  seq: Sequence,
  paths: string[],
  completedNs = 9n,
): Promise<Session> {
  const session = await openSession(db, seq);
  for (const path of paths) await db.commitTopic((await sessionTopic(db, session, path)).id, []);
  return await db.finalizeSession(session.id, { ...FINALIZE_2026, completedNs });
}

const label = (s: Session) => `${s.sequenceName}:${s.ulid}`;

async function count(db: Catalog, table: string): Promise<number> {
  const [row] = await db.driver.query<{ n: number }>(`SELECT count(*)::int4 AS n FROM ${table}`);
  return Number(row.n);
}

/** Registers the session tests of the contract. */
export function sessionTests(test: Test): void {
  test("createSession() stores a session found by uuid, ulid and locator", async (db) => {
    const seq = await sequence2026(db, "s");
    const other = await sequence2026(db, "t");
    const uuid = crypto.randomUUID();
    const ulid = newUlid(1_700_000_000_000);
    const session = await db.createSession({ uuid, ulid, sequenceId: seq.id, createdNs: 7n });
    assert.deepEqual(session, {
      id: session.id,
      uuid,
      ulid,
      sequenceId: seq.id,
      sequenceName: "s",
      sequenceUuid: seq.uuid,
      createdNs: 7n,
      completedNs: null,
    });
    assert.deepEqual(await db.getSessionByUuid(uuid.toUpperCase()), session);
    assert.deepEqual(await db.getSessionByUlid(ulid), session);
    assert.deepEqual(await db.getSessionByLocator("s", ulid), session);
    assert.equal(await db.getSessionByLocator("t", ulid), null, "the ulid under another sequence");
    assert.equal(await db.getSessionByLocator("s", newUlid(1)), null);
    assert.equal(await db.getSessionByUlid(newUlid(1)), null);
    assert.equal(await db.getSessionByUuid(crypto.randomUUID()), null);
    assert.equal(await db.getSessionByUuid("not-a-uuid"), null);
    const later = await openSession(db, seq, { createdNs: 8n });
    const earlier = await openSession(db, seq, { createdNs: 6n });
    assert.deepEqual(await db.listSessions(seq.id), [earlier, session, later]);
    assert.deepEqual(await db.listSessions(other.id), []);
    await assert.rejects(
      db.createSession({ uuid, ulid: newUlid(2), sequenceId: other.id, createdNs: 1n }),
      AlreadyExistsError,
    );
    await assert.rejects(
      db.createSession({ uuid: crypto.randomUUID(), ulid, sequenceId: other.id, createdNs: 1n }),
      AlreadyExistsError,
    );
    await assert.rejects(openSession(db, { id: seq.id + 1000 }), NotFoundError);
    assert.equal((await db.getSequence("s"))?.locked, false, "open sessions: unlocked");
  });

  test("finalizeSession() needs locked topics, and a topic when asked to", async (db) => {
    const seq = await sequence2026(db, "s");
    const session = await openSession(db, seq);
    await assert.rejects(
      db.finalizeSession(session.id, FINALIZE_2026),
      new FailedPreconditionError(`Session "${label(session)}" is empty: it has no topic`),
    );
    const a = await sessionTopic(db, session, "a");
    const b = await sessionTopic(db, session, "b");
    const unlocked = (n: number, names: string) =>
      new FailedPreconditionError(
        `Cannot finalize session "${
          label(session)
        }": ${n} topic(s) are unlocked (their upload has not ended): ${names}`,
      );
    await assert.rejects(db.finalizeSession(session.id, FINALIZE_2026), unlocked(2, '"s/a", "s/b"'));
    await db.commitTopic(a.id, []);
    await assert.rejects(db.finalizeSession(session.id, FINALIZE_2026), unlocked(1, '"s/b"'));
    assert.equal((await db.getSessionByUuid(session.uuid))?.completedNs, null, "a refusal changes nothing");
    await db.commitTopic(b.id, []);
    const done = await db.finalizeSession(session.id, { ...FINALIZE_2026, completedNs: 42n });
    assert.deepEqual(done, { ...session, completedNs: 42n });
    assert.deepEqual(await db.getSessionByUuid(session.uuid), done);
    assert.deepEqual(await db.listSessionTopics(session.id), await db.listTopics(seq.id));
    await assert.rejects(
      sessionTopic(db, session, "c"),
      new FailedPreconditionError(`Session "${label(session)}" is finalized: no topic can be added`),
    );
    await assert.rejects(db.finalizeSession(session.id + 1000, FINALIZE_2026), NotFoundError);
    // An empty session may be finalized when topics are not required (a 0.1.0 sequence); by the db clock.
    const empty = await openSession(db, seq);
    const before = BigInt(Date.now() - 60_000) * 1_000_000n;
    const { completedNs } = await db.finalizeSession(empty.id, { ...FINALIZE_2026, requireTopics: false });
    assert.ok(completedNs! > before && completedNs! < before + 3_600_000_000_000n, String(completedNs));
  });

  test("finalizeSession() of a completed session keeps its time or refuses, as asked", async (db) => {
    const seq = await sequence2026(db, "s");
    const session = await finalizedSession(db, seq, ["a"], 100n);
    const mark = await db.lastEventId();
    const again = await db.finalizeSession(session.id, { ...FINALIZE_2026, completedNs: 200n });
    assert.deepEqual(again, session);
    assert.equal((await db.getSessionByUuid(session.uuid))?.completedNs, 100n);
    await assert.rejects(
      db.finalizeSession(session.id, { ...FINALIZE_2026, completedNs: 300n, alreadyCompleted: "refuse" }),
      new FailedPreconditionError(`Session "${label(session)}" is already finalized`),
    );
    assert.equal(await db.lastEventId(), mark, "no event for a finalize that changed nothing");
    assert.equal((await db.getSessionByUuid(session.uuid))?.completedNs, 100n);
  });

  test("finalizeSession() enqueues its jobs in the same transaction", async (db) => {
    const seq = await sequence2026(db, "s");
    const session = await openSession(db, seq);
    await sessionTopic(db, session, "open");
    const job = { kind: "compact_topic", payload: { topic: "x" }, maxAttempts: 3 } as const;
    await assert.rejects(db.finalizeSession(session.id, { ...FINALIZE_2026, jobs: [job] }));
    assert.deepEqual(await db.listJobs(), [], "a refused finalize enqueues nothing");
    const ok = await openSession(db, seq);
    await db.commitTopic((await sessionTopic(db, ok, "done")).id, []);
    await db.finalizeSession(ok.id, { ...FINALIZE_2026, jobs: [job] });
    assert.deepEqual((await db.listJobs()).map((j) => j.payload), [{ topic: "x" }]);
  });

  test("createTopic() racing finalizeSession() never adds a topic to a finalized session", async (db) => {
    const seq = await sequence2026(db, "race");
    for (let round = 0; round < 10; round++) {
      const session = await openSession(db, seq);
      const [created, finalized] = await Promise.allSettled([
        sessionTopic(db, session, `t${round}`),
        db.finalizeSession(session.id, { ...FINALIZE_2026, requireTopics: false }),
      ]);
      assert.notEqual(created.status === "fulfilled", finalized.status === "fulfilled", `round ${round}`);
      const rejected = created.status === "rejected" ? created : finalized as PromiseRejectedResult;
      assert.ok(rejected.reason instanceof FailedPreconditionError, String(rejected.reason));
      const after = (await db.getSessionByUuid(session.uuid))!;
      const topics = await db.listSessionTopics(session.id);
      assert.equal(after.completedNs === null, topics.length === 1, `round ${round}`);
    }
  });

  test("deleteSession() removes its topics, chunks and notifications, whatever their state", async (db) => {
    const seq = await sequence2026(db, "s");
    const kept = await finalizedSession(db, seq, ["kept"]);
    const session = await openSession(db, seq);
    const locked = await sessionTopic(db, session, "locked");
    const open = await sessionTopic(db, session, "open");
    await db.commitTopic(locked.id, [chunk(0, 1n, 2n), chunk(1, 3n, 4n)]);
    await db.createNotification({
      target: "topic",
      targetId: open.id,
      notifyType: "error",
      msg: "m",
      createdMs: 1,
    });
    const job = (n: number) => ({ kind: "delete_objects", payload: { n }, maxAttempts: 3 }) as const;
    const refused = new FailedPreconditionError(
      `The topics of session "${label(session)}" changed meanwhile: try again`,
    );
    await assert.rejects(db.deleteSession(session.id, [job(0)], [locked.uuid]), refused);
    await assert.rejects(
      db.deleteSession(session.id, [job(0)], [locked.uuid, open.uuid, crypto.randomUUID()]),
      refused,
    );
    assert.equal((await db.listSessionTopics(session.id)).length, 2, "a refusal deletes nothing");
    assert.deepEqual(await db.listJobs(), []);
    const mark = await db.lastEventId();
    assert.deepEqual(await db.deleteSession(session.id, [job(1), job(2)], [open.uuid, locked.uuid]), session);
    assert.equal(await db.getSessionByUuid(session.uuid), null);
    assert.equal(await db.getTopic("s/locked"), null);
    assert.equal(await db.getTopic("s/open"), null);
    assert.deepEqual(await db.listChunks(locked.id), []);
    assert.equal(await count(db, "chunk_stats"), 0);
    assert.deepEqual(await db.listNotifications("topic", "s/open"), []);
    assert.deepEqual((await db.listJobs()).map((j) => j.payload), [{ n: 2 }, { n: 1 }], "newest first");
    assert.deepEqual(await db.listSessions(seq.id), [kept]);
    assert.deepEqual((await db.listTopics(seq.id)).map((t) => t.name), ["s/kept"]);
    assert.deepEqual((await db.listEvents(mark, 100)).map((e) => [e.kind, e.sequence, e.topic, e.detail]), [
      ["topic.deleted", "s", "s/locked", {}],
      ["topic.deleted", "s", "s/open", {}],
      ["session.deleted", "s", null, { session: label(session), topics: 2 }],
    ]);
    await assert.rejects(db.deleteSession(session.id, [], []), NotFoundError);
    // A finalized session goes too, and the sequence stays without sessions.
    await db.deleteSession(kept.id, [], (await db.listSessionTopics(kept.id)).map((t) => t.uuid));
    assert.deepEqual(await db.listSessions(seq.id), []);
    assert.equal((await db.getSequence("s"))?.locked, false);
  });

  test("Sequence.locked holds when it has sessions and all are completed", async (db) => {
    const seq = await sequence2026(db, "s");
    const locked = async () => (await db.getSequence("s"))!.locked;
    assert.equal(await locked(), false, "no session");
    const first = await finalizedSession(db, seq, ["a"]);
    assert.equal(await locked(), true, "its one session completed");
    assert.equal((await db.listSequences())[0].locked, true);
    const second = await openSession(db, seq);
    assert.equal(await locked(), false, "a second session open");
    assert.equal((await db.getSequenceByUuid(seq.uuid))?.locked, false);
    await db.deleteSession(second.id, [], []);
    assert.equal(await locked(), true, "the open session deleted");
    await db.deleteSession(first.id, [], (await db.listSessionTopics(first.id)).map((t) => t.uuid));
    assert.equal(await locked(), false, "no session left");
    // A 0.1.0 sequence: its implicit session, then a 2026 session opened in it.
    const v1 = await zeroOneSequence(db, "v1");
    await topicIn(db, v1, "t").then((t) => db.commitTopic(t.id, []));
    assert.equal((await db.lockSequence(v1.id)).locked, true);
    await openSession(db, v1);
    assert.equal((await db.getSequence("v1"))?.locked, false);
  });

  test("nanosecond times beyond 2^53 round-trip exactly", async (db) => {
    const seqNs = 2n ** 62n + 1n;
    const seq = await sequence2026(db, "s", { createdNs: seqNs });
    assert.deepEqual([seq.createdNs, seq.createdMs], [seqNs, Number(seqNs / 1_000_000n)]);
    assert.equal((await db.getSequence("s"))?.createdNs, seqNs);
    const session = await openSession(db, seq, { createdNs: 2n ** 53n + 1n });
    const topic = await sessionTopic(db, session, "t", { createdNs: 2n ** 60n + 3n });
    await db.commitTopic(topic.id, [chunk(0, INT64_MIN, INT64_MIN + 1n)], INT64_MAX - 1n);
    const done = await db.finalizeSession(session.id, { ...FINALIZE_2026, completedNs: INT64_MAX });
    assert.deepEqual([done.createdNs, done.completedNs], [2n ** 53n + 1n, INT64_MAX]);
    const [got] = await db.listTopics(seq.id);
    assert.deepEqual([got.createdNs, got.createdMs, got.completedNs], [
      2n ** 60n + 3n,
      Number((2n ** 60n + 3n) / 1_000_000n),
      INT64_MAX - 1n,
    ]);
    assert.deepEqual(await db.getSessionByUlid(session.ulid), done);
    // Before the epoch: milliseconds round down.
    const old = await sequence2026(db, "old", { createdNs: -1n });
    assert.deepEqual([old.createdNs, old.createdMs], [-1n, -1]);
  });

  test("topicUsagesOfSequence() gives each topic with chunks its totals and time range", async (db) => {
    const seq = await sequence2026(db, "s");
    const session = await openSession(db, seq);
    const [a, b, empty] = [
      await sessionTopic(db, session, "a"),
      await sessionTopic(db, session, "b"),
      await sessionTopic(db, session, "empty"),
    ];
    await db.commitTopic(a.id, [chunk(0, 5n, 9n), chunk(1, INT64_MIN, 0n)]);
    await db.commitTopic(b.id, [chunk(0, 2n ** 60n, INT64_MAX)]);
    await db.commitTopic(empty.id, []);
    const other = await zeroOneSequence(db, "other");
    await db.commitTopic((await topicIn(db, other, "x")).id, [chunk(0, 1n, 1n)]);
    const usages = await db.topicUsagesOfSequence(seq.id);
    assert.deepEqual(
      new Map(usages),
      new Map([
        [a.id, { chunks: 2, sizeBytes: 200, rows: 6, startNs: INT64_MIN, endNs: 9n }],
        [b.id, { chunks: 1, sizeBytes: 100, rows: 3, startNs: 2n ** 60n, endNs: INT64_MAX }],
      ]),
    );
    assert.deepEqual(await db.topicUsage(b.id), usages.get(b.id));
    assert.deepEqual(await db.sequenceUsage(seq.id), {
      chunks: 3,
      sizeBytes: 300,
      rows: 9,
      startNs: INT64_MIN,
      endNs: INT64_MAX,
    });
    assert.deepEqual(await db.topicUsagesOfSequence(seq.id + 1000), new Map());
  });

  test("sessions append session.created, session.finalized and session.deleted events", async (db) => {
    const seq = await sequence2026(db, "s");
    const mark = await db.lastEventId();
    const session = await openSession(db, seq);
    const topic = await sessionTopic(db, session, "t");
    await db.commitTopic(topic.id, []);
    await db.finalizeSession(session.id, FINALIZE_2026);
    await db.deleteSession(session.id, [], [topic.uuid]);
    const events = await db.listEvents(mark, 100);
    assert.deepEqual(events.map((e) => [e.kind, e.sequence, e.topic]), [
      ["session.created", "s", null],
      ["topic.created", "s", "s/t"],
      ["topic.locked", "s", "s/t"],
      ["session.finalized", "s", null],
      ["topic.deleted", "s", "s/t"],
      ["session.deleted", "s", null],
    ]);
    assert.deepEqual(events[0].detail, { session: label(session) });
    assert.deepEqual(events[3].detail, { session: label(session) });
    assert.ok(!JSON.stringify(events).includes(session.uuid), "events never carry the write token");
    // A 0.1.0 finalize records the sequence, not a session.
    const v1 = await zeroOneSequence(db, "v1");
    const before = await db.lastEventId();
    await db.lockSequence(v1.id);
    assert.deepEqual((await db.listEvents(before, 10)).map((e) => [e.kind, e.sequence]), [
      ["sequence.finalized", "v1"],
    ]);
  });
}
