/**
 * The `refresh_stats` job: recomputes the per-column statistics of a topic's chunks recorded with an
 * older statistics format ({@link CHUNK_STATS_VERSION}), from the chunk files themselves. For each chunk,
 * the manifest is rewritten first (the store is the truth), then the catalog's statistics and version in
 * one transaction. Start-up enqueues one job per topic that needs it; idempotent.
 *
 * @module
 */
import type { ChunkDecoder } from "../../arrow/parquet_pool.ts";
import { computeColumnStats } from "../../arrow/stats.ts";
import type { Catalog } from "../../catalog/catalog.ts";
import type { Logger } from "../../log.ts";
import { parseTopicPayload, refreshStatsJob } from "../../model/job_payloads.ts";
import { CHUNK_STATS_VERSION, chunkManifest, encodeManifest } from "../../model/manifests.ts";
import { chunkManifestKey } from "../../model/store_layout.ts";
import type { JsonValue } from "../../model/types.ts";
import type { ObjectStore } from "../../store/store.ts";

export interface RefreshStatsDeps {
  catalog: Catalog;
  store: ObjectStore;
  decoder: ChunkDecoder;
}

/** Refreshes the outdated statistics of the topic the payload names; returns how many chunks. */
export async function refreshStats(
  deps: RefreshStatsDeps,
  payload: JsonValue,
  ctx: { signal: AbortSignal; log: Logger },
): Promise<number> {
  const { catalog, store, decoder } = deps;
  const topic = await catalog.getTopicByUuid(parseTopicPayload(payload));
  if (!topic) return 0;
  const chunks = await catalog.chunksWithStatsBefore(topic.id, CHUNK_STATS_VERSION);
  for (const chunk of chunks) {
    ctx.signal.throwIfAborted();
    const batches = await decoder.decode(await store.get(chunk.key, { signal: ctx.signal }));
    const stats = computeColumnStats(batches);
    const key = chunkManifestKey(topic.sequenceUuid, topic.uuid, chunk.index, chunk.uuid);
    await store.put(key, encodeManifest(chunkManifest({ ...chunk, stats }, topic.uuid)));
    await catalog.replaceChunkStats(chunk.id, stats, CHUNK_STATS_VERSION);
  }
  if (chunks.length > 0) {
    ctx.log.info("chunk statistics refreshed", { topic: topic.name, chunks: chunks.length });
  }
  return chunks.length;
}

/** Enqueues a refresh for every topic with outdated statistics; returns how many topics. */
export async function enqueueStatsRefresh(catalog: Catalog, opts: { maxAttempts: number }): Promise<number> {
  const topics = await catalog.topicsWithStatsBefore(CHUNK_STATS_VERSION);
  for (const uuid of topics) await catalog.enqueueJob(refreshStatsJob(uuid, opts));
  return topics.length;
}
