/**
 * The end of an upload: manifests, then the one catalog commit that makes the chunks visible and locks
 * the topic; and the undo of a failed upload. Objects are written before the manifests that describe
 * them, manifests before the catalog, so a crash at any point leaves only orphans or a complete topic.
 *
 * @module
 */
import { crashPoint } from "../crash_points.ts";
import { FailedPreconditionError, NotFoundError } from "../errors.ts";
import { chunkManifest, encodeManifest, topicManifest } from "../model/manifests.ts";
import { chunkManifestKey, topicManifestKey } from "../model/store_layout.ts";
import type { NewChunk, Topic } from "../model/types.ts";
import type { ObjectStore } from "../store/store.ts";
import type { IngestDeps } from "./upload.ts";
import { wallClockNs } from "../model/time.ts";

/** How many manifests are written at once. */
const MANIFEST_WRITES = 8;

/** What an upload has done to the store so far, for its undo. */
export interface UploadEffects {
  /** Every object key, recorded before it is written. */
  written: string[];
  /** The topic manifest may have been replaced. */
  topicManifestReplaced: boolean;
  /** The catalog commit failed in a way that may still have taken effect: objects must stay. */
  commitUnknown: boolean;
}

/**
 * Writes the chunk manifests and the locked topic manifest, then commits the chunks and locks the
 * topic in one catalog transaction. Returns the locked topic.
 * @throws the store's or the catalog's error (e.g. FailedPreconditionError: the topic was locked by
 *   another upload); `effects.commitUnknown` then says whether the commit may have happened anyway.
 */
export async function commitUpload(
  deps: IngestDeps,
  topic: Topic,
  chunks: NewChunk[],
  opts: { signal: AbortSignal; effects: UploadEffects },
): Promise<Topic> {
  const { effects } = opts;
  const { store } = deps;
  await writeChunkManifests(store, topic, chunks, { signal: opts.signal, written: effects.written });
  const completedNs = (deps.nowNs ?? wallClockNs)();
  const manifest = topicManifest({ ...topic, locked: true, completedNs }, chunks.map((c) => c.uuid));
  effects.topicManifestReplaced = true;
  await store.put(topicManifestKey(topic.sequenceUuid, topic.uuid), encodeManifest(manifest), {
    signal: opts.signal,
  });
  // The last point where a cancellation is honoured: the commit is one short transaction, never interrupted.
  opts.signal.throwIfAborted();
  crashPoint("ingest.before-commit");
  try {
    const committed = await deps.catalog.commitTopic(topic.id, chunks, completedNs);
    crashPoint("ingest.after-commit");
    return committed;
  } catch (err) {
    if (err instanceof FailedPreconditionError || err instanceof NotFoundError) throw err; // rolled back
    const committed = await wasCommitted(deps, topic, chunks);
    effects.commitUnknown = committed === null;
    if (!committed) throw err;
    deps.log.warn("commit reported an error but took effect", { topic: topic.name, err });
    return { ...topic, locked: true, completedNs };
  }
}

/** Writes the manifest of every chunk, a few at once; records each key in `written` before writing it. */
export async function writeChunkManifests(
  store: ObjectStore,
  topic: Topic,
  chunks: readonly NewChunk[],
  opts: { signal: AbortSignal; written: string[] },
): Promise<void> {
  const pending = chunks.slice();
  const writeNext = async (): Promise<void> => {
    for (let c = pending.shift(); c; c = pending.shift()) {
      const key = chunkManifestKey(topic.sequenceUuid, topic.uuid, c.index, c.uuid);
      opts.written.push(key);
      await store.put(key, encodeManifest(chunkManifest(c, topic.uuid)), { signal: opts.signal });
    }
  };
  await Promise.all(Array.from({ length: Math.min(MANIFEST_WRITES, chunks.length) }, writeNext));
}

/** Whether the catalog holds this upload's commit; null when the catalog cannot be asked. */
async function wasCommitted(deps: IngestDeps, topic: Topic, chunks: NewChunk[]): Promise<boolean | null> {
  try {
    const now = await deps.catalog.getTopicByUuid(topic.uuid);
    if (!now?.locked) return false;
    if (chunks.length === 0) return true; // locked without chunks: the same end state either way
    const stored = await deps.catalog.listChunks(now.id);
    return stored.some((c) => c.uuid === chunks[0].uuid);
  } catch (err) {
    deps.log.warn("cannot check the outcome of a failed commit", { topic: topic.name, err });
    return null;
  }
}

/**
 * Undoes a failed upload's store side: removes the objects it wrote, and puts the topic manifest back
 * in line with the catalog if it was replaced. Failures are logged, not thrown: what is left is orphans
 * (never visible: the catalog does not know them), and the caller is already reporting an error.
 */
export async function undoUpload(deps: IngestDeps, topic: Topic, effects: UploadEffects): Promise<void> {
  if (effects.commitUnknown) {
    // Removing the objects could leave a committed chunk without its file. Left as they are, the store
    // describes a complete, locked topic: `verify` or a catalog rebuild settles it.
    deps.log.warn("upload commit outcome unknown; its objects are kept", { topic: topic.name });
    return;
  }
  const results = await Promise.allSettled(effects.written.map((key) => deps.store.delete(key)));
  const failed = results.filter((r) => r.status === "rejected").length;
  if (failed > 0) {
    const err = results.find((r) => r.status === "rejected")?.reason;
    deps.log.warn("cannot remove objects of a failed upload; they are orphans now", {
      topic: topic.name,
      failed,
      err,
    });
  }
  if (effects.topicManifestReplaced) await restoreTopicManifest(deps, topic);
}

/** Rewrites the topic manifest from the catalog's view of the topic. */
async function restoreTopicManifest(deps: IngestDeps, topic: Topic): Promise<void> {
  try {
    const now = await deps.catalog.getTopicByUuid(topic.uuid);
    if (!now) return; // deleted meanwhile: its objects go with it
    const uuids = now.locked ? (await deps.catalog.listChunks(now.id)).sort((a, b) => a.index - b.index) : [];
    const manifest = topicManifest(now, uuids.map((c) => c.uuid));
    await deps.store.put(topicManifestKey(now.sequenceUuid, now.uuid), encodeManifest(manifest));
  } catch (err) {
    deps.log.warn("cannot restore the topic manifest of a failed upload", { topic: topic.name, err });
  }
}
