/**
 * The `query` action, in either protocol generation: parse the request (0.1.0 section 9, 2026 section
 * 9), then find the matching topics. Sequence, topic and user-metadata filters run as one catalog
 * statement; ontology (data) filters add chunk pruning by statistics and a scan of the surviving chunks
 * (`ontology.ts`). The answer is protocol-neutral: `render.ts` writes it for either SDK.
 *
 * @module
 */
import { evaluateOntology, type OntologyDeps, type ScanCounters } from "./ontology.ts";
import { parseQuery } from "./parse.ts";
import type { JsonObject, QueryResult } from "./types.ts";

export type QueryDeps = OntologyDeps;

/**
 * Runs one query; returns its items grouped by sequence (sequences without a selected topic never
 * appear) and the dialect the body proved. `counters`, when given, receives how many chunks were
 * candidates and how many were scanned.
 * @throws InvalidArgumentError for a body outside both grammars or mixing them; DataLossError when a
 *   candidate chunk is missing or unreadable.
 */
export async function runQuery(
  deps: QueryDeps,
  body: JsonObject,
  counters?: ScanCounters,
): Promise<QueryResult> {
  const query = parseQuery(body);
  const items = query.ontology.length === 0
    ? await deps.catalog.findTopics(query)
    : await evaluateOntology(deps, query, query.ontology, {
      includeTimestampRange: query.includeTimestampRange,
      counters,
    });
  return { dialect: query.dialect, items };
}
