/**
 * Locators as the 2026 protocol reads them (section 2.1): trim, remove every leading `/`, classify by
 * shape (`/` inside → topic; one `:` and no `/` → session `<sequence>:<id>`; neither → sequence), then
 * validate with the project's rules (`model/locator.ts`). A locator of the wrong kind for its field is
 * refused as INVALID_ARGUMENT, as the daemon does.
 *
 * Two deliberate differences from the daemon: the characters it forbids (`! " ' * £ $ % & .`, spaces,
 * non-ASCII) are not refused here, so that every name a 0.1.0 client could create stays addressable from
 * a 2026 client of the same catalogue (`model/locator.ts` decides what a valid name is); and a `:` inside
 * a topic locator is allowed for the same reason. No gRPC, no domain calls.
 *
 * @module
 */
import { InvalidArgumentError } from "../../errors.ts";
import {
  type LocatorLimits,
  normalizeSequenceName,
  normalizeTopicName,
  quoteValue,
  type TopicName,
} from "../../model/locator.ts";
import { parseUlid } from "../../model/ulid.ts";

/** A parsed 2026 locator. */
export type Locator =
  | { readonly kind: "sequence"; readonly sequence: string }
  | { readonly kind: "topic"; readonly topic: TopicName }
  /** `<sequence>:<id>`: a session by its public id, a ULID (SDK 0.6+; unused by SDK 0.4.0). */
  | { readonly kind: "session"; readonly sequence: string; readonly id: string };

export type LocatorKind = Locator["kind"];

/** Parses a locator of any kind. @throws InvalidArgumentError for an empty, malformed or unclassifiable one. */
export function parseLocator(raw: string, opts: { limits?: LocatorLimits } = {}): Locator {
  const text = raw.trim().replace(/^\/+/, "");
  const kind = shapeOf(raw, text);
  if (kind === "topic") return { kind, topic: normalizeTopicName(text, { limits: opts.limits }) };
  if (kind === "sequence") {
    return {
      kind,
      sequence: normalizeSequenceName(text, { stripTrailingSlash: false, limits: opts.limits }),
    };
  }
  const colon = text.indexOf(":");
  const id = text.slice(colon + 1);
  if (id.trim() === "" || id.trim() !== id) {
    throw new InvalidArgumentError(`Invalid session locator ${quoteValue(raw)}: the session id is missing`);
  }
  const sequence = normalizeSequenceName(text.slice(0, colon), {
    stripTrailingSlash: false,
    limits: opts.limits,
  });
  return { kind, sequence, id };
}

/**
 * Parses a locator that must name a session, `<sequence>:<ulid>` (SDK 0.6+); the ULID in any case, made
 * canonical (uppercase). @throws InvalidArgumentError otherwise.
 */
export function parseSessionLocator(
  raw: string,
  opts: { limits?: LocatorLimits } = {},
): { sequence: string; ulid: string } {
  const loc = parseExpected(raw, "session", opts.limits) as { sequence: string; id: string };
  return { sequence: loc.sequence, ulid: sessionUlid(raw, loc.id) };
}

/** The canonical ULID of a session locator's id. @throws InvalidArgumentError when it is not a ULID. */
export function sessionUlid(raw: string, id: string): string {
  const ulid = parseUlid(id);
  if (ulid === null) {
    throw new InvalidArgumentError(
      `Invalid session locator ${quoteValue(raw)}: its id ${
        quoteValue(id)
      } is not a ULID (26 base-32 characters)`,
    );
  }
  return ulid;
}

/** Parses a locator that must name a sequence. @throws InvalidArgumentError otherwise. */
export function parseSequenceLocator(raw: string, opts: { limits?: LocatorLimits } = {}): string {
  const loc = parseExpected(raw, "sequence", opts.limits);
  return (loc as { sequence: string }).sequence;
}

/** Parses a locator that must name a topic (`<sequence>/<rest>`). @throws InvalidArgumentError otherwise. */
export function parseTopicLocator(raw: string, opts: { limits?: LocatorLimits } = {}): TopicName {
  const loc = parseExpected(raw, "topic", opts.limits);
  return (loc as { topic: TopicName }).topic;
}

function parseExpected(raw: string, expected: LocatorKind, limits: LocatorLimits | undefined): Locator {
  const text = raw.trim().replace(/^\/+/, "");
  const kind = shapeOf(raw, text);
  if (kind !== expected) {
    throw new InvalidArgumentError(
      `Invalid locator ${quoteValue(raw)}: it names a ${kind}, a ${expected} locator is expected here`,
    );
  }
  return parseLocator(raw, { limits });
}

/** The kind a normalised locator's shape names. @throws InvalidArgumentError for an empty or ambiguous one. */
function shapeOf(raw: string, text: string): LocatorKind {
  if (text === "") throw new InvalidArgumentError(`Invalid locator ${quoteValue(raw)}: it is empty`);
  if (text.includes("/")) return "topic";
  const colons = text.split(":").length - 1;
  if (colons === 0) return "sequence";
  if (colons === 1) return "session";
  throw new InvalidArgumentError(
    `Invalid locator ${quoteValue(raw)}: a session locator holds exactly one ":" ("<sequence>:<id>")`,
  );
}
