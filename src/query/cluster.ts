/**
 * Time clustering and intersection of matching rows (`topic_filter_clusterize`,
 * `topic_filter_intersect`, SDK 0.6+).
 *
 * Clustering one topic:
 * - The rows considered are those satisfying ALL the ontology conditions together (the rules of a
 *   query's ontology group, parsed by the query parser; each key's tag must be the topic's ontology
 *   tag), inside the optional window (inclusive bounds, either may be open). An empty ontology object
 *   selects every row.
 * - Their `timestamp_ns` values, in time order, are cut wherever two consecutive ones are more than
 *   `clusteringDtNs` apart (a gap of exactly `clusteringDtNs` stays inside). `clusteringDtNs` = 0 means
 *   one cluster [min, max] of all matching rows (the SDK documents it so); a negative one is refused.
 * - A cluster is reported by its first and last matching timestamps (inclusive), in time order, with
 *   ids 0, 1, 2…. No matching row, a window missing the data, or a topic without data: no cluster.
 *
 * Intersecting topics: each topic is clustered (no window), then the answer is the time windows where
 * every topic has a cluster, two clusters counting as co-occurring when the gap between them is at
 * most `intersectDtNs` (0: they must overlap or share an instant). Equivalently, each cluster is
 * widened by half the tolerance on both sides, the per-topic unions are intersected, and each
 * resulting window is narrowed back by the same amount: where the clusters truly overlap, that is
 * their overlap; where they only come within tolerance, it is the gap between them, from the last
 * matching timestamp of one to the first of the other (so `start <= end` always, and a read of the
 * window returns the rows on both sides). Windows that overlap or touch are merged; ids in time order.
 * One topic answers its own clusters (joined where within tolerance); none is refused. Topics may
 * belong to different sequences.
 *
 * Cost: chunks are ruled out first by their time range (window) and by the catalog's statistics (the
 * ontology query's pruning); without conditions, a chunk inside the window whose time span is within
 * the gap is answered from the catalog alone. The others are read in the Parquet workers, decoding
 * only `timestamp_ns` and the filtered columns, a few chunks at once, and folded in start-time order:
 * a cluster is final once no later chunk can reach it, so only the clusters near the scan's frontier
 * are pending (`_cluster_scan.ts`). Unknown topics and bad requests are refused before any chunk is
 * read.
 *
 * Protocol-neutral: imports nothing from `flight/`; the wire request and its Result stream are the
 * adapter's.
 *
 * @module
 */
import { coalesceIntervals, type TimeInterval } from "../arrow/match_intervals.ts";
import { InvalidArgumentError, NotFoundError } from "../errors.ts";
import { normalizeTopicName } from "../model/locator.ts";
import { type ClusterPlan, topicClusters } from "./_cluster_scan.ts";
import type { ScanCounters } from "./ontology.ts";
import { parseQuery } from "./parse.ts";
import type { QueryDeps } from "./run.ts";
import type { JsonObject } from "./types.ts";

/** One cluster (or intersection window): inclusive nanosecond bounds, ids 0, 1, 2… in time order. */
export interface Cluster {
  id: number;
  startNs: bigint;
  endNs: bigint;
}

/** An inclusive `timestamp_ns` window; a null bound is open. */
export interface ClusterWindow {
  startNs: bigint | null;
  endNs: bigint | null;
}

/** What to cluster: a topic (full locator), its ontology conditions, the gap, an optional window. */
export interface ClusterRequest {
  topic: string;
  /** `{"<tag>.<path>": {"$op": value}, …}`, as in a query's ontology section. */
  ontology: JsonObject;
  clusteringDtNs: bigint;
  window: ClusterWindow | null;
}

export interface ClusterOptions {
  /** Receives how many chunks survived pruning (candidates) and how many were read (scanned). */
  counters?: ScanCounters;
}

/**
 * The clusters of one topic's matching rows (see the module doc).
 * @throws InvalidArgumentError for a negative gap, an inverted window, a bad ontology or a foreign
 *   tag; NotFoundError for an unknown topic; DataLossError when a chunk is missing or unreadable.
 */
export async function clusterizeTopic(
  deps: QueryDeps,
  req: ClusterRequest,
  opts: ClusterOptions = {},
): Promise<Cluster[]> {
  const plan = await planTopic(deps, req);
  return numbered(await topicClusters(deps, plan, opts.counters ?? { candidates: 0, scanned: 0 }));
}

/**
 * The windows where every topic has a cluster, within `intersectDtNs` (see the module doc). Every
 * topic is checked before any chunk is read; scanning stops at the first topic without a cluster.
 * @throws InvalidArgumentError for no topic, a negative tolerance or a bad topic entry (as
 *   {@linkcode clusterizeTopic}); NotFoundError for an unknown topic.
 */
export async function intersectTopics(
  deps: QueryDeps,
  req: { topics: { topic: string; ontology: JsonObject; clusteringDtNs: bigint }[]; intersectDtNs: bigint },
  opts: ClusterOptions = {},
): Promise<Cluster[]> {
  const tolerance = req.intersectDtNs;
  if (tolerance < 0n) {
    throw new InvalidArgumentError(`Cannot intersect topics: negative tolerance ${tolerance} ns`);
  }
  if (req.topics.length === 0) throw new InvalidArgumentError("Cannot intersect topics: no topic given");
  const plans: ClusterPlan[] = [];
  for (const t of req.topics) plans.push(await planTopic(deps, { ...t, window: null }));
  const counters = opts.counters ?? { candidates: 0, scanned: 0 };
  const lists: TimeInterval[][] = [];
  for (const plan of plans) {
    const clusters = await topicClusters(deps, plan, counters);
    if (clusters.length === 0) return []; // the other topics need not be read
    lists.push(clusters);
  }
  return numbered(intersectClusterLists(lists, tolerance));
}

/**
 * The windows where every list has a cluster, two clusters co-occurring when at most `toleranceNs`
 * apart (the rule of {@linkcode intersectTopics}), merged where they overlap or touch, in time order.
 * Each list holds disjoint clusters in time order.
 */
export function intersectClusterLists(
  lists: readonly (readonly TimeInterval[])[],
  toleranceNs: bigint,
): TimeInterval[] {
  // In doubled time, widening by half the tolerance stays integral.
  let common: TimeInterval[] | null = null;
  for (const clusters of lists) {
    const widened = clusters.map(([s, e]): TimeInterval => [2n * s - toleranceNs, 2n * e + toleranceNs]);
    const union = coalesceIntervals(widened, 0n);
    common = common === null ? union : intersectIntervals(common, union);
  }
  // Every bound is a widened cluster bound (2s - tolerance or 2e + tolerance): the halves are exact.
  const windows = (common ?? []).map(([p, q]): TimeInterval => {
    const start = (p + toleranceNs) / 2n, end = (q - toleranceNs) / 2n;
    return start <= end ? [start, end] : [end, start];
  });
  return coalesceIntervals(windows, 0n);
}

/** The overlaps of two lists of disjoint intervals in time order, in time order. */
function intersectIntervals(a: readonly TimeInterval[], b: readonly TimeInterval[]): TimeInterval[] {
  const out: TimeInterval[] = [];
  for (let i = 0, j = 0; i < a.length && j < b.length;) {
    const start = a[i][0] > b[j][0] ? a[i][0] : b[j][0];
    const end = a[i][1] < b[j][1] ? a[i][1] : b[j][1];
    if (start <= end) out.push([start, end]);
    if (a[i][1] < b[j][1]) i++;
    else j++;
  }
  return out;
}

/** Clusters from intervals in time order: ids 0, 1, 2… */
function numbered(intervals: readonly TimeInterval[]): Cluster[] {
  return intervals.map(([startNs, endNs], id) => ({ id, startNs, endNs }));
}

/** Validates a request and resolves its topic; reads no chunk. */
async function planTopic(deps: QueryDeps, req: ClusterRequest): Promise<ClusterPlan> {
  const name = normalizeTopicName(req.topic).full;
  const fail = (why: string) => new InvalidArgumentError(`Cannot cluster topic "${name}": ${why}`);
  if (req.clusteringDtNs < 0n) throw fail(`negative clustering gap ${req.clusteringDtNs} ns`);
  const startNs = req.window?.startNs ?? null, endNs = req.window?.endNs ?? null;
  if (startNs !== null && endNs !== null && startNs > endNs) {
    throw fail(`the window starts after it ends (${startNs} > ${endNs})`);
  }
  // These actions exist from SDK 0.6 on: its ontology grammar (wider operators, glob `$match`).
  const conditions = parseQuery({ ontology: req.ontology }, "v07").ontology;
  const topic = await deps.catalog.getTopic(name);
  if (!topic) throw new NotFoundError(`Cannot find topic "${name}"`);
  const foreign = conditions.find((c) => c.tag !== topic.ontologyTag);
  if (foreign) {
    throw fail(
      `the condition on "${foreign.tag}.${foreign.path.join(".")}" names tag "${foreign.tag}", ` +
        `the topic's ontology tag is "${topic.ontologyTag}"`,
    );
  }
  return {
    topic,
    conditions: conditions.map(({ path, op }) => ({ path, op })),
    gapNs: req.clusteringDtNs === 0n ? null : req.clusteringDtNs,
    window: startNs === null && endNs === null ? null : { startNs, endNs },
  };
}
