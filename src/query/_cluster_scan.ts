/**
 * The scanning half of `cluster.ts`: one topic's clusters from its chunks. Chunks are ruled out by their
 * time range (window) and the catalog's statistics (the ontology query's pruning); without conditions,
 * a chunk inside the window whose time span is within the gap is answered from the catalog alone. The
 * others are read in the Parquet workers (only `timestamp_ns` and the filtered columns), a few at once,
 * and folded in start-time order: a cluster is final once no later chunk can reach it, so only the
 * clusters near the scan's frontier are pending.
 *
 * @module
 */
import { coalesceIntervals, type TimeInterval } from "../arrow/match_intervals.ts";
import { TIMESTAMP_COLUMN } from "../arrow/stats.ts";
import { UnavailableError } from "../errors.ts";
import type { Chunk, TimeRange, Topic, ValueCondition } from "../model/types.ts";
import { scanChunk, type ScanCounters } from "./ontology.ts";
import type { QueryDeps } from "./run.ts";

/** A validated clustering request. */
export interface ClusterPlan {
  topic: Topic;
  /** The topic's ontology conditions, all on the same row. */
  conditions: ValueCondition[];
  /** Largest gap inside a cluster; null: one cluster. */
  gapNs: bigint | null;
  /** Inclusive window, or null for all rows. */
  window: TimeRange | null;
}

/** The topic's clusters, in time order; `counters` receives the chunks kept and read. */
export async function topicClusters(
  deps: QueryDeps,
  plan: ClusterPlan,
  counters: ScanCounters,
): Promise<TimeInterval[]> {
  const chunks = await candidateChunks(deps, plan);
  counters.candidates += chunks.length;
  const done: TimeInterval[] = [];
  let pending: TimeInterval[] = [];
  await inOrder(
    deps.scanConcurrency,
    chunks,
    (chunk) => chunkClusters(deps, plan, chunk, counters),
    (found, i) => {
      pending = coalesceIntervals([...pending, ...found], plan.gapNs);
      // Later chunks start at or after `next`: a cluster ending more than the gap before it is final.
      const next = chunks[i + 1]?.startNs;
      if (plan.gapNs === null && next !== undefined) return;
      let final = 0;
      while (
        final < pending.length && (next === undefined || pending[final][1] + plan.gapNs! < next)
      ) final++;
      done.push(...pending.splice(0, final));
    },
  );
  return done;
}

/**
 * The topic's chunks that may hold a matching row in the window, by start time. Conditions go through
 * the catalog's statistics pruning; its chunk keys must all be among the chunks listed just before
 * (else a compaction replaced them in between, and the plan is made again).
 */
async function candidateChunks(deps: QueryDeps, plan: ClusterPlan): Promise<Chunk[]> {
  const { topic, window } = plan;
  for (let attempt = 1;; attempt++) {
    const all = await deps.catalog.listChunks(topic.id);
    const inWindow = all.filter((c) =>
      c.rowCount > 0 && (window?.startNs == null || c.endNs >= window.startNs) &&
      (window?.endNs == null || c.startNs <= window.endNs)
    );
    if (plan.conditions.length === 0) return inWindow;
    const rel = { op: "eq", value: topic.name.slice(topic.sequenceName.length) } as const;
    const seq = { op: "eq", value: topic.sequenceName } as const;
    const candidates = await deps.catalog.findChunkCandidates(
      { sequence: { name: seq, userMetadata: [] }, topic: { name: rel, userMetadata: [] } },
      { tag: topic.ontologyTag, conditions: plan.conditions },
    );
    const listed = new Set(all.map((c) => c.key));
    if (candidates.every((c) => listed.has(c.key))) {
      const keep = new Set(candidates.map((c) => c.key));
      return inWindow.filter((c) => keep.has(c.key));
    }
    if (attempt === 3) {
      throw new UnavailableError(`Cannot cluster topic "${topic.name}": its chunks keep changing`);
    }
  }
}

/** One chunk's clusters: from its catalog time range when that decides, else from a scan. */
function chunkClusters(
  deps: QueryDeps,
  plan: ClusterPlan,
  chunk: Chunk,
  counters: ScanCounters,
): Promise<TimeInterval[]> {
  const { window, gapNs } = plan;
  const bounds: ValueCondition[] = [];
  if (window?.startNs != null && chunk.startNs < window.startNs) {
    bounds.push({ path: [TIMESTAMP_COLUMN], op: { op: "geq", value: window.startNs } });
  }
  if (window?.endNs != null && chunk.endNs > window.endNs) {
    bounds.push({ path: [TIMESTAMP_COLUMN], op: { op: "leq", value: window.endNs } });
  }
  // Every row matches and they all lie within one gap of each other: the chunk is one cluster.
  if (
    plan.conditions.length === 0 && bounds.length === 0 &&
    (gapNs === null || chunk.endNs - chunk.startNs <= gapNs)
  ) {
    return Promise.resolve([[chunk.startNs, chunk.endNs]]);
  }
  counters.scanned++;
  const candidate = {
    sequence: plan.topic.sequenceName,
    topic: plan.topic.name,
    key: chunk.key,
    chunkIndex: chunk.index,
  };
  const conditions = [...plan.conditions, ...bounds];
  return scanChunk(deps, candidate, (chunk) => deps.scanner.matchIntervals(chunk, conditions, { gapNs }));
}

/**
 * Runs `work` over `items`, at most `concurrency` at once, and hands each result to `take` in item
 * order. A failure waits for the running items, then is rethrown.
 */
async function inOrder<T, R>(
  concurrency: number,
  items: readonly T[],
  work: (item: T) => Promise<R>,
  take: (result: R, index: number) => void,
): Promise<void> {
  const running: Promise<R>[] = [];
  let next = 0;
  const launch = () => {
    const p = work(items[next++]);
    p.catch(() => {}); // awaited in order below; a failure is not "unhandled" meanwhile
    running.push(p);
  };
  try {
    while (next < items.length && running.length < Math.max(1, concurrency)) launch();
    for (let i = 0; i < items.length; i++) {
      const result = await running.shift()!;
      if (next < items.length) launch();
      take(result, i);
    }
  } catch (err) {
    await Promise.allSettled(running);
    throw err;
  }
}
