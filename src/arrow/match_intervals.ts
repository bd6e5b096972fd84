/**
 * Time clusters of the rows that satisfy a group of conditions (`topic_filter_clusterize`): the
 * `timestamp_ns` values of the matching rows, cut wherever two consecutive values (in time order) are
 * more than a gap apart. Owns the gap rule, its evaluation over one chunk's batches, and the coalescing
 * that joins the clusters of several chunks.
 *
 * Why clusters combine: a cluster is a chain of points with steps of at most the gap, so it covers its
 * whole span [start, end] in that sense. The clusters of a union of point sets (two chunks, two
 * halves of a batch) are therefore the coalesced clusters of each part: sort by start, join two when
 * the next starts at most the gap after the current one ends. Row order never matters, and chunks
 * overlapping in time need nothing special.
 *
 * One batch is read in one pass: the `timestamp_ns` values of its matching rows (`row_filter.ts`), sorted,
 * cut where two consecutive values are more than the gap apart. Memory: one batch's matching timestamps.
 * A gap of null means no limit: one cluster per batch.
 *
 * Must not import anything outside `src/arrow/`, `src/model/` and `src/errors.ts`.
 *
 * @module
 */
import type { RecordBatch } from "apache-arrow";
import type { ValueCondition } from "../model/types.ts";
import { matchingTimestamps } from "./row_filter.ts";

/** An inclusive `[startNs, endNs]` span of `timestamp_ns` values. */
export type TimeInterval = [startNs: bigint, endNs: bigint];

/**
 * The clusters of the rows of `batches` that satisfy every condition, in time order: consecutive
 * matching timestamps at most `gapNs` apart share a cluster (null: all share one). Rows whose
 * `timestamp_ns` is null, or batches without a 64-bit integer `timestamp_ns`, belong to none.
 */
export async function matchIntervals(
  batches: AsyncIterable<RecordBatch>,
  conditions: readonly ValueCondition[],
  gapNs: bigint | null,
): Promise<TimeInterval[]> {
  let clusters: TimeInterval[] = [];
  for await (const batch of batches) {
    const pieces: TimeInterval[] = [];
    collect(batch, conditions, gapNs, pieces);
    // Coalesced batch by batch: memory follows the clusters, not the rows.
    if (pieces.length > 0) clusters = coalesceIntervals([...clusters, ...pieces], gapNs);
  }
  return clusters;
}

/** Pushes onto `out` the clusters of the matching rows of `batch`, in time order: one sorted pass. */
function collect(
  batch: RecordBatch,
  conditions: readonly ValueCondition[],
  gapNs: bigint | null,
  out: TimeInterval[],
): void {
  const ts = matchingTimestamps(batch, conditions).sort();
  if (ts.length === 0) return;
  if (gapNs === null) {
    out.push([ts[0], ts[ts.length - 1]]);
    return;
  }
  let start = ts[0];
  let previous = ts[0];
  for (let i = 1; i < ts.length; i++) {
    if (ts[i] - previous > gapNs) {
      out.push([start, previous]);
      start = ts[i];
    }
    previous = ts[i];
  }
  out.push([start, previous]);
}

/**
 * Sorts intervals by start and joins every two where the next starts at most `gapNs` after the
 * current one ends (null: joins all). With gap 0, intervals that overlap or share an instant join.
 * @returns new disjoint intervals, in time order, each more than `gapNs` from the next.
 */
export function coalesceIntervals(intervals: readonly TimeInterval[], gapNs: bigint | null): TimeInterval[] {
  const sorted = [...intervals].sort((a, b) => a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
  const out: TimeInterval[] = [];
  for (const [start, end] of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && (gapNs === null || start - last[1] <= gapNs)) {
      if (end > last[1]) last[1] = end;
    } else {
      out.push([start, end]);
    }
  }
  return out;
}
