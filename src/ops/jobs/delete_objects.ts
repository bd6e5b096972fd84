/**
 * The `delete_objects` job: the deferred half of a deletion. For a deleted sequence or topic, removes
 * everything under its prefix, then its tombstone; for individual objects (the chunks a compaction
 * replaced), removes each one the catalog no longer references. Idempotent: removing twice is harmless.
 *
 * @module
 */
import type { Catalog } from "../../catalog/catalog.ts";
import type { Logger } from "../../log.ts";
import { parseDeleteObjects } from "../../model/job_payloads.ts";
import type { JsonValue } from "../../model/types.ts";
import type { ObjectStore } from "../../store/store.ts";
import { crashPoint } from "../../crash_points.ts";
import { resourceInCatalog } from "../_resources.ts";

export async function deleteObjects(
  deps: { catalog: Catalog; store: ObjectStore },
  payload: JsonValue,
  ctx: { signal: AbortSignal; log: Logger },
): Promise<void> {
  const { catalog, store } = deps;
  const p = parseDeleteObjects(payload);
  if (p.resource) {
    const { uuid, prefix, tombstone } = p.resource;
    if (await resourceInCatalog(catalog, uuid)) {
      // Cannot happen for a job enqueued by its deletion; a hand-made or re-enqueued job must not
      // remove what the catalog shows.
      ctx.log.warn("not removing the objects of a resource the catalog still holds", { prefix });
    } else {
      crashPoint("job.delete-objects");
      const removed = await store.deletePrefix(prefix);
      ctx.log.info("objects of a deleted resource removed", { prefix, removed });
    }
    ctx.signal.throwIfAborted();
    await store.delete(tombstone);
  }
  if (p.keys && p.keys.length > 0) {
    const parquetOf = (key: string) => key.replace(/\.json$/, ".parquet");
    const referenced = await catalog.referencedChunkKeys([...new Set(p.keys.map(parquetOf))]);
    let removed = 0;
    for (const key of p.keys) {
      ctx.signal.throwIfAborted();
      if (referenced.has(parquetOf(key))) continue;
      await store.delete(key);
      removed++;
    }
    ctx.log.info("replaced objects removed", { removed, kept: p.keys.length - removed });
  }
}
