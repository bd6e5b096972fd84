/**
 * The DoAction names only SDK 0.6/0.7 sends (0.7 delta, A1, A3, A4), at the wire edge:
 * `parseAction07()` turns a name and its JSON body into a typed {@link ActionRequest07};
 * `encodeClusterResults()` builds the stream of Results the two `topic_filter_*` actions answer (one
 * per cluster). The names both 2026-line SDKs send are parsed by `../v2026/actions.ts`. Body rules as
 * there: strict UTF-8, one JSON object, extra keys ignored. No catalog, store or gRPC here.
 *
 * @module
 */
import { InvalidArgumentError } from "../../errors.ts";
import { quoteValue, type TopicName } from "../../model/locator.ts";
import { decodeJsonObject, isJsonObject, JsonFields, type JsonObject } from "../_json_fields.ts";
import { type ActionLimits, DEFAULT_ACTION_LIMITS } from "../actions.ts";
import { readNs } from "../ticket.ts";
import { parseTopicLocator } from "../v2026/locator.ts";
import { exactInt } from "../v2026/manifests.ts";

/** One topic's filter: the rows matching every ontology condition, grouped by time gaps. */
export interface TopicFilter {
  readonly topic: TopicName;
  /** `{"<tag>.<path>": {"$op": value}, …}`, as in a query's `ontology` section. */
  readonly ontology: JsonObject;
  /** Largest gap between two timestamps of one cluster, ns; 0: a single `[min, max]` cluster. */
  readonly clusteringDtNs: bigint;
}

/** One SDK 0.6/0.7 DoAction request, typed. */
export type ActionRequest07 =
  | { action: "info" }
  | {
    action: "topic_filter_clusterize";
    filter: TopicFilter;
    /** `timestamp_range`: either bound may be open; null when absent. */
    window: { startNs: bigint | null; endNs: bigint | null } | null;
  }
  | { action: "topic_filter_intersect"; topics: TopicFilter[]; intersectDtNs: bigint };

export type ActionName07 = ActionRequest07["action"];

/** Every SDK 0.6/0.7-only action name. */
export const ACTION_NAMES_07: readonly ActionName07[] = Object.freeze([
  "info",
  "topic_filter_clusterize",
  "topic_filter_intersect",
]);

/** Whether `name` is an SDK 0.6/0.7-only action name. */
export function isActionName07(name: string): name is ActionName07 {
  return (ACTION_NAMES_07 as readonly string[]).includes(name);
}

/** A non-negative int64 nanosecond field that must be present. */
function durationNs(f: JsonFields, field: string): bigint {
  const ns = readNs(f, field);
  if (ns === null) throw f.error(field, "is missing");
  if (ns < 0n) throw f.error(field, `must not be negative, not ${ns}`);
  return ns;
}

function topicFilter(f: JsonFields, limits: ActionLimits): TopicFilter {
  return {
    topic: f.parsed("locator", (raw) => parseTopicLocator(raw, { limits: limits.locator })),
    ontology: f.object("ontology"),
    clusteringDtNs: durationNs(f, "clustering_dt_ns"),
  };
}

function timestampRange(f: JsonFields): { startNs: bigint | null; endNs: bigint | null } | null {
  if (!f.has("timestamp_range") || f.value("timestamp_range") === null) return null;
  const range = f.nested("timestamp_range");
  return { startNs: readNs(range, "start_ns"), endNs: readNs(range, "end_ns") };
}

function topicFilters(f: JsonFields, what: string, limits: ActionLimits): TopicFilter[] {
  const list = f.value("topics");
  if (!Array.isArray(list)) throw f.error("topics", "must be a JSON array");
  if (list.length === 0) throw f.error("topics", "must name at least one topic");
  return list.map((item, i) => {
    if (!isJsonObject(item)) throw f.error(`topics[${i}]`, "must be a JSON object");
    return topicFilter(new JsonFields(item, what, `topics[${i}].`), limits);
  });
}

/**
 * Parses one SDK 0.6/0.7-only DoAction request.
 * @throws InvalidArgumentError for an unknown name or a malformed body, naming the action and the field:
 *   `Invalid topic_filter_clusterize request: field "clustering_dt_ns" is missing`.
 * @throws ResourceExhaustedError for a body over `maxBodyBytes`.
 */
export function parseAction07(
  type: string,
  body: Uint8Array,
  limits: ActionLimits = DEFAULT_ACTION_LIMITS,
): ActionRequest07 {
  if (!isActionName07(type)) throw new InvalidArgumentError(`Unknown action ${quoteValue(type)}`);
  const what = `${type} request`;
  const obj = decodeJsonObject(body, { what, part: "body" }, {
    maxBytes: limits.maxBodyBytes,
    maxDepth: limits.maxJsonDepth,
  });
  const f = new JsonFields(obj, what);
  switch (type) {
    case "info":
      return { action: "info" };
    case "topic_filter_clusterize":
      return { action: type, filter: topicFilter(f, limits), window: timestampRange(f) };
    case "topic_filter_intersect":
      return {
        action: type,
        topics: topicFilters(f, what, limits),
        intersectDtNs: durationNs(f, "intersect_dt_ns"),
      };
  }
}

/** One time cluster, as the domain reports it (bounds inclusive). */
export interface ClusterAnswer {
  readonly id: number;
  readonly startNs: bigint;
  readonly endNs: bigint;
}

const utf8 = new TextEncoder();

/**
 * The Result bodies of a `topic_filter_*` action (A3): one per cluster, each
 * `{"action":<name>,"response":{"id":<int>,"ts":{"start_ns":<int>,"end_ns":<int>}}}` with exact int64
 * times; none for no cluster.
 */
export function encodeClusterResults(
  action: "topic_filter_clusterize" | "topic_filter_intersect",
  clusters: readonly ClusterAnswer[],
): Uint8Array[] {
  return clusters.map((c) =>
    utf8.encode(JSON.stringify({
      action,
      response: { id: c.id, ts: { start_ns: exactInt(c.startNs), end_ns: exactInt(c.endNs) } },
    }))
  );
}
