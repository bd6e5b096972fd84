/**
 * Rebuild and verify with sessions: a store holding open, finalized and deleted sessions (2026) and 0.1.0
 * sequences gives a rebuilt catalog with exactly the same sequences, sessions, topics, chunks and times;
 * `verifyStore` finds nothing to say about it, then reports a tampered or missing session manifest. A
 * catalog migrated from before sessions and one rebuilt from the same (version 1) store agree.
 */
import assert from "node:assert/strict";
import type { Catalog } from "../src/catalog/catalog.ts";
import * as lifecycle from "../src/lifecycle/mod.ts";
import { silentLogger } from "../src/log.ts";
import { normalizeTopicName } from "../src/model/locator.ts";
import { sequenceManifestKey, sessionManifestKey, topicManifestKey } from "../src/model/store_layout.ts";
import { legacySessionUlid } from "../src/model/legacy.ts";
import { migrate } from "../src/catalog/migrate.ts";
import { MIGRATIONS } from "../src/catalog/migrations/mod.ts";
import { rebuildCatalog } from "../src/ops/rebuild.ts";
import { verifyStore } from "../src/ops/verify.ts";
import { freshPgliteCatalog } from "./_postgres.ts";
import { readJson, runDueJobs, type SessionEnv, sessionEnv, upload } from "./_session_env.ts";

const topicReq = (name: string, sessionUuid: string) => ({
  topic: normalizeTopicName(name),
  sessionUuid,
  serializationFormat: "default" as const,
  ontologyTag: "imu",
  userMetadata: { n: 2 ** 53 + 1 },
});

/** Everything a catalog says about its sequences, without its own row ids. */
async function snapshot(catalog: Catalog): Promise<unknown> {
  const out = [];
  for (const { id, ...seq } of await catalog.listSequences()) {
    const sessions = (await catalog.listSessions(id)).map(({ id: _, sequenceId: __, ...s }) => s);
    const topics = [];
    for (const { id: topicId, sequenceId: _, sessionId: __, ...topic } of await catalog.listTopics(id)) {
      const chunks = (await catalog.listChunks(topicId, { withStats: true })).map((
        { id: _, topicId: __, ...c },
      ) => c);
      topics.push({ ...topic, chunks, usage: await catalog.topicUsage(topicId) });
    }
    topics.sort((a, b) => a.uuid < b.uuid ? -1 : 1);
    out.push({ ...seq, sessions, topics });
  }
  return out;
}

/** Fills the store: every kind of session, and a deletion whose tombstones are still there. */
async function populate(env: SessionEnv): Promise<void> {
  const { deps } = env;
  // 0.1.0: one finalized sequence, one still open.
  for (const [name, finalize] of [["old_done", true], ["old_open", false]] as const) {
    const seq = await lifecycle.createSequence(deps, { name, userMetadata: { name } });
    const topic = await lifecycle.createTopic(deps, {
      ...topicReq(`${name}/imu`, ""),
      sequenceKey: seq.uuid,
    });
    await upload(deps, topic, 1000n);
    if (finalize) await lifecycle.finalizeSequence(deps, { sequence: name, key: seq.uuid });
  }
  // 2026: finalized, open with a locked and an unlocked topic, open and empty, deleted.
  await lifecycle.createSequence(deps, { name: "new", userMetadata: {}, protocol: "v2026" });
  const done = await lifecycle.createSession(deps, { sequence: "new" });
  for (const path of ["a", "b"]) {
    await upload(deps, await lifecycle.createSessionTopic(deps, topicReq(`new/${path}`, done.uuid)), -50n);
  }
  await lifecycle.finalizeSession(deps, { session: { uuid: done.uuid } });
  const open = await lifecycle.createSession(deps, { sequence: "new" });
  await upload(deps, await lifecycle.createSessionTopic(deps, topicReq("new/c", open.uuid)), 2n ** 62n);
  await lifecycle.createSessionTopic(deps, topicReq("new/d", open.uuid));
  const gone = await lifecycle.createSessionTopic(deps, topicReq("new/gone", open.uuid));
  await lifecycle.deleteTopic(deps, { topic: normalizeTopicName(gone.name) });
  await lifecycle.createSession(deps, { sequence: "new" });
  const deleted = await lifecycle.createSession(deps, { sequence: "new" });
  await upload(deps, await lifecycle.createSessionTopic(deps, topicReq("new/x", deleted.uuid)), 0n);
  await lifecycle.deleteSession(deps, { session: { uuid: deleted.uuid } });
}

Deno.test("sessions: rebuild restores every session and topic exactly, and verify is clean", async () => {
  await using env = await sessionEnv();
  await populate(env);
  const before = await snapshot(env.catalog);
  assert.equal((await verifyStore(env)).drift.length, 0, "the original is clean (removals pending)");

  await using rebuilt = await freshPgliteCatalog();
  const report = await rebuildCatalog({ catalog: rebuilt, store: env.store, log: silentLogger() });
  assert.deepEqual(report.problems, []);
  assert.deepEqual([report.sequences, report.sessions, report.topics], [3, 5, 6]);
  assert.deepEqual(await snapshot(rebuilt), before);
  const again = await rebuildCatalog({ catalog: rebuilt, store: env.store, log: silentLogger() });
  assert.deepEqual([again.problems, again.alreadyPresent], [[], 9]);
  assert.deepEqual(await snapshot(rebuilt), before, "idempotent");

  // The deletions' objects go (their jobs are in the original catalog); then the store matches the
  // rebuilt catalog exactly.
  assert.deepEqual(await runDueJobs(env.deps), Array(3).fill("delete_objects:done"));
  const clean = await verifyStore({ catalog: rebuilt, store: env.store });
  assert.deepEqual(clean.drift, []);
  assert.deepEqual([clean.sequences, clean.sessions, clean.topics], [3, 5, 6]);

  // A session manifest that says another time, and one that is gone.
  const seq = (await rebuilt.getSequence("new"))!;
  const [done, , empty] = await rebuilt.listSessions(seq.id);
  const key = sessionManifestKey(seq.uuid, done.ulid);
  const tampered = {
    ...await readJson(env.store, key) as object,
    completed_ns: String(done.completedNs! + 1n),
  };
  await env.store.put(key, new TextEncoder().encode(JSON.stringify(tampered)));
  await env.store.delete(sessionManifestKey(seq.uuid, empty.ulid));
  const drift = (await verifyStore({ catalog: rebuilt, store: env.store })).drift;
  assert.deepEqual(drift.map((d) => [d.kind, d.what]).sort(), [
    ["mismatch", key],
    ["missing", sessionManifestKey(seq.uuid, empty.ulid)],
  ]);
});

/** What mosaicod wrote before sessions existed: version 1 manifests, catalog rows without sessions. */
const LEGACY = [
  { name: "old_done", locked: true, createdMs: 1_600_000_000_001, topicMs: 1_600_000_000_005 },
  { name: "old_open", locked: false, createdMs: 1_600_000_000_002, topicMs: 1_600_000_000_009 },
].map((s) => ({ ...s, uuid: crypto.randomUUID(), topicUuid: crypto.randomUUID() }));

Deno.test("sessions: a catalog migrated from before sessions and one rebuilt from its store agree", async () => {
  await using env = await sessionEnv();
  const { store } = env;
  await using migrated = await freshPgliteCatalog({ migrate: false });
  await migrate(migrated.driver, silentLogger(), { migrations: MIGRATIONS.filter((m) => m.version <= 5) });
  for (const s of LEGACY) {
    const put = (key: string, body: object) => store.put(key, new TextEncoder().encode(JSON.stringify(body)));
    await put(sequenceManifestKey(s.uuid), {
      version: 1,
      kind: "sequence",
      uuid: s.uuid,
      name: s.name,
      created_ms: s.createdMs,
      user_metadata: { v: 1 },
      locked: s.locked,
    });
    await put(topicManifestKey(s.uuid, s.topicUuid), {
      version: 1,
      kind: "topic",
      uuid: s.topicUuid,
      name: `${s.name}/imu`,
      sequence_uuid: s.uuid,
      sequence_name: s.name,
      serialization_format: "default",
      ontology_tag: "imu",
      created_ms: s.topicMs,
      user_metadata: {},
      locked: s.locked,
      chunks: [],
    });
    const [{ id }] = await migrated.driver.query<{ id: number }>(
      `INSERT INTO sequences (uuid, name, locked, user_metadata, created_ms)
       VALUES ($1, $2, $3, '{"v": 1}', $4) RETURNING id`,
      [s.uuid, s.name, s.locked, s.createdMs],
    );
    await migrated.driver.query(
      `INSERT INTO topics (uuid, sequence_id, name, locked, user_metadata, serialization_format, ontology_tag,
         created_ms) VALUES ($1, $2, $3, $4, '{}', 'default', 'imu', $5)`,
      [s.topicUuid, id, `${s.name}/imu`, s.locked, s.topicMs],
    );
  }
  assert.deepEqual((await migrate(migrated.driver, silentLogger())).applied, [
    "0006_sessions",
    "0007_api_key_manage",
  ]);
  await using rebuilt = await freshPgliteCatalog();
  const report = await rebuildCatalog({ catalog: rebuilt, store, log: silentLogger() });
  assert.deepEqual([report.problems, report.sessions], [[], 2]);
  assert.deepEqual(await snapshot(rebuilt), await snapshot(migrated));
  // The rules of model/legacy.ts: created with the sequence, completed then if it was finalized.
  for (const s of LEGACY) {
    const seq = (await migrated.getSequence(s.name))!;
    const createdNs = BigInt(s.createdMs) * 1_000_000n;
    assert.deepEqual(
      (await migrated.listSessions(seq.id)).map(({ uuid, ulid, createdNs, completedNs }) => ({
        uuid,
        ulid,
        createdNs,
        completedNs,
      })),
      [{
        uuid: s.uuid,
        ulid: legacySessionUlid(s.uuid, createdNs),
        createdNs,
        completedNs: s.locked ? createdNs : null,
      }],
    );
    const [topic] = await migrated.listTopics(seq.id);
    const topicNs = BigInt(s.topicMs) * 1_000_000n;
    assert.deepEqual([topic.createdNs, topic.completedNs], [topicNs, s.locked ? topicNs : null]);
    assert.equal(seq.locked, s.locked);
  }
  assert.deepEqual((await verifyStore({ catalog: migrated, store })).drift, []);
  assert.deepEqual((await verifyStore({ catalog: rebuilt, store })).drift, []);
});
