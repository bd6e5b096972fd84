/**
 * Assertions shared by unit and integration tests.
 *
 * @module
 */
import assert from "node:assert/strict";

/** Asserts that `fn` throws an instance of `cls` whose message equals (or matches) `message`. */
export function assertThrowsError(
  fn: () => unknown,
  cls: abstract new (...args: never[]) => Error,
  message: string | RegExp,
): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof cls, `expected ${cls.name}, got ${err}`);
    if (typeof message === "string") assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

/** A JSON body the way the Python SDK writes it (`json.dumps`: `", "` and `": "` separators, non-ASCII escaped). */
export function pyJson(value: unknown): Uint8Array {
  const text = JSON.stringify(value, null, 1).replace(/\n\s*/g, " ").replace(
    /[\u0080-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  return new TextEncoder().encode(text);
}

/** A full topic name split as `normalizeTopicName` does: `{full, sequence, relative}`. */
export function topicParts(full: string): { full: string; sequence: string; relative: string } {
  const i = full.indexOf("/");
  return { full, sequence: full.slice(0, i), relative: full.slice(i) };
}
