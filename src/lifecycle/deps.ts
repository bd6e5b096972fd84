/**
 * What the lifecycle operations need, and the small helpers they share.
 *
 * @module
 */
import type { Catalog } from "../catalog/catalog.ts";
import type { ObjectStore } from "../store/store.ts";
import type { Logger } from "../log.ts";
import type { Sequence, Topic } from "../model/types.ts";
import { NotFoundError } from "../errors.ts";
import { crashPoint } from "../crash_points.ts";
import { tombstoneKey } from "../model/store_layout.ts";

export interface LifecycleDeps {
  catalog: Catalog;
  store: ObjectStore;
  log: Logger;
  /** Milliseconds since the epoch; injected so tests can fix the clock. */
  now: () => number;
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
 * Deletes a sequence or topic: a tombstone in the store first, then the catalog row (`deleteRow`, which
 * may refuse, e.g. because the resource got locked meanwhile: the tombstone is then withdrawn), then its
 * objects, then the tombstone. The tombstone stays whenever objects may be left: after a crash, or when
 * removing them failed (the call then fails too). A rebuild never brings tombstoned objects back, and the
 * daemon completes such deletions when it starts (`ops/recover.ts`).
 */
export async function deleteWithTombstone(
  deps: LifecycleDeps,
  resource: { uuid: string; prefix: string },
  deleteRow: () => Promise<unknown>,
): Promise<void> {
  const tombstone = tombstoneKey(resource.uuid);
  const body = JSON.stringify({ version: 1, kind: "tombstone", prefix: resource.prefix });
  await deps.store.put(tombstone, new TextEncoder().encode(body));
  try {
    await deleteRow();
  } catch (err) {
    // NOT_FOUND: another delete of the same resource won and still needs the tombstone.
    if (!(err instanceof NotFoundError)) await deps.store.delete(tombstone).catch(() => {});
    throw err;
  }
  crashPoint("delete.after-catalog");
  const removed = await deps.store.deletePrefix(resource.prefix); // on failure the tombstone stays
  deps.log.debug("objects removed", { prefix: resource.prefix, removed });
  await deps.store.delete(tombstone).catch((err) => {
    deps.log.warn("cannot remove a tombstone; the daemon removes it when it next starts", {
      key: tombstone,
      err,
    });
  });
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
