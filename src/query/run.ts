/**
 * The `query` action: parse the request (protocol section 9), then find the matching topics.
 * Sequence, topic and user-metadata filters run as one catalog statement.
 *
 * @module
 */
import type { Catalog } from "../catalog/catalog.ts";
import type { QueryItem } from "../catalog/query.ts";
import { UnimplementedError } from "../errors.ts";
import { parseQuery } from "./parse.ts";
import type { JsonObject } from "./types.ts";

/** Runs one query; returns its items grouped by sequence (sequences without a selected topic never appear). */
export async function runQuery(deps: { catalog: Catalog }, body: JsonObject): Promise<QueryItem[]> {
  const query = parseQuery(body);
  if (query.ontology.length > 0) {
    // TODO(#4): ontology (data) filters: chunk statistics, then a scan of the surviving chunks.
    throw new UnimplementedError("Cannot run query: ontology (data) filters are not available yet");
  }
  return await deps.catalog.findTopics(query);
}
