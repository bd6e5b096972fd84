import assert from "node:assert/strict";
import { InvalidArgumentError } from "../errors.ts";
import {
  compareKeys,
  isUnderPrefix,
  keyProblem,
  MAX_KEY_BYTES,
  validateKey,
  validatePrefix,
} from "./keys.ts";

const INVALID_KEYS: readonly string[] = [
  "",
  "/a",
  "a/",
  "a//b",
  "..",
  "../a",
  "a/../b",
  "a/..",
  ".",
  "./a",
  "a/./b",
  "a\\b",
  "a\0b",
  "a\nb",
  "a\tb",
  "a\x1fb",
  "a\x7fb",
  "a\ud800b",
  "x".repeat(MAX_KEY_BYTES + 1),
  "é".repeat(MAX_KEY_BYTES / 2 + 1),
];

Deno.test("validateKey() accepts ordinary keys unchanged", () => {
  for (const key of ["a", "a/b/c.parquet", "seq-1/topic/0001.parquet", ".hidden/x", "a..b/c.", "é/日本/🦕"]) {
    assert.equal(validateKey(key), key);
  }
  assert.equal(validateKey("x".repeat(MAX_KEY_BYTES)), "x".repeat(MAX_KEY_BYTES));
});

Deno.test("validateKey() rejects every unsafe key with InvalidArgumentError", () => {
  for (const key of INVALID_KEYS) {
    assert.throws(() => validateKey(key), InvalidArgumentError, `key ${JSON.stringify(key)}`);
  }
});

Deno.test("validateKey() names the key and the reason, escaping control characters", () => {
  assert.throws(() => validateKey("a\0b"), {
    message: 'Cannot use object key "a\\u0000b": it contains a control character',
  });
  assert.throws(() => validateKey("a//b"), {
    message: 'Cannot use object key "a//b": it has an empty path segment',
  });
});

Deno.test("validateKey() counts UTF-8 bytes, not characters", () => {
  assert.equal(keyProblem("é".repeat(MAX_KEY_BYTES / 2)), null);
  assert.match(keyProblem("é".repeat(MAX_KEY_BYTES / 2 + 1)) ?? "", /longer than 1024 bytes/);
});

Deno.test("validatePrefix() allows the empty prefix and strips one trailing slash", () => {
  assert.equal(validatePrefix(""), "");
  assert.equal(validatePrefix("a/b/"), "a/b");
  assert.equal(validatePrefix("a/b"), "a/b");
});

Deno.test("validatePrefix() rejects what validateKey() rejects", () => {
  for (const prefix of ["/", "//", "a//", "/a", "a/../b", "..", "a\\b", "a\0", "a//b/"]) {
    assert.throws(() => validatePrefix(prefix), InvalidArgumentError, `prefix ${JSON.stringify(prefix)}`);
  }
});

Deno.test("isUnderPrefix() matches whole path segments only", () => {
  assert.ok(isUnderPrefix("a/b/x", "a/b"));
  assert.ok(isUnderPrefix("a/b/x/y", "a"));
  assert.ok(isUnderPrefix("anything", ""));
  assert.ok(!isUnderPrefix("a/bc/x", "a/b"));
  assert.ok(!isUnderPrefix("a/b", "a/b"));
});

Deno.test("compareKeys() sorts by code point like S3, not by UTF-16 unit", () => {
  const keys = ["b", "a/b", "a-b", "a", "\uffff", "🦕", "a0"];
  assert.deepEqual(keys.sort(compareKeys), ["a", "a-b", "a/b", "a0", "b", "\uffff", "🦕"]);
  assert.equal(compareKeys("🦕", "🦖") < 0, true);
  assert.equal(compareKeys("ab", "ab"), 0);
});
