/**
 * Start-up recovery of deletions. A deletion writes a tombstone, then in one catalog transaction drops the
 * row and enqueues the job that removes the objects (`lifecycle/deps.ts`). At start-up, for every
 * tombstone:
 * - its resource is still in the catalog and the tombstone is older than {@link STALE_TOMBSTONE_MS}: the
 *   deletion never reached the catalog (a crash or a failure right after the tombstone), so the tombstone
 *   is withdrawn: a stale one would keep a rebuild from restoring the resource (a younger one may be a
 *   deletion another daemon is committing now);
 * - its resource is gone and no deletion job is active for it (the catalog was lost and rebuilt, or the
 *   job was cancelled): the job is enqueued again, due when the tombstone says (the retention holds).
 * Safe with several daemons: the job's dedupe key admits one, and removing objects twice is harmless.
 *
 * @module
 */
import type { Catalog } from "../catalog/catalog.ts";
import type { Logger } from "../log.ts";
import { deleteResourceJob, deletionDedupeKey } from "../model/job_payloads.ts";
import { parseStoreKey, TOMBSTONES_PREFIX } from "../model/store_layout.ts";
import type { ObjectStore } from "../store/store.ts";
import { readManifestJson } from "./_manifest_json.ts";
import { resourceInCatalog } from "./_resources.ts";

/**
 * A tombstone whose resource is still in the catalog is withdrawn only when older than this: a younger
 * one may belong to a deletion that another daemon is committing right now.
 */
export const STALE_TOMBSTONE_MS = 10 * 60_000;

/** Withdraws stale tombstones and re-enqueues lost deletion jobs; returns how many it enqueued. */
export async function recoverDeletions(
  deps: { catalog: Catalog; store: ObjectStore; log: Logger; maxAttempts: number; now?: () => number },
): Promise<number> {
  const { catalog, store, log } = deps;
  const now = deps.now ?? Date.now;
  let enqueued = 0;
  for await (const { key } of store.list(TOMBSTONES_PREFIX)) {
    const k = parseStoreKey(key);
    if (k.kind !== "tombstone") continue;
    const uuid = k.resource;
    try {
      const body = await readManifestJson(store, key) as {
        prefix?: unknown;
        created_ms?: unknown;
        delete_after_ms?: unknown;
      };
      if (await resourceInCatalog(catalog, uuid)) {
        // Young: another daemon may be between the tombstone and its catalog commit.
        const created = typeof body.created_ms === "number" ? body.created_ms : 0;
        if (now() - created < STALE_TOMBSTONE_MS) continue;
        await store.delete(key);
        log.info("withdrew the tombstone of a deletion that did not happen", { key });
        continue;
      }
      if (await catalog.hasActiveJob(deletionDedupeKey(uuid))) continue;
      const prefix = body.prefix;
      if (typeof prefix !== "string" || !prefix.startsWith("sequences/") || !prefix.includes(uuid)) {
        log.warn("ignoring a malformed tombstone", { key });
        continue;
      }
      const after = typeof body.delete_after_ms === "number" ? body.delete_after_ms : 0;
      await catalog.enqueueJob(deleteResourceJob({ uuid, prefix, tombstone: key }, {
        maxAttempts: deps.maxAttempts,
        delayMs: Math.max(0, after - now()),
      }));
      enqueued++;
      log.info("re-enqueued the removal of a deleted resource's objects", { prefix });
    } catch (err) {
      log.warn("cannot recover a deletion", { key, err });
    }
  }
  return enqueued;
}
