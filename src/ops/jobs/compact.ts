/**
 * The `compact_topic` job (the reference daemon's "store optimizer"): a locked topic made of many small
 * chunks is read back in `timestamp_ns` order (the DoGet path, merging where chunks overlap) and written
 * again as fewer, larger, sorted chunks (the DoPut chunk writer).
 *
 * Order of effects, as for an upload: new chunk files, their manifests, the topic manifest listing the new
 * chunks (the store's switch), then one catalog transaction that swaps the chunk rows and enqueues the
 * removal of the old objects after a grace period, so that reads planned before the switch can finish.
 * Readers see the old chunks or the new ones, never a mix. Any failure before the switch removes what
 * the attempt wrote and puts the topic manifest back; a crash leaves that to the next attempt, which
 * starts by making the store agree with the catalog again.
 *
 * @module
 */
import { decodeEncapsulatedSchema } from "../../arrow/ipc.ts";
import type { ChunkDecoder } from "../../arrow/parquet_pool.ts";
import type { Catalog, JobFence } from "../../catalog/catalog.ts";
import { crashPoint } from "../../crash_points.ts";
import { stripSchemaMetadata, writeChunkManifests, writeChunks } from "../../ingest/mod.ts";
import type { Logger } from "../../log.ts";
import { deleteKeysJob, parseTopicPayload } from "../../model/job_payloads.ts";
import { awaitsRemoval, pendingWork } from "../_pending.ts";
import { encodeManifest, topicManifest } from "../../model/manifests.ts";
import { chunkManifestKey, parseStoreKey, topicManifestKey, topicPrefix } from "../../model/store_layout.ts";
import type { Chunk, JsonValue, NewChunk, Topic } from "../../model/types.ts";
import { openTopicRead } from "../../read/mod.ts";
import type { ObjectStore } from "../../store/store.ts";
import { readManifestJson } from "../_manifest_json.ts";

export interface CompactDeps {
  catalog: Catalog;
  store: ObjectStore;
  decoder: ChunkDecoder;
  /** Arrow bytes per new chunk (the daemon's `--chunk-bytes`). */
  chunkTargetBytes: number;
  rowGroupBytes: number;
  /** The replaced chunks are removed this long after the switch. */
  graceMs: number;
  maxAttempts: number;
}

export interface CompactResult {
  before: number;
  after: number;
  rows: number;
}

/**
 * Compacts the topic the payload names; null when there was nothing to do (gone, not in a finalized
 * sequence, fewer than 2 chunks).
 */
export async function compactTopic(
  deps: CompactDeps,
  payload: JsonValue,
  ctx: { signal: AbortSignal; log: Logger; fence?: JobFence },
): Promise<CompactResult | null> {
  const { catalog, store } = deps;
  const { signal, log } = ctx;
  const topic = await catalog.getTopicByUuid(parseTopicPayload(payload));
  if (!topic || !topic.locked || topic.schemaKey === null) return null;
  // Only finalized sequences: they cannot be deleted, so no deletion races the rewrite.
  if (!(await catalog.getSequenceByUuid(topic.sequenceUuid))?.locked) return null;
  const old = (await catalog.listChunks(topic.id)).sort((a, b) => a.index - b.index);
  if (old.length < 2) return null;
  await agreeWithCatalog(deps, topic, old, log);
  const snapshot = stripSchemaMetadata(
    decodeEncapsulatedSchema(await store.get(topic.schemaKey, { signal })),
  );
  const read = await openTopicRead({ catalog, store, log, decoder: deps.decoder }, {
    topicName: topic.name,
    range: null,
    signal,
  });
  const written: string[] = [];
  let next: NewChunk[] = [];
  try {
    next = await writeChunks(read.batches, {
      store,
      topic,
      schema: snapshot,
      chunkSchema: snapshot,
      chunkTargetBytes: deps.chunkTargetBytes,
      rowGroupBytes: Math.min(deps.rowGroupBytes, deps.chunkTargetBytes),
      signal,
      written,
    });
    const rows = (list: readonly { rowCount: number }[]) => list.reduce((n, c) => n + c.rowCount, 0);
    if (rows(next) !== rows(old)) {
      throw new Error(
        `Compaction of topic "${topic.name}" read ${rows(next)} rows, the catalog has ${rows(old)}`,
      );
    }
    await writeChunkManifests(store, topic, next, { signal, written });
    await writeTopicManifest(store, topic, next);
    crashPoint("compact.before-switch");
    signal.throwIfAborted();
    const oldKeys = old.flatMap((
      c,
    ) => [c.key, chunkManifestKey(topic.sequenceUuid, topic.uuid, c.index, c.uuid)]);
    await catalog.replaceTopicChunks(
      topic.id,
      old.map((c) => c.uuid),
      next,
      deleteKeysJob(oldKeys, { delayMs: deps.graceMs, maxAttempts: deps.maxAttempts }),
      ctx.fence,
    );
    const result = { before: old.length, after: next.length, rows: rows(next) };
    log.info("topic compacted", { topic: topic.name, ...result });
    return result;
  } catch (err) {
    await undo(deps, topic, next, written, log);
    throw err;
  }
}

/** Rewrites the topic manifest to list `chunks` (locked). */
async function writeTopicManifest(store: ObjectStore, topic: Topic, chunks: readonly { uuid: string }[]) {
  const manifest = topicManifest({ ...topic, locked: true }, chunks.map((c) => c.uuid));
  await store.put(topicManifestKey(topic.sequenceUuid, topic.uuid), encodeManifest(manifest));
}

/**
 * After a failed attempt: if the switch did not happen, removes this attempt's objects and puts the topic
 * manifest back. When the catalog cannot say, leaves everything for the next attempt.
 */
async function undo(
  deps: CompactDeps,
  topic: Topic,
  next: readonly NewChunk[],
  written: readonly string[],
  log: Logger,
): Promise<void> {
  try {
    const live = await deps.catalog.listChunks(topic.id);
    if (next.length > 0 && live.some((c) => c.uuid === next[0].uuid)) return; // switched after all
    // Put the manifest back only if it is still the one this attempt wrote: another runner that took
    // the job over may have written its own since.
    const key = topicManifestKey(topic.sequenceUuid, topic.uuid);
    const now = await readManifestJson(deps.store, key).catch(() => null) as { chunks?: string[] } | null;
    if (next.length > 0 && now?.chunks?.join() === next.map((c) => c.uuid).join()) {
      await writeTopicManifest(deps.store, topic, live.sort((a, b) => a.index - b.index));
    }
    await Promise.all(written.map((k) => deps.store.delete(k)));
  } catch (err) {
    log.warn("cannot undo a failed compaction; the next attempt will", { topic: topic.name, err });
  }
}

/**
 * Makes the store agree with the catalog before an attempt: the topic manifest lists the catalog's
 * chunks, and chunk objects of earlier attempts that never switched are removed (not those awaiting
 * their deferred removal: reads may still use them).
 */
async function agreeWithCatalog(deps: CompactDeps, topic: Topic, chunks: readonly Chunk[], log: Logger) {
  const { store, catalog } = deps;
  const key = topicManifestKey(topic.sequenceUuid, topic.uuid);
  const manifest = await readManifestJson(store, key).catch(() => null) as { chunks?: string[] } | null;
  if (manifest?.chunks?.join() !== chunks.map((c) => c.uuid).join()) {
    log.warn("topic manifest disagrees with the catalog (an earlier attempt stopped); restoring it", {
      topic: topic.name,
    });
    await writeTopicManifest(store, topic, chunks);
  }
  const live = new Set(chunks.map((c) => c.uuid));
  const pending = await pendingWork(catalog);
  for await (const { key: object } of store.list(`${topicPrefix(topic.sequenceUuid, topic.uuid)}/chunks`)) {
    const k = parseStoreKey(object);
    if (
      (k.kind === "chunk" || k.kind === "chunk-manifest") && !live.has(k.chunk) &&
      !awaitsRemoval(pending, object)
    ) {
      await store.delete(object);
      log.info("removed an object of an earlier compaction attempt", { key: object });
    }
  }
}
