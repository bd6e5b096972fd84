/**
 * Session lifecycle (protocol 2026) over PGlite and a real FsStore: manifests written before the catalog
 * rows, finalize and its completion time, deletion with tombstones and one removal job per resource,
 * the implicit session of a 0.1.0 sequence, deletions that ignore locks.
 */
import assert from "node:assert/strict";
import { FailedPreconditionError, NotFoundError, PermissionDeniedError } from "../src/errors.ts";
import * as lifecycle from "../src/lifecycle/mod.ts";
import { normalizeTopicName } from "../src/model/locator.ts";
import {
  sequenceManifestKey,
  sessionManifestKey,
  sessionPrefix,
  tombstoneKey,
  topicManifestKey,
  topicPrefix,
} from "../src/model/store_layout.ts";
import type { Session } from "../src/model/types.ts";
import { listKeys, readJson, runDueJobs, sessionEnv, SUB_MS_NS, upload, watchPuts } from "./_session_env.ts";

const topicReq = (name: string, sessionUuid: string) => ({
  topic: normalizeTopicName(name),
  sessionUuid,
  serializationFormat: "default" as const,
  ontologyTag: "imu",
  userMetadata: { rate_hz: 200 },
});

function sessionJson(session: Session) {
  return {
    version: 2,
    kind: "session",
    uuid: session.uuid,
    ulid: session.ulid,
    sequence_uuid: session.sequenceUuid,
    created_ns: String(session.createdNs),
    completed_ns: session.completedNs === null ? null : String(session.completedNs),
  };
}

Deno.test("sessions: a 0.1.0 sequence gets an implicit session keyed by the sequence key; a 2026 one none", async () => {
  await using env = await sessionEnv();
  const { deps, catalog, store } = env;
  const v1 = await lifecycle.createSequence(deps, { name: "v1", userMetadata: {} });
  const [implicit] = await catalog.listSessions(v1.id);
  assert.deepEqual(await catalog.listSessions(v1.id), [implicit]);
  assert.equal(implicit.uuid, v1.uuid);
  assert.equal(implicit.createdNs, v1.createdNs);
  assert.equal(v1.createdNs % 1_000_000n, SUB_MS_NS, "nanoseconds kept");
  assert.deepEqual(await readJson(store, sessionManifestKey(v1.uuid, implicit.ulid)), sessionJson(implicit));
  const topic = await lifecycle.createTopic(deps, {
    ...topicReq("v1/imu", ""),
    sequenceKey: v1.uuid,
  });
  assert.deepEqual([topic.sessionId, topic.sessionUuid], [implicit.id, v1.uuid]);
  const tm = await readJson(store, topicManifestKey(v1.uuid, topic.uuid)) as Record<string, unknown>;
  assert.deepEqual([tm.session_uuid, tm.created_ns, tm.completed_ns], [
    v1.uuid,
    String(topic.createdNs),
    null,
  ]);

  const v2026 = await lifecycle.createSequence(deps, { name: "v2026", userMetadata: {}, protocol: "v2026" });
  assert.deepEqual(await catalog.listSessions(v2026.id), []);
  assert.equal(v2026.locked, false);
  assert.deepEqual(await listKeys(store, `sequences/${v2026.uuid}`), [sequenceManifestKey(v2026.uuid)]);
  await assert.rejects(
    lifecycle.finalizeSequence(deps, { sequence: "v2026", key: v2026.uuid }),
    FailedPreconditionError,
  );
  await assert.rejects(
    lifecycle.createTopic(deps, { ...topicReq("v2026/imu", ""), sequenceKey: v2026.uuid }),
    FailedPreconditionError,
  );
});

Deno.test("sessions: a 0.1.0 finalize completes the implicit session, manifest first", async () => {
  await using env = await sessionEnv();
  const { deps, catalog, store } = env;
  const seq = await lifecycle.createSequence(deps, { name: "s", userMetadata: {} });
  const topic = await lifecycle.createTopic(deps, { ...topicReq("s/imu", ""), sequenceKey: seq.uuid });
  const locked = await upload(deps, topic, 0n);
  assert.equal(locked.completedNs! % 1_000_000n, SUB_MS_NS, "the upload's completion, by the deps' clock");
  const seen: (bigint | null)[] = [];
  const watched = watchPuts(store, async () => {
    seen.push((await catalog.getSessionByUuid(seq.uuid))!.completedNs);
  });
  await lifecycle.finalizeSequence({ ...deps, store: watched }, { sequence: "s", key: seq.uuid });
  assert.deepEqual(seen, [null], "the manifest is written while the catalog still says open");
  const session = (await catalog.getSessionByUuid(seq.uuid))!;
  assert.equal(session.completedNs! % 1_000_000n, SUB_MS_NS);
  assert.ok(session.completedNs! > locked.completedNs!);
  assert.deepEqual(await readJson(store, sessionManifestKey(seq.uuid, session.ulid)), sessionJson(session));
  assert.equal((await catalog.getSequence("s"))?.locked, true);
});

Deno.test("sessions: create and finalize write the session manifest before the catalog row", async () => {
  await using env = await sessionEnv();
  const { deps, catalog, store } = env;
  const seq = await lifecycle.createSequence(deps, { name: "s", userMetadata: {}, protocol: "v2026" });
  const inCatalog: (Session | null)[] = [];
  const watched = {
    ...deps,
    store: watchPuts(store, async (key) => {
      const ulid = /sessions\/([^/]+)\/session\.json$/.exec(key)?.[1];
      if (ulid) inCatalog.push(await catalog.getSessionByUlid(ulid));
    }),
  };
  const session = await lifecycle.createSession(watched, { sequence: "s" });
  assert.deepEqual(inCatalog, [null], "no catalog row when the manifest is written");
  assert.equal(session.createdNs % 1_000_000n, SUB_MS_NS);
  assert.deepEqual(await readJson(store, sessionManifestKey(seq.uuid, session.ulid)), sessionJson(session));
  await assert.rejects(lifecycle.createSession(deps, { sequence: "nope" }), NotFoundError);

  // Finalize: refused while empty, then while a topic is unlocked; the manifest keeps saying open.
  const ref = { session: { sequence: "s", ulid: session.ulid } };
  await assert.rejects(
    lifecycle.finalizeSession(deps, ref),
    new FailedPreconditionError(`Session "s:${session.ulid}" is empty: it has no topic`),
  );
  const topic = await lifecycle.createSessionTopic(deps, topicReq("s/imu", session.uuid));
  assert.deepEqual([topic.sessionUuid, topic.locked], [session.uuid, false]);
  await assert.rejects(
    lifecycle.finalizeSession(deps, ref),
    new FailedPreconditionError('Topic "s/imu" is unlocked: its upload has not ended'),
  );
  assert.deepEqual(await readJson(store, sessionManifestKey(seq.uuid, session.ulid)), sessionJson(session));
  await upload(deps, topic, 100n);
  inCatalog.length = 0;
  const done = await lifecycle.finalizeSession(watched, ref);
  assert.deepEqual(inCatalog, [session], "the catalog still says open when the manifest says completed");
  assert.equal(done.completedNs! % 1_000_000n, SUB_MS_NS);
  assert.deepEqual(await catalog.getSessionByUuid(session.uuid), done);
  assert.deepEqual(await readJson(store, sessionManifestKey(seq.uuid, session.ulid)), sessionJson(done));
  // Again: succeeds, changes nothing.
  assert.deepEqual(await lifecycle.finalizeSession(deps, { session: { uuid: session.uuid } }), done);
  assert.deepEqual(await readJson(store, sessionManifestKey(seq.uuid, session.ulid)), sessionJson(done));
  assert.equal((await catalog.getSequence("s"))?.locked, true);
  await assert.rejects(
    lifecycle.createSessionTopic(deps, topicReq("s/gps", session.uuid)),
    new FailedPreconditionError(`Session "s:${session.ulid}" is finalized: no topic can be added`),
  );
});

Deno.test("sessions: topic creation checks the session and the topic's sequence", async () => {
  await using env = await sessionEnv();
  const { deps, store } = env;
  await lifecycle.createSequence(deps, { name: "s", userMetadata: {}, protocol: "v2026" });
  await lifecycle.createSequence(deps, { name: "t", userMetadata: {}, protocol: "v2026" });
  const session = await lifecycle.createSession(deps, { sequence: "s" });
  await assert.rejects(
    lifecycle.createSessionTopic(deps, topicReq("s/imu", crypto.randomUUID())),
    NotFoundError,
  );
  await assert.rejects(
    lifecycle.createSessionTopic(deps, topicReq("t/imu", session.uuid)),
    PermissionDeniedError,
  );
  await assert.rejects(
    lifecycle.createSessionTopic(deps, topicReq("s2/imu", session.uuid)),
    PermissionDeniedError,
    "a sequence-segment check, not a string prefix",
  );
  await assert.rejects(
    lifecycle.requireSession(deps, { sequence: "t", ulid: session.ulid }),
    new NotFoundError(`Cannot find session "t:${session.ulid}"`),
  );
  assert.deepEqual(
    await listKeys(store, "sequences").then((k) => k.filter((x) => x.includes("/topics/"))),
    [],
  );
});

Deno.test("sessions: deleteSession writes tombstones first and enqueues one removal per resource", async () => {
  await using env = await sessionEnv();
  const { deps, catalog, store } = env;
  const seq = await lifecycle.createSequence(deps, { name: "s", userMetadata: {}, protocol: "v2026" });
  const kept = await lifecycle.createSession(deps, { sequence: "s" });
  const keptTopic = await upload(
    deps,
    await lifecycle.createSessionTopic(deps, topicReq("s/kept", kept.uuid)),
    0n,
  );
  const session = await lifecycle.createSession(deps, { sequence: "s" });
  const a = await upload(deps, await lifecycle.createSessionTopic(deps, topicReq("s/a", session.uuid)), 0n);
  const b = await lifecycle.createSessionTopic(deps, topicReq("s/b", session.uuid));
  await lifecycle.finalizeSession(deps, { session: { uuid: kept.uuid } });
  const resources = [
    [a.uuid, topicPrefix(seq.uuid, a.uuid)],
    [b.uuid, topicPrefix(seq.uuid, b.uuid)],
    [session.ulid, sessionPrefix(seq.uuid, session.ulid)],
  ];
  const presentAtTombstone: boolean[] = [];
  const watched = watchPuts(store, async (key) => {
    if (key.startsWith("tombstones/")) {
      presentAtTombstone.push(await catalog.getSessionByUuid(session.uuid) !== null);
    }
  });
  await lifecycle.deleteSession({ ...deps, store: watched }, {
    session: { sequence: "s", ulid: session.ulid },
  });
  assert.deepEqual(presentAtTombstone, [true, true, true], "every tombstone before the catalog deletion");
  for (const [id, prefix] of resources) {
    const body = await readJson(store, tombstoneKey(id)) as Record<string, unknown>;
    assert.deepEqual([body.version, body.kind, body.prefix], [1, "tombstone", prefix]);
  }
  assert.equal(await catalog.getSessionByUuid(session.uuid), null);
  assert.deepEqual((await catalog.listTopics(seq.id)).map((t) => t.name), ["s/kept"]);
  const jobs = await catalog.listJobs();
  const payloads = jobs.map((j) => (j.payload as { resource: { uuid: string; prefix: string } }).resource);
  assert.deepEqual(
    payloads.map((r) => [r.uuid, r.prefix]).sort(),
    resources.map(([id, prefix]) => [id, prefix]).sort(),
  );
  assert.ok(jobs.every((j) => j.kind === "delete_objects"));
  // The objects stay until the jobs run; then nothing of the session is left, the rest untouched.
  assert.ok((await listKeys(store, topicPrefix(seq.uuid, a.uuid))).length > 2);
  assert.deepEqual(await runDueJobs(deps), Array(3).fill("delete_objects:done"));
  for (const [id, prefix] of resources) {
    assert.deepEqual(await listKeys(store, prefix), [], prefix);
    assert.equal(await store.head(tombstoneKey(id)), null);
  }
  assert.ok((await listKeys(store, topicPrefix(seq.uuid, keptTopic.uuid))).length > 2);
  assert.ok(await store.head(sessionManifestKey(seq.uuid, kept.ulid)));
  await assert.rejects(lifecycle.deleteSession(deps, { session: { uuid: session.uuid } }), NotFoundError);
  assert.equal((await catalog.getSequence("s"))?.locked, true, "its other session is completed");
});

Deno.test("sessions: 2026 deletions ignore locks, 0.1.0 ones do not", async () => {
  await using env = await sessionEnv();
  const { deps, catalog } = env;
  await lifecycle.createSequence(deps, { name: "s", userMetadata: {}, protocol: "v2026" });
  const session = await lifecycle.createSession(deps, { sequence: "s" });
  for (const path of ["a", "b"]) {
    await upload(deps, await lifecycle.createSessionTopic(deps, topicReq(`s/${path}`, session.uuid)), 0n);
  }
  await lifecycle.finalizeSession(deps, { session: { uuid: session.uuid } });
  const topic = { topic: normalizeTopicName("s/a") };
  await assert.rejects(lifecycle.deleteTopic(deps, topic), FailedPreconditionError);
  await lifecycle.deleteTopic(deps, { ...topic, ignoreLocks: true });
  assert.equal(await catalog.getTopic("s/a"), null);
  await assert.rejects(lifecycle.deleteSequence(deps, { sequence: "s" }), FailedPreconditionError);
  await lifecycle.deleteSequence(deps, { sequence: "s", ignoreLocks: true });
  assert.equal(await catalog.getSequence("s"), null);
  assert.equal(await catalog.getSessionByUuid(session.uuid), null);
  assert.deepEqual(await runDueJobs(deps), ["delete_objects:done", "delete_objects:done"]);
  assert.deepEqual(await listKeys(env.store, "sequences"), []);
});
