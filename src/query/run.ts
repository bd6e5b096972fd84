/**
 * The `query` action, in any protocol generation: parse the request in its dialect (0.1.0 section 9,
 * 2026 section 9, 0.7 delta section 4), then find the matching topics. Sequence, topic and
 * user-metadata filters run as one catalog statement; ontology (data) filters add chunk pruning by
 * statistics and a scan of the surviving chunks (`ontology.ts`). The answer is protocol-neutral:
 * `render.ts` writes it for each SDK.
 *
 * @module
 */
import { evaluateOntology, type OntologyDeps, type ScanCounters } from "./ontology.ts";
import { parseQuery } from "./parse.ts";
import type { JsonObject, QueryDialect, QueryResult } from "./types.ts";

/** What a query needs: the catalog, the store and the scanner (`OntologyDeps`), and an optional observer. */
export interface QueryDeps extends OntologyDeps {
  /** Told each query's duration and whether it answered (metrics). */
  onQueryEnd?: (seconds: number, ok: boolean) => void;
}

/** How to run a query. */
export interface RunQueryOptions {
  /**
   * The dialect to read the body in, as `resolveQueryDialect()` settled it for the call. Without one:
   * the oldest dialect the body allows (see `parseQuery()`).
   */
  dialect?: QueryDialect;
  /** Receives how many chunks were candidates and how many were scanned. */
  counters?: ScanCounters;
}

/**
 * Runs one query; returns its items grouped by sequence (sequences without a selected topic never
 * appear) and the dialect it was read in.
 * @throws InvalidArgumentError for a body outside the dialect's grammar, or whose keys exclude each
 *   other or the dialect; DataLossError when a candidate chunk is missing or unreadable.
 */
export async function runQuery(
  deps: QueryDeps,
  body: JsonObject,
  opts: RunQueryOptions = {},
): Promise<QueryResult> {
  const started = performance.now();
  let ok = false;
  try {
    const query = parseQuery(body, opts.dialect);
    const items = query.ontology.length === 0
      ? await deps.catalog.findTopics(query)
      : await evaluateOntology(deps, query, query.ontology, {
        includeTimestampRange: query.includeTimestampRange,
        counters: opts.counters,
      });
    ok = true;
    return { dialect: query.dialect, items };
  } finally {
    deps.onQueryEnd?.((performance.now() - started) / 1000, ok);
  }
}
