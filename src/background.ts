/**
 * The daemon's background work, in the thread that owns the catalog (the main thread): at start-up,
 * deletion recovery (`ops/recover.ts`) and the statistics-refresh scan; then, when this daemon runs
 * jobs, the job runner and the pruning of history past its retention (`ops/prune.ts`) until shutdown.
 * Flight worker threads never run jobs.
 *
 * @module
 */
import { ParquetPool } from "./arrow/parquet_pool.ts";
import type { Catalog } from "./catalog/catalog.ts";
import type { Config } from "./config.ts";
import type { Logger } from "./log.ts";
import { createConfiguredRunner, enqueueStatsRefresh } from "./ops/jobs/mod.ts";
import { startPruner } from "./ops/prune.ts";
import { recoverDeletions } from "./ops/recover.ts";
import type { ObjectStore } from "./store/store.ts";

/** Recovers, enqueues what start-up finds, and starts the runner; disposing stops it. */
export async function startBackgroundWork(
  deps: { catalog: Catalog; store: ObjectStore; log: Logger; config: Readonly<Config> },
): Promise<AsyncDisposable> {
  const { catalog, store, config } = deps;
  const log = deps.log.child({ component: "jobs" });
  await recoverDeletions({ catalog, store, log, maxAttempts: config.jobs.maxAttempts });
  const refresh = await enqueueStatsRefresh(catalog, config.jobs);
  if (refresh > 0) log.info("chunk statistics to refresh", { topics: refresh });
  const stack = new AsyncDisposableStack();
  if (config.jobs.concurrency === 0) {
    log.info("this daemon runs no jobs (--job-workers 0)");
    return stack;
  }
  try {
    stack.use(startPruner({
      catalog,
      log,
      settings: config.jobs,
      intervalMs: config.jobs.pruneIntervalMs,
    }));
    const decoder = stack.use(
      new ParquetPool({ size: Math.min(config.parquetWorkers, config.jobs.concurrency) }),
    );
    const runner = createConfiguredRunner({ catalog, store, log, decoder }, config);
    await runner.start();
    stack.defer(() => runner.stop(config.shutdownTimeoutMs));
    return stack.move();
  } catch (err) {
    await stack.disposeAsync();
    throw err;
  }
}
