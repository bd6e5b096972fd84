/**
 * DoGet tickets: the only code that knows their format.
 *
 * Plain tickets (the protocol's only form, section 7.3): the UTF-8 full topic locator
 * `<sequence>/<topic path>`. Every FlightInfo answered for a PATH descriptor carries these, because the SDK
 * splits tickets itself to find its topics (sections 2.3 and 14.2); they must stay plain strings.
 *
 * Time-range reads (extension: one topic between two `timestamp_ns` values). Design:
 *
 * - Range ticket = the byte 0xFF, then UTF-8 JSON
 *   `{"topic_range": {"name": "<sequence>/<topic path>", "start_ns": "<int64>", "end_ns": "<int64>"}}`.
 *   0xFF never occurs in UTF-8, so no plain ticket can start with it, not even one the daemon would take
 *   (it allows any character in names). A JSON ticket without the marker would be ambiguous with a topic
 *   literally named `{"topic_range"…`, and a suffix such as `seq/imu?start=1` is a valid name too.
 *   A server without the extension (the daemon included) refuses the ticket as "not UTF-8" instead of
 *   reading it as a topic name.
 * - How a client gets one: GetFlightInfo with a CMD descriptor whose `cmd` is the same JSON without the
 *   marker ({@link parseTopicRangeCommand}). The answer is the topic's usual FlightInfo (same schema and
 *   metadata keys) with one endpoint whose ticket is the range ticket; DoGet then streams the schema
 *   message and the rows with `start_ns <= timestamp_ns <= end_ns`, sorted as usual (schema only when no
 *   row matches, which the SDK reads as an empty topic). Flight clients treat tickets as opaque, so they
 *   need no knowledge of the format; a client may also build the ticket itself
 *   (pyarrow: `flight.Ticket(b"\xff" + json.dumps(cmd).encode())`).
 * - The SDK only sends PATH descriptors and only replays tickets it was given, so it never meets a
 *   range ticket, and the tickets it does meet are unchanged.
 * - Bounds are inclusive, like the query's `$between` and a chunk's `startNs`/`endNs`; either may be
 *   omitted (or null) for an open end; `start_ns > end_ns` is refused. Values are int64, as decimal
 *   strings or JSON integers; both are exact (model/json.ts keeps integers beyond ±2^53 as written).
 * - Externally tagged, as the DoPut command: future kinds add tags. Unknown fields are refused, so that
 *   a server that does not know a future restriction (say `columns`) never silently ignores it.
 *
 * Live events (extension: the catalog's event log, then new events as they commit; `read/events.ts`).
 * The same structured form, second kind:
 *
 * - Events ticket = 0xFF + `{"events": {"after_id": <int, default 0>, "follow": <bool, default true>,
 *   "kinds": [<event kind>, …]}}`; every field optional (absent or null: the default; `kinds` absent:
 *   every kind). `after_id` is a JSON integer or a decimal string from 0 to 2^53 - 1; `kinds` a non-empty
 *   list of known kinds. Unknown fields and kinds are refused, for the same reason as above.
 * - GetFlightInfo with a CMD descriptor holding the same JSON without the marker answers the event
 *   schema and one endpoint whose ticket is the canonical events ticket, so a plain Flight client can
 *   discover the stream; a client may also build the ticket itself.
 * - A structured ticket or command holds exactly one kind: `topic_range` or `events` (tickets also
 *   `window`, below).
 *
 * 2026 windows (section 7.3), tickets only, handed out by the 2026 GetFlightInfo (`v2026/flight_info.ts`):
 * 0xFF + `{"window": {"name": "<sequence>/<topic path>", "start_ns": "<int64>", "end_ns": "<int64>"}}`,
 * the window `[start, end)` END EXCLUSIVE, bounds optional as above; `start_ns >= end_ns` reads nothing
 * (accepted, as the 2026 daemon does). The 0xFF marker keeps them apart from 0.1.0 plain tickets.
 *
 * @module
 */
import type { TimeRange } from "../model/types.ts";
import { isRawJson } from "../model/json.ts";
import { InvalidArgumentError, ResourceExhaustedError } from "../errors.ts";
import { type LocatorLimits, normalizeTopicName, quoteValue, type TopicName } from "../model/locator.ts";
import type { EventSubscription } from "../read/mod.ts";
import { MAX_STRIPES } from "../read/stripes.ts";
import { eventsBody, parseEventsFields } from "./_events_ticket.ts";
import { decodeJsonObject, decodeUtf8, JsonFields, type JsonSource } from "./_json_fields.ts";

export type { EventSubscription, TimeRange };

/** A DoGet of one topic, whole (`range` null) or within a time range. */
export interface TopicRead {
  readonly kind: "topic";
  readonly topic: TopicName;
  readonly range: TimeRange | null;
}

/** A subscription to the catalog's events (DoGet ticket or GetFlightInfo command). */
export interface EventsRead {
  readonly kind: "events";
  readonly subscription: EventSubscription;
}

/** A 2026 DoGet: one topic, rows with `startNs <= timestamp_ns < endNs` (END EXCLUSIVE; null: open). */
export interface WindowRead {
  readonly kind: "window";
  readonly topic: TopicName;
  readonly window: TimeWindow;
}

/** A `timestamp_ns` window `[startNs, endNs)`: start inclusive, END EXCLUSIVE; null means open. */
export interface TimeWindow {
  readonly startNs: bigint | null;
  readonly endNs: bigint | null;
}

/** What a DoGet ticket asks for. */
export type TicketRequest = TopicRead | EventsRead | WindowRead;

/** What a GetFlightInfo CMD descriptor asks for. */
export type FlightCommand = TopicRangeCommand | EventsRead;

/** First byte of a structured (non-plain) ticket; never valid UTF-8. */
export const STRUCTURED_TICKET_MARKER = 0xff;

/** A ticket is a name, or a name and two integers; anything bigger is refused before decoding. */
export const MAX_TICKET_BYTES = 64 * 1024;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const DECIMAL = /^-?(0|[1-9][0-9]*)$/;
const RANGE_FIELDS = new Set(["name", "start_ns", "end_ns"]);
/** The command may also ask for stripes; a ticket is always one stripe. */
const COMMAND_FIELDS = new Set([...RANGE_FIELDS, "stripes"]);
const WINDOW_FIELDS = new Set(["name", "start_ns", "end_ns"]);
type RangeSource = JsonSource & {
  readonly fields: ReadonlySet<string>;
  /** The structured kinds this source may hold. */
  readonly kinds: readonly StructuredKind[];
};
const TICKET: RangeSource = {
  what: "DoGet ticket",
  part: "ticket",
  fields: RANGE_FIELDS,
  kinds: ["topic_range", "events", "window"],
};
const COMMAND: RangeSource = {
  what: "GetFlightInfo command",
  part: "cmd",
  fields: COMMAND_FIELDS,
  kinds: ["topic_range", "events"],
};

/** A GetFlightInfo range command: the topic, the range, and how many stripes to cut it into (1: none). */
export interface TopicRangeCommand {
  readonly kind: "topic_range";
  readonly topic: TopicName;
  readonly range: TimeRange;
  readonly stripes: number;
}

/** The kinds of structured tickets and commands, as their JSON tags. */
type StructuredKind = "topic_range" | "events" | "window";

const utf8 = new TextEncoder();

/**
 * Parses a DoGet ticket: a plain UTF-8 topic locator, or a structured ticket (marker 0xFF + JSON): a
 * range of a topic or an events subscription.
 * @throws InvalidArgumentError for non-UTF-8 bytes, a name that is not a valid topic locator, or a
 *   malformed structured ticket.
 * @throws ResourceExhaustedError for a ticket over {@link MAX_TICKET_BYTES}.
 */
export function parseTicket(bytes: Uint8Array, opts: { limits?: LocatorLimits } = {}): TicketRequest {
  if (bytes.length > 0 && bytes[0] === STRUCTURED_TICKET_MARKER) {
    const parsed = parseStructured(bytes.subarray(1), TICKET, opts.limits);
    if (parsed.kind === "events" || parsed.kind === "window") return parsed;
    return { kind: "topic", topic: parsed.topic, range: parsed.range };
  }
  if (bytes.length > MAX_TICKET_BYTES) {
    throw new ResourceExhaustedError(
      `Rejected ${TICKET.what}: ticket of ${bytes.length} bytes exceeds the ${MAX_TICKET_BYTES}-byte limit`,
    );
  }
  const raw = decodeUtf8(bytes, TICKET);
  try {
    return { kind: "topic", topic: normalizeTopicName(raw, { limits: opts.limits }), range: null };
  } catch (err) {
    if (!(err instanceof InvalidArgumentError)) throw err;
    throw new InvalidArgumentError(`Invalid ${TICKET.what}: ${lowerFirst(err.message)}`, { cause: err });
  }
}

/**
 * Parses the `cmd` of a GetFlightInfo CMD descriptor (no marker byte): a time range of one topic,
 * `{"topic_range": {"name": …, "start_ns": …, "end_ns": …, "stripes": …}}`, or an events subscription,
 * `{"events": {…}}`.
 * @throws InvalidArgumentError or ResourceExhaustedError as {@link parseTicket}.
 */
export function parseFlightCommand(cmd: Uint8Array, opts: { limits?: LocatorLimits } = {}): FlightCommand {
  // COMMAND.kinds excludes "window": parseStructured refuses it here.
  return parseStructured(cmd, COMMAND, opts.limits) as FlightCommand;
}

/** The plain ticket for a topic: its full locator as UTF-8 (the form the SDK parses). */
export function encodeTicket(topicFull: string): Uint8Array {
  return utf8.encode(topicFull);
}

/** The range ticket for a topic: marker 0xFF + compact JSON, bounds as decimal strings, open ends omitted. */
export function encodeRangeTicket(topicFull: string, range: TimeRange): Uint8Array {
  return withMarker(encodeTopicRangeCommand(topicFull, range));
}

/** The GetFlightInfo `cmd` asking for a range of a topic (what a client sends; for tests and tools). */
export function encodeTopicRangeCommand(topicFull: string, range: TimeRange): Uint8Array {
  return utf8.encode(JSON.stringify({ topic_range: rangeCommand(topicFull, range) }));
}

/** The events ticket for a subscription: marker 0xFF + compact JSON of every field but null `kinds`. */
export function encodeEventsTicket(sub: EventSubscription): Uint8Array {
  return withMarker(encodeEventsCommand(sub));
}

/** The GetFlightInfo `cmd` asking for an events subscription (what a client sends; for tests and tools). */
export function encodeEventsCommand(sub: EventSubscription): Uint8Array {
  return utf8.encode(JSON.stringify({ events: eventsBody(sub) }));
}

/** The 2026 window ticket for a topic: marker 0xFF + compact JSON, bounds as decimal strings, open ends omitted. */
export function encodeWindowTicket(topicFull: string, window: TimeWindow): Uint8Array {
  return withMarker(utf8.encode(JSON.stringify({ window: rangeCommand(topicFull, window) })));
}

function withMarker(json: Uint8Array): Uint8Array {
  const out = new Uint8Array(json.length + 1);
  out[0] = STRUCTURED_TICKET_MARKER;
  out.set(json, 1);
  return out;
}

function rangeCommand(topicFull: string, range: TimeRange | TimeWindow): Record<string, string> {
  const body: Record<string, string> = { name: topicFull };
  if (range.startNs !== null) body.start_ns = range.startNs.toString();
  if (range.endNs !== null) body.end_ns = range.endNs.toString();
  return body;
}

/** A structured ticket's or command's JSON: exactly one kind, then that kind's fields. */
function parseStructured(
  bytes: Uint8Array,
  src: RangeSource,
  limits: LocatorLimits | undefined,
): TopicRangeCommand | EventsRead | WindowRead {
  const obj = decodeJsonObject(bytes, src, { maxBytes: MAX_TICKET_BYTES, maxDepth: 8 });
  const root = new JsonFields(obj, src.what);
  const kinds = root.keys();
  for (const kind of kinds) {
    if (!(src.kinds as readonly string[]).includes(kind)) {
      throw new InvalidArgumentError(`Invalid ${src.what}: unknown kind ${quoteValue(kind)}`);
    }
  }
  if (kinds.length !== 1) {
    const names = src.kinds.map((k) => `"${k}"`).join(" or ");
    throw new InvalidArgumentError(
      `Invalid ${src.what}: ${src.part} must hold exactly one kind, ${names}, not ${kinds.length}`,
    );
  }
  if (kinds[0] === "events") {
    return { kind: "events", subscription: parseEventsFields(root.nested("events")) };
  }
  if (kinds[0] === "window") return parseWindow(root.nested("window"), limits);
  return parseRange(root.nested("topic_range"), src, limits);
}

function parseWindow(f: JsonFields, limits: LocatorLimits | undefined): WindowRead {
  for (const field of f.keys()) {
    if (!WINDOW_FIELDS.has(field)) throw f.error(field, "is not supported");
  }
  const topic = f.parsed("name", (raw) => normalizeTopicName(raw, { limits }));
  return { kind: "window", topic, window: { startNs: readNs(f, "start_ns"), endNs: readNs(f, "end_ns") } };
}

function parseRange(f: JsonFields, src: RangeSource, limits: LocatorLimits | undefined): TopicRangeCommand {
  for (const field of f.keys()) {
    if (!src.fields.has(field)) throw f.error(field, "is not supported");
  }
  const topic = f.parsed("name", (raw) => normalizeTopicName(raw, { limits }));
  const startNs = readNs(f, "start_ns");
  const endNs = readNs(f, "end_ns");
  if (startNs !== null && endNs !== null && startNs > endNs) {
    throw new InvalidArgumentError(`Invalid ${src.what}: start_ns ${startNs} is after end_ns ${endNs}`);
  }
  let stripes = 1;
  if (f.has("stripes")) {
    const v = f.value("stripes");
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > MAX_STRIPES) {
      throw f.error("stripes", `must be an integer from 1 to ${MAX_STRIPES}`);
    }
    stripes = v;
  }
  return { kind: "topic_range", topic, range: { startNs, endNs }, stripes };
}

/**
 * An optional int64 field: absent or null → null; a decimal string or a JSON integer (exact, also beyond
 * 2^53 when the JSON was read with `parseJsonExact`). Shared with the 2026 command parsers.
 * @throws InvalidArgumentError naming the field otherwise.
 */
export function readNs(f: JsonFields, field: string): bigint | null {
  if (!f.has(field)) return null;
  const v = f.value(field);
  if (v === null) return null;
  let n: bigint;
  if (typeof v === "number") {
    if (!Number.isInteger(v)) throw f.error(field, "must be an integer");
    // An integral double (`1e18`, `1e300`): exact as a BigInt, whatever its decimal spelling would be.
    n = BigInt(v);
  } else if (isRawJson(v)) {
    n = BigInt((v as unknown as { rawJSON: string }).rawJSON); // an integer beyond ±2^53, kept exact
  } else if (typeof v === "string") {
    if (!DECIMAL.test(v)) throw f.error(field, `must be a decimal integer, not ${quoteValue(v)}`);
    n = BigInt(v);
  } else {
    throw f.error(field, "must be a decimal string or an integer");
  }
  if (n < INT64_MIN || n > INT64_MAX) {
    const text = String(n);
    throw f.error(
      field,
      `must fit in 64 bits, not ${text.length > 30 ? `a ${text.length}-digit number` : text}`,
    );
  }
  return n;
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}
