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
 * Removes objects after their catalog rows are gone. A failure here leaves only orphans (invisible,
 * removable by `verify --repair`), so it is logged rather than failing the client's call.
 */
export async function removeObjects(deps: LifecycleDeps, prefix: string): Promise<void> {
  try {
    const removed = await deps.store.deletePrefix(prefix);
    deps.log.debug("objects removed", { prefix, removed });
  } catch (err) {
    deps.log.warn("cannot remove objects; they are orphans now", { prefix, err });
  }
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
