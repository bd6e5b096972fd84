/**
 * Telling the SDK generations apart, per call, from the request alone (2026 protocol, section 15; 0.7
 * delta, section 6): the GetFlightInfo descriptor type and command keys, the DoPut command keys, the
 * DoGet ticket kind, the action name, and for the names several generations use, the body keys. A call
 * shows 0.1.0 (`v1`), SDK 0.4 only (`v2026`: `version`, `api_key_*`, `session_delete {session_uuid}`),
 * SDK 0.6/0.7 only (`v07`: `topic_filter_*`, `session_delete {locator}`, GetSchema; `info`, the 0.7
 * probe, as `v07-probe`), or only the 2026 line that both of the last two share (`2026-line`). Pure
 * decisions: `service.ts` acts on them and remembers what each connection proved (`dialect.ts`).
 *
 * @module
 */
import { InvalidArgumentError, ResourceExhaustedError } from "../../errors.ts";
import { quoteValue } from "../../model/locator.ts";
import { bodyEvidence } from "../../query/dialect.ts";
import { decodeJsonObject, type JsonLimits, type JsonObject } from "../_json_fields.ts";
import { ACTION_NAMES } from "../actions.ts";
import type { DialectProof } from "../dialect.ts";
import type { FlightDescriptor } from "../messages.ts";
import type { TicketRequest } from "../ticket.ts";
import { isActionName07 } from "../v07/actions.ts";
import { ACTION_NAMES_2026 } from "./actions.ts";

const V1_NAMES: ReadonlySet<string> = new Set(ACTION_NAMES);
const V2026_NAMES: ReadonlySet<string> = new Set(ACTION_NAMES_2026);
/** 2026 names SDK 0.6/0.7 no longer sends (A2, A5). */
const V2026_ONLY_NAMES: ReadonlySet<string> = new Set([
  "version",
  "api_key_create",
  "api_key_status",
  "api_key_revoke",
]);

/** What an action shows: a proof for the connection, or (a neutral `query`) nothing. */
export type ActionRoute = DialectProof | "neutral";

/**
 * Decides which generation an action belongs to. Names only one generation has decide alone (`info`
 * is the 0.7 probe); `session_delete` decides by body key, `session_uuid` (SDK 0.4) or `locator` (SDK
 * 0.6+); the four names 0.1.0 shares (`sequence_create`, `sequence_delete`, `topic_create`,
 * `topic_delete`) by body key, `name` (0.1.0) or `locator` (2026 line); `query` by its section keys
 * (`query/dialect.ts`), neutral when it uses no generation's own keys.
 * @throws InvalidArgumentError for an unknown name; for a shared name whose body is not a JSON object or
 *   holds both or neither of `name` and `locator`; for a query mixing both grammars.
 * @throws ResourceExhaustedError for a body over `limits.maxBytes` (only shared names and `query`).
 */
export function routeAction(name: string, body: Uint8Array, limits: JsonLimits): ActionRoute {
  if (isActionName07(name)) return name === "info" ? "v07-probe" : "v07";
  const v1 = V1_NAMES.has(name);
  const v2026 = V2026_NAMES.has(name);
  if (!v1 && !v2026) throw new InvalidArgumentError(`Unknown action ${quoteValue(name)}`);
  if (!v2026) return "v1";
  if (V2026_ONLY_NAMES.has(name)) return "v2026";
  if (name === "session_delete") return sessionDeleteDialect(body, limits);
  if (!v1) return "2026-line";
  const obj = decodeJsonObject(body, { what: `${name} request`, part: "body" }, limits);
  if (name === "query") return queryProof(obj);
  return sharedNameDialect(name, obj);
}

/**
 * What a query body proves on its own (`query/dialect.ts`): the one dialect its field keys allow; the
 * 2026 line when they allow SDK 0.4 and 0.6/0.7 (e.g. `created_at_ns`); else nothing. Operators prove
 * nothing about the connection: an operator its SDK lacks is a mistake to refuse, not a new dialect.
 */
function queryProof(obj: JsonObject): ActionRoute {
  const { byKeys: allowed } = bodyEvidence(obj);
  if (allowed.length === 1) return allowed[0];
  return allowed.length === 2 && !allowed.includes("v1") ? "2026-line" : "neutral";
}

/** `{"session_uuid"}` is SDK 0.4's, `{"locator"}` SDK 0.6+'s; anything else is left to the parser. */
function sessionDeleteDialect(body: Uint8Array, limits: JsonLimits): ActionRoute {
  let obj: JsonObject;
  try {
    obj = decodeJsonObject(body, { what: "session_delete request", part: "body" }, limits);
  } catch (err) {
    if (err instanceof InvalidArgumentError || err instanceof ResourceExhaustedError) return "2026-line";
    throw err;
  }
  const hasUuid = Object.hasOwn(obj, "session_uuid");
  const hasLocator = Object.hasOwn(obj, "locator");
  if (hasUuid === hasLocator) return "2026-line"; // the parser refuses both and neither
  return hasLocator ? "v07" : "v2026";
}

function sharedNameDialect(name: string, obj: JsonObject): DialectProof {
  const hasName = Object.hasOwn(obj, "name");
  const hasLocator = Object.hasOwn(obj, "locator");
  if (hasName !== hasLocator) return hasName ? "v1" : "2026-line";
  const problem = hasName
    ? 'the body holds both "name" (0.1.0 protocol) and "locator" (2026 protocol); it must hold one'
    : 'field "name" is missing (0.1.0 protocol), as is field "locator" (2026 protocol)';
  throw new InvalidArgumentError(`Invalid ${name} request: ${problem}`);
}

/**
 * The dialect of a GetFlightInfo descriptor: PATH is 0.1.0; a CMD whose JSON object holds
 * `resource_locator` is the 2026 line; any other CMD is one of our extensions (`topic_range`,
 * `events`), or malformed, and proves nothing (null).
 */
export function infoDialect(descriptor: FlightDescriptor): DialectProof | null {
  if (descriptor.type === "path") return "v1";
  if (descriptor.type !== "cmd") return null;
  return commandKeys(descriptor.cmd).includes("resource_locator") ? "2026-line" : null;
}

/**
 * The dialect of a DoPut's first descriptor: a CMD JSON object holding `resource_locator` or
 * `topic_uuid` is the 2026 line, one holding `topic` is 0.1.0; anything else (no descriptor, PATH,
 * malformed) proves nothing (null) and is refused by the 0.1.0 parser.
 */
export function putDialect(descriptor: FlightDescriptor | null): DialectProof | null {
  if (descriptor === null || descriptor.type !== "cmd") return null;
  const keys = commandKeys(descriptor.cmd);
  if (keys.includes("resource_locator") || keys.includes("topic_uuid")) return "2026-line";
  return keys.includes("topic") ? "v1" : null;
}

/**
 * The dialect of a parsed DoGet ticket: a window ticket is the 2026 line, a plain locator 0.1.0; range
 * and events tickets are extensions any client may use (null).
 */
export function ticketDialect(ticket: TicketRequest): DialectProof | null {
  if (ticket.kind === "window") return "2026-line";
  if (ticket.kind === "topic" && ticket.range === null) return "v1";
  return null;
}

/** Commands are small: anything larger is refused by the command's own parser. */
const PEEK_LIMITS: JsonLimits = { maxBytes: 64 * 1024, maxDepth: 64 };

/** The top-level keys of a CMD's JSON object, or none when it is not one (its parser reports why). */
function commandKeys(cmd: Uint8Array): string[] {
  try {
    return Object.keys(decodeJsonObject(cmd, { what: "command", part: "cmd" }, PEEK_LIMITS));
  } catch (err) {
    // Malformed: the parser the call falls back to refuses it with the precise reason.
    if (err instanceof InvalidArgumentError || err instanceof ResourceExhaustedError) return [];
    throw err;
  }
}
