/**
 * Object keys and prefixes: the rules every store backend checks before any I/O.
 * A key is a `/`-separated path of non-empty segments, safe both as a relative file path and as an S3 key.
 *
 * @module
 */
import { InvalidArgumentError } from "../errors.ts";

/** Longest key accepted, in UTF-8 bytes (the S3 limit). */
export const MAX_KEY_BYTES = 1024;

// U+0000–U+001F and U+007F: invisible in logs and unsafe in file names and HTTP headers.
// deno-lint-ignore no-control-regex
const CONTROL_CHAR = /[\u0000-\u001f\u007f]/;

/**
 * Why `key` is not a valid object key, or null when it is.
 * Used where an invalid name must be skipped rather than rejected (e.g. foreign files found while listing).
 */
export function keyProblem(key: string): string | null {
  if (key === "") return "it is empty";
  if (CONTROL_CHAR.test(key)) return "it contains a control character";
  if (key.includes("\\")) return "it contains a backslash";
  if (!key.isWellFormed()) return "it is not valid Unicode";
  if (new TextEncoder().encode(key).length > MAX_KEY_BYTES) return `it is longer than ${MAX_KEY_BYTES} bytes`;
  if (key.startsWith("/")) return "it starts with /";
  for (const segment of key.split("/")) {
    if (segment === "") return "it has an empty path segment";
    if (segment === "." || segment === "..") return `it has a "${segment}" path segment`;
  }
  return null;
}

/**
 * Checks an object key and returns it unchanged.
 * @throws InvalidArgumentError for "", a leading `/`, `.`/`..` or empty segments, backslashes,
 *   control characters, unpaired surrogates, or more than {@link MAX_KEY_BYTES} UTF-8 bytes.
 */
export function validateKey(key: string): string {
  const problem = keyProblem(key);
  if (problem !== null) throw new InvalidArgumentError(`Cannot use object key ${quote(key)}: ${problem}`);
  return key;
}

/**
 * Checks a path-segment prefix and returns it without its trailing `/` ("" selects every key).
 * The same rules as {@link validateKey} apply to the rest.
 * @throws InvalidArgumentError as `validateKey` does.
 */
export function validatePrefix(prefix: string): string {
  const trimmed = prefix.endsWith("/") ? prefix.slice(0, -1) : prefix;
  if (trimmed === "" && prefix === "") return "";
  const problem = keyProblem(trimmed);
  if (problem !== null) throw new InvalidArgumentError(`Cannot use key prefix ${quote(prefix)}: ${problem}`);
  return trimmed;
}

/** Whether `key` lies under the validated path-segment `prefix`: "a/b" holds "a/b/x", not "a/bc" nor "a/b". */
export function isUnderPrefix(key: string, prefix: string): boolean {
  return prefix === "" || key.startsWith(prefix + "/");
}

/**
 * Orders keys by Unicode code point, which is the UTF-8 byte order S3 lists in
 * (plain `<` compares UTF-16 code units and differs for characters above U+FFFF).
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i++; // both strings hold the same surrogate pair here
  }
  return a.length - b.length;
}

/** Quotes a key for an error message: control characters escaped, long keys cut. */
function quote(key: string): string {
  return JSON.stringify(key.length > 120 ? key.slice(0, 120) + "…" : key);
}

/** @throws InvalidArgumentError unless `offset` and `length` are non-negative safe integers. */
export function checkRange(key: string, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
    throw new InvalidArgumentError(
      `Cannot read object "${key}": range offset ${offset} and length ${length} must be non-negative integers`,
    );
  }
}
