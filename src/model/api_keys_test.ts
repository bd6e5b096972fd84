import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { UnauthenticatedError } from "../errors.ts";
import {
  bearerToken,
  fingerprintOf,
  generateApiKeyToken,
  hashApiKeyToken,
  isFingerprint,
  parseApiKeyToken,
  tokenMatches,
} from "./api_keys.ts";

const TOKEN_SHAPE = /^msco_[a-z0-9]{32}_[0-9a-f]{8}$/;

function refusedWith(re: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof UnauthenticatedError, String(err));
    assert.match(err.message, re);
    return true;
  };
}

Deno.test("generateApiKeyToken() makes msco_<32 [a-z0-9]>_<fingerprint> tokens, each different", () => {
  const seen = new Set<string>();
  const chars = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const { token, fingerprint, tokenSha256 } = generateApiKeyToken();
    assert.match(token, TOKEN_SHAPE);
    const secret = token.slice(5, 37);
    for (const c of secret) chars.add(c);
    assert.equal(fingerprint, token.slice(-8));
    assert.equal(fingerprint, fingerprintOf(secret));
    assert.equal(tokenSha256, createHash("sha256").update(token).digest("hex"));
    assert.equal(parseApiKeyToken(token), fingerprint);
    seen.add(token);
  }
  assert.equal(seen.size, 200);
  // 6400 draws from 36 characters: every one shows up (the alphabet is used whole).
  assert.equal(chars.size, 36);
});

Deno.test("fingerprintOf() is the first 8 hex digits of a labelled SHA-256, not a prefix of the stored hash", () => {
  const secret = "a".repeat(32);
  const expected = createHash("sha256").update("mosaicod api key fingerprint\n" + secret).digest("hex").slice(
    0,
    8,
  );
  assert.equal(fingerprintOf(secret), expected);
  const token = `msco_${secret}_${expected}`;
  assert.ok(!hashApiKeyToken(token).startsWith(expected));
  assert.ok(isFingerprint(expected));
  assert.ok(!isFingerprint("ABCDEF12") && !isFingerprint("abcdef1") && !isFingerprint("abcdefg1"));
});

Deno.test("parseApiKeyToken() refuses malformed tokens and a mistyped secret without repeating the token", () => {
  const { token } = generateApiKeyToken();
  const typo = token.slice(0, 10) + (token[10] === "a" ? "b" : "a") + token.slice(11);
  const malformed = [
    "",
    token.toUpperCase(),
    token.replace("msco_", "mscx_"),
    token.slice(0, -1),
    token + "0",
    ` ${token}`,
    token.replace(/_([0-9a-f]{8})$/, "-$1"),
    `msco_${"a".repeat(31)}_${fingerprintOf("a".repeat(31))}`,
    `msco_${"A".repeat(32)}_${fingerprintOf("A".repeat(32))}`,
  ];
  for (const bad of malformed) {
    assert.throws(() => parseApiKeyToken(bad), refusedWith(/malformed API key/), JSON.stringify(bad));
  }
  assert.throws(() => parseApiKeyToken(typo), refusedWith(/fingerprint does not match/));
  for (const bad of [...malformed, typo]) {
    try {
      parseApiKeyToken(bad);
    } catch (err) {
      if (bad.length > 0) assert.ok(!(err as Error).message.includes(bad), "the token is not echoed");
    }
  }
});

Deno.test("tokenMatches() compares against the stored SHA-256", () => {
  const a = generateApiKeyToken();
  const b = generateApiKeyToken();
  assert.ok(tokenMatches(a.token, a.tokenSha256));
  assert.ok(!tokenMatches(b.token, a.tokenSha256));
  assert.ok(!tokenMatches(a.token, a.tokenSha256.slice(1)));
  assert.ok(!tokenMatches(a.token, ""));
});

Deno.test("bearerToken() takes `Bearer <token>` (scheme in any case) and refuses anything else", () => {
  assert.equal(bearerToken("Bearer abc"), "abc");
  assert.equal(bearerToken("bearer abc"), "abc");
  assert.equal(bearerToken("BEARER  abc "), "abc");
  assert.throws(() => bearerToken(null), refusedWith(/no API key/));
  assert.throws(() => bearerToken("  "), refusedWith(/no API key/));
  for (const bad of ["abc", "Basic abc", "Bearer", "Bearer a b", "Bearer a, Bearer b", "Bearerabc"]) {
    assert.throws(() => bearerToken(bad), refusedWith(/must be "Bearer <token>"/), bad);
  }
});
