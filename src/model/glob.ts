/**
 * The glob patterns of SDK 0.6/0.7 `$match` (0.7 delta Q4): a case-sensitive match of the WHOLE text.
 *
 * - `*` any run of characters, the empty one included;
 * - `?` exactly one character (a code point: an astral character counts once);
 * - `#` one ASCII digit `0`–`9`;
 * - `[...]` one character of a set: single characters and inclusive ranges `a-z` (by code point);
 *   `!` or `^` right after `[` negates the set; `]` right after `[` (or after the negation) is a
 *   member, as is `-` first or last; nothing is escaped inside a set;
 * - every other character is literal, `\`, `]`, `%` and `_` included. A metacharacter is matched
 *   literally through a set: `[*]`, `[?]`, `[#]`, `[[]`.
 *
 * Refused (InvalidArgumentError): a `[` without its `]`, a range whose ends are reversed (`[z-a]`), a
 * pattern longer than {@linkcode MAX_GLOB_LENGTH} characters.
 *
 * Parsed once into tokens: the catalog translates them to a PostgreSQL regular expression
 * (`catalog/_query_sql.ts`), data rows use {@linkcode globMatcher}, which runs in O(text × pattern)
 * (no backtracking blow-up, whatever the number of `*`).
 *
 * Imports nothing but `errors.ts`.
 *
 * @module
 */
import { InvalidArgumentError } from "../errors.ts";

/** One element of a parsed glob; each but `star` matches exactly one code point. */
export type GlobToken =
  | { kind: "star" }
  | { kind: "any" }
  | { kind: "digit" }
  | { kind: "literal"; codePoint: number }
  | { kind: "set"; negated: boolean; ranges: [number, number][] };

/**
 * Parses a glob pattern (grammar above).
 * @throws InvalidArgumentError `Invalid glob pattern "<p>": <reason>`.
 */
export function parseGlob(pattern: string): GlobToken[] {
  const tokens = tokenize(pattern);
  if (typeof tokens === "string") {
    throw new InvalidArgumentError(`Invalid glob pattern ${JSON.stringify(pattern)}: ${tokens}`);
  }
  return tokens;
}

/** Why `pattern` is not a glob (`the "[" at character 3 has no closing "]"`), or null when it is one. */
export function globProblem(pattern: string): string | null {
  const tokens = tokenize(pattern);
  return typeof tokens === "string" ? tokens : null;
}

/**
 * Longest pattern taken, in characters. Far above any name or value a query looks for, and well below
 * what the catalog's regular expressions handle (PGlite silently answers nothing past ~10,000).
 */
export const MAX_GLOB_LENGTH = 1024;

/** The tokens of `pattern`, or why it is malformed. */
function tokenize(pattern: string): GlobToken[] | string {
  const chars = Array.from(pattern, (c) => c.codePointAt(0)!);
  if (chars.length > MAX_GLOB_LENGTH) return `it is longer than ${MAX_GLOB_LENGTH} characters`;
  const tokens: GlobToken[] = [];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (c === STAR) {
      if (tokens.at(-1)?.kind !== "star") tokens.push({ kind: "star" }); // `**` is `*`
    } else if (c === QUESTION) tokens.push({ kind: "any" });
    else if (c === HASH) tokens.push({ kind: "digit" });
    else if (c === OPEN) {
      const set = parseSet(chars, i);
      if (typeof set === "string") return set;
      tokens.push(set.token);
      i = set.end;
    } else tokens.push({ kind: "literal", codePoint: c });
  }
  return tokens;
}

/** The set opening at `chars[open]` and the index of its closing `]`, or why it is malformed. */
function parseSet(chars: number[], open: number): { token: GlobToken; end: number } | string {
  let i = open + 1;
  const negated = chars[i] === BANG || chars[i] === CARET;
  if (negated) i++;
  const first = i;
  const ranges: [number, number][] = [];
  for (; i < chars.length; i++) {
    const c = chars[i];
    if (c === CLOSE && i > first) return { token: { kind: "set", negated, ranges }, end: i };
    if (chars[i + 1] === DASH && i + 2 < chars.length && chars[i + 2] !== CLOSE) {
      const high = chars[i + 2];
      if (high < c) return `the range "${String.fromCodePoint(c)}-${String.fromCodePoint(high)}" is reversed`;
      ranges.push([c, high]);
      i += 2;
    } else ranges.push([c, c]);
  }
  return `the "[" at character ${open + 1} has no closing "]"`;
}

/** Whether `token` (not `star`) matches the code point `c`. */
export function tokenMatches(token: Exclude<GlobToken, { kind: "star" }>, c: number): boolean {
  switch (token.kind) {
    case "any":
      return true;
    case "digit":
      return c >= DIGIT_0 && c <= DIGIT_9;
    case "literal":
      return c === token.codePoint;
    case "set":
      return token.ranges.some(([low, high]) => c >= low && c <= high) !== token.negated;
  }
}

/**
 * A test of whole texts against `tokens`. Greedy with a single backtrack point (the last `*`): every
 * other token is one code point, so this is exact and runs in O(text length × pattern length).
 */
export function globMatcher(tokens: readonly GlobToken[]): (text: string) => boolean {
  return (text) => {
    let p = 0, t = 0, starP = -1, starT = 0;
    while (t < text.length) {
      const token = tokens[p];
      if (token?.kind === "star") {
        starP = p++;
        starT = t;
        continue;
      }
      const c = text.codePointAt(t)!;
      if (token !== undefined && tokenMatches(token, c)) {
        p++;
        t += c > 0xffff ? 2 : 1;
        continue;
      }
      if (starP < 0) return false;
      // Let the last `*` take one more code point, and retry the tokens after it from there.
      p = starP + 1;
      starT += text.codePointAt(starT)! > 0xffff ? 2 : 1;
      t = starT;
    }
    while (tokens[p]?.kind === "star") p++;
    return p === tokens.length;
  };
}

/** The literal text every match starts with (up to the first metacharacter): `"run_"` for `run_#*`. */
export function globPrefix(tokens: readonly GlobToken[]): string {
  let prefix = "";
  for (const token of tokens) {
    if (token.kind !== "literal") break;
    prefix += String.fromCodePoint(token.codePoint);
  }
  return prefix;
}

const STAR = 0x2a, QUESTION = 0x3f, HASH = 0x23, OPEN = 0x5b, CLOSE = 0x5d, BANG = 0x21, CARET = 0x5e;
const DASH = 0x2d, DIGIT_0 = 0x30, DIGIT_9 = 0x39;
