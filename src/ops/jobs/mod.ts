/**
 * Background jobs: the runner and the three kinds the daemon ships (deferred deletion, compaction,
 * statistics refresh), wired to their dependencies.
 *
 * @module
 */
import type { ChunkDecoder } from "../../arrow/parquet_pool.ts";
import type { Catalog } from "../../catalog/catalog.ts";
import type { Logger } from "../../log.ts";
import type { ObjectStore } from "../../store/store.ts";
import { compactTopic } from "./compact.ts";
import { deleteObjects } from "./delete_objects.ts";
import { refreshStats } from "./refresh_stats.ts";
import { type JobHandler, JobRunner } from "./runner.ts";
import type { JobKind } from "../../model/types.ts";
import { DEFAULT_ROW_GROUP_BYTES } from "../../ingest/mod.ts";

export { type JobOutcome, JobRunner } from "./runner.ts";
export { compactTopic } from "./compact.ts";
export { enqueueStatsRefresh } from "./refresh_stats.ts";

/** How the daemon runs jobs (`--job-*` options). */
export interface JobRunnerSettings {
  /** Jobs at once; 0 runs none (another daemon on the same database does). */
  concurrency: number;
  leaseMs: number;
  pollMs: number;
  backoffMs: number;
  maxAttempts: number;
  /** Replaced chunks stay this long after a compaction, for reads already under way. */
  compactionGraceMs: number;
}

export const DEFAULT_RUNNER_SETTINGS: Readonly<JobRunnerSettings> = Object.freeze({
  concurrency: 1,
  leaseMs: 60_000,
  pollMs: 5_000,
  backoffMs: 1_000,
  maxAttempts: 5,
  compactionGraceMs: 10 * 60_000,
});

export interface JobDeps {
  catalog: Catalog;
  store: ObjectStore;
  log: Logger;
  decoder: ChunkDecoder;
  chunkTargetBytes: number;
  rowGroupBytes: number;
}

/** The handler of every job kind. */
export function jobHandlers(deps: JobDeps, settings: JobRunnerSettings): Record<JobKind, JobHandler> {
  return {
    delete_objects: (payload, ctx) => deleteObjects(deps, payload, ctx),
    compact_topic: async (payload, ctx) => {
      await compactTopic(
        {
          ...deps,
          graceMs: settings.compactionGraceMs,
          maxAttempts: settings.maxAttempts,
        },
        payload,
        ctx,
      );
    },
    refresh_stats: async (payload, ctx) => {
      await refreshStats(deps, payload, ctx);
    },
  };
}

/** A runner for every job kind as a configured daemon builds it (not started). */
export function createConfiguredRunner(
  deps: Omit<JobDeps, "chunkTargetBytes" | "rowGroupBytes">,
  config: { chunkTargetBytes: number; jobs: JobRunnerSettings },
) {
  return createJobRunner(
    { ...deps, chunkTargetBytes: config.chunkTargetBytes, rowGroupBytes: DEFAULT_ROW_GROUP_BYTES },
    config.jobs,
  );
}

/** A runner for every job kind (not started). */
export function createJobRunner(deps: JobDeps, settings: JobRunnerSettings, opts: { owner?: string } = {}) {
  return new JobRunner({
    catalog: deps.catalog,
    log: deps.log,
    handlers: jobHandlers(deps, settings),
    concurrency: settings.concurrency,
    leaseMs: settings.leaseMs,
    pollMs: settings.pollMs,
    backoffMs: settings.backoffMs,
    owner: opts.owner,
  });
}
