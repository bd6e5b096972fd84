/**
 * What the lifecycle operations need, and the small helpers they share.
 *
 * @module
 */
import type { Catalog } from "../catalog/catalog.ts";
import type { ObjectStore } from "../store/store.ts";
import type { Logger } from "../log.ts";
import type { Sequence, Topic } from "../model/types.ts";
import { NotFoundError, UnavailableError } from "../errors.ts";
import { crashPoint } from "../crash_points.ts";
import { tombstoneKey } from "../model/store_layout.ts";
import { DEFAULT_JOB_SETTINGS, deleteResourceJob, type JobSettings } from "../model/job_payloads.ts";
import type { NewJob } from "../model/types.ts";

export interface LifecycleDeps {
  catalog: Catalog;
  store: ObjectStore;
  log: Logger;
  /** Milliseconds since the epoch; injected so tests can fix the clock. */
  now: () => number;
  /** Nanoseconds since the epoch (default: `now()` × 10^6). */
  nowNs?: () => bigint;
  /** Deferred deletion and compaction (default {@link DEFAULT_JOB_SETTINGS}). */
  jobs?: JobSettings;
}

/** The time now in nanoseconds, from the deps' clock. */
export function nowNs(deps: Pick<LifecycleDeps, "now" | "nowNs">): bigint {
  return deps.nowNs ? deps.nowNs() : BigInt(deps.now()) * 1_000_000n;
}

/** The sequence with that name. @throws NotFoundError */
export async function requireSequence(deps: LifecycleDeps, name: string): Promise<Sequence> {
  const seq = await deps.catalog.getSequence(name);
  if (!seq) throw new NotFoundError(`Cannot find sequence "${name}"`);
  return seq;
}

/** The topic with that full name. @throws NotFoundError */
export async function requireTopic(deps: LifecycleDeps, name: string): Promise<Topic> {
  const topic = await deps.catalog.getTopic(name);
  if (!topic) throw new NotFoundError(`Cannot find topic "${name}"`);
  return topic;
}

/**
 * Deletes a sequence or topic: a tombstone in the store first (saying from when its objects may go), then
 * the catalog transaction (`deleteRow`) that drops the row and enqueues the job that removes the objects
 * after the retention (`ops/jobs/`). The row may refuse to go (e.g. the resource got locked meanwhile): the
 * tombstone is then withdrawn. The resource is invisible as soon as the transaction commits; a crash before
 * it leaves a stale tombstone (withdrawn at start-up), a crash after it a job that some daemon runs. A
 * rebuild never brings tombstoned objects back, and start-up re-enqueues the job if the catalog lost it.
 */
export async function deleteWithTombstone(
  deps: LifecycleDeps,
  resource: { uuid: string; prefix: string },
  deleteRow: (job: NewJob) => Promise<unknown>,
): Promise<void> {
  await deleteWithTombstones(deps, [resource], (jobs) => deleteRow(jobs[0]));
}

/**
 * {@link deleteWithTombstone} for several resources deleted by one catalog transaction (a session and its
 * topics): every tombstone first, then `deleteRows` with one job per resource, in the same order.
 * `uuid` is the resource's id in the store layout (a session's is its ULID).
 */
export async function deleteWithTombstones(
  deps: LifecycleDeps,
  resources: readonly { uuid: string; prefix: string }[],
  deleteRows: (jobs: NewJob[]) => Promise<unknown>,
): Promise<void> {
  const settings = deps.jobs ?? DEFAULT_JOB_SETTINGS;
  const deleteAfterMs = deps.now() + settings.deletionRetentionMs;
  const tombstones = resources.map((r) => tombstoneKey(r.uuid));
  await Promise.all(resources.map((resource, i) => {
    const body = JSON.stringify({
      version: 1,
      kind: "tombstone",
      prefix: resource.prefix,
      created_ms: deps.now(),
      delete_after_ms: deleteAfterMs,
    });
    return deps.store.put(tombstones[i], new TextEncoder().encode(body));
  }));
  const jobs = resources.map((resource, i) =>
    deleteResourceJob({ ...resource, tombstone: tombstones[i] }, {
      maxAttempts: settings.maxAttempts,
      delayMs: settings.deletionRetentionMs,
    })
  );
  try {
    await deleteRows(jobs);
  } catch (err) {
    // NOT_FOUND: another delete of the same resource won and still needs the tombstone. UNAVAILABLE: the
    // commit may have happened (a connection lost during it); a stale tombstone is withdrawn at start-up.
    if (!(err instanceof NotFoundError) && !(err instanceof UnavailableError)) {
      await Promise.all(tombstones.map((t) => deps.store.delete(t).catch(() => {})));
    }
    throw err;
  }
  crashPoint("delete.after-catalog");
}

/**
 * Writes a new resource's manifest, then runs the catalog insert that makes it visible. If the insert
 * fails (a concurrent create won the name, say), the manifest is removed again: no orphan is left.
 */
export async function createWithManifest<T>(
  deps: LifecycleDeps,
  manifest: { key: string; bytes: Uint8Array },
  insert: () => Promise<T>,
): Promise<T> {
  await deps.store.put(manifest.key, manifest.bytes);
  try {
    return await insert();
  } catch (err) {
    await deps.store.delete(manifest.key).catch((e) =>
      deps.log.warn("cannot remove manifest", { key: manifest.key, err: e })
    );
    throw err;
  }
}
