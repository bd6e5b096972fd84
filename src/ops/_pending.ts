/**
 * What active jobs are about to do to the store, for `verify` and compaction: the objects and prefixes
 * that removal jobs will delete (with their tombstones), and the topics being compacted (whose chunk
 * objects change under way).
 *
 * @module
 */
import type { Catalog } from "../catalog/catalog.ts";
import { parseDeleteObjects, parseTopicPayload } from "../model/job_payloads.ts";

export interface PendingWork {
  /** Single objects a removal job will delete (chunks a compaction replaced). */
  keys: Set<string>;
  /** Prefixes of deleted sequences and topics whose objects a removal job will delete. */
  prefixes: string[];
  /** Their tombstones. */
  tombstones: Set<string>;
  /** Uuids of topics with a compaction pending or running. */
  compacting: Set<string>;
}

/** Reads the active removal and compaction jobs; malformed payloads are skipped. */
export async function pendingWork(catalog: Catalog): Promise<PendingWork> {
  const jobs = await catalog.listJobs({
    states: ["pending", "running", "failed"],
    kinds: ["delete_objects", "compact_topic"],
    limit: 10_000_000,
  });
  const work: PendingWork = { keys: new Set(), prefixes: [], tombstones: new Set(), compacting: new Set() };
  for (const job of jobs) {
    try {
      if (job.kind === "compact_topic") {
        work.compacting.add(parseTopicPayload(job.payload).toLowerCase());
        continue;
      }
      const p = parseDeleteObjects(job.payload);
      for (const k of p.keys ?? []) work.keys.add(k);
      if (p.resource) {
        work.prefixes.push(p.resource.prefix);
        work.tombstones.add(p.resource.tombstone);
      }
    } catch {
      // Not ours to judge here: the job itself fails on it, visibly.
    }
  }
  return work;
}

/** Whether a removal job will delete `key`. */
export function awaitsRemoval(work: PendingWork, key: string): boolean {
  return work.keys.has(key) || work.tombstones.has(key) || work.prefixes.some((p) => key.startsWith(`${p}/`));
}
