/**
 * DoAction of the 2026 protocol at the wire edge (sections 3 and 4): `parseAction2026()` turns an action
 * name and its JSON body into a typed {@link ActionRequest2026}; `encodeActionResult2026()` builds the one
 * Result body. Locators go through `v2026/locator.ts` (section 2.1), uuids through `model/keys.ts`.
 * No catalog, store or gRPC here.
 *
 * Body rules as for 0.1.0 (`../actions.ts`): strict UTF-8, one JSON object, extra keys ignored, required
 * keys present with the right JSON type, `user_metadata` a JSON object.
 *
 * @module
 */
import { InvalidArgumentError } from "../../errors.ts";
import { API_KEY_PERMISSIONS, type ApiKeyPermission } from "../../model/api_keys.ts";
import { parseKey } from "../../model/keys.ts";
import { quoteValue, type TopicName } from "../../model/locator.ts";
import {
  type JsonValue,
  type NotifyType,
  SERIALIZATION_FORMATS,
  type SerializationFormat,
  type SessionRef,
} from "../../model/types.ts";
import { decodeJsonObject, JsonFields, type JsonObject } from "../_json_fields.ts";
import { type ActionLimits, DEFAULT_ACTION_LIMITS, parseOntologyTag } from "../actions.ts";
import { readNs } from "../ticket.ts";
import { parseSequenceLocator, parseSessionLocator, parseTopicLocator } from "./locator.ts";

/** One 2026 DoAction request, typed. Locators are normalised; uuids canonical (lowercase, hyphenated). */
export type ActionRequest2026 =
  | { action: "sequence_create"; sequence: string; userMetadata: JsonObject }
  | { action: SequenceOnlyAction2026; sequence: string }
  | { action: TopicOnlyAction2026; topic: TopicName }
  | { action: "session_finalize"; sessionUuid: string }
  /** By its write token (`session_uuid`, SDK 0.4) or its public locator (`locator`, SDK 0.6+). */
  | { action: "session_delete"; session: SessionRef }
  | {
    action: "topic_create";
    topic: TopicName;
    sessionUuid: string;
    serializationFormat: SerializationFormat;
    ontologyTag: string;
    userMetadata: JsonObject;
  }
  | { action: "sequence_notification_create"; sequence: string; notifyType: NotifyType; msg: string }
  | { action: "topic_notification_create"; topic: TopicName; notifyType: NotifyType; msg: string }
  /** The whole body is the query (section 9); its grammar is parsed in `query/`. */
  | { action: "query"; query: JsonObject }
  | { action: "api_key_create"; level: ApiKeyPermission; description: string; expiresNs: bigint | null }
  | { action: "api_key_status" | "api_key_revoke"; fingerprint: string }
  | { action: "version" };

export type ActionName2026 = ActionRequest2026["action"];

/** Actions whose body is only a sequence locator. */
export type SequenceOnlyAction2026 =
  | "sequence_delete"
  | "session_create"
  | "sequence_notification_list"
  | "sequence_notification_purge";

/** Actions whose body is only a full topic locator. */
export type TopicOnlyAction2026 = "topic_delete" | "topic_notification_list" | "topic_notification_purge";

type Parser = (f: JsonFields, limits: ActionLimits, body: JsonObject) => ActionRequest2026;

const NOTIFICATION_TYPES: readonly NotifyType[] = ["error"];

function sequence(f: JsonFields, limits: ActionLimits): string {
  return f.parsed("locator", (raw) => parseSequenceLocator(raw, { limits: limits.locator }));
}

function topic(f: JsonFields, limits: ActionLimits): TopicName {
  return f.parsed("locator", (raw) => parseTopicLocator(raw, { limits: limits.locator }));
}

function sessionUuid(f: JsonFields): string {
  return f.parsed("session_uuid", parseUuid);
}

/**
 * `session_delete`'s session: `locator` (`<sequence>:<ulid>`, SDK 0.6+) or `session_uuid` (SDK 0.4);
 * exactly one of them.
 */
function sessionRef(f: JsonFields, limits: ActionLimits): SessionRef {
  if (f.has("locator") && f.has("session_uuid")) {
    throw f.error("locator", 'cannot come with "session_uuid": a session is named by one of them');
  }
  if (!f.has("locator")) return { uuid: sessionUuid(f) };
  return f.parsed("locator", (raw) => parseSessionLocator(raw, { limits: limits.locator }));
}

function metadata(f: JsonFields, limits: ActionLimits): JsonObject {
  return f.object("user_metadata", { maxBytes: limits.maxMetadataBytes });
}

function notificationType(f: JsonFields): NotifyType {
  return f.oneOf("notification_type", NOTIFICATION_TYPES);
}

/** A uuid in any form the daemon's parser takes (any case, with or without hyphens), made canonical. */
function parseUuid(raw: string): string {
  try {
    return parseKey(raw, "topic");
  } catch (err) {
    if (!(err instanceof InvalidArgumentError)) throw err;
    throw new InvalidArgumentError(`Malformed uuid ${quoteValue(raw)}: not a UUID`, { cause: err });
  }
}

function sequenceOnly(action: SequenceOnlyAction2026): Parser {
  return (f, limits) => ({ action, sequence: sequence(f, limits) });
}

function topicOnly(action: TopicOnlyAction2026): Parser {
  return (f, limits) => ({ action, topic: topic(f, limits) });
}

function fingerprintOnly(action: "api_key_status" | "api_key_revoke"): Parser {
  return (f) => ({ action, fingerprint: f.string("api_key_fingerprint") });
}

const PARSERS: { readonly [A in ActionName2026]: Parser } = {
  sequence_create: (f, limits) => ({
    action: "sequence_create",
    sequence: sequence(f, limits),
    userMetadata: metadata(f, limits),
  }),
  sequence_delete: sequenceOnly("sequence_delete"),
  session_create: sequenceOnly("session_create"),
  session_finalize: (f) => ({ action: "session_finalize", sessionUuid: sessionUuid(f) }),
  session_delete: (f, limits) => ({ action: "session_delete", session: sessionRef(f, limits) }),
  // Daemon order (4.3): the uuid, then the locator; the format is a body error like any other.
  topic_create: (f, limits) => {
    const uuid = sessionUuid(f);
    return {
      action: "topic_create",
      topic: topic(f, limits),
      sessionUuid: uuid,
      serializationFormat: f.oneOf("serialization_format", SERIALIZATION_FORMATS),
      ontologyTag: f.parsed("ontology_tag", parseOntologyTag),
      userMetadata: metadata(f, limits),
    };
  },
  topic_delete: topicOnly("topic_delete"),
  sequence_notification_create: (f, limits) => ({
    action: "sequence_notification_create",
    sequence: sequence(f, limits),
    notifyType: notificationType(f),
    msg: f.string("msg"),
  }),
  topic_notification_create: (f, limits) => ({
    action: "topic_notification_create",
    topic: topic(f, limits),
    notifyType: notificationType(f),
    msg: f.string("msg"),
  }),
  sequence_notification_list: sequenceOnly("sequence_notification_list"),
  sequence_notification_purge: sequenceOnly("sequence_notification_purge"),
  topic_notification_list: topicOnly("topic_notification_list"),
  topic_notification_purge: topicOnly("topic_notification_purge"),
  query: (_f, _limits, body) => ({ action: "query", query: body }),
  api_key_create: (f) => ({
    action: "api_key_create",
    level: f.oneOf("permissions", API_KEY_PERMISSIONS),
    description: f.string("description"),
    expiresNs: readNs(f, "expires_at_ns"),
  }),
  api_key_status: fingerprintOnly("api_key_status"),
  api_key_revoke: fingerprintOnly("api_key_revoke"),
  version: () => ({ action: "version" }),
};

/** Every 2026 action name. */
export const ACTION_NAMES_2026: readonly ActionName2026[] = Object.freeze(
  Object.keys(PARSERS) as ActionName2026[],
);

/** Whether `name` is a 2026 action name. */
export function isActionName2026(name: string): name is ActionName2026 {
  return Object.hasOwn(PARSERS, name);
}

/**
 * Parses one 2026 DoAction request.
 * @param type `Action.type`, the action name.
 * @param body `Action.body`, UTF-8 JSON of an object (`{}` for `version`).
 * @throws InvalidArgumentError for an unknown action or a malformed body, naming the action and the key:
 *   `Invalid session_create request: field "locator": invalid locator "a/b": it names a topic, …`.
 * @throws ResourceExhaustedError when the body or `user_metadata` exceeds its limit.
 */
export function parseAction2026(
  type: string,
  body: Uint8Array,
  opts: Partial<ActionLimits> = {},
): ActionRequest2026 {
  if (!isActionName2026(type)) throw new InvalidArgumentError(`Unknown action ${quoteValue(type)}`);
  const limits: ActionLimits = { ...DEFAULT_ACTION_LIMITS, ...definedOnly(opts) };
  const what = `${type} request`;
  const obj = decodeJsonObject(body, { what, part: "body" }, {
    maxBytes: limits.maxBodyBytes,
    maxDepth: limits.maxJsonDepth,
  });
  return PARSERS[type](new JsonFields(obj, what), limits, obj);
}

function definedOnly(opts: Partial<ActionLimits>): Partial<ActionLimits> {
  return Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined));
}

const utf8 = new TextEncoder();

/**
 * Encodes one Result body (section 3): compact JSON `{"action":<name>,"response":<value>}`, with
 * `"response":null` for actions that answer nothing (the SDK 0.6/0.7 actions use the same envelope). Integers the response holds as raw JSON (exact ns)
 * are written verbatim.
 */
export function encodeActionResult2026(action: string, response: JsonValue): Uint8Array {
  return utf8.encode(JSON.stringify({ action, response }));
}
