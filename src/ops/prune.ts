/**
 * Retention of the catalog's history: events older than `--event-retention-ms` and done or cancelled jobs
 * older than `--job-retention-ms` are deleted, so that the event and job tables do not grow forever.
 * Failed and dead jobs stay (they wait for a person), as does every job with work ahead.
 *
 * Events go as a prefix of the log, and the catalog records the highest pruned id: a subscriber that asks
 * to resume below it is refused (`read/events.ts`) instead of silently missing events.
 *
 * Deletes run in batches (short transactions, no long lock on the event counter). Several daemons may
 * prune the same database: one batch runs at a time (an advisory lock; the others skip their pass), and
 * each batch is idempotent.
 *
 * @module
 */
import type { Catalog } from "../catalog/catalog.ts";
import type { Logger } from "../log.ts";

/** How long history is kept; 0 keeps it forever. */
export interface RetentionSettings {
  eventRetentionMs: number;
  jobRetentionMs: number;
}

export interface PruneResult {
  /** Events deleted. */
  events: number;
  /** Jobs deleted. */
  jobs: number;
  /** The log now holds the events after this id. */
  eventsPrunedThrough: number;
}

/** Rows deleted per statement. */
export const PRUNE_BATCH = 5000;

/** Deletes everything past its retention, batch by batch, until nothing is left to prune or `signal`. */
export async function pruneHistory(
  catalog: Catalog,
  settings: RetentionSettings,
  opts: { batch?: number; signal?: AbortSignal } = {},
): Promise<PruneResult> {
  const batch = opts.batch ?? PRUNE_BATCH;
  /** Runs `step` (one batch; how many rows it deleted) until a batch comes short or `signal`. */
  const batches = async (retentionMs: number, step: (ageMs: number) => Promise<number>) => {
    let total = 0;
    if (retentionMs === 0) return total;
    while (!opts.signal?.aborted) {
      const pruned = await step(retentionMs);
      total += pruned;
      if (pruned < batch) break;
    }
    return total;
  };
  const events = await batches(
    settings.eventRetentionMs,
    async (ageMs) => (await catalog.pruneEvents(ageMs, batch)).pruned,
  );
  const eventsPrunedThrough = await catalog.eventsPrunedThrough();
  const jobs = await batches(settings.jobRetentionMs, (ageMs) => catalog.pruneFinishedJobs(ageMs, batch));
  return { events, jobs, eventsPrunedThrough };
}

/**
 * Prunes now, then every `intervalMs`, until disposed (disposing waits for a pass under way, which stops
 * after its current batch). A failed pass (the database is down) is logged and retried at the next tick.
 */
export function startPruner(deps: {
  catalog: Catalog;
  log: Logger;
  settings: RetentionSettings;
  intervalMs: number;
}): AsyncDisposable {
  const { catalog, log, settings } = deps;
  const stop = new AbortController();
  let running: Promise<void> = Promise.resolve();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const pass = async () => {
    try {
      const r = await pruneHistory(catalog, settings, { signal: stop.signal });
      if (r.events > 0 || r.jobs > 0) {
        log.info("pruned history past its retention", {
          events: r.events,
          jobs: r.jobs,
          eventsPrunedThrough: r.eventsPrunedThrough,
        });
      }
    } catch (err) {
      if (!stop.signal.aborted) log.warn("cannot prune history; trying again later", { err });
    }
  };
  const tick = () => {
    running = pass().finally(() => {
      if (!stop.signal.aborted) timer = setTimeout(tick, deps.intervalMs);
    });
  };
  if (settings.eventRetentionMs > 0 || settings.jobRetentionMs > 0) tick();
  return {
    async [Symbol.asyncDispose]() {
      stop.abort();
      clearTimeout(timer);
      await running;
    },
  };
}
