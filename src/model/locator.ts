/**
 * Resource names (locators): the one place that normalises and validates sequence, topic and layer names.
 *
 * Normalisation follows section 2 of the protocol (trim, drop one leading `/`, and one trailing `/`
 * from sequence names in the `sequence_*` actions), but none of the daemon's quirks of section 15:
 * a topic belongs to a sequence only under a `<sequence>/` prefix, and names are validated.
 *
 * Validation: every `/`-separated segment must be non-empty, not `.` or `..`, free of leading or
 * trailing whitespace, and at most {@link LocatorLimits.maxSegmentBytes} UTF-8 bytes; the whole name
 * must hold no backslash, control character (U+0000–U+001F, U+007F–U+009F) or unpaired surrogate and
 * fit in {@link LocatorLimits.maxBytes} UTF-8 bytes. Any other Unicode is allowed, interior spaces
 * included. Names are compared byte for byte: no Unicode normalisation, because the SDK matches the
 * names it built itself against the tickets we return (section 2.3).
 *
 * Imports only `errors.ts`.
 *
 * @module
 */
import { InvalidArgumentError } from "../errors.ts";

/** Size limits for locators, in UTF-8 bytes. */
export interface LocatorLimits {
  /** Longest whole locator (a full topic name counts its sequence segment). */
  readonly maxBytes: number;
  /** Longest single `/`-separated segment (a sequence or layer name is one segment). */
  readonly maxSegmentBytes: number;
}

/** 512 bytes per locator and 255 per segment (the usual file-name limit). */
export const DEFAULT_LOCATOR_LIMITS: LocatorLimits = Object.freeze({ maxBytes: 512, maxSegmentBytes: 255 });

/** A validated topic locator and its two parts. */
export interface TopicName {
  /** The full locator `<sequence>/<topic path>`, e.g. `seqA/front/imu`. */
  readonly full: string;
  /** The sequence locator, e.g. `seqA`. */
  readonly sequence: string;
  /** The topic path inside the sequence, with its leading `/`, e.g. `/front/imu`. */
  readonly relative: string;
}

type NameKind = "sequence" | "topic" | "layer";

/**
 * Normalises and validates a sequence name: trim, drop one leading `/` and, with
 * `stripTrailingSlash`, one trailing `/` (the SDK sends `"seqA/"` as typed, section 2.3).
 * @throws InvalidArgumentError when the result is empty, contains `/` or breaks a locator rule.
 */
export function normalizeSequenceName(
  raw: string,
  opts: { stripTrailingSlash: boolean; limits?: LocatorLimits },
): string {
  let name = dropLeadingSlash(raw.trim());
  if (opts.stripTrailingSlash && name.endsWith("/")) name = name.slice(0, -1);
  checkWhole("sequence", raw, name, opts.limits);
  if (name.includes("/")) throw invalidName("sequence", raw, 'sequence names must not contain "/"');
  checkSegment("sequence", raw, name, opts.limits);
  return name;
}

/**
 * Normalises and validates a full topic name `<sequence>/<topic path>`: trim, drop one leading `/`.
 * @throws InvalidArgumentError when there is no topic path or a locator rule is broken.
 */
export function normalizeTopicName(raw: string, opts: { limits?: LocatorLimits } = {}): TopicName {
  const full = dropLeadingSlash(raw.trim());
  checkWhole("topic", raw, full, opts.limits);
  const slash = full.indexOf("/");
  if (slash < 0) throw invalidName("topic", raw, 'topic names must look like "<sequence>/<topic path>"');
  for (const segment of full.split("/")) checkSegment("topic", raw, segment, opts.limits);
  return { full, sequence: full.slice(0, slash), relative: full.slice(slash) };
}

/**
 * Normalises and validates a layer name. Layers are a flat catalogue, so the name is only trimmed
 * (as the daemon does) and must be a single segment.
 * @throws InvalidArgumentError when the result is empty, contains `/` or breaks a locator rule.
 */
export function normalizeLayerName(raw: string, opts: { limits?: LocatorLimits } = {}): string {
  const name = raw.trim();
  checkWhole("layer", raw, name, opts.limits);
  if (name.includes("/")) throw invalidName("layer", raw, 'layer names must not contain "/"');
  checkSegment("layer", raw, name, opts.limits);
  return name;
}

/**
 * Quotes a value for an error message: JSON string syntax (so control characters and quotes are escaped),
 * cut after 80 code points so that a huge name does not flood logs.
 */
export function quoteValue(value: string): string {
  const chars = Array.from(value);
  return JSON.stringify(chars.length > 80 ? chars.slice(0, 80).join("") + "…" : value);
}

/** Length of `s` once encoded as UTF-8 (unpaired surrogates count as U+FFFD, 3 bytes). */
export function utf8ByteLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && isLowSurrogate(s.charCodeAt(i + 1))) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

function dropLeadingSlash(s: string): string {
  return s.startsWith("/") ? s.slice(1) : s;
}

function invalidName(kind: NameKind, raw: string, reason: string): InvalidArgumentError {
  return new InvalidArgumentError(`Invalid ${kind} name ${quoteValue(raw)}: ${reason}`);
}

/** Rules on the whole normalised name. */
function checkWhole(kind: NameKind, raw: string, name: string, limits = DEFAULT_LOCATOR_LIMITS): void {
  if (name === "") throw invalidName(kind, raw, "the name is empty");
  if (!name.isWellFormed()) throw invalidName(kind, raw, "unpaired surrogates are not allowed");
  const control = findControlChar(name);
  if (control !== null) throw invalidName(kind, raw, `control character ${control} is not allowed`);
  if (name.includes("\\")) throw invalidName(kind, raw, "backslashes are not allowed");
  if (utf8ByteLength(name) > limits.maxBytes) {
    throw invalidName(kind, raw, `the name is longer than ${limits.maxBytes} UTF-8 bytes`);
  }
}

/** Rules on one `/`-separated segment. */
function checkSegment(kind: NameKind, raw: string, segment: string, limits = DEFAULT_LOCATOR_LIMITS): void {
  if (segment === "") throw invalidName(kind, raw, 'empty segments ("a//b") are not allowed');
  if (segment === "." || segment === "..") {
    throw invalidName(kind, raw, `"${segment}" segments are not allowed`);
  }
  // Edge spaces make look-alike names ("a/ b" vs "a/b") that the whole-name trim cannot catch.
  if (segment.trim() === "") throw invalidName(kind, raw, "whitespace-only segments are not allowed");
  if (segment.trim() !== segment) {
    throw invalidName(kind, raw, "segments must not start or end with whitespace");
  }
  if (utf8ByteLength(segment) > limits.maxSegmentBytes) {
    throw invalidName(kind, raw, `a segment is longer than ${limits.maxSegmentBytes} UTF-8 bytes`);
  }
}

/** The first C0/DEL/C1 control character as `U+XXXX`, or null. */
function findControlChar(s: string): string | null {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x1f || (c >= 0x7f && c <= 0x9f)) return `U+${c.toString(16).toUpperCase().padStart(4, "0")}`;
  }
  return null;
}
