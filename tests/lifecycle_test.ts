/**
 * Sequence and topic lifecycle over real catalogs (PGlite and PostgreSQL) and a real store: what the
 * DoAction handlers rely on, including the order of checks, manifests in the store, and cleanup.
 */
import assert from "node:assert/strict";
import { freshPgliteCatalog, freshPostgresCatalog } from "./_postgres.ts";
import type { Catalog } from "../src/catalog/catalog.ts";
import { FsStore } from "../src/store/fs_store.ts";
import { silentLogger } from "../src/log.ts";
import * as lifecycle from "../src/lifecycle/mod.ts";
import { runDueJobs } from "./_session_env.ts";
import { tombstoneKey } from "../src/model/store_layout.ts";
import type { LifecycleDeps } from "../src/lifecycle/mod.ts";
import { normalizeTopicName } from "../src/model/locator.ts";
import {
  sequenceManifestKey,
  sequencePrefix,
  sessionManifestKey,
  topicManifestKey,
} from "../src/model/store_layout.ts";
import {
  AlreadyExistsError,
  FailedPreconditionError,
  NotFoundError,
  PermissionDeniedError,
} from "../src/errors.ts";

async function withDeps(makeCatalog: () => Promise<Catalog>, fn: (deps: LifecycleDeps) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "mosaicod-lifecycle-" });
  const catalog = await makeCatalog();
  const store = await FsStore.open(dir, { log: silentLogger() });
  let clock = 1_765_000_000_123;
  try {
    await fn({ catalog, store, log: silentLogger(), now: () => clock++ });
  } finally {
    await catalog.close();
    await store[Symbol.asyncDispose]();
    await Deno.remove(dir, { recursive: true });
  }
}

async function readJson(deps: LifecycleDeps, key: string): Promise<unknown> {
  return JSON.parse(new TextDecoder().decode(await deps.store.get(key)));
}

async function keys(deps: LifecycleDeps, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const o of deps.store.list(prefix)) out.push(o.key);
  return out;
}

const topicReq = (name: string, sequenceKey: string) => ({
  topic: normalizeTopicName(name),
  sequenceKey,
  serializationFormat: "default" as const,
  ontologyTag: "imu",
  userMetadata: { sensor: { id: "front", rate_hz: 200 } },
});

for (
  const [driver, makeCatalog] of [["pglite", freshPgliteCatalog], ["postgres", freshPostgresCatalog]] as const
) {
  Deno.test(`lifecycle (${driver}): create writes the manifest first and refuses duplicates`, async () => {
    await withDeps(makeCatalog, async (deps) => {
      const seq = await lifecycle.createSequence(deps, { name: "run_01", userMetadata: { "ключ": "值" } });
      assert.deepEqual(await readJson(deps, sequenceManifestKey(seq.uuid)), {
        version: 2,
        kind: "sequence",
        uuid: seq.uuid,
        name: "run_01",
        created_ms: seq.createdMs,
        created_ns: String(seq.createdNs),
        user_metadata: { "ключ": "值" },
        locked: false,
      });
      assert.equal(seq.createdNs, BigInt(seq.createdMs) * 1_000_000n, "the deps' clock, in ms");
      // A 0.1.0 sequence comes with its implicit session, whose manifest is written too.
      const session = (await deps.catalog.getSessionByUuid(seq.uuid))!;
      assert.deepEqual(await readJson(deps, sessionManifestKey(seq.uuid, session.ulid)), {
        version: 2,
        kind: "session",
        uuid: seq.uuid,
        ulid: session.ulid,
        sequence_uuid: seq.uuid,
        created_ns: String(seq.createdNs),
        completed_ns: null,
      });
      await assert.rejects(
        lifecycle.createSequence(deps, { name: "run_01", userMetadata: {} }),
        AlreadyExistsError,
      );
      assert.equal((await keys(deps, "sequences")).length, 2, "no orphan manifest from the refused create");
    });
  });

  Deno.test(`lifecycle (${driver}): topic_create checks existence, key, lock and parent in that order`, async () => {
    await withDeps(makeCatalog, async (deps) => {
      const seq = await lifecycle.createSequence(deps, { name: "s", userMetadata: {} });
      const other = await lifecycle.createSequence(deps, { name: "t", userMetadata: {} });
      const topic = await lifecycle.createTopic(deps, topicReq("s/front/imu", seq.uuid));
      assert.ok(await deps.store.head(topicManifestKey(seq.uuid, topic.uuid)));
      await assert.rejects(
        lifecycle.createTopic(deps, topicReq("s/front/imu", seq.uuid)),
        AlreadyExistsError,
      );
      await assert.rejects(
        lifecycle.createTopic(deps, topicReq("nope/gps", crypto.randomUUID())),
        NotFoundError,
      );
      await assert.rejects(
        lifecycle.createTopic(deps, topicReq("nope/gps", seq.uuid)),
        PermissionDeniedError,
        "a key for one sequence never writes under another name",
      );
      await assert.rejects(
        lifecycle.createTopic(deps, topicReq("s/gps", crypto.randomUUID())),
        PermissionDeniedError,
        "a key that opens no sequence",
      );
      await assert.rejects(lifecycle.createTopic(deps, topicReq("s/gps", other.uuid)), PermissionDeniedError);
      await lifecycle.createTopic(deps, topicReq("t/gps", other.uuid));
    });
  });

  Deno.test(`lifecycle (${driver}): finalize needs the key and every topic locked; then nothing changes`, async () => {
    await withDeps(makeCatalog, async (deps) => {
      const seq = await lifecycle.createSequence(deps, { name: "s", userMetadata: {} });
      const topic = await lifecycle.createTopic(deps, topicReq("s/imu", seq.uuid));
      await assert.rejects(
        lifecycle.finalizeSequence(deps, { sequence: "s", key: crypto.randomUUID() }),
        PermissionDeniedError,
      );
      await assert.rejects(
        lifecycle.finalizeSequence(deps, { sequence: "s", key: seq.uuid }),
        (err: Error) => err instanceof FailedPreconditionError && /"s\/imu"/.test(err.message),
      );
      await deps.catalog.commitTopic(topic.id, []); // what a completed schema-only upload does
      await lifecycle.finalizeSequence(deps, { sequence: "s", key: seq.uuid });
      // The lock is the completion of the implicit session; the sequence manifest does not change.
      const session = (await deps.catalog.getSessionByUuid(seq.uuid))!;
      assert.notEqual(session.completedNs, null);
      const manifest = await readJson(deps, sessionManifestKey(seq.uuid, session.ulid)) as Record<
        string,
        unknown
      >;
      assert.equal(manifest.completed_ns, String(session.completedNs), "the store records the lock");
      assert.equal(
        (await readJson(deps, sequenceManifestKey(seq.uuid)) as { locked: boolean }).locked,
        false,
      );
      await assert.rejects(
        lifecycle.finalizeSequence(deps, { sequence: "s", key: seq.uuid }),
        FailedPreconditionError,
      );
      await assert.rejects(lifecycle.deleteSequence(deps, { sequence: "s" }), FailedPreconditionError);
      await assert.rejects(
        lifecycle.abortSequence(deps, { sequence: "s", key: seq.uuid }),
        FailedPreconditionError,
      );
      await assert.rejects(lifecycle.createTopic(deps, topicReq("s/gps", seq.uuid)), FailedPreconditionError);
      const info = await lifecycle.sequenceSystemInfo(deps, { sequence: "s" });
      assert.deepEqual(info, await lifecycle.sequenceSystemInfo(deps, { sequence: "s" }), "stable");
      assert.equal(info.locked, true);
    });
  });

  Deno.test(`lifecycle (${driver}): abort and delete remove rows and objects; the name is free again`, async () => {
    await withDeps(makeCatalog, async (deps) => {
      for (const how of ["abort", "delete"] as const) {
        const seq = await lifecycle.createSequence(deps, { name: "s", userMetadata: {} });
        await lifecycle.createTopic(deps, topicReq("s/imu", seq.uuid));
        await lifecycle.createNotification(deps, { on: { sequence: "s" }, notifyType: "error", msg: "boom" });
        if (how === "abort") {
          await assert.rejects(
            lifecycle.abortSequence(deps, { sequence: "s", key: crypto.randomUUID() }),
            PermissionDeniedError,
          );
          await lifecycle.abortSequence(deps, { sequence: "s", key: seq.uuid });
        } else {
          await lifecycle.deleteSequence(deps, { sequence: "s" });
        }
        assert.equal(await deps.catalog.getSequence("s"), null);
        assert.equal(await deps.catalog.getTopic("s/imu"), null);
        assert.deepEqual(await lifecycle.listNotifications(deps, { sequence: "s" }), []);
        // Invisible at once; the objects go with the deletion job, and the tombstone last.
        assert.ok((await keys(deps, sequencePrefix(seq.uuid))).length > 0);
        assert.ok(await deps.store.head(tombstoneKey(seq.uuid)));
        assert.deepEqual(await runDueJobs(deps), ["delete_objects:done"]);
        assert.deepEqual(await keys(deps, sequencePrefix(seq.uuid)), []);
        assert.equal(await deps.store.head(tombstoneKey(seq.uuid)), null);
      }
    });
  });

  Deno.test(`lifecycle (${driver}): topic_delete removes an unlocked topic only`, async () => {
    await withDeps(makeCatalog, async (deps) => {
      const seq = await lifecycle.createSequence(deps, { name: "s", userMetadata: {} });
      const a = await lifecycle.createTopic(deps, topicReq("s/a", seq.uuid));
      const b = await lifecycle.createTopic(deps, topicReq("s/a/b", seq.uuid));
      await lifecycle.deleteTopic(deps, { topic: normalizeTopicName("s/a") });
      assert.equal(await deps.catalog.getTopic("s/a"), null);
      assert.deepEqual(await runDueJobs(deps), ["delete_objects:done"]);
      assert.ok(await deps.catalog.getTopic("s/a/b"), "a nested topic is a different topic");
      assert.equal(await deps.store.head(topicManifestKey(seq.uuid, a.uuid)), null);
      assert.ok(await deps.store.head(topicManifestKey(seq.uuid, b.uuid)));
      await deps.catalog.commitTopic(b.id, []);
      await assert.rejects(
        lifecycle.deleteTopic(deps, { topic: normalizeTopicName("s/a/b") }),
        FailedPreconditionError,
      );
      await assert.rejects(lifecycle.deleteTopic(deps, { topic: normalizeTopicName("s/zz") }), NotFoundError);
    });
  });

  Deno.test(`lifecycle (${driver}): notifications are created, listed and purged per resource`, async () => {
    await withDeps(makeCatalog, async (deps) => {
      const seq = await lifecycle.createSequence(deps, { name: "s", userMetadata: {} });
      await lifecycle.createTopic(deps, topicReq("s/imu", seq.uuid));
      const topic = { topic: normalizeTopicName("s/imu") };
      await lifecycle.createNotification(deps, { on: topic, notifyType: "error", msg: "disk full" });
      await lifecycle.createNotification(deps, { on: { sequence: "s" }, notifyType: "error", msg: "" });
      await assert.rejects(
        lifecycle.createNotification(deps, { on: { sequence: "nope" }, notifyType: "error", msg: "x" }),
        NotFoundError,
      );
      const listed = await lifecycle.listNotifications(deps, topic);
      assert.deepEqual(listed.map((n) => [n.name, n.notifyType, n.msg]), [["s/imu", "error", "disk full"]]);
      await lifecycle.purgeNotifications(deps, topic);
      assert.deepEqual(await lifecycle.listNotifications(deps, topic), []);
      assert.equal(
        (await lifecycle.listNotifications(deps, { sequence: "s" })).length,
        1,
        "other resource kept",
      );
    });
  });
}
