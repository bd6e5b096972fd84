/**
 * API keys in the catalog (both drivers, and through the worker threads' catalog port) and the verifier
 * in front of it: a clock of the test's own shows the lookup cache, revocation within its window, expiry.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { ApiKeyVerifier, issueApiKey, requirePermission } from "../src/auth/api_keys.ts";
import type { Catalog } from "../src/catalog/catalog.ts";
import { remoteCatalog, serveCatalog } from "../src/catalog/remote.ts";
import {
  AlreadyExistsError,
  NotFoundError,
  PermissionDeniedError,
  UnauthenticatedError,
} from "../src/errors.ts";
import { generateApiKeyToken } from "../src/model/api_keys.ts";
import { withApiKeys } from "../src/flight/auth.ts";
import type { CallContext, FlightHandlers } from "../src/flight/server.ts";
import { freshPgliteCatalog, freshPostgresCatalog } from "./_postgres.ts";

type MakeCatalog = () => Promise<Catalog>;

const DRIVERS: [string, MakeCatalog][] = [
  ["pglite", () => freshPgliteCatalog()],
  ["postgres", () => freshPostgresCatalog()],
];

function refused(re: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof UnauthenticatedError, String(err));
    assert.match(err.message, re);
    return true;
  };
}

for (const [name, makeCatalog] of DRIVERS) {
  Deno.test(`${name}: API keys are created, listed without their hash, found by fingerprint and revoked`, async () => {
    await using db = await makeCatalog();
    const before = Date.now();
    const { token, key } = await issueApiKey(db, {
      permissions: ["write", "read"],
      description: "robot 7 ✓",
      expiresMs: before + 86_400_000,
    });
    assert.match(token, /^msco_[a-z0-9]{32}_[0-9a-f]{8}$/);
    assert.equal(key.fingerprint, token.slice(-8));
    assert.deepEqual(key.permissions, ["read", "write"]);
    assert.equal(key.description, "robot 7 ✓");
    assert.equal(key.expiresMs, before + 86_400_000);
    assert.equal(key.revokedMs, null);
    assert.ok(Math.abs(key.createdMs - before) < 60_000, "created by the database clock, now");
    const other = await issueApiKey(db, { permissions: ["delete"], description: "", expiresMs: null });

    const listed = await db.listApiKeys();
    assert.deepEqual(listed, [key, other.key]);
    assert.ok(!JSON.stringify(listed).includes(token.slice(5, 37)), "no secret in a listing");
    assert.ok(!listed.some((k) => "tokenSha256" in k), "no hash in a listing");
    const found = await db.findApiKey(key.fingerprint);
    assert.deepEqual(found, { ...key, tokenSha256: sha256Hex(token) });
    assert.equal(await db.findApiKey("00000000"), null);

    await assert.rejects(
      db.createApiKey({
        ...generateApiKeyToken(),
        fingerprint: key.fingerprint,
        permissions: ["read"],
        description: "",
        expiresMs: null,
      }),
      new AlreadyExistsError(`API key "${key.fingerprint}" already exists`),
    );
    const revoked = await db.revokeApiKey(key.fingerprint);
    assert.ok(revoked.revokedMs !== null && revoked.revokedMs >= key.createdMs);
    const again = await db.revokeApiKey(key.fingerprint);
    assert.equal(again.revokedMs, revoked.revokedMs, "revoking twice keeps the first time");
    await assert.rejects(db.revokeApiKey("0000000f"), new NotFoundError('Cannot find API key "0000000f"'));
    assert.deepEqual((await db.listApiKeys()).map((k) => k.revokedMs !== null), [true, false]);
  });

  Deno.test(`${name}: the verifier accepts a live key, refuses unknown, revoked (within the cache window) and expired ones`, async () => {
    await using db = await makeCatalog();
    let now = Date.now();
    const verifier = new ApiKeyVerifier(db, { cacheMs: 5_000, now: () => now });
    const reader = await issueApiKey(db, { permissions: ["read"], description: "", expiresMs: null });
    const shortLived = await issueApiKey(db, {
      permissions: ["read", "write"],
      description: "",
      expiresMs: now + 1_000,
    });
    const bearer = (token: string) => `Bearer ${token}`;

    const caller = await verifier.authenticate(bearer(reader.token));
    assert.deepEqual(caller, { fingerprint: reader.key.fingerprint, permissions: ["read"] });
    requirePermission(caller, "read", "DoGet");
    assert.throws(
      () => requirePermission(caller, "write", "DoPut"),
      new PermissionDeniedError(
        `API key "${reader.key.fingerprint}" lacks the write permission (needed by DoPut)`,
      ),
    );

    // A well-formed token the catalog does not hold; and a known fingerprint with another secret's hash.
    const stranger = generateApiKeyToken();
    await assert.rejects(verifier.authenticate(bearer(stranger.token)), refused(/is unknown/));
    const forged = generateApiKeyToken();
    await db.createApiKey({
      fingerprint: forged.fingerprint,
      tokenSha256: stranger.tokenSha256,
      permissions: ["read"],
      description: "",
      expiresMs: null,
    });
    await assert.rejects(verifier.authenticate(bearer(forged.token)), refused(/is unknown/));
    await assert.rejects(verifier.authenticate(null), refused(/no API key/));
    await assert.rejects(verifier.authenticate("Bearer msco_nope"), refused(/malformed/));

    // Revoked: the cached lookup still admits it until the window ends, never after.
    await db.revokeApiKey(reader.key.fingerprint);
    now += 4_000;
    assert.deepEqual(await verifier.authenticate(bearer(reader.token)), caller);
    now += 1_000;
    await assert.rejects(
      verifier.authenticate(bearer(reader.token)),
      refused(new RegExp(`API key "${reader.key.fingerprint}" was revoked`)),
    );
    // A verifier that never saw the key refuses it at once.
    await assert.rejects(new ApiKeyVerifier(db).authenticate(bearer(reader.token)), refused(/was revoked/));

    // Expiry is checked on every call, cached lookup or not.
    now = shortLived.key.expiresMs! - 1_500;
    const fresh = new ApiKeyVerifier(db, { now: () => now });
    assert.equal(
      (await fresh.authenticate(bearer(shortLived.token))).fingerprint,
      shortLived.key.fingerprint,
    );
    now = shortLived.key.expiresMs!;
    await assert.rejects(
      fresh.authenticate(bearer(shortLived.token)),
      refused(/expired at \d{4}-\d{2}-\d{2}T/),
    );
  });
}

Deno.test("pglite: Flight worker threads verify keys through the catalog port", async () => {
  await using db = await freshPgliteCatalog();
  const { token, key } = await issueApiKey(db, {
    permissions: ["read", "delete"],
    description: "",
    expiresMs: null,
  });
  const channel = new MessageChannel();
  serveCatalog(db, channel.port1);
  await using remote = remoteCatalog(channel.port2);
  try {
    const verifier = new ApiKeyVerifier(remote);
    assert.deepEqual(await verifier.authenticate(`Bearer ${token}`), {
      fingerprint: key.fingerprint,
      permissions: ["read", "delete"],
    });
    await assert.rejects(
      verifier.authenticate(`Bearer ${generateApiKeyToken().token}`),
      refused(/is unknown/),
    );
  } finally {
    channel.port1.close();
  }
});

/** SHA-256 of a token, computed here independently of the code under test. */
function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

Deno.test("api keys: a long server stream stops once its key is revoked", async () => {
  await using db = await freshPgliteCatalog();
  const { token, key } = await issueApiKey(db, { permissions: ["read"], description: "", expiresMs: null });
  const verifier = new ApiKeyVerifier(db, { cacheMs: 0 });
  let sent = 0;
  const handlers = {
    // A stream that goes on as long as it is read, like a live event subscription.
    async *DoGet() {
      for (;;) yield new Uint8Array([sent++]);
    },
  } as unknown as FlightHandlers;
  const wrapped = withApiKeys(handlers, verifier, { recheckMs: 0 });
  const ctx = { authorization: `Bearer ${token}` } as unknown as CallContext;
  const stream = (wrapped.DoGet(new Uint8Array(0), ctx) as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  assert.equal((await stream.next()).done, false);
  assert.equal((await stream.next()).done, false);
  await db.revokeApiKey(key.fingerprint);
  await assert.rejects(stream.next(), refused(/was revoked/));
  assert.ok(sent <= 3, `the stream stopped at once (${sent} messages made)`);
});
