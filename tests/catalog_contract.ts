/**
 * The catalog contract: one suite, run against every driver (see catalog_test.ts).
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Catalog } from "../src/catalog/catalog.ts";
import { appliedMigrations, migrate } from "../src/catalog/migrate.ts";
import {
  AlreadyExistsError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
} from "../src/errors.ts";
import { silentLogger } from "../src/log.ts";
import type { ColumnStats, JsonValue, NewChunk, Sequence, Topic } from "../src/model/types.ts";
import { sequence2026, sessionTopic, topicIn, zeroOneSequence } from "./_catalog_fixtures.ts";
import { sessionTests } from "./catalog_sessions_contract.ts";

export type MakeCatalog = (opts?: { migrate?: boolean }) => Promise<Catalog>;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** A 0.1.0 sequence (with its implicit session). */
function newSequence(db: Catalog, name: string, userMetadata: JsonValue = {}): Promise<Sequence> {
  return zeroOneSequence(db, name, { userMetadata, createdNs: 1_700_000_000_123_000_000n });
}

/** A topic in the implicit session of a 0.1.0 sequence. */
function newTopic(db: Catalog, seq: Sequence, path: string, userMetadata: JsonValue = {}): Promise<Topic> {
  return topicIn(db, seq, path, {
    userMetadata,
    serializationFormat: "ragged",
    ontologyTag: "imu",
    createdNs: 1_700_000_000_456_000_000n,
  });
}

/** Usage of a topic or sequence without chunks. */
const NO_USAGE = { chunks: 0, sizeBytes: 0, rows: 0, startNs: null, endNs: null };

function chunk(index: number, startNs: bigint, endNs: bigint, stats: ColumnStats[] = []): NewChunk {
  const key = `seq/topic/data-${String(index).padStart(5, "0")}.parquet`;
  return {
    uuid: crypto.randomUUID(),
    index,
    key,
    sizeBytes: 1000 + index,
    rowCount: 10,
    startNs,
    endNs,
    stats,
  };
}

function numStats(column: string, min: number | null, max: number | null): ColumnStats {
  return { column, kind: "numeric", min, max, hasNull: min === null, hasNan: Number.isNaN(min) };
}

/** Registers the whole suite for one driver. */
export function catalogContract(name: string, makeCatalog: MakeCatalog): void {
  const test = (title: string, fn: (db: Catalog) => Promise<void>) =>
    Deno.test(`${name}: catalog.${title}`, async () => {
      await using db = await makeCatalog();
      await fn(db);
    });
  sequenceTests(test);
  topicTests(test);
  chunkTests(test);
  notificationAndLayerTests(test);
  sessionTests(test);
  migrationTests(name, makeCatalog);
  driverTests(test);
}

export type Test = (title: string, fn: (db: Catalog) => Promise<void>) => void;

function sequenceTests(test: Test): void {
  test("createSequence() stores a sequence found by name and by uuid", async (db) => {
    const uuid = crypto.randomUUID();
    // 1234.999999 ms: the 0.1.0 view rounds down.
    const seq = await zeroOneSequence(db, "run/1", {
      uuid,
      userMetadata: { a: 1 },
      createdNs: 1_234_999_999n,
    });
    assert.deepEqual(seq, {
      id: seq.id,
      uuid,
      name: "run/1",
      locked: false,
      userMetadata: { a: 1 },
      createdNs: 1_234_999_999n,
      createdMs: 1234,
    });
    assert.deepEqual(await db.getSequence("run/1"), seq);
    assert.deepEqual(await db.getSequenceByUuid(uuid.toUpperCase()), seq);
    assert.equal(await db.getSequence("run/2"), null);
    assert.equal(await db.getSequenceByUuid(crypto.randomUUID()), null);
    assert.equal(await db.getSequenceByUuid("not-a-uuid"), null);
    const implicit = await db.getSessionByUuid(uuid);
    assert.deepEqual(implicit && { ...implicit, ulid: "" }, {
      id: implicit?.id,
      uuid,
      ulid: "",
      sequenceId: seq.id,
      sequenceName: "run/1",
      sequenceUuid: uuid,
      createdNs: 1_234_999_999n,
      completedNs: null,
    });
    assert.ok(implicit?.ulid.startsWith("000000016J"), implicit?.ulid); // 1234 ms
    // A 2026 sequence starts without sessions; the 0.1.0 view calls it unlocked.
    const bare = await sequence2026(db, "run/2026");
    assert.equal(bare.locked, false);
    assert.deepEqual(await db.listSessions(bare.id), []);
    assert.equal(await db.getSessionByUuid(bare.uuid), null);
  });

  test("createSequence() rejects a duplicate name", async (db) => {
    await newSequence(db, "dup");
    await assert.rejects(newSequence(db, "dup"), new AlreadyExistsError('Sequence "dup" already exists'));
  });

  test("createSequence() lets exactly one of 20 concurrent creators of a name win", async (db) => {
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => newSequence(db, "race")));
    assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
    for (const r of results) if (r.status === "rejected") assert.ok(r.reason instanceof AlreadyExistsError);
    assert.equal((await db.listSequences()).length, 1);
  });

  test("createSequence() round-trips unicode and deeply nested JSON metadata", async (db) => {
    let deep: JsonValue = { leaf: [1.5, -0.25, true, null, "🦀"] };
    for (let i = 0; i < 60; i++) deep = { [`level${i}`]: deep, list: [i] };
    const meta = {
      "名前": "ロボット",
      emoji: "🤖👩🏽‍🔬",
      quote: 'it\'s "quoted" \\ back',
      deep,
      big: 2 ** 53 - 1,
    };
    const seq = await newSequence(db, "séquence/ünïcode", meta);
    assert.deepEqual((await db.getSequence("séquence/ünïcode"))?.userMetadata, meta);
    const topic = await newTopic(db, seq, "тема", meta);
    assert.deepEqual((await db.getTopic(topic.name))?.userMetadata, meta);
    await newSequence(db, "null-meta", null);
    assert.equal((await db.getSequence("null-meta"))?.userMetadata, null);
  });

  test("createSequence() rejects text PostgreSQL cannot store", async (db) => {
    await assert.rejects(newSequence(db, "nul", { a: "\u0000" }), InvalidArgumentError);
  });

  test("listSequences() returns sequences in creation order", async (db) => {
    for (const n of ["b", "a", "c"]) await newSequence(db, n);
    assert.deepEqual((await db.listSequences()).map((s) => s.name), ["b", "a", "c"]);
  });

  test("lockSequence() locks only an unlocked sequence whose topics are all locked", async (db) => {
    const seq = await newSequence(db, "s");
    const a = await newTopic(db, seq, "a");
    await newTopic(db, seq, "b");
    const { ulid } = (await db.getSessionByUuid(seq.uuid))!;
    const unlocked = (n: number, names: string) =>
      new FailedPreconditionError(
        `Cannot finalize session "s:${ulid}": ${n} topic(s) are unlocked (their upload has not ended): ${names}`,
      );
    await assert.rejects(db.lockSequence(seq.id), unlocked(2, '"s/a", "s/b"'));
    await db.commitTopic(a.id, []);
    await assert.rejects(db.lockSequence(seq.id), unlocked(1, '"s/b"'));
    await db.commitTopic((await db.getTopic("s/b"))!.id, []);
    assert.deepEqual(await db.lockSequence(seq.id), { ...seq, locked: true });
    assert.equal((await db.getSequence("s"))?.locked, true);
    await assert.rejects(
      db.lockSequence(seq.id),
      new FailedPreconditionError('Sequence "s" is already locked'),
    );
    await assert.rejects(db.lockSequence(seq.id + 1000), NotFoundError);
    assert.equal((await db.lockSequence((await newSequence(db, "empty")).id)).locked, true);
    await assert.rejects(
      db.lockSequence((await sequence2026(db, "v2026")).id),
      new FailedPreconditionError(
        'Sequence "v2026" has no 0.1.0 upload session: finalize its sessions with session_finalize',
      ),
    );
  });

  test("lockSequence() records the completion time given, or the database clock's", async (db) => {
    const seq = await newSequence(db, "timed");
    await db.lockSequence(seq.id, { completedNs: 2n ** 62n + 1n });
    assert.equal((await db.getSessionByUuid(seq.uuid))?.completedNs, 2n ** 62n + 1n);
    const before = BigInt(Date.now() - 60_000) * 1_000_000n;
    const now = await newSequence(db, "now");
    await db.lockSequence(now.id);
    const completed = (await db.getSessionByUuid(now.uuid))?.completedNs ?? 0n;
    assert.ok(completed > before && completed < before + 3_600_000_000_000n, String(completed));
  });

  test("deleteSequence() removes its topics, chunks, stats and notifications", async (db) => {
    const seq = await newSequence(db, "gone");
    const keep = await newSequence(db, "gone2");
    const topic = await newTopic(db, seq, "t");
    const kept = await newTopic(db, keep, "t");
    for (const t of [topic, kept]) await db.commitTopic(t.id, [chunk(0, 0n, 5n, [numStats("x", 1, 2)])]);
    await db.createNotification({
      target: "sequence",
      targetId: seq.id,
      notifyType: "error",
      msg: "m",
      createdMs: 1,
    });
    await db.createNotification({
      target: "topic",
      targetId: topic.id,
      notifyType: "error",
      msg: "m",
      createdMs: 1,
    });
    assert.deepEqual(await db.deleteSequence(seq.id), seq);
    assert.equal(await db.getSequence("gone"), null);
    assert.equal(await db.getTopic("gone/t"), null);
    assert.equal(await db.getSessionByUuid(seq.uuid), null);
    assert.notEqual(await db.getSessionByUuid(keep.uuid), null);
    assert.deepEqual(await db.listChunks(topic.id), []);
    assert.deepEqual(await db.listNotifications("sequence", "gone"), []);
    assert.deepEqual(await db.listNotifications("topic", "gone/t"), []);
    const [stats] = await db.driver.query<{ n: number }>("SELECT count(*) AS n FROM chunk_stats");
    assert.equal(stats.n, 1);
    assert.equal((await db.listChunks(kept.id, { withStats: true }))[0].stats.length, 1);
    await assert.rejects(db.deleteSequence(seq.id), NotFoundError);
  });

  test("deleteSequence() with requireUnlocked refuses a locked sequence", async (db) => {
    const seq = await newSequence(db, "locked");
    await db.lockSequence(seq.id);
    await assert.rejects(
      db.deleteSequence(seq.id, { requireUnlocked: true }),
      new FailedPreconditionError('Sequence "locked" is locked'),
    );
    assert.equal((await db.deleteSequence(seq.id)).locked, true);
  });
}

function topicTests(test: Test): void {
  test("createTopic() stores a topic found by name, uuid and sequence", async (db) => {
    const seq = await newSequence(db, "s");
    const t1 = await newTopic(db, seq, "cam/front", { fps: 30 });
    const t2 = await newTopic(db, seq, "imu");
    assert.deepEqual(t1, {
      id: t1.id,
      uuid: t1.uuid,
      sequenceId: seq.id,
      sequenceName: "s",
      sequenceUuid: seq.uuid,
      sessionId: (await db.getSessionByUuid(seq.uuid))?.id,
      sessionUuid: seq.uuid,
      name: "s/cam/front",
      locked: false,
      userMetadata: { fps: 30 },
      serializationFormat: "ragged",
      ontologyTag: "imu",
      createdNs: 1_700_000_000_456_000_000n,
      createdMs: 1_700_000_000_456,
      completedNs: null,
      schemaKey: null,
    });
    assert.deepEqual(await db.getTopic("s/cam/front"), t1);
    assert.deepEqual(await db.getTopicByUuid(t2.uuid), t2);
    assert.equal(await db.getTopic("s/nope"), null);
    assert.equal(await db.getTopicByUuid("nope"), null);
    assert.deepEqual(await db.listTopics(seq.id), [t1, t2]);
    assert.deepEqual(await db.listTopics(seq.id + 1000), []);
  });

  test("createTopic() rejects a duplicate name, a locked or a missing sequence", async (db) => {
    const seq = await newSequence(db, "s");
    await newTopic(db, seq, "t");
    await assert.rejects(newTopic(db, seq, "t"), new AlreadyExistsError('Topic "s/t" already exists'));
    await db.commitTopic((await db.getTopic("s/t"))!.id, []);
    await db.lockSequence(seq.id);
    await assert.rejects(newTopic(db, seq, "u"), new FailedPreconditionError('Sequence "s" is locked'));
    const session = (await db.getSessionByUuid(seq.uuid))!;
    await assert.rejects(sessionTopic(db, { ...session, id: session.id + 1000 }, "u"), NotFoundError);
  });

  test("createTopic() racing lockSequence() never adds a topic to a locked sequence", async (db) => {
    for (let round = 0; round < 10; round++) {
      const seq = await newSequence(db, `race${round}`);
      const [created, locked] = await Promise.allSettled([newTopic(db, seq, "t"), db.lockSequence(seq.id)]);
      assert.notEqual(created.status === "fulfilled", locked.status === "fulfilled", `round ${round}`);
      const rejected = created.status === "rejected" ? created : locked as PromiseRejectedResult;
      assert.ok(rejected.reason instanceof FailedPreconditionError);
    }
  });

  test("setTopicSchema() sets the key once, only while the topic is unlocked", async (db) => {
    const seq = await newSequence(db, "s");
    const topic = await newTopic(db, seq, "t");
    assert.equal((await db.setTopicSchema(topic.id, "s/t/schema.arrow")).schemaKey, "s/t/schema.arrow");
    assert.equal((await db.setTopicSchema(topic.id, "s/t/schema.arrow")).sequenceName, "s");
    const differs = new FailedPreconditionError('Topic "s/t" already has a different schema');
    await assert.rejects(db.setTopicSchema(topic.id, "other"), differs);
    await db.commitTopic(topic.id, []);
    await assert.rejects(
      db.setTopicSchema(topic.id, "s/t/schema.arrow"),
      new FailedPreconditionError('Topic "s/t" is locked'),
    );
    await assert.rejects(db.setTopicSchema(topic.id + 1000, "k"), NotFoundError);
  });

  test("deleteTopic() removes its chunks, stats and notifications only", async (db) => {
    const seq = await newSequence(db, "s");
    const topic = await newTopic(db, seq, "t");
    const other = await newTopic(db, seq, "u");
    await db.createNotification({
      target: "topic",
      targetId: topic.id,
      notifyType: "error",
      msg: "x",
      createdMs: 2,
    });
    await db.commitTopic(topic.id, [chunk(0, 1n, 2n, [numStats("v", 0, 1)])]);
    await assert.rejects(
      db.deleteTopic(topic.id, { requireUnlocked: true }),
      new FailedPreconditionError('Topic "s/t" is locked'),
    );
    const locked = (await db.getTopic("s/t"))!;
    assert.deepEqual(await db.deleteTopic(topic.id), {
      ...topic,
      locked: true,
      completedNs: locked.completedNs,
    });
    assert.deepEqual(await db.listTopics(seq.id), [other]);
    assert.deepEqual(await db.topicUsage(topic.id), NO_USAGE);
    assert.deepEqual(await db.listNotifications("topic", "s/t"), []);
    const [stats] = await db.driver.query<{ n: number }>("SELECT count(*) AS n FROM chunk_stats");
    assert.equal(stats.n, 0);
    await assert.rejects(db.deleteTopic(topic.id), NotFoundError);
  });
}

function chunkTests(test: Test): void {
  test("commitTopic() records chunks with stats and locks the topic", async (db) => {
    const topic = await newTopic(db, await newSequence(db, "s"), "t");
    const stats: ColumnStats[] = [
      numStats("z.last", -1.5, 2.25),
      { column: "nan", kind: "numeric", min: Number.NaN, max: Infinity, hasNull: false, hasNan: true },
      {
        column: "extreme",
        kind: "numeric",
        min: -Number.MAX_VALUE,
        max: Number.MAX_VALUE,
        hasNull: true,
        hasNan: false,
      },
      numStats("ninf", -Infinity, 5e-324),
      numStats("nulls", null, null),
      { column: "a.text", kind: "text", min: "", max: "zürich 🚀", hasNull: true },
      { column: "none", kind: "text", min: null, max: null, hasNull: true },
    ];
    const input = [chunk(0, INT64_MIN, -1n, stats), chunk(1, 0n, INT64_MAX, [])];
    const committed = await db.commitTopic(topic.id, input, INT64_MAX);
    assert.deepEqual(committed, { ...topic, locked: true, completedNs: INT64_MAX });
    assert.deepEqual(await db.getTopic("s/t"), committed);
    const got = await db.listChunks(topic.id, { withStats: true });
    assert.deepEqual(got, input.map((c) => ({ ...c, id: got[c.index].id, topicId: topic.id })));
    assert.deepEqual((await db.listChunks(topic.id)).map((c) => c.stats), [[], []]);
  });

  test("commitTopic() refuses a second commit and records nothing", async (db) => {
    const topic = await newTopic(db, await newSequence(db, "s"), "t");
    const before = BigInt(Date.now() - 60_000) * 1_000_000n;
    const { completedNs } = await db.commitTopic(topic.id, [chunk(0, 0n, 1n)]);
    assert.ok(completedNs! > before && completedNs! < before + 3_600_000_000_000n, "the database clock");
    await assert.rejects(
      db.commitTopic(topic.id, [chunk(1, 2n, 3n)], 5n),
      new FailedPreconditionError('Topic "s/t" is locked'),
    );
    assert.equal((await db.listChunks(topic.id)).length, 1);
    assert.equal((await db.getTopic("s/t"))?.completedNs, completedNs);
    await assert.rejects(db.commitTopic(topic.id + 1000, []), NotFoundError);
  });

  test("commitTopic() is all or nothing when a row is rejected", async (db) => {
    const topic = await newTopic(db, await newSequence(db, "s"), "t");
    await assert.rejects(db.commitTopic(topic.id, [chunk(0, 0n, 1n), chunk(0, 2n, 3n)]), AlreadyExistsError);
    assert.equal((await db.getTopic("s/t"))?.locked, false);
    assert.equal((await db.getTopic("s/t"))?.completedNs, null);
    assert.deepEqual(await db.listChunks(topic.id), []);
  });

  test("commitTopic() lets one of several concurrent commits of a topic win", async (db) => {
    const topic = await newTopic(db, await newSequence(db, "s"), "t");
    const attempts = Array.from(
      { length: 8 },
      (_, i) => db.commitTopic(topic.id, [chunk(0, 0n, 1n), chunk(1, 2n, 3n + BigInt(i))]),
    );
    const results = await Promise.allSettled(attempts);
    assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
    for (const r of results) {
      if (r.status === "rejected") assert.ok(r.reason instanceof FailedPreconditionError);
    }
    assert.equal((await db.listChunks(topic.id)).length, 2);
  });

  test("commitTopic() records hundreds of chunks with 50 stats each in one go", async (db) => {
    const topic = await newTopic(db, await newSequence(db, "s"), "t");
    const stats = Array.from({ length: 50 }, (_, i) => numStats(`col${i}`, i, i * 2));
    const input = Array.from(
      { length: 300 },
      (_, i) => chunk(i, BigInt(i) * 10n, BigInt(i) * 10n + 9n, stats),
    );
    const started = performance.now();
    await db.commitTopic(topic.id, input);
    const ms = performance.now() - started;
    assert.ok(ms < 10_000, `commit took ${ms} ms`);
    const got = await db.listChunks(topic.id, { withStats: true });
    assert.equal(got.length, 300);
    assert.deepEqual(got[299].stats, stats);
    assert.deepEqual(await db.topicUsage(topic.id), {
      chunks: 300,
      sizeBytes: 300 * 1000 + 299 * 150,
      rows: 3000,
      startNs: 0n,
      endNs: 2999n,
    });
  });

  test("listChunks() orders by start then index and filters by an inclusive overlapping range", async (db) => {
    const topic = await newTopic(db, await newSequence(db, "s"), "t");
    await db.commitTopic(topic.id, [
      chunk(2, 21n, 30n),
      chunk(0, 0n, 10n),
      chunk(1, 11n, 20n),
      chunk(3, 11n, 12n),
    ]);
    const range = async (startNs?: bigint, endNs?: bigint) =>
      (await db.listChunks(topic.id, { startNs, endNs })).map((c) => c.index);
    assert.deepEqual(await range(), [0, 1, 3, 2]);
    assert.deepEqual(await range(10n, 10n), [0]);
    assert.deepEqual(await range(10n, 11n), [0, 1, 3]);
    assert.deepEqual(await range(13n), [1, 2]);
    assert.deepEqual(await range(undefined, 11n), [0, 1, 3]);
    assert.deepEqual(await range(31n), []);
    assert.deepEqual(await range(INT64_MIN, INT64_MAX), [0, 1, 3, 2]);
    assert.deepEqual(await range(-5n, -1n), []);
  });

  test("topicUsage() and sequenceUsage() total chunks, bytes, rows and the time range", async (db) => {
    const seq = await newSequence(db, "s");
    const [a, b] = [await newTopic(db, seq, "a"), await newTopic(db, seq, "b")];
    await db.commitTopic(a.id, [chunk(0, 0n, 1n), chunk(1, 2n, 3n)]);
    await db.commitTopic(b.id, [chunk(0, -7n, 1n)]);
    assert.deepEqual(await db.topicUsage(a.id), {
      chunks: 2,
      sizeBytes: 2001,
      rows: 20,
      startNs: 0n,
      endNs: 3n,
    });
    assert.deepEqual(await db.sequenceUsage(seq.id), {
      chunks: 3,
      sizeBytes: 3001,
      rows: 30,
      startNs: -7n,
      endNs: 3n,
    });
    assert.deepEqual(await db.sequenceUsage((await newSequence(db, "empty")).id), NO_USAGE);
  });
}

function notificationAndLayerTests(test: Test): void {
  test("createNotification() attaches messages listed and purged by name", async (db) => {
    const seq = await newSequence(db, "s");
    const topic = await newTopic(db, seq, "t");
    const n1 = await db.createNotification({
      target: "sequence",
      targetId: seq.id,
      notifyType: "error",
      msg: "boom",
      createdMs: 7,
    });
    assert.deepEqual(n1, { id: n1.id, name: "s", notifyType: "error", msg: "boom", createdMs: 7 });
    const n2 = await db.createNotification({
      target: "sequence",
      targetId: seq.id,
      notifyType: "error",
      msg: "",
      createdMs: 8,
    });
    const n3 = await db.createNotification({
      target: "topic",
      targetId: topic.id,
      notifyType: "error",
      msg: "t",
      createdMs: 9,
    });
    assert.deepEqual(await db.listNotifications("sequence", "s"), [n1, n2]);
    assert.deepEqual(await db.listNotifications("topic", "s/t"), [n3]);
    assert.deepEqual(await db.listNotifications("sequence", "nope"), []);
    assert.equal(await db.purgeNotifications("sequence", "s"), 2);
    assert.equal(await db.purgeNotifications("sequence", "nope"), 0);
    assert.deepEqual(await db.listNotifications("sequence", "s"), []);
    assert.deepEqual(await db.listNotifications("topic", "s/t"), [n3]);
    const missing = {
      target: "topic",
      targetId: topic.id + 1000,
      notifyType: "error",
      msg: "",
      createdMs: 1,
    } as const;
    await assert.rejects(db.createNotification(missing), NotFoundError);
  });

  test("layers can be created, listed, renamed and deleted", async (db) => {
    assert.equal(await db.ensureDefaultLayer(), true);
    assert.equal(await db.ensureDefaultLayer(), false);
    const defaultLayer = {
      name: "default",
      description: "Default layer, this layer is automatically generated by mosaico at startup",
    };
    await db.createLayer({ name: "raw", description: "" });
    await assert.rejects(
      db.createLayer({ name: "raw", description: "x" }),
      new AlreadyExistsError('Layer "raw" already exists'),
    );
    assert.deepEqual(await db.listLayers(), [defaultLayer, { name: "raw", description: "" }]);
    assert.deepEqual(await db.updateLayer("raw", { name: "clean", description: "d" }), {
      name: "clean",
      description: "d",
    });
    await assert.rejects(
      db.updateLayer("raw", { name: "x", description: "" }),
      new NotFoundError('Cannot find layer "raw"'),
    );
    await assert.rejects(db.updateLayer("clean", { name: "default", description: "" }), AlreadyExistsError);
    await db.deleteLayer("clean");
    await assert.rejects(db.deleteLayer("clean"), new NotFoundError('Cannot find layer "clean"'));
    assert.deepEqual(await db.listLayers(), [defaultLayer]);
  });
}

function migrationTests(name: string, makeCatalog: MakeCatalog): void {
  Deno.test(`${name}: migrate() applies every migration once and records it`, async () => {
    await using db = await makeCatalog({ migrate: false });
    assert.deepEqual(await appliedMigrations(db.driver), []);
    assert.deepEqual(await migrate(db.driver, silentLogger()), {
      applied: [
        "0001_init",
        "0002_events_jobs",
        "0003_api_keys",
        "0004_event_log_id",
        "0005_history_retention",
        "0006_sessions",
        "0007_api_key_manage",
      ],
    });
    assert.deepEqual(await migrate(db.driver, silentLogger()), { applied: [] });
    assert.deepEqual(await appliedMigrations(db.driver), [
      { version: 1, name: "init" },
      { version: 2, name: "events_jobs" },
      { version: 3, name: "api_keys" },
      { version: 4, name: "event_log_id" },
      { version: 5, name: "history_retention" },
      { version: 6, name: "sessions" },
      { version: 7, name: "api_key_manage" },
    ]);
    assert.deepEqual(await db.listSequences(), []);
  });

  Deno.test(`${name}: migrate() run concurrently applies each migration exactly once`, async () => {
    await using db = await makeCatalog({ migrate: false });
    const runs = await Promise.all([1, 2, 3].map(() => migrate(db.driver, silentLogger())));
    assert.deepEqual(runs.flatMap((r) => r.applied).sort(), [
      "0001_init",
      "0002_events_jobs",
      "0003_api_keys",
      "0004_event_log_id",
      "0005_history_retention",
      "0006_sessions",
      "0007_api_key_manage",
    ]);
    assert.equal((await appliedMigrations(db.driver)).length, 7);
  });
}

function driverTests(test: Test): void {
  test("driver.transaction() commits, rolls back, and nests with savepoints", async (db) => {
    const layerNames = async () => (await db.listLayers()).map((l) => l.name);
    await db.driver.transaction(async (tx) => {
      await tx.query("INSERT INTO layers (name) VALUES ($1)", ["outer"]);
      await assert.rejects(
        tx.transaction(async (inner) => {
          await inner.query("INSERT INTO layers (name) VALUES ($1)", ["inner"]);
          throw new Error("undo inner");
        }),
        /undo inner/,
      );
      await tx.transaction((inner) => inner.query("INSERT INTO layers (name) VALUES ($1)", ["kept"]));
    });
    assert.deepEqual(await layerNames(), ["outer", "kept"]);
    await assert.rejects(
      db.driver.transaction(async (tx) => {
        await tx.query("INSERT INTO layers (name) VALUES ($1)", ["rolled back"]);
        await tx.query("INSERT INTO layers (name) VALUES ($1)", ["outer"]);
      }),
      AlreadyExistsError,
    );
    assert.deepEqual(await layerNames(), ["outer", "kept"]);
  });

  test("driver.query() returns the same JS values on every driver", async (db) => {
    const [row] = await db.driver.query(
      `SELECT 42::int8 AS small, 9223372036854775807::int8 AS big, -9007199254740993::int8 AS past_safe,
         true AS yes, 'NaN'::float8 AS nan, '{"a":[1,"x"]}'::jsonb AS doc, NULL::text AS nothing,
         '1.50'::numeric AS num, 7::int4 AS int4`,
    );
    assert.deepEqual(row, {
      small: 42,
      big: 9223372036854775807n,
      past_safe: -9007199254740993n,
      yes: true,
      nan: NaN,
      doc: { a: [1, "x"] },
      nothing: null,
      num: "1.50",
      int4: 7,
    });
  });
}
