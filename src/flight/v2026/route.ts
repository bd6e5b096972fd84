/**
 * Telling a 2026 call from a 0.1.0 one, per call, from the request alone (2026 protocol, section 15):
 * the GetFlightInfo descriptor type and command keys, the DoPut command keys, the DoGet ticket kind,
 * the action name, and for the names both protocols use, the body keys. Pure decisions: `service.ts`
 * acts on them and remembers what each connection proved (`dialect.ts`).
 *
 * @module
 */
import { InvalidArgumentError, ResourceExhaustedError } from "../../errors.ts";
import { quoteValue } from "../../model/locator.ts";
import { queryDialect } from "../../query/dialect.ts";
import { decodeJsonObject, type JsonLimits, type JsonObject } from "../_json_fields.ts";
import { ACTION_NAMES } from "../actions.ts";
import type { Dialect } from "../dialect.ts";
import type { FlightDescriptor } from "../messages.ts";
import type { TicketRequest } from "../ticket.ts";
import { ACTION_NAMES_2026 } from "./actions.ts";

const V1_NAMES: ReadonlySet<string> = new Set(ACTION_NAMES);
const V2026_NAMES: ReadonlySet<string> = new Set(ACTION_NAMES_2026);

/** Where an action goes: one dialect's adapter, or (a neutral `query`) the connection's dialect. */
export type ActionRoute = Dialect | "neutral";

/**
 * Decides which protocol an action belongs to. Names only one protocol has decide alone; the four
 * names both have (`sequence_create`, `sequence_delete`, `topic_create`, `topic_delete`) decide by body
 * key, `name` (0.1.0) or `locator` (2026); `query` by its section keys (`query/dialect.ts`), neutral when
 * it uses neither grammar's own keys.
 * @throws InvalidArgumentError for an unknown name; for a shared name whose body is not a JSON object or
 *   holds both or neither of `name` and `locator`; for a query mixing both grammars.
 * @throws ResourceExhaustedError for a body over `limits.maxBytes` (only shared names and `query`).
 */
export function routeAction(name: string, body: Uint8Array, limits: JsonLimits): ActionRoute {
  const v1 = V1_NAMES.has(name);
  const v2026 = V2026_NAMES.has(name);
  if (!v1 && !v2026) throw new InvalidArgumentError(`Unknown action ${quoteValue(name)}`);
  if (!v2026) return "v1";
  if (!v1) return "v2026";
  const obj = decodeJsonObject(body, { what: `${name} request`, part: "body" }, limits);
  if (name === "query") return queryDialect(obj) ?? "neutral";
  return sharedNameDialect(name, obj);
}

function sharedNameDialect(name: string, obj: JsonObject): Dialect {
  const hasName = Object.hasOwn(obj, "name");
  const hasLocator = Object.hasOwn(obj, "locator");
  if (hasName !== hasLocator) return hasName ? "v1" : "v2026";
  const problem = hasName
    ? 'the body holds both "name" (0.1.0 protocol) and "locator" (2026 protocol); it must hold one'
    : 'field "name" is missing (0.1.0 protocol), as is field "locator" (2026 protocol)';
  throw new InvalidArgumentError(`Invalid ${name} request: ${problem}`);
}

/**
 * The dialect of a GetFlightInfo descriptor: PATH is 0.1.0; a CMD whose JSON object holds
 * `resource_locator` is 2026; any other CMD is one of our extensions (`topic_range`, `events`), or
 * malformed, and proves nothing (null).
 */
export function infoDialect(descriptor: FlightDescriptor): Dialect | null {
  if (descriptor.type === "path") return "v1";
  if (descriptor.type !== "cmd") return null;
  return commandKeys(descriptor.cmd).includes("resource_locator") ? "v2026" : null;
}

/**
 * The dialect of a DoPut's first descriptor: a CMD JSON object holding `resource_locator` or
 * `topic_uuid` is 2026, one holding `topic` is 0.1.0; anything else (no descriptor, PATH, malformed)
 * proves nothing (null) and is refused by the 0.1.0 parser.
 */
export function putDialect(descriptor: FlightDescriptor | null): Dialect | null {
  if (descriptor === null || descriptor.type !== "cmd") return null;
  const keys = commandKeys(descriptor.cmd);
  if (keys.includes("resource_locator") || keys.includes("topic_uuid")) return "v2026";
  return keys.includes("topic") ? "v1" : null;
}

/**
 * The dialect of a parsed DoGet ticket: a window ticket is 2026, a plain locator 0.1.0; range and
 * events tickets are extensions either client may use (null).
 */
export function ticketDialect(ticket: TicketRequest): Dialect | null {
  if (ticket.kind === "window") return "v2026";
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
