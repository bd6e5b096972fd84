/**
 * API keys in the catalog (both drivers, and through the worker threads' catalog port), the key
 * management functions of the 2026 actions (`auth/key_admin.ts`) and the verifier in front of it: a clock
 * of the test's own shows the lookup cache, revocation within its window, expiry in nanoseconds.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { ApiKeyVerifier, requirePermission } from "../src/auth/api_keys.ts";
import { apiKeyStatus, createApiKey, revokeApiKey } from "../src/auth/key_admin.ts";
import type { Catalog } from "../src/catalog/catalog.ts";
import { migrate } from "../src/catalog/migrate.ts";
import { MIGRATIONS } from "../src/catalog/migrations/mod.ts";
import { remoteCatalog, serveCatalog } from "../src/catalog/remote.ts";
import {
  AlreadyExistsError,
  InvalidArgumentError,
  NotFoundError,
  PermissionDeniedError,
  UnauthenticatedError,
} from "../src/errors.ts";
import { silentLogger } from "../src/log.ts";
import { expandHierarchical, generateApiKeyToken, legacyFingerprintOf } from "../src/model/api_keys.ts";
import { withApiKeys } from "../src/flight/auth.ts";
import type { CallContext, FlightHandlers } from "../src/flight/server.ts";
import { freshPgliteCatalog, freshPostgresCatalog } from "./_postgres.ts";

type MakeCatalog = (opts?: { migrate?: boolean }) => Promise<Catalog>;

const DRIVERS: [string, MakeCatalog][] = [
  ["pglite", (opts) => freshPgliteCatalog(opts)],
  ["postgres", (opts) => freshPostgresCatalog(opts)],
];

const MS = 1_000_000n;

function refused(re: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof UnauthenticatedError, String(err));
    assert.match(err.message, re);
    return true;
  };
}

/** SHA-256 of a token, computed here independently of the code under test. */
function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}`, apiKeyToken: null });
const header = (token: string) => ({ authorization: null, apiKeyToken: token });

for (const [name, makeCatalog] of DRIVERS) {
  Deno.test(`${name}: API keys are created, listed without their hash, found by fingerprint and revoked`, async () => {
    await using db = await makeCatalog();
    const before = Date.now();
    const expiresNs = BigInt(before + 86_400_000) * MS + 123_456n; // not a whole millisecond
    const { token, key } = await createApiKey(db, {
      permissions: ["write", "read", "write"],
      description: "robot 7 ✓",
      expiresNs,
    });
    assert.match(token, /^msco_[a-z0-9]{32}_[0-9a-f]{8}$/);
    assert.equal(key.fingerprint, token.slice(-8));
    assert.deepEqual(key.permissions, ["read", "write"]);
    assert.equal(key.description, "robot 7 ✓");
    assert.equal(key.expiresNs, expiresNs, "the expiry is kept to the nanosecond");
    assert.equal(key.expiresMs, before + 86_400_001, "its millisecond rounds up");
    assert.equal(key.revokedMs, null);
    assert.ok(Math.abs(key.createdMs - before) < 60_000, "created by the database clock, now");
    assert.equal(key.createdNs, BigInt(key.createdMs) * MS);
    const manager = await createApiKey(db, { permissions: ["manage"], description: "", expiresNs: null });
    assert.deepEqual(manager.key.permissions, ["manage"], "manage alone is a valid set");
    assert.equal(manager.key.expiresNs, null);
    assert.equal(manager.key.expiresMs, null);
    const all = await createApiKey(db, {
      permissions: expandHierarchical("manage"),
      description: "",
      expiresNs: null,
    });
    assert.deepEqual(all.key.permissions, ["read", "write", "delete", "manage"]);
    await assert.rejects(
      createApiKey(db, { permissions: [], description: "", expiresNs: null }),
      InvalidArgumentError,
    );

    const listed = await db.listApiKeys();
    assert.deepEqual(listed, [key, manager.key, all.key]);
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
        expiresNs: null,
      }),
      new AlreadyExistsError(`API key "${key.fingerprint}" already exists`),
    );
    const revoked = await db.revokeApiKey(key.fingerprint);
    assert.ok(revoked.revokedMs !== null && revoked.revokedMs >= key.createdMs);
    const again = await db.revokeApiKey(key.fingerprint);
    assert.equal(again.revokedMs, revoked.revokedMs, "revoking twice keeps the first time");
    await assert.rejects(db.revokeApiKey("0000000f"), new NotFoundError('Cannot find API key "0000000f"'));
    assert.deepEqual((await db.listApiKeys()).map((k) => k.revokedMs !== null), [true, false, false]);
  });

  Deno.test(`${name}: apiKeyStatus and revokeApiKey: a revoked key is gone, unknown ones are NotFound`, async () => {
    await using db = await makeCatalog();
    const expiresNs = 4_102_444_800_000_000_001n; // 2100-01-01, plus a nanosecond
    const { key } = await createApiKey(db, { permissions: ["read"], description: "status me", expiresNs });
    const status = await apiKeyStatus(db, key.fingerprint);
    assert.deepEqual(status, key);
    assert.equal(status.expiresNs, expiresNs);
    assert.ok(!("tokenSha256" in status));
    for (const unknown of ["00000000", "ABCDEF12", "", "x".repeat(500)]) {
      await assert.rejects(apiKeyStatus(db, unknown), NotFoundError, JSON.stringify(unknown));
      await assert.rejects(revokeApiKey(db, unknown), NotFoundError);
    }
    await assert.rejects(apiKeyStatus(db, "00000000"), new NotFoundError('Cannot find API key "00000000"'));
    await revokeApiKey(db, key.fingerprint);
    await assert.rejects(apiKeyStatus(db, key.fingerprint), NotFoundError, "revoked: gone");
    await assert.rejects(revokeApiKey(db, key.fingerprint), NotFoundError, "revoked twice: gone");
    const [row] = await db.listApiKeys();
    assert.ok(row.revokedMs !== null, "the row stays for api-key list");
  });

  Deno.test(`${name}: migration 0007 keeps older keys: no manage, expiry in ns, any permission set allowed`, async () => {
    await using db = await makeCatalog({ migrate: false });
    await migrate(db.driver, silentLogger(), { migrations: MIGRATIONS.filter((m) => m.version <= 3) });
    const token = `msco_${"k".repeat(32)}_${legacyFingerprintOf("k".repeat(32))}`;
    const farToken = `msco_${"f".repeat(32)}_${legacyFingerprintOf("f".repeat(32))}`;
    for (const [t, expiresMs] of [[token, 1_900_000_000_000], [farToken, 32_503_680_000_000]] as const) {
      await db.driver.query(
        `INSERT INTO api_keys (fingerprint, token_sha256, can_read, can_write, can_delete, created_ms, expires_ms)
         VALUES ($1, $2, true, false, true, 1700000000000, $3)`,
        [t.slice(-8), sha256Hex(t), expiresMs],
      );
    }
    await migrate(db.driver, silentLogger());
    const old = (await db.findApiKey(token.slice(-8)))!;
    assert.deepEqual(old.permissions, ["read", "delete"]);
    assert.equal(old.expiresNs, 1_900_000_000_000n * MS);
    assert.equal(old.createdNs, 1_700_000_000_000n * MS);
    const far = (await db.findApiKey(farToken.slice(-8)))!;
    assert.equal(far.expiresMs, 32_503_680_000_000, "year 3000 stays in milliseconds");
    assert.equal(far.expiresNs, 9_223_372_036_854_000_000n, "and is the last int64 millisecond in ns");
    // The legacy token still authenticates.
    const verifier = new ApiKeyVerifier(db, { now: () => 1_800_000_000_000 });
    assert.deepEqual(await verifier.authenticate(header(token)), {
      fingerprint: token.slice(-8),
      permissions: ["read", "delete"],
    });
    // A key with manage only satisfies the new check; none at all does not.
    await db.createApiKey({
      ...generateApiKeyToken(),
      permissions: ["manage"],
      description: "",
      expiresNs: null,
    });
    await assert.rejects(
      db.createApiKey({ ...generateApiKeyToken(), permissions: [], description: "", expiresNs: null }),
    );
  });

  Deno.test(`${name}: the verifier accepts a live key by either header, refuses unknown, revoked (within the cache window) and expired ones`, async () => {
    await using db = await makeCatalog();
    let now = Date.now();
    const verifier = new ApiKeyVerifier(db, { cacheMs: 5_000, now: () => now });
    const reader = await createApiKey(db, { permissions: ["read"], description: "", expiresNs: null });
    const shortLived = await createApiKey(db, {
      permissions: expandHierarchical("write"),
      description: "",
      expiresNs: BigInt(now + 1_000) * MS + 1n,
    });

    const caller = await verifier.authenticate(bearer(reader.token));
    assert.deepEqual(caller, { fingerprint: reader.key.fingerprint, permissions: ["read"] });
    assert.deepEqual(await verifier.authenticate(header(reader.token)), caller);
    assert.deepEqual(
      await verifier.authenticate(`Bearer ${reader.token}`),
      caller,
      "the authorization alone",
    );
    assert.deepEqual(
      await verifier.authenticate({ authorization: `Bearer ${reader.token}`, apiKeyToken: reader.token }),
      caller,
    );
    await assert.rejects(
      verifier.authenticate({ authorization: `Bearer ${shortLived.token}`, apiKeyToken: reader.token }),
      refused(/name different API keys/),
    );
    requirePermission(caller, "read", "DoGet");
    assert.throws(
      () => requirePermission(caller, "write", "DoPut"),
      new PermissionDeniedError(
        `API key "${reader.key.fingerprint}" lacks the write permission (needed by DoPut)`,
      ),
    );

    // A well-formed token the catalog does not hold; and a known fingerprint with another payload's hash.
    const stranger = generateApiKeyToken();
    await assert.rejects(verifier.authenticate(header(stranger.token)), refused(/is unknown/));
    const forged = generateApiKeyToken();
    await db.createApiKey({
      fingerprint: forged.fingerprint,
      tokenSha256: stranger.tokenSha256,
      permissions: ["read"],
      description: "",
      expiresNs: null,
    });
    await assert.rejects(verifier.authenticate(header(forged.token)), refused(/is unknown/));
    await assert.rejects(verifier.authenticate(null), refused(/no API key.*mosaico-api-key-token/));
    await assert.rejects(
      verifier.authenticate({ authorization: null, apiKeyToken: null }),
      refused(/no API key/),
    );
    await assert.rejects(verifier.authenticate(header("msco_nope")), refused(/malformed/));
    await assert.rejects(
      verifier.authenticate(header("msco_wrongauthapikey123_abc12345")),
      refused(/malformed/),
    );

    // Revoked elsewhere (the CLI, another daemon): the cached lookup still admits it until the window ends.
    await db.revokeApiKey(reader.key.fingerprint);
    now += 4_000;
    assert.deepEqual(await verifier.authenticate(header(reader.token)), caller);
    now += 1_000;
    await assert.rejects(
      verifier.authenticate(header(reader.token)),
      refused(new RegExp(`API key "${reader.key.fingerprint}" was revoked`)),
    );
    // A verifier that never saw the key refuses it at once.
    await assert.rejects(new ApiKeyVerifier(db).authenticate(header(reader.token)), refused(/was revoked/));

    // Expiry is checked on every call, cached lookup or not, to the nanosecond.
    now = shortLived.key.expiresMs! - 1_500;
    const fresh = new ApiKeyVerifier(db, { now: () => now });
    assert.equal(
      (await fresh.authenticate(header(shortLived.token))).fingerprint,
      shortLived.key.fingerprint,
    );
    now = shortLived.key.expiresMs! - 1; // 1 ms before the rounded-up expiry: still 999 999 ns short of it
    assert.equal(
      (await fresh.authenticate(header(shortLived.token))).fingerprint,
      shortLived.key.fingerprint,
    );
    now = shortLived.key.expiresMs!;
    await assert.rejects(
      fresh.authenticate(header(shortLived.token)),
      refused(/expired at \d{4}-\d{2}-\d{2}T/),
    );
  });

  Deno.test(`${name}: revokeApiKey() takes effect at once for this thread's verifiers, cache or not`, async () => {
    await using db = await makeCatalog();
    const verifier = new ApiKeyVerifier(db, { cacheMs: 60_000 });
    const { token, key } = await createApiKey(db, {
      permissions: ["read"],
      description: "",
      expiresNs: null,
    });
    const other = await createApiKey(db, { permissions: ["read"], description: "", expiresNs: null });
    assert.equal((await verifier.authenticate(header(token))).fingerprint, key.fingerprint);
    assert.equal((await verifier.authenticate(header(other.token))).fingerprint, other.key.fingerprint);
    await revokeApiKey(db, key.fingerprint);
    await assert.rejects(verifier.authenticate(header(token)), refused(/was revoked/));
    assert.equal((await verifier.authenticate(header(other.token))).fingerprint, other.key.fingerprint);
  });
}

Deno.test("pglite: Flight worker threads verify keys through the catalog port", async () => {
  await using db = await freshPgliteCatalog();
  const { token, key } = await createApiKey(db, {
    permissions: ["read", "delete"],
    description: "",
    expiresNs: 4_102_444_800_000_000_001n,
  });
  const channel = new MessageChannel();
  serveCatalog(db, channel.port1);
  await using remote = remoteCatalog(channel.port2);
  try {
    const verifier = new ApiKeyVerifier(remote);
    assert.deepEqual(await verifier.authenticate(header(token)), {
      fingerprint: key.fingerprint,
      permissions: ["read", "delete"],
    });
    assert.deepEqual(await apiKeyStatus(remote, key.fingerprint), key, "bigints cross the port");
    await assert.rejects(verifier.authenticate(header(generateApiKeyToken().token)), refused(/is unknown/));
  } finally {
    channel.port1.close();
  }
});

Deno.test("api keys: a long server stream stops once its key is revoked", async () => {
  await using db = await freshPgliteCatalog();
  const { token, key } = await createApiKey(db, { permissions: ["read"], description: "", expiresNs: null });
  const verifier = new ApiKeyVerifier(db, { cacheMs: 0 });
  let sent = 0;
  const handlers = {
    // A stream that goes on as long as it is read, like a live event subscription.
    async *DoGet() {
      for (;;) yield new Uint8Array([sent++]);
    },
  } as unknown as FlightHandlers;
  const wrapped = withApiKeys(handlers, verifier, { recheckMs: 0 });
  const ctx = { authorization: `Bearer ${token}`, apiKeyToken: null } as unknown as CallContext;
  const stream = (wrapped.DoGet(new Uint8Array(0), ctx) as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  assert.equal((await stream.next()).done, false);
  assert.equal((await stream.next()).done, false);
  await db.revokeApiKey(key.fingerprint);
  await assert.rejects(stream.next(), refused(/was revoked/));
  assert.ok(sent <= 3, `the stream stopped at once (${sent} messages made)`);
});
