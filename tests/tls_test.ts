/**
 * TLS end to end (`MOSAICOD_TLS_CERT_FILE`, `MOSAICOD_TLS_PRIVATE_KEY_FILE`): a self-signed certificate
 * made here with `openssl` (CN and SAN localhost and 127.0.0.1), a real daemon serving `grpc+tls://`,
 * a pyarrow client that trusts only that certificate (`tests/interop/auth_ops.py --tls-root`). A
 * plaintext client and a client that does not trust the certificate are refused without hanging; bad
 * files stop the daemon at start with one line.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { mosaicod, pythonClient } from "./_commands.ts";
import { type Daemon, MAIN, startDaemon } from "./_daemon.ts";
import { START_PERMISSIONS } from "./_permissions.ts";
import { type Certificate, selfSignedCertificate, tlsEnv } from "./_tls.ts";

interface OpResult {
  code: string;
  value: unknown;
  message: string;
  seconds: number;
}

function tlsUrl(daemon: Daemon): string {
  return `grpc+tls://127.0.0.1:${daemon.port}`;
}

async function ops(url: string, list: Record<string, unknown>[], root?: string): Promise<OpResult[]> {
  const extra = root === undefined ? [] : ["--tls-root", root];
  return await pythonClient("auth_ops.py", url, JSON.stringify(list), ...extra) as OpResult[];
}

function codes(results: OpResult[]): string[] {
  return results.map((r) => r.code);
}

/** Over TLS: create a sequence and a topic, upload, finalize, read back; returns the digest of the rows. */
async function uploadAndReadBack(url: string, root: string, seq: string, token?: string): Promise<string> {
  const auth = token === undefined ? {} : { token };
  const [created] = await ops(url, [{ op: "create_sequence", name: seq, ...auth }], root);
  assert.equal(created.code, "OK", created.message);
  const [topic] = await ops(
    url,
    [{ op: "create_topic", name: `${seq}/lidar`, key: created.value, ...auth }],
    root,
  );
  assert.equal(topic.code, "OK", topic.message);
  const results = await ops(url, [
    { op: "upload", topic: `${seq}/lidar`, key: topic.value, rows: 5000, seed: 9, ...auth },
    { op: "finalize", name: seq, key: created.value, ...auth },
    { op: "read", topic: `${seq}/lidar`, ...auth },
  ], root);
  assert.deepEqual(codes(results), ["OK", "OK", "OK"], JSON.stringify(results));
  assert.deepEqual(results[2].value, results[0].value, "read back what was uploaded");
  return (results[0].value as { digest: string }).digest;
}

/** Clients the server must turn away, fast: plaintext, and TLS without trusting our certificate. */
async function assertRefusedQuickly(daemon: Daemon, cert: Certificate): Promise<void> {
  const [plain] = await ops(daemon.url, [{ op: "list", timeout: 10 }]);
  assert.equal(plain.code, "UNAVAILABLE", plain.message);
  assert.ok(plain.seconds < 5, `a plaintext client waited ${plain.seconds} s`);
  const [untrusted] = await ops(tlsUrl(daemon), [{ op: "list", timeout: 10 }]);
  assert.equal(untrusted.code, "UNAVAILABLE", untrusted.message);
  assert.ok(untrusted.seconds < 5, `an untrusting client waited ${untrusted.seconds} s`);
  const [trusted] = await ops(tlsUrl(daemon), [{ op: "list", timeout: 10 }], cert.cert);
  assert.notEqual(trusted.code, "UNAVAILABLE", "a client trusting the certificate gets through");
}

Deno.test("tls: the daemon serves grpc+tls:// to a pyarrow client trusting its certificate; plaintext is refused", async () => {
  await using cert = await selfSignedCertificate();
  await using daemon = await startDaemon({ env: tlsEnv(cert) });
  const listening = daemon.logs.find((l) => l.msg === "listening");
  assert.equal(listening?.address, `grpc+tls://127.0.0.1:${daemon.port}`);
  const seq = `tls_${crypto.randomUUID().slice(0, 8)}`;
  const digest = await uploadAndReadBack(tlsUrl(daemon), cert.cert, seq);
  await assertRefusedQuickly(daemon, cert);
  // Still serving after the refusals, the same rows.
  const [read, listed] = await ops(tlsUrl(daemon), [
    { op: "read", topic: `${seq}/lidar` },
    { op: "list" },
  ], cert.cert);
  assert.equal((read.value as { digest: string }).digest, digest);
  assert.deepEqual(listed.value, [seq]);
  assert.equal(await daemon.stop("SIGTERM"), 0);
  assert.ok(!daemon.logs.some((l) => l.level === "error"), "no error logged");
});

Deno.test("tls: two Flight workers (shared port) serve TLS with API keys on the embedded catalog", async () => {
  await using cert = await selfSignedCertificate();
  const cwd = await Deno.makeTempDir({ prefix: "mosaicod-tls-keys-" });
  try {
    const created = await mosaicod(cwd, "api-key", "create", "--permissions", "read,write");
    assert.equal(created.code, 0, created.stderr);
    const token = created.stdout.trim();
    await using daemon = await startDaemon({
      cwd,
      args: ["--workers", "2"],
      env: { ...tlsEnv(cert), MOSAICOD_API_KEY_ENABLED: "true" },
    });
    assert.equal(daemon.logs.filter((l) => l.msg === "worker listening").length, 2);
    assert.equal(daemon.logs.find((l) => l.msg === "listening")?.address, tlsUrl(daemon));
    const seq = `tls_${crypto.randomUUID().slice(0, 8)}`;
    const digest = await uploadAndReadBack(tlsUrl(daemon), cert.cert, seq, token);
    await assertRefusedQuickly(daemon, cert);
    // Several connections, spread over both workers by the kernel: each refuses a call without a key
    // and reads the same rows with one.
    const clients = await Promise.all([1, 2, 3, 4, 5, 6].map(() =>
      ops(tlsUrl(daemon), [
        { op: "read", topic: `${seq}/lidar` },
        { op: "read", topic: `${seq}/lidar`, token },
      ], cert.cert)
    ));
    for (const [anonymous, keyed] of clients) {
      assert.equal(anonymous.code, "UNAUTHENTICATED", anonymous.message);
      assert.equal(keyed.code, "OK", keyed.message);
      assert.equal((keyed.value as { digest: string }).digest, digest);
    }
    assert.equal(await daemon.stop("SIGTERM"), 0);
    const logs = JSON.stringify(daemon.logs);
    assert.ok(!logs.includes(token.slice(5, 37)), "no token in the logs");
  } finally {
    await Deno.remove(cwd, { recursive: true }).catch(() => {});
  }
});

/** `main.ts server` expected to fail at start: its exit code and stderr (killed after 60 s otherwise). */
async function serverFails(cwd: string, args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...START_PERMISSIONS, MAIN, "server", "--port", "0", "--log-format", "json", ...args],
    cwd,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr).trim() };
}

Deno.test("tls: a missing, unreadable or mismatched TLS file stops the daemon at start with one line", async () => {
  await using cert = await selfSignedCertificate();
  await using other = await selfSignedCertificate();
  const garbage = join(cert.dir, "garbage.pem");
  await Deno.writeTextFile(garbage, "not a certificate\n");
  const missing = join(cert.dir, "missing.pem");
  const cwd = await Deno.makeTempDir({ prefix: "mosaicod-tls-bad-" });
  try {
    const cases: [string[], Record<string, string>, RegExp][] = [
      [
        [],
        { ...tlsEnv(cert), MOSAICOD_TLS_CERT_FILE: missing },
        /Cannot read the TLS certificate file ".*missing\.pem": no such file/,
      ],
      [
        ["--tls-cert-file", cert.cert, "--tls-private-key-file", missing],
        {},
        /Cannot read the TLS private key file ".*missing\.pem": no such file/,
      ],
      [
        ["--tls-cert-file", cert.dir, "--tls-private-key-file", cert.key],
        {},
        /Cannot read the TLS certificate file/,
      ],
      [
        ["--tls-cert-file", garbage, "--tls-private-key-file", cert.key],
        {},
        /"[^"]*garbage\.pem": not a PEM certificate/,
      ],
      [
        ["--tls-cert-file", cert.cert, "--tls-private-key-file", garbage],
        {},
        /"[^"]*garbage\.pem": not a PEM private key/,
      ],
      [
        ["--tls-cert-file", cert.cert, "--tls-private-key-file", other.key],
        {},
        /is not the key of the certificate/,
      ],
      [
        [],
        { MOSAICOD_TLS_CERT_FILE: cert.cert },
        /MOSAICOD_TLS_CERT_FILE needs MOSAICOD_TLS_PRIVATE_KEY_FILE/,
      ],
      // With workers the main thread checks the files first: the same one line.
      [
        ["--workers", "2"],
        { ...tlsEnv(cert), MOSAICOD_TLS_CERT_FILE: missing },
        /Cannot read the TLS certificate file/,
      ],
    ];
    for (const [args, env, re] of cases) {
      const r = await serverFails(cwd, args, env);
      assert.equal(r.code, 1, `${args.join(" ")} ${JSON.stringify(env)}: ${r.stderr}`);
      assert.equal(r.stderr.split("\n").length, 1, r.stderr);
      assert.match(r.stderr, /^mosaicod server: /);
      assert.match(r.stderr, re);
    }
  } finally {
    await Deno.remove(cwd, { recursive: true }).catch(() => {});
  }
});
