/**
 * Sequence lifecycle: create, finalize, abort, delete. Store first, catalog last: a manifest is
 * written before the catalog row that makes it visible, and objects are removed after the rows.
 *
 * @module
 */
import { crashPoint } from "../crash_points.ts";
import { AlreadyExistsError, FailedPreconditionError, PermissionDeniedError } from "../errors.ts";
import { keysEqual, newKey } from "../model/keys.ts";
import { encodeManifest, sequenceManifest } from "../model/manifests.ts";
import { sequenceManifestKey, sequencePrefix } from "../model/store_layout.ts";
import { compactTopicJob, DEFAULT_JOB_SETTINGS } from "../model/job_payloads.ts";
import type { JsonValue, NewJob, Sequence, Topic } from "../model/types.ts";
import { createWithManifest, deleteWithTombstone, type LifecycleDeps, requireSequence } from "./deps.ts";

/** Creates an unlocked sequence; returns its key (the write token for its topics). */
export async function createSequence(
  deps: LifecycleDeps,
  req: { name: string; userMetadata: JsonValue },
): Promise<Sequence> {
  if (await deps.catalog.getSequence(req.name)) {
    throw new AlreadyExistsError(`Sequence "${req.name}" already exists`);
  }
  const draft = { uuid: newKey(), name: req.name, userMetadata: req.userMetadata, createdMs: deps.now() };
  const manifest = {
    key: sequenceManifestKey(draft.uuid),
    bytes: encodeManifest(sequenceManifest({ ...draft, locked: false })),
  };
  return await createWithManifest(deps, manifest, () => deps.catalog.createSequence(draft));
}

function checkKey(seq: Sequence, key: string): void {
  if (!keysEqual(key, seq.uuid)) throw new PermissionDeniedError(`Wrong key for sequence "${seq.name}"`);
}

/** Locks a sequence whose topics are all locked. */
export async function finalizeSequence(
  deps: LifecycleDeps,
  req: { sequence: string; key: string },
): Promise<void> {
  const seq = await requireSequence(deps, req.sequence);
  checkKey(seq, req.key);
  if (seq.locked) throw new FailedPreconditionError(`Sequence "${seq.name}" is already finalized`);
  const topics = await deps.catalog.listTopics(seq.id);
  const unlocked = topics.filter((t) => !t.locked);
  if (unlocked.length > 0) {
    const names = unlocked.slice(0, 10).map((t) => `"${t.name}"`).join(", ");
    throw new FailedPreconditionError(
      `Cannot finalize sequence "${seq.name}": ${unlocked.length} topic(s) have no completed upload: ${names}`,
    );
  }
  const jobs = await compactionJobs(deps, topics);
  const key = sequenceManifestKey(seq.uuid);
  await deps.store.put(key, encodeManifest(sequenceManifest({ ...seq, locked: true })));
  crashPoint("finalize.before-lock");
  try {
    await deps.catalog.lockSequence(seq.id, { jobs });
  } catch (err) {
    // The catalog refused (e.g. a topic appeared meanwhile): put the manifest back as it was.
    await deps.store.put(key, encodeManifest(sequenceManifest(seq))).catch(() => {});
    throw err;
  }
}

/** Compaction jobs for the topics made of many small chunks (enqueued with the lock). */
async function compactionJobs(deps: LifecycleDeps, topics: readonly Topic[]): Promise<NewJob[]> {
  const settings = deps.jobs ?? DEFAULT_JOB_SETTINGS;
  if (settings.compactMinChunks === 0) return [];
  const jobs: NewJob[] = [];
  for (const topic of topics) {
    const usage = await deps.catalog.topicUsage(topic.id);
    if (
      usage.chunks >= settings.compactMinChunks && usage.sizeBytes / usage.chunks < settings.compactBelowBytes
    ) {
      jobs.push(compactTopicJob(topic.uuid, settings));
    }
  }
  return jobs;
}

/** Removes an unlocked sequence, as the SDK does when an upload fails (needs the key). */
export async function abortSequence(
  deps: LifecycleDeps,
  req: { sequence: string; key: string },
): Promise<void> {
  const seq = await requireSequence(deps, req.sequence);
  checkKey(seq, req.key);
  await removeSequence(deps, seq, { aborted: true });
}

/** Removes an unlocked sequence without a key; finalized sequences are immutable. */
export async function deleteSequence(deps: LifecycleDeps, req: { sequence: string }): Promise<void> {
  await removeSequence(deps, await requireSequence(deps, req.sequence), { aborted: false });
}

async function removeSequence(
  deps: LifecycleDeps,
  seq: Sequence,
  { aborted }: { aborted: boolean },
): Promise<void> {
  if (seq.locked) {
    throw new FailedPreconditionError(`Sequence "${seq.name}" is finalized: it can no longer be deleted`);
  }
  await deleteWithTombstone(
    deps,
    { uuid: seq.uuid, prefix: sequencePrefix(seq.uuid) },
    (job) => deps.catalog.deleteSequence(seq.id, { requireUnlocked: true, job, aborted }),
  );
}
