/**
 * Sequence lifecycle: create, finalize, abort, delete. Store first, catalog last: a manifest is
 * written before the catalog row that makes it visible, and objects are removed after the rows.
 *
 * A 0.1.0 sequence is created with its implicit session (uuid = the sequence key), which
 * `sequence_finalize` completes and `sequence_abort` deletes with the sequence; a 2026 sequence starts
 * without sessions (protocol 2026, section 15).
 *
 * @module
 */
import { crashPoint } from "../crash_points.ts";
import { AlreadyExistsError, FailedPreconditionError, PermissionDeniedError } from "../errors.ts";
import { keysEqual, newKey } from "../model/keys.ts";
import { encodeManifest, sequenceManifest, sessionManifest } from "../model/manifests.ts";
import { sequenceManifestKey, sequencePrefix, sessionManifestKey } from "../model/store_layout.ts";
import type { JsonValue, Sequence } from "../model/types.ts";
import { newUlid } from "../model/ulid.ts";
import { compactionJobs } from "./_compaction.ts";
import {
  createWithManifest,
  deleteWithTombstone,
  type LifecycleDeps,
  nowNs,
  requireSequence,
} from "./deps.ts";

/**
 * Creates a sequence; returns it (its uuid is the 0.1.0 sequence key). `protocol` "v1" gives it the
 * implicit session of a 0.1.0 upload; "v2026" creates it without sessions.
 */
export async function createSequence(
  deps: LifecycleDeps,
  req: { name: string; userMetadata: JsonValue; protocol?: "v1" | "v2026" },
): Promise<Sequence> {
  if (await deps.catalog.getSequence(req.name)) {
    throw new AlreadyExistsError(`Sequence "${req.name}" already exists`);
  }
  const createdNs = nowNs(deps);
  const createdMs = Number(createdNs / 1_000_000n);
  const draft = { uuid: newKey(), name: req.name, userMetadata: req.userMetadata, createdNs };
  const implicit = (req.protocol ?? "v1") === "v1"
    ? { uuid: draft.uuid, ulid: newUlid(createdMs), sequenceUuid: draft.uuid, createdNs, completedNs: null }
    : null;
  // The implicit session's manifest first: a sequence manifest never names a session the store lacks.
  if (implicit) {
    await deps.store.put(
      sessionManifestKey(draft.uuid, implicit.ulid),
      encodeManifest(sessionManifest(implicit)),
    );
  }
  const manifest = {
    key: sequenceManifestKey(draft.uuid),
    bytes: encodeManifest(sequenceManifest({ ...draft, createdMs })),
  };
  try {
    return await createWithManifest(
      deps,
      manifest,
      () => deps.catalog.createSequence({ ...draft, implicitSessionUlid: implicit?.ulid }),
    );
  } catch (err) {
    if (implicit) await deps.store.delete(sessionManifestKey(draft.uuid, implicit.ulid)).catch(() => {});
    throw err;
  }
}

function checkKey(seq: Sequence, key: string): void {
  if (!keysEqual(key, seq.uuid)) throw new PermissionDeniedError(`Wrong key for sequence "${seq.name}"`);
}

/** Locks a 0.1.0 sequence whose topics are all locked (completes its implicit session). */
export async function finalizeSequence(
  deps: LifecycleDeps,
  req: { sequence: string; key: string },
): Promise<void> {
  const seq = await requireSequence(deps, req.sequence);
  checkKey(seq, req.key);
  const session = await deps.catalog.getSessionByUuid(seq.uuid);
  if (!session) {
    throw new FailedPreconditionError(
      `Sequence "${seq.name}" has no 0.1.0 upload session: finalize its sessions with session_finalize`,
    );
  }
  if (session.completedNs !== null) {
    throw new FailedPreconditionError(`Sequence "${seq.name}" is already finalized`);
  }
  const topics = await deps.catalog.listSessionTopics(session.id);
  const unlocked = topics.filter((t) => !t.locked);
  if (unlocked.length > 0) {
    const names = unlocked.slice(0, 10).map((t) => `"${t.name}"`).join(", ");
    throw new FailedPreconditionError(
      `Cannot finalize sequence "${seq.name}": ${unlocked.length} topic(s) have no completed upload: ${names}`,
    );
  }
  const jobs = await compactionJobs(deps, topics);
  const completedNs = nowNs(deps);
  const key = sessionManifestKey(seq.uuid, session.ulid);
  await deps.store.put(key, encodeManifest(sessionManifest({ ...session, completedNs })));
  crashPoint("finalize.before-lock");
  try {
    await deps.catalog.lockSequence(seq.id, { jobs, completedNs });
  } catch (err) {
    // The catalog refused (e.g. a topic appeared meanwhile): put the manifest back as it was.
    await deps.store.put(key, encodeManifest(sessionManifest(session))).catch(() => {});
    throw err;
  }
}

/** Removes an unlocked sequence, as the SDK does when an upload fails (needs the key). */
export async function abortSequence(
  deps: LifecycleDeps,
  req: { sequence: string; key: string },
): Promise<void> {
  const seq = await requireSequence(deps, req.sequence);
  checkKey(seq, req.key);
  await removeSequence(deps, seq, { aborted: true, ignoreLocks: false });
}

/**
 * Removes a sequence with everything in it. The 0.1.0 protocol refuses a finalized (locked) sequence;
 * the 2026 protocol deletes in any state (`ignoreLocks`).
 */
export async function deleteSequence(
  deps: LifecycleDeps,
  req: { sequence: string; ignoreLocks?: boolean },
): Promise<void> {
  const seq = await requireSequence(deps, req.sequence);
  await removeSequence(deps, seq, { aborted: false, ignoreLocks: req.ignoreLocks ?? false });
}

async function removeSequence(
  deps: LifecycleDeps,
  seq: Sequence,
  { aborted, ignoreLocks }: { aborted: boolean; ignoreLocks: boolean },
): Promise<void> {
  if (seq.locked && !ignoreLocks) {
    throw new FailedPreconditionError(`Sequence "${seq.name}" is finalized: it can no longer be deleted`);
  }
  await deleteWithTombstone(
    deps,
    { uuid: seq.uuid, prefix: sequencePrefix(seq.uuid) },
    (job) => deps.catalog.deleteSequence(seq.id, { requireUnlocked: !ignoreLocks, job, aborted }),
  );
}
