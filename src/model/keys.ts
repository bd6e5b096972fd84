/**
 * Sequence and topic keys: the random UUIDs handed out at creation that act as write tokens (section 5.4).
 * Received keys are parsed as leniently as the daemon's UUID parser and compared in canonical form.
 *
 * Imports only `errors.ts` and `locator.ts` (for message quoting).
 *
 * @module
 */
import { InvalidArgumentError } from "../errors.ts";
import { quoteValue } from "./locator.ts";

/** Which resource a key belongs to; used in error messages. */
export type KeyKind = "sequence" | "topic";

const HYPHENATED = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const SIMPLE = /^[0-9a-fA-F]{32}$/;
const URN_PREFIX = "urn:uuid:";

/**
 * Parses a received key into the canonical lowercase hyphenated form.
 * Accepts the forms of the daemon's parser (Rust `uuid`): hyphenated (36 chars), simple (32 hex digits),
 * braced `{hyphenated}` and `urn:uuid:hyphenated`, hex digits in any case; the `urn:uuid:` prefix is
 * also accepted in any case (URN schemes are case-insensitive). The version is not checked: an
 * unknown UUID simply matches no resource. No surrounding whitespace is tolerated.
 * @throws InvalidArgumentError `Malformed sequence key "…": not a UUID`.
 */
export function parseKey(raw: string, what: KeyKind): string {
  let s = raw;
  if (s.length === 38 && s.startsWith("{") && s.endsWith("}")) s = s.slice(1, -1);
  else if (s.length === 45 && s.slice(0, URN_PREFIX.length).toLowerCase() === URN_PREFIX) {
    s = s.slice(URN_PREFIX.length);
  } else if (SIMPLE.test(s)) {
    s = `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
  }
  if (!HYPHENATED.test(s)) {
    throw new InvalidArgumentError(`Malformed ${what} key ${quoteValue(raw)}: not a UUID`);
  }
  return s.toLowerCase();
}

/** A fresh key: a random (version 4) UUID in canonical lowercase hyphenated form. */
export function newKey(): string {
  return crypto.randomUUID();
}

/**
 * Whether two keys denote the same UUID, whatever their accepted forms; false if either is malformed.
 * The comparison takes the same time wherever the keys differ, since keys are write tokens.
 */
export function keysEqual(a: string, b: string): boolean {
  const x = tryParse(a);
  const y = tryParse(b);
  if (x === null || y === null) return false;
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x.charCodeAt(i) ^ y.charCodeAt(i);
  return diff === 0;
}

function tryParse(raw: string): string | null {
  try {
    return parseKey(raw, "sequence");
  } catch (err) {
    if (err instanceof InvalidArgumentError) return null;
    throw err;
  }
}
