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
