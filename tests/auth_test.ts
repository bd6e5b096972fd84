/**
 * API keys end to end (`--api-key-enabled`): keys made with `main.ts api-key`, a real daemon on each
 * catalog driver, a pyarrow client (`tests/interop/auth_ops.py`) sending `authorization: Bearer <token>`
 * or the 2026 SDK's `mosaico-api-key-token: <token>`. Every refusal is checked for its code, then the
 * daemon must still serve and the data uploaded first must read back unchanged.
 */
import assert from "node:assert/strict";
import { Catalog } from "../src/catalog/catalog.ts";
import { API_KEY_CACHE_MS } from "../src/auth/api_keys.ts";
import { createApiKey } from "../src/auth/key_admin.ts";
import {
  fingerprintOf,
  generateApiKeyToken,
  hashApiKeyToken,
  legacyFingerprintOf,
} from "../src/model/api_keys.ts";
import { silentLogger } from "../src/log.ts";
import { mosaicod, pythonClient } from "./_commands.ts";
import { type Daemon, startDaemon } from "./_daemon.ts";
import { freshDatabase } from "./_postgres.ts";

interface OpResult {
  code: string;
  value: unknown;
  message: string;
  seconds: number;
}

type Op = Record<string, unknown> & { op: string };

async function run(daemon: Daemon, ops: Op[]): Promise<OpResult[]> {
  return await pythonClient("auth_ops.py", daemon.url, JSON.stringify(ops)) as OpResult[];
}

/** Runs `ops` and checks each result's code (`expected[i]`); returns the results. */
async function expectCodes(daemon: Daemon, ops: Op[], expected: string[]): Promise<OpResult[]> {
  assert.equal(ops.length, expected.length);
  const results = await run(daemon, ops);
  results.forEach((r, i) =>
    assert.equal(r.code, expected[i], `${JSON.stringify({ ...ops[i], token: "…" })}: ${r.message}`)
  );
  return results;
}

/** `main.ts api-key create`; returns the token it printed (alone on its stdout line). */
async function createKey(cwd: string, storage: string[], ...args: string[]): Promise<string> {
  const r = await mosaicod(cwd, "api-key", "create", ...storage, ...args);
  assert.equal(r.code, 0, r.stderr);
  const token = r.stdout.trim();
  assert.match(token, /^msco_[a-z0-9]{32}_[0-9a-f]{8}$/);
  return token;
}

/**
 * A key that expired a second ago (the CLI refuses a past expiry, the catalog takes one), and a read key
 * whose token has the fingerprint of tokens minted before the 2026 protocol (labelled SHA-256).
 */
async function createCatalogKeys(
  config: Parameters<typeof Catalog.open>[0],
): Promise<{ expired: string; legacy: string }> {
  await using catalog = await Catalog.open(config, { log: silentLogger() });
  const { token: expired } = await createApiKey(catalog, {
    permissions: ["read"],
    description: "",
    expiresNs: BigInt(Date.now() - 1000) * 1_000_000n,
  });
  const payload = generateApiKeyToken().token.slice(5, 37);
  const legacy = `msco_${payload}_${legacyFingerprintOf(payload)}`;
  await catalog.createApiKey({
    fingerprint: legacy.slice(-8),
    tokenSha256: hashApiKeyToken(legacy),
    permissions: ["read"],
    description: "minted by issue #8",
    expiresNs: null,
  });
  return { expired, legacy };
}

async function stillRunning(daemon: Daemon): Promise<void> {
  const state = await Promise.race([daemon.exited.then(() => "exited"), Promise.resolve("running")]);
  assert.equal(state, "running");
}

function secretOf(token: string): string {
  return token.slice(5, 37);
}

interface Keys {
  writer: string;
  reader: string;
  deleter: string;
  revokee: string;
  /** `-p manage`: all four permissions. */
  manager: string;
  expired: string;
  legacy: string;
}

/**
 * The refusals, each followed by a read that must give back the first upload unchanged. Returns the
 * digest of that upload.
 */
async function exerciseKeys(daemon: Daemon, keys: Keys, seq: string): Promise<{ digest: string }> {
  const { writer, reader, deleter, expired, manager, legacy } = keys;
  const topic = `${seq}/imu`;
  const other = `${seq}_other`;
  // A token whose secret was mistyped (its fingerprint no longer fits) and one no catalog holds.
  const typo = `msco_${secretOf(reader).replace(/^./, (c) => c === "a" ? "b" : "a")}_${reader.slice(-8)}`;
  const unknown = generateApiKeyToken().token;
  const [created] = await expectCodes(daemon, [{ op: "create_sequence", name: seq, token: writer }], ["OK"]);
  const seqKey = created.value as string;
  const [topicCreated] = await expectCodes(daemon, [
    { op: "create_topic", name: topic, key: seqKey, token: writer },
  ], ["OK"]);
  const [uploaded, , read] = await expectCodes(daemon, [
    { op: "upload", topic, key: topicCreated.value, rows: 2000, seed: 3, token: writer },
    { op: "finalize", name: seq, key: seqKey, token: writer },
    { op: "read", topic, token: reader },
  ], ["OK", "OK", "OK"]);
  const sent = uploaded.value as { rows: number; digest: string };
  assert.deepEqual(read.value, sent, "the reader reads back what the writer uploaded");

  const readBack: Op = { op: "read", topic, token: reader };
  // The 2026 SDK's header, alone or beside the same bearer token; tokens of either fingerprint.
  const accepted = await expectCodes(daemon, [
    { op: "read", topic, api_key_token: reader },
    { op: "read", topic, token: reader, api_key_token: reader },
    { op: "read", topic, api_key_token: legacy },
    { op: "read", topic, token: legacy },
    { op: "read", topic, api_key_token: manager },
    { op: "create_sequence", name: `${seq}_mgr`, api_key_token: manager },
    { op: "delete_sequence", name: `${seq}_mgr`, api_key_token: manager },
  ], ["OK", "OK", "OK", "OK", "OK", "OK", "OK"]);
  for (const r of accepted.slice(0, 5)) assert.deepEqual(r.value, sent);
  const refusals: [Op, string][] = [
    [{ op: "list" }, "UNAUTHENTICATED"],
    [{ op: "read", topic }, "UNAUTHENTICATED"],
    [{ op: "create_sequence", name: `${seq}_anon` }, "UNAUTHENTICATED"],
    [{ op: "action", name: "no_such_action", body: {} }, "UNAUTHENTICATED"],
    [{ op: "list", authorization: "" }, "UNAUTHENTICATED"],
    [{ op: "list", authorization: `Basic ${btoa("user:pass")}` }, "UNAUTHENTICATED"],
    [{ op: "list", authorization: reader }, "UNAUTHENTICATED"], // the token without "Bearer"
    [{ op: "list", token: "msco_tooshort_abcdef12" }, "UNAUTHENTICATED"],
    [{ op: "list", token: reader.toUpperCase() }, "UNAUTHENTICATED"],
    [{ op: "list", token: typo }, "UNAUTHENTICATED"],
    [{ op: "read", topic, token: unknown }, "UNAUTHENTICATED"],
    [{ op: "read", topic, token: expired }, "UNAUTHENTICATED"],
    [{ op: "read", topic, api_key_token: expired }, "UNAUTHENTICATED"],
    [{ op: "list", api_key_token: "msco_wrongauthapikey123_abc12345" }, "UNAUTHENTICATED"],
    [{ op: "list", api_key_token: unknown }, "UNAUTHENTICATED"],
    [{ op: "list", api_key_token: typo }, "UNAUTHENTICATED"],
    [{ op: "list", api_key_token: "" }, "UNAUTHENTICATED"],
    [{ op: "list", token: writer, api_key_token: reader }, "UNAUTHENTICATED"], // two different keys
    [{ op: "list", authorization: "Basic x", api_key_token: reader }, "UNAUTHENTICATED"],
    [{ op: "create_sequence", name: `${seq}_ro2`, api_key_token: reader }, "PERMISSION_DENIED"],
    [{ op: "delete_sequence", name: seq, api_key_token: legacy }, "PERMISSION_DENIED"],
    [{ op: "create_sequence", name: `${seq}_ro`, token: reader }, "PERMISSION_DENIED"],
    [{ op: "upload", topic: `${seq}/second`, key: crypto.randomUUID(), token: reader }, "PERMISSION_DENIED"],
    [{ op: "delete_sequence", name: seq, token: reader }, "PERMISSION_DENIED"],
    [{ op: "delete_topic", name: topic, token: reader }, "PERMISSION_DENIED"],
    [{ op: "delete_sequence", name: seq, token: writer }, "PERMISSION_DENIED"],
    [
      { op: "action", name: "sequence_notify_purge", body: { name: seq }, token: writer },
      "PERMISSION_DENIED",
    ],
    [
      { op: "action", name: "layer_create", body: { name: "l", description: "" }, token: deleter },
      "PERMISSION_DENIED",
    ],
  ];
  const ops = refusals.flatMap(([op]) => [op, readBack]);
  const codes = refusals.flatMap(([, code]) => [code, "OK"]);
  const results = await expectCodes(daemon, ops, codes);
  for (let i = 1; i < results.length; i += 2) {
    assert.deepEqual(results[i].value, sent, `read after refusal ${(i - 1) / 2} gives the same rows`);
  }
  const messages = results.filter((r) => r.code !== "OK").map((r) => r.message);
  assert.ok(
    messages.some((m) => /no API key \(send the gRPC metadata "mosaico-api-key-token: <token>"/.test(m)),
  );
  assert.ok(messages.some((m) => /name different API keys/.test(m)));
  assert.ok(messages.some((m) => /malformed API key/.test(m)));
  assert.ok(messages.some((m) => /fingerprint does not match/.test(m)));
  assert.ok(messages.some((m) => /is unknown/.test(m)));
  assert.ok(messages.some((m) => /expired at/.test(m)));
  assert.ok(messages.some((m) => /lacks the write permission \(needed by DoPut\)/.test(m)));
  assert.ok(messages.some((m) => /lacks the delete permission \(needed by sequence_delete\)/.test(m)));

  // A delete key deletes: another sequence made by the writer goes, the first stays.
  const [otherSeq] = await expectCodes(daemon, [{ op: "create_sequence", name: other, token: writer }], [
    "OK",
  ]);
  assert.equal(typeof otherSeq.value, "string");
  const after = await expectCodes(daemon, [
    { op: "delete_sequence", name: other, token: deleter },
    { op: "list", token: reader },
    readBack,
  ], ["OK", "OK", "OK"]);
  assert.ok(!(after[1].value as string[]).includes(other));
  assert.ok((after[1].value as string[]).includes(seq));
  assert.deepEqual(after[2].value, sent);
  await stillRunning(daemon);
  return { digest: sent.digest };
}

/** `api-key list --json` as objects; never a secret in the output. */
async function listKeys(cwd: string, storage: string[], keys: Keys) {
  const r = await mosaicod(cwd, "api-key", "list", "--json", ...storage);
  assert.equal(r.code, 0, r.stderr);
  for (const token of Object.values(keys)) {
    assert.ok(!r.stdout.includes(secretOf(token)) && !r.stderr.includes(secretOf(token)), "no token listed");
  }
  return r.stdout.trim().split("\n").map((l) => JSON.parse(l)) as Record<string, unknown>[];
}

function assertNoTokenLogged(daemon: Daemon, keys: Keys): void {
  const logs = JSON.stringify(daemon.logs);
  for (const token of Object.values(keys)) assert.ok(!logs.includes(secretOf(token)), "no token in the logs");
  assert.ok(daemon.logs.some((l) => l.msg === "api key refused"), "refusals are logged (by fingerprint)");
  assert.ok(!daemon.logs.some((l) => l.level === "error"), "no error logged");
}

Deno.test("auth: API keys on the embedded catalog: codes, still serving, data unchanged; revoked after a restart", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "mosaicod-auth-" });
  try {
    const keys: Keys = {
      writer: await createKey(cwd, [], "--permissions", "write,read", "--description", "uploader"),
      reader: await createKey(cwd, [], "--permissions", "read", "--expires-in-days", "30"),
      deleter: await createKey(cwd, [], "--permissions", "read,delete"),
      revokee: await createKey(cwd, [], "--permissions", "read,write,delete"),
      manager: await createKey(cwd, [], "-p", "manage"),
      ...await createCatalogKeys({ kind: "pglite", dir: `${cwd}/data/catalog` }),
    };
    const seq = `auth_${crypto.randomUUID().slice(0, 8)}`;
    let digest: string;
    {
      await using daemon = await startDaemon({ cwd, args: ["--api-key-enabled", "--log-level", "debug"] });
      assert.equal(daemon.logs.find((l) => l.msg === "listening")?.apiKeys, true);
      ({ digest } = await exerciseKeys(daemon, keys, seq));
      await expectCodes(daemon, [{ op: "list", token: keys.revokee }], ["OK"]);
      assertNoTokenLogged(daemon, keys);
      assert.equal(await daemon.stop("SIGTERM"), 0);
    }
    // The embedded catalog takes one process at a time: revoke with the daemon stopped.
    const revoked = await mosaicod(cwd, "api-key", "revoke", keys.revokee.slice(-8));
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.match(revoked.stdout, new RegExp(`API key ${keys.revokee.slice(-8)} revoked at `));
    const listed = await listKeys(cwd, [], keys);
    assert.deepEqual(listed.map((k) => [k.fingerprint, k.permissions, k.state, k.description]), [
      [keys.writer.slice(-8), ["read", "write"], "active", "uploader"],
      [keys.reader.slice(-8), ["read"], "active", ""],
      [keys.deleter.slice(-8), ["read", "delete"], "active", ""],
      [keys.revokee.slice(-8), ["read", "write", "delete"], "revoked", ""],
      [keys.manager.slice(-8), ["read", "write", "delete", "manage"], "active", ""],
      [keys.expired.slice(-8), ["read"], "expired", ""],
      [keys.legacy.slice(-8), ["read"], "active", "minted by issue #8"],
    ]);
    {
      await using daemon = await startDaemon({ cwd, env: { MOSAICOD_API_KEY_ENABLED: "true" } });
      const results = await expectCodes(daemon, [
        { op: "list", token: keys.revokee },
        { op: "read", topic: `${seq}/imu`, token: keys.reader },
      ], ["UNAUTHENTICATED", "OK"]);
      assert.match(results[0].message, /was revoked/);
      assert.equal((results[1].value as { digest: string }).digest, digest);
      assert.equal(await daemon.stop("SIGTERM"), 0);
    }
    // Keys off again (the default): no token needed, the data is the same.
    {
      await using daemon = await startDaemon({ cwd });
      const [read] = await expectCodes(daemon, [{ op: "read", topic: `${seq}/imu` }], ["OK"]);
      assert.equal((read.value as { digest: string }).digest, digest);
    }
  } finally {
    await Deno.remove(cwd, { recursive: true }).catch(() => {});
  }
});

Deno.test("auth: API keys on PostgreSQL with two Flight workers: codes, data unchanged, revocation within the cache window", async () => {
  await using db = await freshDatabase();
  await using daemon = await startDaemon({
    args: ["--database-url", db.url, "--workers", "2", "--api-key-enabled", "--log-level", "debug"],
  });
  const storage = ["--database-url", db.url];
  const cwd = daemon.cwd;
  const keys: Keys = {
    writer: await createKey(cwd, storage, "--permissions", "read,write"),
    reader: await createKey(cwd, storage, "--permissions", "read", "--expires-at", "2199-01-01T00:00:00Z"),
    deleter: await createKey(cwd, storage, "--permissions", "delete,read"),
    revokee: await createKey(cwd, storage, "--permissions", "read"),
    manager: await createKey(cwd, storage, "--level", "manage"),
    ...await createCatalogKeys({ kind: "postgres", url: db.url }),
  };
  const seq = `auth_${crypto.randomUUID().slice(0, 8)}`;
  const { digest } = await exerciseKeys(daemon, keys, seq);

  // Both worker threads enforce: several connections (spread by the kernel) are all refused, all served.
  const clients = await Promise.all(
    [1, 2, 3, 4, 5, 6].map(() =>
      run(daemon, [
        { op: "list" },
        { op: "create_sequence", name: `${seq}_x`, token: keys.reader },
        { op: "read", topic: `${seq}/imu`, token: keys.reader },
      ])
    ),
  );
  for (const results of clients) {
    assert.deepEqual(results.map((r) => r.code), ["UNAUTHENTICATED", "PERMISSION_DENIED", "OK"]);
    assert.equal((results[2].value as { digest: string }).digest, digest);
  }

  // Revoked beside the running daemon: refused within the cache window (5 s), by every worker.
  await expectCodes(daemon, [{ op: "list", token: keys.revokee }], ["OK"]);
  const revoked = await mosaicod(cwd, "api-key", "revoke", keys.revokee, ...storage); // a whole token works too
  assert.equal(revoked.code, 0, revoked.stderr);
  // Every worker looked it up at most 5 s before the revocation committed (before the command exited).
  await new Promise((resolve) => setTimeout(resolve, API_KEY_CACHE_MS + 500));
  const later = await Promise.all(
    [1, 2, 3, 4, 5, 6].map(() => run(daemon, [{ op: "list", token: keys.revokee }])),
  );
  for (const [r] of later) {
    assert.equal(r.code, "UNAUTHENTICATED", r.message);
    assert.match(r.message, /was revoked/);
  }

  const listed = await listKeys(cwd, storage, keys);
  assert.deepEqual(listed.map((k) => k.state), [
    "active",
    "active",
    "active",
    "revoked",
    "active",
    "expired",
    "active",
  ]);
  const [read] = await expectCodes(daemon, [{ op: "read", topic: `${seq}/imu`, token: keys.reader }], ["OK"]);
  assert.equal((read.value as { digest: string }).digest, digest);
  assertNoTokenLogged(daemon, keys);
  assert.equal(await daemon.stop("SIGTERM"), 0);
});

Deno.test("auth: api-key create --permissions (independent), --level / -p (hierarchical), status", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "mosaicod-auth-cli-" });
  try {
    const created = new Map<string, string[]>([
      [await createKey(cwd, [], "--permissions", "manage"), ["manage"]],
      [await createKey(cwd, [], "--permissions", "write,manage,write"), ["write", "manage"]],
      [await createKey(cwd, [], "-p", "manage"), ["read", "write", "delete", "manage"]],
      [await createKey(cwd, [], "-pdelete"), ["read", "write", "delete"]],
      [await createKey(cwd, [], "--level", "write"), ["read", "write"]],
      [await createKey(cwd, [], "--level", "read"), ["read"]],
    ]);
    for (const [token, permissions] of created) {
      assert.equal(token.slice(-8), fingerprintOf(token.slice(5, 37)), "new tokens carry the CRC-32");
      const r = await mosaicod(cwd, "api-key", "status", token.slice(-8), "--json");
      assert.equal(r.code, 0, r.stderr);
      const key = JSON.parse(r.stdout);
      assert.deepEqual(key.permissions, permissions);
      assert.equal(key.state, "active");
      assert.equal(typeof key.created_at_ns, "number");
      assert.equal(key.expires_at_ns, null);
    }
    const token = await createKey(cwd, [], "-p", "read", "--expires-at", "2100-01-01T00:00:00.001Z");
    const shown = await mosaicod(cwd, "api-key", "status", token); // a whole token works too
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(
      shown.stdout,
      new RegExp(`^FINGERPRINT .*\n${token.slice(-8)} +read +active +\\d{4}-.* 2100-01-01T00:00:00.001Z`),
    );
    assert.ok(!shown.stdout.includes(token.slice(5, 37)), "never the token");
    const json = await mosaicod(cwd, "api-key", "status", token.slice(-8), "--json");
    assert.match(json.stdout, /"expires_at_ns":4102444800001000000[,}]/, "exact ns");
    const help = await mosaicod(cwd, "api-key", "--help");
    assert.match(help.stdout, /--permissions lists independent permissions/);
    assert.match(help.stdout, /mosaico-api-key-token: <token>/);
    // Revoked: status still shows it (the CLI keeps history; the 2026 action answers NOT_FOUND).
    assert.equal((await mosaicod(cwd, "api-key", "revoke", token.slice(-8))).code, 0);
    const revoked = await mosaicod(cwd, "api-key", "status", token.slice(-8), "--json");
    assert.equal(JSON.parse(revoked.stdout).state, "revoked");
  } finally {
    await Deno.remove(cwd, { recursive: true }).catch(() => {});
  }
});

Deno.test("auth: api-key refuses bad options with one line and exit 1, before touching the catalog", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "mosaicod-auth-cli-" });
  try {
    const cases: [string[], RegExp][] = [
      [["create"], /api-key create needs --permissions/],
      [["create"], /or --level \(-p\)/],
      [
        ["create", "--permissions", "read,admin"],
        /--permissions must list read, write, delete, manage, got "admin"/,
      ],
      [["create", "--level", "admin"], /--level must be one of read, write, delete, manage, got "admin"/],
      [["create", "-p", "read,write"], /--level must be one of/],
      [["create", "-p", "read", "--permissions", "read"], /Give --permissions or --level \(-p\), not both/],
      [["create", "-p", "read", "--expires-at", "2262-04-12T00:00:00Z"], /must be before 2262-04-11/],
      [["create", "--permissions", ","], /--permissions must name at least one permission/],
      [["create", "--permissions", "read", "--expires-at", "2001-01-01T00:00:00Z"], /must be in the future/],
      [
        ["create", "--permissions", "read", "--expires-at", "tomorrow"],
        /--expires-at must be an ISO 8601 time/,
      ],
      [["create", "--permissions", "read", "--expires-in-days", "0"], /--expires-in-days must be an integer/],
      [
        ["create", "--permissions", "read", "--expires-in-days", "1", "--expires-at", "2999-01-01"],
        /not both/,
      ],
      [["revoke"], /api-key revoke needs a fingerprint/],
      [["revoke", "xyz"], /needs a fingerprint \(8 hex digits/],
      [["status"], /api-key status needs a fingerprint/],
      [["status", "ABCDEF12"], /api-key status needs a fingerprint \(8 hex digits/],
      [["list", "abcdef12"], /api-key list takes no argument/],
      [["rotate"], /api-key needs an action: create, list, status <fingerprint> or revoke <fingerprint>/],
    ];
    for (const [args, re] of cases) {
      const r = await mosaicod(cwd, "api-key", ...args);
      assert.equal(r.code, 1, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
      assert.match(r.stderr, re);
    }
    for await (const _ of Deno.readDir(cwd)) assert.fail("no catalog was created");
    const revokeUnknown = await mosaicod(cwd, "api-key", "revoke", fingerprintOf("x".repeat(32)));
    assert.equal(revokeUnknown.code, 1);
    assert.match(revokeUnknown.stderr, /Cannot find API key "[0-9a-f]{8}"/);
    const statusUnknown = await mosaicod(cwd, "api-key", "status", fingerprintOf("x".repeat(32)));
    assert.equal(statusUnknown.code, 1);
    assert.match(statusUnknown.stderr, /Cannot find API key "[0-9a-f]{8}"/);
  } finally {
    await Deno.remove(cwd, { recursive: true }).catch(() => {});
  }
});
