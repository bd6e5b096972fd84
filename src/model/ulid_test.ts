import assert from "node:assert/strict";
import { encodeUlid, isUlid, newUlid, parseUlid } from "./ulid.ts";
import { legacySessionUlid } from "./legacy.ts";

Deno.test("ulid: encodes the time in the first 10 characters, most significant first", () => {
  assert.equal(encodeUlid(0, new Uint8Array(10)), "00000000000000000000000000");
  assert.equal(encodeUlid(2 ** 48 - 1, new Uint8Array(10).fill(255)), "7ZZZZZZZZZZZZZZZZZZZZZZZZZ");
  // The example of the ULID specification's timestamp: 1469918176385 ms → 01ARYZ6S41.
  assert.equal(encodeUlid(1469918176385, new Uint8Array(10)).slice(0, 10), "01ARYZ6S41");
  assert.throws(() => encodeUlid(-1, new Uint8Array(10)), RangeError);
  assert.throws(() => encodeUlid(1, new Uint8Array(9)), RangeError);
});

Deno.test("ulid: new ones are valid, distinct and sort by time", () => {
  const a = newUlid(1_700_000_000_000);
  const b = newUlid(1_700_000_000_001);
  assert.ok(isUlid(a) && isUlid(b));
  assert.notEqual(newUlid(5), newUlid(5));
  assert.ok(a < b);
});

Deno.test("ulid: parse accepts any case and refuses other characters", () => {
  const u = newUlid(Date.now());
  assert.equal(parseUlid(u.toLowerCase()), u);
  assert.equal(parseUlid("01ARYZ6S41TSV4RRFFQ69G5FAI"), null); // I is not Crockford
  assert.equal(parseUlid("81ARYZ6S41TSV4RRFFQ69G5FAV"), null); // over 128 bits
  assert.equal(parseUlid("short"), null);
});

Deno.test("legacySessionUlid: stable, keyed by the uuid in any case, carries the creation time", () => {
  const uuid = "1f672ad6-a664-444a-8853-b3480d4db4d8";
  const ns = 1_796_615_059_000_123_456n;
  const u = legacySessionUlid(uuid, ns);
  assert.ok(isUlid(u));
  assert.equal(legacySessionUlid(uuid.toUpperCase(), ns), u);
  assert.equal(u.slice(0, 10), encodeUlid(1_796_615_059_000, new Uint8Array(10)).slice(0, 10));
  assert.notEqual(legacySessionUlid("33c057d4-98d2-4b74-8c28-e99044ef7219", ns), u);
});
