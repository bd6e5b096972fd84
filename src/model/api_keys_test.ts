import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { UnauthenticatedError } from "../errors.ts";
import {
  API_KEY_PERMISSIONS,
  crc32,
  expandHierarchical,
  expiryMs,
  fingerprintOf,
  generateApiKeyToken,
  hashApiKeyToken,
  isApiKeyPermission,
  isExpired,
  isFingerprint,
  legacyFingerprintOf,
  normalizePermissions,
  parseApiKeyToken,
  presentedToken,
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

/** The issue #8 fingerprint, computed here independently of the code under test. */
function sha256Fingerprint(payload: string): string {
  return createHash("sha256").update("mosaicod api key fingerprint\n" + payload).digest("hex").slice(0, 8);
}

Deno.test("generateApiKeyToken() makes msco_<32 [a-z0-9]>_<CRC-32> tokens, each different", () => {
  const seen = new Set<string>();
  const chars = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const { token, fingerprint, tokenSha256 } = generateApiKeyToken();
    assert.match(token, TOKEN_SHAPE);
    const payload = token.slice(5, 37);
    for (const c of payload) chars.add(c);
    assert.equal(fingerprint, token.slice(-8));
    assert.equal(fingerprint, fingerprintOf(payload));
    assert.equal(tokenSha256, createHash("sha256").update(token).digest("hex"));
    assert.equal(parseApiKeyToken(token), fingerprint);
    seen.add(token);
  }
  assert.equal(seen.size, 200);
  // 6400 draws from 36 characters: every one shows up (the alphabet is used whole).
  assert.equal(chars.size, 36);
});

Deno.test("fingerprintOf() is zlib's CRC-32 of the payload, 8 lowercase hex digits, zero-padded", () => {
  assert.equal(crc32("123456789"), 0xcbf43926); // the CRC-32/IEEE check value
  assert.equal(crc32(""), 0);
  // The 2026 protocol document's example token (checked with Python's zlib.crc32).
  assert.equal(fingerprintOf("58qb7dssul32r1bewpziy3rfjuewd0a3"), "c5505db6");
  assert.equal(parseApiKeyToken("msco_58qb7dssul32r1bewpziy3rfjuewd0a3_c5505db6"), "c5505db6");
  // Zero-padding: find a payload whose CRC has a leading zero digit.
  let payload = "";
  for (let i = 0; !payload; i++) if (crc32(`p${i}`) < 0x10000000) payload = `p${i}`;
  assert.match(fingerprintOf(payload), /^0[0-9a-f]{7}$/);
});

Deno.test("parseApiKeyToken() accepts tokens minted before the 2026 fingerprint (labelled SHA-256)", () => {
  const payload = "a".repeat(32);
  const legacy = sha256Fingerprint(payload);
  assert.equal(legacyFingerprintOf(payload), legacy);
  assert.notEqual(legacy, fingerprintOf(payload));
  const token = `msco_${payload}_${legacy}`;
  assert.equal(parseApiKeyToken(token), legacy);
  assert.ok(!hashApiKeyToken(token).startsWith(legacy), "the fingerprint is not a prefix of the hash");
  assert.ok(isFingerprint(legacy));
  assert.ok(!isFingerprint("ABCDEF12") && !isFingerprint("abcdef1") && !isFingerprint("abcdefg1"));
});

Deno.test("parseApiKeyToken() refuses malformed tokens and a mistyped payload without repeating the token", () => {
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
    "msco_wrongauthapikey123_abc12345", // the 2026 test-suite's unknown key: the SDK's shape, not ours
  ];
  for (const bad of malformed) {
    assert.throws(() => parseApiKeyToken(bad), refusedWith(/malformed API key/), JSON.stringify(bad));
  }
  assert.throws(() => parseApiKeyToken(typo), refusedWith(/fingerprint does not match/));
  // Each checksum alone: a CRC fingerprint under another payload, a SHA fingerprint under another.
  const other = "b".repeat(32);
  assert.throws(
    () => parseApiKeyToken(`msco_${other}_${fingerprintOf("c".repeat(32))}`),
    refusedWith(/mistyped/),
  );
  assert.throws(
    () => parseApiKeyToken(`msco_${other}_${sha256Fingerprint("c".repeat(32))}`),
    refusedWith(/mistyped/),
  );
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

Deno.test("presentedToken() takes mosaico-api-key-token or Bearer authorization, and refuses the rest", () => {
  const t = "msco_token";
  assert.equal(presentedToken({ authorization: "Bearer abc" }), "abc");
  assert.equal(presentedToken({ authorization: "bearer abc", apiKeyToken: null }), "abc");
  assert.equal(presentedToken({ authorization: "BEARER  abc " }), "abc");
  assert.equal(presentedToken({ authorization: null, apiKeyToken: t }), t);
  assert.equal(presentedToken({ authorization: null, apiKeyToken: ` ${t} ` }), t);
  assert.equal(presentedToken({ authorization: `Bearer ${t}`, apiKeyToken: t }), t, "both, the same");
  assert.equal(presentedToken({ authorization: "", apiKeyToken: t }), t, "empty counts as absent");
  assert.equal(presentedToken({ authorization: "Bearer abc", apiKeyToken: " " }), "abc");
  for (const none of [{ authorization: null }, { authorization: "  ", apiKeyToken: "" }]) {
    assert.throws(
      () => presentedToken(none),
      refusedWith(
        /no API key \(send the gRPC metadata "mosaico-api-key-token: <token>" or "authorization: Bearer/,
      ),
    );
  }
  for (const bad of ["abc", "Basic abc", "Bearer", "Bearer a b", "Bearer a, Bearer b", "Bearerabc"]) {
    assert.throws(() => presentedToken({ authorization: bad }), refusedWith(/must be "Bearer <token>"/), bad);
    assert.throws(
      () => presentedToken({ authorization: bad, apiKeyToken: t }),
      refusedWith(/must be "Bearer <token>"/),
      `${bad} beside a token header`,
    );
  }
  assert.throws(
    () => presentedToken({ authorization: "Bearer abc", apiKeyToken: t }),
    refusedWith(/"mosaico-api-key-token" and "authorization" name different API keys/),
  );
  try {
    presentedToken({ authorization: "Bearer secret1", apiKeyToken: "secret2" });
  } catch (err) {
    assert.ok(!/secret/.test((err as Error).message), "neither token is echoed");
  }
});

Deno.test("permissions: four independent ones; 2026 levels expand to every level below", () => {
  assert.deepEqual(API_KEY_PERMISSIONS, ["read", "write", "delete", "manage"]);
  assert.deepEqual(expandHierarchical("read"), ["read"]);
  assert.deepEqual(expandHierarchical("write"), ["read", "write"]);
  assert.deepEqual(expandHierarchical("delete"), ["read", "write", "delete"]);
  assert.deepEqual(expandHierarchical("manage"), ["read", "write", "delete", "manage"]);
  assert.deepEqual(normalizePermissions(["manage", "read", "manage"]), ["read", "manage"]);
  assert.deepEqual(normalizePermissions([]), []);
  for (const p of API_KEY_PERMISSIONS) assert.ok(isApiKeyPermission(p));
  for (const p of ["admin", "Read", "", " read", null, 1]) assert.ok(!isApiKeyPermission(p));
});

Deno.test("expiry: in nanoseconds, a key is expired from its expiry on; the millisecond rounds up", () => {
  const ns = 1_700_000_000_123_456_789n;
  assert.equal(expiryMs(ns), 1_700_000_000_124);
  assert.equal(expiryMs(1_700_000_000_123_000_000n), 1_700_000_000_123);
  assert.ok(!isExpired(ns, 1_700_000_000_123));
  assert.ok(isExpired(ns, 1_700_000_000_124));
  assert.ok(isExpired(1_700_000_000_123_000_000n, 1_700_000_000_123));
  assert.ok(!isExpired(null, Number.MAX_SAFE_INTEGER));
  // int64's last nanosecond (2262-04-11) is a valid expiry.
  assert.ok(!isExpired(9_223_372_036_854_775_807n, Date.now()));
});
