import assert from "node:assert/strict";
import { InvalidArgumentError } from "../errors.ts";
import { keysEqual, newKey, parseKey } from "./keys.ts";

const CANONICAL = "d6dfc7a3-951b-4eaa-9f5f-3e7a4a49ebc3";

function assertMalformed(raw: string, what: "sequence" | "topic", shown = JSON.stringify(raw)): void {
  assert.throws(() => parseKey(raw, what), (err: unknown) => {
    assert.ok(err instanceof InvalidArgumentError, `expected InvalidArgumentError, got ${err}`);
    assert.equal(err.message, `Malformed ${what} key ${shown}: not a UUID`);
    return true;
  });
}

Deno.test("parseKey() accepts every form of the daemon's parser and returns the canonical form", () => {
  const forms = [
    CANONICAL,
    CANONICAL.toUpperCase(),
    "D6dfC7a3-951B-4eaa-9F5f-3e7A4a49ebc3",
    "d6dfc7a3951b4eaa9f5f3e7a4a49ebc3",
    "D6DFC7A3951B4EAA9F5F3E7A4A49EBC3",
    `{${CANONICAL}}`,
    `{${CANONICAL.toUpperCase()}}`,
    `urn:uuid:${CANONICAL}`,
    `URN:UUID:${CANONICAL.toUpperCase()}`,
  ];
  for (const raw of forms) assert.equal(parseKey(raw, "sequence"), CANONICAL, raw);
});

Deno.test("parseKey() does not check the UUID version", () => {
  assert.equal(
    parseKey("00000000-0000-0000-0000-000000000000", "topic"),
    "00000000-0000-0000-0000-000000000000",
  );
  assert.equal(
    parseKey("01890a5d-ac96-774b-bcce-b302099a8057", "topic"),
    "01890a5d-ac96-774b-bcce-b302099a8057",
  );
});

Deno.test("parseKey() refuses malformed keys, naming the key kind", () => {
  assertMalformed("", "sequence");
  assertMalformed("not-a-uuid", "sequence");
  assertMalformed("bad", "topic");
  assertMalformed(` ${CANONICAL}`, "sequence"); // no trimming
  assertMalformed(`${CANONICAL}\n`, "sequence", JSON.stringify(`${CANONICAL}\n`));
  assertMalformed(CANONICAL.slice(0, 35), "sequence"); // too short
  assertMalformed(CANONICAL + "0", "sequence"); // too long
  assertMalformed(CANONICAL.replace("d", "g"), "sequence"); // not hex
  assertMalformed("d6dfc7a3-951b4eaa-9f5f-3e7a4a49ebc3-", "sequence"); // hyphens misplaced
  assertMalformed("d6dfc7a3951b4eaa9f5f3e7a4a49ebc", "topic"); // 31 hex digits
  assertMalformed("{d6dfc7a3951b4eaa9f5f3e7a4a49ebc3}", "topic"); // braces need the hyphenated form
  assertMalformed(`{${CANONICAL}`, "topic");
  assertMalformed(`(${CANONICAL})`, "topic");
  assertMalformed("urn:uuid:d6dfc7a3951b4eaa9f5f3e7a4a49ebc3", "topic"); // urn needs the hyphenated form
  assertMalformed(`uuid:${CANONICAL}`, "topic");
  assertMalformed("d6dfc7a3-951b-4eaa-9f5f-3e7a4a49ebc３", "topic"); // full-width digit
});

Deno.test("parseKey() quotes and cuts a long malformed key", () => {
  assertMalformed("k".repeat(200), "sequence", `"${"k".repeat(80)}…"`);
});

Deno.test("newKey() returns distinct canonical v4 UUIDs", () => {
  const a = newKey();
  const b = newKey();
  assert.notEqual(a, b);
  assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(parseKey(a, "sequence"), a);
});

Deno.test("keysEqual() compares UUID values across forms", () => {
  assert.ok(keysEqual(CANONICAL, CANONICAL));
  assert.ok(keysEqual(CANONICAL, CANONICAL.toUpperCase()));
  assert.ok(keysEqual(`urn:uuid:${CANONICAL}`, CANONICAL.replaceAll("-", "")));
  assert.ok(keysEqual(`{${CANONICAL}}`, CANONICAL));
  assert.equal(keysEqual(CANONICAL, newKey()), false);
  assert.equal(keysEqual(CANONICAL, CANONICAL.slice(0, -1) + "4"), false);
});

Deno.test("keysEqual() is false when either key is malformed", () => {
  assert.equal(keysEqual("bad", CANONICAL), false);
  assert.equal(keysEqual(CANONICAL, ""), false);
  assert.equal(keysEqual("bad", "bad"), false);
});
