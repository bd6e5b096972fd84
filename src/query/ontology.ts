/**
 * Ontology (data) filters, protocol 9.4–9.5: conditions grouped by tag; per group, chunk statistics in
 * the catalog rule out chunks, then the surviving chunks are scanned (only the columns the group reads,
 * in scan workers) until one row satisfies all of the group's conditions. A sequence is kept only when
 * every group matched one of its topics; its topics are the union of the groups' matches.
 *
 * With 2026 `include_timestamp_range`, a topic's scan does not stop at its first match: every
 * candidate chunk is scanned, and the topic's range is the exact [min, max] `timestamp_ns` of all rows
 * that satisfy its group's conditions together.
 *
 * @module
 */
import type { Catalog } from "../catalog/catalog.ts";
import type { CatalogFilter, ChunkCandidate, QueryItem, QueryTopic, TagGroup } from "../catalog/query.ts";
import type { ChunkScanner, ChunkSource } from "../arrow/parquet_pool.ts";
import { widenRange } from "../arrow/row_filter.ts";
import { DataLossError, NotFoundError } from "../errors.ts";
import type { ObjectStore } from "../store/store.ts";
import type { OntologyCondition } from "./types.ts";

export interface OntologyDeps {
  catalog: Catalog;
  store: ObjectStore;
  scanner: ChunkScanner;
  /**
   * Chunks scanned at once: topics, each reading its chunks in order and stopping at the first match;
   * with timestamp ranges, chunks (every candidate is read).
   */
  scanConcurrency: number;
}

/** What an evaluation read: statistics survivors and chunks actually fetched and scanned. */
export interface ScanCounters {
  candidates: number;
  scanned: number;
}

/** Conditions grouped by tag, in first-appearance order. */
export function groupByTag(conditions: readonly OntologyCondition[]): TagGroup[] {
  const groups = new Map<string, OntologyCondition[]>();
  for (const c of conditions) {
    const list = groups.get(c.tag) ?? [];
    list.push(c);
    groups.set(c.tag, list);
  }
  return [...groups].map(([tag, list]) => ({ tag, conditions: list.map(({ path, op }) => ({ path, op })) }));
}

/** How to evaluate: whether to compute timestamp ranges, and where to count the work. */
export interface OntologyOptions {
  /** Give each matched topic the `timestamp_ns` range of its matching rows (2026 9.4). */
  includeTimestampRange?: boolean;
  /** Receives how many chunks were candidates and how many were scanned. */
  counters?: ScanCounters;
}

type TimeRange = [bigint, bigint];

/**
 * Answers an ontology query restricted to the topics `filter` selects (all topics when it has no
 * condition). Sequences ruled out by an earlier group are not scanned for later ones.
 * @throws DataLossError when a candidate chunk is missing from the store or unreadable.
 */
export async function evaluateOntology(
  deps: OntologyDeps,
  filter: CatalogFilter,
  conditions: readonly OntologyCondition[],
  opts: OntologyOptions = {},
): Promise<QueryItem[]> {
  const counters = opts.counters ?? { candidates: 0, scanned: 0 };
  const ranges = opts.includeTimestampRange ?? false;
  let kept: Map<string, QueryTopic[]> | null = null; // sequence → matched topics, in discovery order
  for (const group of groupByTag(conditions)) {
    let candidates = await deps.catalog.findChunkCandidates(filter, group);
    if (kept !== null) candidates = candidates.filter((c) => kept!.has(c.sequence));
    counters.candidates += candidates.length;
    const matched = ranges
      ? await topicRanges(deps, candidates, group, counters)
      : await matchingTopics(deps, candidates, group, counters);
    const next = new Map<string, QueryTopic[]>();
    for (const [name, { sequence, timestampRange }] of matched) {
      if (kept !== null && !kept.has(sequence)) continue;
      const topics = next.get(sequence) ?? [...(kept?.get(sequence) ?? [])];
      if (!topics.some((t) => t.name === name)) topics.push({ name, ontologyTag: group.tag, timestampRange });
      next.set(sequence, topics);
    }
    kept = next;
    if (kept.size === 0) break;
  }
  return [...(kept ?? [])].map(([sequence, topics]) => ({ sequence, topics }));
}

/** A matched topic: its sequence, and its rows' time range when ranges were asked for. */
type Matches = Map<string, { sequence: string; timestampRange: TimeRange | null }>;

/** Topics with a chunk holding a matching row, in candidate order; each stops at its first match. */
async function matchingTopics(
  deps: OntologyDeps,
  candidates: ChunkCandidate[],
  group: TagGroup,
  counters: ScanCounters,
): Promise<Matches> {
  const byTopic = groupByTopic(candidates);
  const found = new Set<string>();
  await runAll(deps.scanConcurrency, [...byTopic.values()], async (chunks, failed) => {
    for (const chunk of chunks) {
      counters.scanned++;
      if (await scanChunk(deps, chunk, (source) => deps.scanner.anyRowMatches(source, group.conditions))) {
        found.add(chunk.topic);
        return;
      }
      if (failed()) return;
    }
  });
  // Candidate order, not completion order: answers do not depend on scheduling.
  return new Map(
    [...byTopic].flatMap(([topic, chunks]) =>
      found.has(topic) ? [[topic, { sequence: chunks[0].sequence, timestampRange: null }]] : []
    ),
  );
}

/** Topics with a matching row and the exact time range of all their matching rows: every chunk scanned. */
async function topicRanges(
  deps: OntologyDeps,
  candidates: ChunkCandidate[],
  group: TagGroup,
  counters: ScanCounters,
): Promise<Matches> {
  const found = new Map<string, TimeRange | null>(); // topic → range, for topics with a matching row
  // Chunks are independent here (the union of ranges is order-free): scanned in parallel across topics.
  await runAll(deps.scanConcurrency, candidates, async (chunk) => {
    counters.scanned++;
    const match = await scanChunk(deps, chunk, (source) => deps.scanner.matchRows(source, group.conditions));
    if (match.matched) {
      found.set(chunk.topic, widenRange(found.get(chunk.topic) ?? null, match.timestampRange));
    }
  });
  return new Map(
    [...groupByTopic(candidates)].flatMap(([topic, chunks]) =>
      found.has(topic) ? [[topic, { sequence: chunks[0].sequence, timestampRange: found.get(topic)! }]] : []
    ),
  );
}

function groupByTopic(candidates: readonly ChunkCandidate[]): Map<string, ChunkCandidate[]> {
  const byTopic = new Map<string, ChunkCandidate[]>();
  for (const c of candidates) {
    const list = byTopic.get(c.topic);
    if (list) list.push(c);
    else byTopic.set(c.topic, [c]);
  }
  return byTopic;
}

/**
 * Runs `work` over `items`, at most `concurrency` at once. The first failure stops taking new items,
 * waits for the running ones (`failed()` tells them to stop early) and is rethrown.
 */
async function runAll<T>(
  concurrency: number,
  items: readonly T[],
  work: (item: T, failed: () => boolean) => Promise<void>,
): Promise<void> {
  const queue = [...items];
  let failed = false;
  const runner = async () => {
    for (let item = queue.shift(); item !== undefined && !failed; item = queue.shift()) {
      await work(item, () => failed);
    }
  };
  const runners = Array.from({ length: Math.max(1, Math.min(concurrency, queue.length)) }, runner);
  try {
    await Promise.all(runners);
  } catch (err) {
    failed = true;
    await Promise.allSettled(runners);
    throw err;
  }
}

/**
 * Hands one candidate chunk to `read` (a scan), naming the chunk in data-loss errors: its local file
 * when the store has one (the scan then reads only the columns it needs), else its bytes.
 */
export async function scanChunk<T>(
  deps: OntologyDeps,
  chunk: ChunkCandidate,
  read: (source: ChunkSource) => Promise<T>,
): Promise<T> {
  let source: ChunkSource;
  try {
    const path = deps.store.localPath?.(chunk.key) ?? null;
    source = path !== null ? { path } : await deps.store.get(chunk.key);
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
    throw new DataLossError(
      `Cannot run query: chunk ${chunk.chunkIndex} of topic "${chunk.topic}" is missing from the store`,
      { cause: err },
    );
  }
  try {
    return await read(source);
  } catch (err) {
    if (!(err instanceof DataLossError)) throw err;
    throw new DataLossError(
      `Cannot run query: chunk ${chunk.chunkIndex} of topic "${chunk.topic}": ${err.message}`,
      { cause: err },
    );
  }
}
