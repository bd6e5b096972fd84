/**
 * The body of an events ticket or command, `{"after_id": …, "follow": …, "kinds": […]}`: its one parser
 * and encoder. Folder-private: `ticket.ts` owns the ticket format and calls these (see its header).
 *
 * @module
 */
import { isRawJson } from "../model/json.ts";
import { quoteValue } from "../model/locator.ts";
import { EVENT_KINDS, type EventKind } from "../model/types.ts";
import type { EventSubscription } from "../read/mod.ts";
import type { JsonFields } from "./_json_fields.ts";

const FIELDS = new Set(["after_id", "follow", "kinds", "log"]);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DECIMAL = /^(0|[1-9][0-9]*)$/;

/** Reads the fields of the `events` object; absent or null fields take their defaults. */
export function parseEventsFields(f: JsonFields): EventSubscription {
  for (const field of f.keys()) {
    if (!FIELDS.has(field)) throw f.error(field, "is not supported");
  }
  return { afterId: readAfterId(f), follow: readFollow(f), kinds: readKinds(f), log: readLog(f) };
}

/** The canonical JSON body of a subscription (what the FlightInfo endpoint's ticket carries). */
export function eventsBody(sub: EventSubscription): Record<string, unknown> {
  const body: Record<string, unknown> = { after_id: sub.afterId, follow: sub.follow };
  if (sub.kinds !== null) body.kinds = sub.kinds;
  if (sub.log) body.log = sub.log;
  return body;
}

/** The event log the position belongs to (a uuid, from the stream's `mosaico:event_log`), or null. */
function readLog(f: JsonFields): string | null {
  if (!present(f, "log")) return null;
  const v = f.value("log");
  if (typeof v !== "string" || !UUID.test(v)) {
    throw f.error(
      "log",
      `must be the uuid of an event log (a stream's mosaico:event_log), not ${quoteValue(String(v))}`,
    );
  }
  return v.toLowerCase();
}

function present(f: JsonFields, field: string): boolean {
  return f.has(field) && f.value(field) !== null;
}

/** A non-negative safe integer (event ids are), as a JSON integer or a decimal string. */
function readAfterId(f: JsonFields): number {
  if (!present(f, "after_id")) return 0;
  const v = f.value("after_id");
  const expected = `must be an integer from 0 to ${Number.MAX_SAFE_INTEGER}`;
  let n: number;
  if (typeof v === "number") {
    n = v;
  } else if (typeof v === "string" && DECIMAL.test(v)) {
    n = Number(v);
  } else if (typeof v === "string") {
    throw f.error("after_id", `${expected}, not ${quoteValue(v)}`);
  } else if (isRawJson(v)) {
    throw f.error("after_id", `${expected}, not ${(v as unknown as { rawJSON: string }).rawJSON}`);
  } else {
    throw f.error("after_id", `${expected}, not ${describe(v)}`);
  }
  if (!Number.isSafeInteger(n) || n < 0) throw f.error("after_id", `${expected}, not ${v}`);
  return n;
}

function readFollow(f: JsonFields): boolean {
  if (!present(f, "follow")) return true;
  const v = f.value("follow");
  if (typeof v !== "boolean") throw f.error("follow", `must be true or false, not ${describe(v)}`);
  return v;
}

/** A non-empty list of known kinds, returned without duplicates in the order of {@link EVENT_KINDS}. */
function readKinds(f: JsonFields): readonly EventKind[] | null {
  if (!present(f, "kinds")) return null;
  const v = f.value("kinds");
  if (!Array.isArray(v)) throw f.error("kinds", `must be a list of event kinds, not ${describe(v)}`);
  if (v.length === 0) throw f.error("kinds", "must not be empty (omit it for every kind)");
  const wanted = new Set<string>();
  for (const item of v) {
    if (typeof item !== "string") throw f.error("kinds", `must hold strings, not ${describe(item)}`);
    if (!(EVENT_KINDS as readonly string[]).includes(item)) {
      throw f.error(
        "kinds",
        `holds an unknown kind ${quoteValue(item)}: expected ${EVENT_KINDS.map((k) => `"${k}"`).join(", ")}`,
      );
    }
    wanted.add(item);
  }
  return EVENT_KINDS.filter((k) => wanted.has(k));
}

/** A JSON value in an error message: strings quoted, containers by kind. */
function describe(v: unknown): string {
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object" && v !== null) return "an object";
  if (typeof v === "string") return quoteValue(v);
  return String(v);
}
