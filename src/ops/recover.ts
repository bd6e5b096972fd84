/**
 * Start-up recovery: deletions cut short by a crash are completed. A deletion writes a tombstone, drops
 * the catalog row, removes the objects, then the tombstone (`lifecycle/deps.ts`); a tombstone whose
 * resource is no longer in the catalog therefore marks objects that are garbage by the client's own
 * request. Tombstones of resources still in the catalog (the crash came before the catalog step) are
 * withdrawn: that deletion did not happen. Safe with several daemons: removing objects twice is harmless.
 *
 * @module
 */
import type { Catalog } from "../catalog/catalog.ts";
import type { Logger } from "../log.ts";
import { parseStoreKey, TOMBSTONES_PREFIX } from "../model/store_layout.ts";
import type { ObjectStore } from "../store/store.ts";
import { readManifestJson } from "./_manifest_json.ts";

/** Completes interrupted deletions; returns how many. Failures are logged, never thrown. */
export async function completeDeletions(
  deps: { catalog: Catalog; store: ObjectStore; log: Logger },
): Promise<number> {
  const { catalog, store, log } = deps;
  let completed = 0;
  for await (const { key } of store.list(TOMBSTONES_PREFIX)) {
    const k = parseStoreKey(key);
    if (k.kind !== "tombstone") continue;
    const uuid = k.resource;
    try {
      if (await catalog.getSequenceByUuid(uuid) || await catalog.getTopicByUuid(uuid)) {
        // The deletion never reached the catalog (a crash or a failure right after the tombstone):
        // the resource lives on, and a stale tombstone would keep a rebuild from restoring it.
        await store.delete(key);
        log.info("withdrew the tombstone of a deletion that did not happen", { key });
        continue;
      }
      const { prefix } = await readManifestJson(store, key) as { prefix?: unknown };
      if (typeof prefix !== "string" || !prefix.startsWith("sequences/") || !prefix.includes(uuid)) {
        log.warn("ignoring a malformed tombstone", { key });
        continue;
      }
      const removed = await store.deletePrefix(prefix);
      await store.delete(key);
      completed++;
      log.info("completed an interrupted deletion", { prefix, removed });
    } catch (err) {
      log.warn("cannot complete an interrupted deletion", { key, err });
    }
  }
  return completed;
}
