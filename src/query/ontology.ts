/**
 * Ontology (data) filters, protocol 9.4–9.5: conditions grouped by tag; per group, chunk statistics in
 * the catalog rule out chunks, then the surviving chunks are scanned (only the columns the group reads,
 * in scan workers) until one row satisfies all of the group's conditions. A sequence is kept only when
 * every group matched one of its topics; its topics are the union of the groups' matches.
 *
 * @module
 */
import type { Catalog } from "../catalog/catalog.ts";
import type { CatalogFilter, ChunkCandidate, QueryItem, TagGroup } from "../catalog/query.ts";
import type { ChunkScanner } from "../arrow/parquet_pool.ts";
import { DataLossError, NotFoundError } from "../errors.ts";
import type { ObjectStore } from "../store/store.ts";
import type { OntologyCondition } from "./types.ts";

export interface OntologyDeps {
  catalog: Catalog;
  store: ObjectStore;
  scanner: ChunkScanner;
  /** Topics scanned at once (each reads its chunks in order, stopping at the first match). */
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

/**
 * Answers an ontology query restricted to the topics `filter` selects (all topics when it has no
 * condition). Sequences ruled out by an earlier group are not scanned for later ones.
 * @throws DataLossError when a candidate chunk is missing from the store or unreadable.
 */
export async function evaluateOntology(
  deps: OntologyDeps,
  filter: CatalogFilter,
  conditions: readonly OntologyCondition[],
  counters: ScanCounters = { candidates: 0, scanned: 0 },
): Promise<QueryItem[]> {
  let kept: Map<string, string[]> | null = null; // sequence → matched topics, in discovery order
  for (const group of groupByTag(conditions)) {
    let candidates = await deps.catalog.findChunkCandidates(filter, group);
    if (kept !== null) candidates = candidates.filter((c) => kept!.has(c.sequence));
    counters.candidates += candidates.length;
    const matched = await matchingTopics(deps, candidates, group, counters);
    const next = new Map<string, string[]>();
    for (const [topic, sequence] of matched) {
      if (kept !== null && !kept.has(sequence)) continue;
      const topics = next.get(sequence) ?? [...(kept?.get(sequence) ?? [])];
      if (!topics.includes(topic)) topics.push(topic);
      next.set(sequence, topics);
    }
    kept = next;
    if (kept.size === 0) break;
  }
  return [...(kept ?? [])].map(([sequence, topics]) => ({ sequence, topics }));
}

/** Topics (→ their sequence) with a chunk holding a matching row, in candidate order. */
async function matchingTopics(
  deps: OntologyDeps,
  candidates: ChunkCandidate[],
  group: TagGroup,
  counters: ScanCounters,
): Promise<Map<string, string>> {
  const byTopic = new Map<string, ChunkCandidate[]>();
  for (const c of candidates) {
    const list = byTopic.get(c.topic);
    if (list) list.push(c);
    else byTopic.set(c.topic, [c]);
  }
  const queue = [...byTopic.values()];
  const found = new Set<string>();
  let failed = false;
  const runner = async () => {
    for (let chunks = queue.shift(); chunks && !failed; chunks = queue.shift()) {
      for (const chunk of chunks) {
        counters.scanned++;
        if (await scanChunk(deps, chunk, group)) {
          found.add(chunk.topic);
          break;
        }
        if (failed) return;
      }
    }
  };
  const runners = Array.from({ length: Math.max(1, Math.min(deps.scanConcurrency, queue.length)) }, runner);
  try {
    await Promise.all(runners);
  } catch (err) {
    failed = true;
    await Promise.allSettled(runners);
    throw err;
  }
  // Candidate order, not completion order: answers do not depend on scheduling.
  return new Map(
    [...byTopic].flatMap(([topic, chunks]) => found.has(topic) ? [[topic, chunks[0].sequence]] : []),
  );
}

async function scanChunk(deps: OntologyDeps, chunk: ChunkCandidate, group: TagGroup): Promise<boolean> {
  let bytes: Uint8Array;
  try {
    bytes = await deps.store.get(chunk.key);
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
    throw new DataLossError(
      `Cannot run query: chunk ${chunk.chunkIndex} of topic "${chunk.topic}" is missing from the store`,
      { cause: err },
    );
  }
  try {
    return await deps.scanner.anyRowMatches(bytes, group.conditions);
  } catch (err) {
    if (!(err instanceof DataLossError)) throw err;
    throw new DataLossError(
      `Cannot run query: chunk ${chunk.chunkIndex} of topic "${chunk.topic}": ${err.message}`,
      { cause: err },
    );
  }
}
