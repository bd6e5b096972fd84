/**
 * The `query` action: parse the request (protocol section 9), then find the matching topics.
 * Sequence, topic and user-metadata filters run as one catalog statement; ontology (data) filters
 * add chunk pruning by statistics and a scan of the surviving chunks (`ontology.ts`).
 *
 * @module
 */
import type { QueryItem } from "../catalog/query.ts";
import { evaluateOntology, type OntologyDeps, type ScanCounters } from "./ontology.ts";
import { parseQuery } from "./parse.ts";
import type { JsonObject } from "./types.ts";

export type QueryDeps = OntologyDeps;

/**
 * Runs one query; returns its items grouped by sequence (sequences without a selected topic never
 * appear). `counters`, when given, receives how many chunks were candidates and how many were scanned.
 */
export async function runQuery(
  deps: QueryDeps,
  body: JsonObject,
  counters?: ScanCounters,
): Promise<QueryItem[]> {
  const query = parseQuery(body);
  if (query.ontology.length === 0) return await deps.catalog.findTopics(query);
  return await evaluateOntology(deps, query, query.ontology, counters);
}
