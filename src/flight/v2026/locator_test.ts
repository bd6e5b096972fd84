import assert from "node:assert/strict";
import { assertThrowsError } from "../../../tests/_assert.ts";
import { InvalidArgumentError } from "../../errors.ts";
import { parseLocator, parseSequenceLocator, parseSessionLocator, parseTopicLocator } from "./locator.ts";

const topic = (full: string) => {
  const i = full.indexOf("/");
  return { full, sequence: full.slice(0, i), relative: full.slice(i) };
};

Deno.test("v2026 locators: trimmed, every leading / removed, classified by shape", () => {
  assert.deepEqual(parseLocator("run_01"), { kind: "sequence", sequence: "run_01" });
  assert.deepEqual(parseLocator("  ///run_01 "), { kind: "sequence", sequence: "run_01" });
  assert.deepEqual(parseLocator("run_01/front/imu"), { kind: "topic", topic: topic("run_01/front/imu") });
  assert.deepEqual(parseLocator("//run_01/front/imu"), { kind: "topic", topic: topic("run_01/front/imu") });
  assert.deepEqual(parseLocator("run_01:01HZX3"), { kind: "session", sequence: "run_01", id: "01HZX3" });
  assert.deepEqual(parseLocator("/run_01:01HZX3"), { kind: "session", sequence: "run_01", id: "01HZX3" });
});

Deno.test("v2026 locators: a trailing / makes a topic shape, refused where a sequence is expected", () => {
  assertThrowsError(
    () => parseSequenceLocator("run_01/"),
    InvalidArgumentError,
    'Invalid locator "run_01/": it names a topic, a sequence locator is expected here',
  );
  assertThrowsError(() => parseTopicLocator("run_01/"), InvalidArgumentError, /empty segments/);
});

Deno.test("v2026 locators: the wrong kind for the field is INVALID_ARGUMENT", () => {
  assert.equal(parseSequenceLocator("/seq"), "seq");
  assert.deepEqual(parseTopicLocator("/seq/a/b"), topic("seq/a/b"));
  assertThrowsError(
    () => parseTopicLocator("seq"),
    InvalidArgumentError,
    'Invalid locator "seq": it names a sequence, a topic locator is expected here',
  );
  assertThrowsError(
    () => parseSequenceLocator("seq:01HZX3"),
    InvalidArgumentError,
    'Invalid locator "seq:01HZX3": it names a session, a sequence locator is expected here',
  );
  assertThrowsError(() => parseTopicLocator("seq:x"), InvalidArgumentError, /names a session/);
});

Deno.test("v2026 locators: empty, slash-only, two colons and id-less sessions are refused", () => {
  for (const raw of ["", "   ", "/", "///"]) {
    assertThrowsError(() => parseLocator(raw), InvalidArgumentError, /it is empty/);
  }
  assertThrowsError(() => parseLocator("a:b:c"), InvalidArgumentError, /exactly one ":"/);
  assertThrowsError(() => parseLocator("seq:"), InvalidArgumentError, /session id is missing/);
  assertThrowsError(() => parseLocator(":x"), InvalidArgumentError, /sequence name "".*empty/);
});

Deno.test("v2026 locators: the project's name rules apply (segments, control characters, length)", () => {
  assertThrowsError(() => parseTopicLocator("seq//a"), InvalidArgumentError, /empty segments/);
  assertThrowsError(() => parseTopicLocator("seq/../a"), InvalidArgumentError, /".." segments/);
  assertThrowsError(() => parseSequenceLocator("a\u0001b"), InvalidArgumentError, /control character/);
  assertThrowsError(
    () => parseSequenceLocator("x".repeat(20), { limits: { maxBytes: 16, maxSegmentBytes: 16 } }),
    InvalidArgumentError,
    /longer than 16/,
  );
  // Names a 0.1.0 client could create stay addressable (the daemon's extra character ban is not copied).
  assert.equal(parseSequenceLocator("run 01"), "run 01");
  assert.deepEqual(parseTopicLocator("seq/ns:imu"), topic("seq/ns:imu"));
});

Deno.test("parseSessionLocator(): <sequence>:<ulid>, the ULID made uppercase; anything else refused", () => {
  assert.deepEqual(parseSessionLocator(" /run_01:01jabcdefghjkmnpqrstvwxyz0"), {
    sequence: "run_01",
    ulid: "01JABCDEFGHJKMNPQRSTVWXYZ0",
  });
  assertThrowsError(
    () => parseSessionLocator("run_01:not-a-ulid"),
    InvalidArgumentError,
    'Invalid session locator "run_01:not-a-ulid": its id "not-a-ulid" is not a ULID (26 base-32 characters)',
  );
  assertThrowsError(() => parseSessionLocator("run_01"), InvalidArgumentError, /names a sequence/);
  assertThrowsError(() => parseSessionLocator("run_01/a:b"), InvalidArgumentError, /names a topic/);
});
