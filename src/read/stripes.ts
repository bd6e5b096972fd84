/**
 * Striped reads (an extension): a topic's rows cut into a few contiguous time ranges of about equal
 * stored size, so that a client can fetch them in parallel, one DoGet each, and concatenate the
 * results in order. Cuts fall on chunk start times, so each stripe mostly reads its own chunks; the
 * ranges are disjoint and cover the whole requested range, so every row is in exactly one stripe
 * whatever the chunks' overlaps.
 *
 * @module
 */
import type { Chunk, TimeRange } from "../model/types.ts";

/** Most stripes one request may ask for. */
export const MAX_STRIPES = 64;

/**
 * Up to `stripes` disjoint ranges covering `range`, in time order, cut at chunk start times so that
 * each holds about the same number of stored bytes. Fewer when there are fewer distinct cut points;
 * one (the whole range) when the topic has a single chunk.
 */
export function planStripes(chunks: readonly Chunk[], range: TimeRange, stripes: number): TimeRange[] {
  const sorted = [...chunks].sort((a, b) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : 0));
  const total = sorted.reduce((n, c) => n + c.sizeBytes, 0);
  const cuts: bigint[] = [];
  let seen = 0;
  for (const chunk of sorted) {
    const want = Math.round((total * (cuts.length + 1)) / stripes);
    const last = cuts.at(-1) ?? range.startNs;
    if (
      cuts.length < stripes - 1 && seen >= want && seen > 0 &&
      (last === null || chunk.startNs > last) && (range.endNs === null || chunk.startNs <= range.endNs)
    ) {
      cuts.push(chunk.startNs);
    }
    seen += chunk.sizeBytes;
  }
  const bounds = [range.startNs, ...cuts];
  return bounds.map((startNs, i) => ({
    startNs,
    endNs: i + 1 < bounds.length ? cuts[i] - 1n : range.endNs,
  }));
}
