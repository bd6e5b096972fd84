/**
 * DoAction at the wire edge (sections 3 and 4 of the protocol): `parseAction()` turns an action name and
 * its JSON body into a typed {@link ActionRequest}; `encodeActionResult()` builds the one Result body.
 * Names go through `model/locator.ts`, keys through `model/keys.ts`; no catalog, store or gRPC here.
 *
 * Body rules: strict UTF-8, one JSON object, extra fields ignored (as the daemon does), required fields
 * present with the right JSON type. `user_metadata` must be a JSON object, not any JSON value: the SDK
 * always sends one, and SDK readers expand `mosaico:user_metadata` as an object (section 8), so a
 * sequence created by another client with `5` or `null` as metadata would break every SDK reader.
 *
 * @module
 */
import {
  DEFAULT_LOCATOR_LIMITS,
  type LocatorLimits,
  normalizeLayerName,
  normalizeSequenceName,
  normalizeTopicName,
  quoteValue,
  type TopicName,
  utf8ByteLength,
} from "../model/locator.ts";
import { parseKey } from "../model/keys.ts";
import { type NotifyType, SERIALIZATION_FORMATS, type SerializationFormat } from "../model/types.ts";
import { InvalidArgumentError } from "../errors.ts";
import { decodeJsonObject, JsonFields, type JsonObject } from "./_json_fields.ts";

export type { JsonObject };

/** One DoAction request, typed. Sequence names are normalised locators; keys are canonical UUIDs. */
export type ActionRequest =
  | { action: "sequence_create"; sequence: string; userMetadata: JsonObject }
  | {
    action: "topic_create";
    topic: TopicName;
    sequenceKey: string;
    serializationFormat: SerializationFormat;
    ontologyTag: string;
    userMetadata: JsonObject;
  }
  | { action: "sequence_finalize" | "sequence_abort"; sequence: string; key: string }
  | { action: SequenceOnlyAction; sequence: string }
  | { action: TopicOnlyAction; topic: TopicName }
  | { action: "sequence_notify_create"; sequence: string; notifyType: NotifyType; msg: string }
  | { action: "topic_notify_create"; topic: TopicName; notifyType: NotifyType; msg: string }
  | { action: "layer_create"; name: string; description: string }
  | { action: "layer_delete"; name: string }
  | { action: "layer_update"; prevName: string; currName: string; currDescription: string }
  | { action: "layer_list" }
  /** The whole body is the query (section 9); its grammar is parsed in `query/`. */
  | { action: "query"; query: JsonObject };

export type ActionName = ActionRequest["action"];

/** Actions whose body is only the name of a sequence. */
export type SequenceOnlyAction =
  | "sequence_delete"
  | "sequence_system_info"
  | "sequence_notify_list"
  | "sequence_notify_purge";

/** Actions whose body is only the full name of a topic. */
export type TopicOnlyAction =
  | "topic_delete"
  | "topic_system_info"
  | "topic_notify_list"
  | "topic_notify_purge";

/** Limits on action bodies. */
export interface ActionLimits {
  /** Longest body, in bytes; over it the request fails with ResourceExhaustedError. */
  readonly maxBodyBytes: number;
  /** Longest `user_metadata`, in bytes of compact JSON; over it: ResourceExhaustedError. */
  readonly maxMetadataBytes: number;
  /** Deepest nesting of arrays and objects in a body (InvalidArgumentError beyond). */
  readonly maxJsonDepth: number;
  readonly locator: LocatorLimits;
}

/** 1 MiB bodies and metadata, 64 levels of nesting, default locator limits. */
export const DEFAULT_ACTION_LIMITS: ActionLimits = Object.freeze({
  maxBodyBytes: 1024 * 1024,
  maxMetadataBytes: 1024 * 1024,
  maxJsonDepth: 64,
  locator: DEFAULT_LOCATOR_LIMITS,
});

type Parser = (f: JsonFields, limits: ActionLimits, body: JsonObject) => ActionRequest;

const NOTIFY_TYPES: readonly NotifyType[] = ["error"];

// Sequence names lose one trailing "/" in every sequence action: the SDK sends "seqA/" as typed (2.3).
function sequence(f: JsonFields, limits: ActionLimits): string {
  return f.parsed(
    "name",
    (raw) => normalizeSequenceName(raw, { stripTrailingSlash: true, limits: limits.locator }),
  );
}

function topic(f: JsonFields, limits: ActionLimits): TopicName {
  return f.parsed("name", (raw) => normalizeTopicName(raw, { limits: limits.locator }));
}

function layer(f: JsonFields, limits: ActionLimits, field: string): string {
  return f.parsed(field, (raw) => normalizeLayerName(raw, { limits: limits.locator }));
}

function metadata(f: JsonFields, limits: ActionLimits): JsonObject {
  return f.object("user_metadata", { maxBytes: limits.maxMetadataBytes });
}

function sequenceOnly(action: SequenceOnlyAction): Parser {
  return (f, limits) => ({ action, sequence: sequence(f, limits) });
}

function topicOnly(action: TopicOnlyAction): Parser {
  return (f, limits) => ({ action, topic: topic(f, limits) });
}

function sequenceWithKey(action: "sequence_finalize" | "sequence_abort"): Parser {
  return (f, limits) => ({ action, sequence: sequence(f, limits), key: f.parsed("key", sequenceKey) });
}

function sequenceKey(raw: string): string {
  return parseKey(raw, "sequence");
}

const PARSERS: { readonly [A in ActionName]: Parser } = {
  sequence_create: (f, limits) => ({
    action: "sequence_create",
    sequence: sequence(f, limits),
    userMetadata: metadata(f, limits),
  }),
  topic_create: (f, limits) => ({
    action: "topic_create",
    topic: topic(f, limits),
    sequenceKey: f.parsed("sequence_key", sequenceKey),
    serializationFormat: f.oneOf("serialization_format", SERIALIZATION_FORMATS),
    ontologyTag: f.parsed("ontology_tag", parseOntologyTag),
    userMetadata: metadata(f, limits),
  }),
  sequence_finalize: sequenceWithKey("sequence_finalize"),
  sequence_abort: sequenceWithKey("sequence_abort"),
  sequence_delete: sequenceOnly("sequence_delete"),
  sequence_system_info: sequenceOnly("sequence_system_info"),
  topic_system_info: topicOnly("topic_system_info"),
  topic_delete: topicOnly("topic_delete"),
  sequence_notify_create: (f, limits) => ({
    action: "sequence_notify_create",
    sequence: sequence(f, limits),
    notifyType: f.oneOf("notify_type", NOTIFY_TYPES),
    msg: f.string("msg"),
  }),
  sequence_notify_list: sequenceOnly("sequence_notify_list"),
  sequence_notify_purge: sequenceOnly("sequence_notify_purge"),
  topic_notify_create: (f, limits) => ({
    action: "topic_notify_create",
    topic: topic(f, limits),
    notifyType: f.oneOf("notify_type", NOTIFY_TYPES),
    msg: f.string("msg"),
  }),
  topic_notify_list: topicOnly("topic_notify_list"),
  topic_notify_purge: topicOnly("topic_notify_purge"),
  layer_create: (f, limits) => ({
    action: "layer_create",
    name: layer(f, limits, "name"),
    description: f.string("description"),
  }),
  layer_delete: (f, limits) => ({ action: "layer_delete", name: layer(f, limits, "name") }),
  layer_update: (f, limits) => ({
    action: "layer_update",
    prevName: layer(f, limits, "prev_name"),
    currName: layer(f, limits, "curr_name"),
    currDescription: f.string("curr_description"),
  }),
  layer_list: () => ({ action: "layer_list" }),
  query: (_f, _limits, body) => ({ action: "query", query: body }),
};

/** Every action name mosaicod understands (for ListActions). */
export const ACTION_NAMES: readonly ActionName[] = Object.freeze(Object.keys(PARSERS) as ActionName[]);

/**
 * Parses one DoAction request.
 * @param type `Action.type`, the action name.
 * @param body `Action.body`, UTF-8 JSON of an object (even for `layer_list`, whose body is `{}`).
 * @throws InvalidArgumentError for an unknown action or a malformed body; messages name the action and
 *   the field: `Invalid sequence_create request: field "name" must be a string`.
 * @throws ResourceExhaustedError when the body or `user_metadata` exceeds its limit: these are
 *   configured size limits, reported the way gRPC reports an oversized message.
 */
export function parseAction(type: string, body: Uint8Array, opts: Partial<ActionLimits> = {}): ActionRequest {
  if (!Object.hasOwn(PARSERS, type)) throw new InvalidArgumentError(`Unknown action ${quoteValue(type)}`);
  const action = type as ActionName;
  const d = DEFAULT_ACTION_LIMITS;
  const limits: ActionLimits = {
    maxBodyBytes: opts.maxBodyBytes ?? d.maxBodyBytes,
    maxMetadataBytes: opts.maxMetadataBytes ?? d.maxMetadataBytes,
    maxJsonDepth: opts.maxJsonDepth ?? d.maxJsonDepth,
    locator: opts.locator ?? d.locator,
  };
  const what = `${action} request`;
  const obj = decodeJsonObject(body, { what, part: "body" }, {
    maxBytes: limits.maxBodyBytes,
    maxDepth: limits.maxJsonDepth,
  });
  return PARSERS[action](new JsonFields(obj, what), limits, obj);
}

/**
 * Checks an ontology tag. The protocol treats it as opaque, but queries address data as
 * `<tag>.<field path>` split at the first `.`, so a tag holding `.` could never be queried.
 * Shared with the 2026 action parser (`v2026/actions.ts`).
 */
export function parseOntologyTag(raw: string): string {
  const bad = (reason: string) =>
    new InvalidArgumentError(`Invalid ontology tag ${quoteValue(raw)}: ${reason}`);
  if (raw === "") throw bad("the tag is empty");
  if (raw.includes(".")) throw bad('"." is not allowed (queries split "<tag>.<field>" at the first ".")');
  if (raw.trim() !== raw) throw bad("the tag must not start or end with whitespace");
  for (const ch of raw) {
    const c = ch.codePointAt(0)!;
    if (c <= 0x1f || (c >= 0x7f && c <= 0x9f)) throw bad("control characters are not allowed");
  }
  if (utf8ByteLength(raw) > 255) throw bad("the tag is longer than 255 UTF-8 bytes");
  return raw;
}

const utf8 = new TextEncoder();

/**
 * Encodes the single DoAction Result body (section 3): compact JSON `{"action":<name>,"response":{…}}`,
 * or `{"action":"empty"}` when the action returns nothing (`response` null).
 * The SDK expands `response` into a dataclass, so it must hold exactly the documented keys.
 */
export function encodeActionResult(action: string, response: object | null): Uint8Array {
  return utf8.encode(response === null ? '{"action":"empty"}' : JSON.stringify({ action, response }));
}

/**
 * Renders a creation time as `YYYY-MM-DD HH:MM:SS[.fff] UTC` (section 4.6), the fraction omitted when the
 * milliseconds are 0, e.g. `2025-12-01 10:20:30.123 UTC`. Pure: the SDK compares two calls' answers.
 * @param ms milliseconds since the Unix epoch, an integer within years 0000–9999.
 * @throws RangeError otherwise (a bug: creation times come from the catalog).
 */
export function formatCreatedDatetime(ms: number): string {
  const d = new Date(ms);
  const year = d.getUTCFullYear();
  if (!Number.isSafeInteger(ms) || Number.isNaN(year) || year < 0 || year > 9999) {
    throw new RangeError(`Cannot format creation time ${ms} ms: not an integer within years 0000-9999`);
  }
  const p = (n: number, width = 2) => String(n).padStart(width, "0");
  const millis = d.getUTCMilliseconds();
  const date = `${p(year, 4)}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}`;
  const time = `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
  return `${date} ${time}${millis === 0 ? "" : `.${p(millis, 3)}`} UTC`;
}
