/**
 * The `query` answer on the wire, for each SDK generation: the `response` object of the action result.
 * The two shapes cannot be reconciled (2026 protocol section 15): 0.1.0 reads `topics` as locator
 * strings, 2026 as objects. Pure functions of `runQuery()`'s items; the adapters pick one.
 *
 * @module
 */
import type { JsonValue } from "../model/types.ts";
import type { QueryItem } from "./types.ts";

/** 0.1.0 (protocol 9.7): `{"items": [{"sequence": s, "topics": [<full topic locator>, ...]}]}`. */
export interface QueryResponseV1 {
  items: { sequence: string; topics: string[] }[];
}

/** One topic of a 2026 answer (2026 protocol 9.6). */
export interface QueryTopic2026 {
  /** Full topic locator `<seq>/<rest>` (the SDK splits it). */
  locator: string;
  ontology_tag: string;
  /** `[start_ns, end_ns]` as exact JSON integers; absent unless the topic has one. */
  timestamp_range?: [JsonValue, JsonValue];
}

/** 2026 (2026 protocol 9.6): `{"items": [{"sequence": s, "topics": [{"locator", ...}, ...]}]}`. */
export interface QueryResponse2026 {
  items: { sequence: string; topics: QueryTopic2026[] }[];
}

/** The 0.1.0 answer: exactly `sequence` and `topics` per item (the SDK expands them into a dataclass). */
export function renderQueryItemsV1(items: readonly QueryItem[]): QueryResponseV1 {
  return { items: items.map((i) => ({ sequence: i.sequence, topics: i.topics.map((t) => t.name) })) };
}

/**
 * The 2026 answer. `timestamp_range` is present only for topics that carry one (matched by an ontology
 * group with `include_timestamp_range`); its integers are written exactly by `JSON.stringify`, also
 * beyond 2^53.
 */
export function renderQueryItems2026(items: readonly QueryItem[]): QueryResponse2026 {
  return {
    items: items.map((i) => ({
      sequence: i.sequence,
      topics: i.topics.map((t): QueryTopic2026 =>
        t.timestampRange === null ? { locator: t.name, ontology_tag: t.ontologyTag } : {
          locator: t.name,
          ontology_tag: t.ontologyTag,
          timestamp_range: [exactInteger(t.timestampRange[0]), exactInteger(t.timestampRange[1])],
        }
      ),
    })),
  };
}

/** A JSON integer that `JSON.stringify` writes digit for digit (a raw JSON value, see `model/json.ts`). */
function exactInteger(n: bigint): JsonValue {
  return (JSON as unknown as { rawJSON(text: string): JsonValue }).rawJSON(n.toString());
}
