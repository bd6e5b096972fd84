/**
 * Deno permissions that explain themselves: the daemon started with the start task's permissions (or
 * narrower reads) and a data directory, store or TLS file outside them stops at once with one line
 * naming the path and the flag that grants it; and permission errors raised later get the same kind of line.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadConfig } from "../src/config.ts";
import { ConfigError, UnavailableError } from "../src/errors.ts";
import { explainPermissionError, launcherOf, pathNeeds, permissionMessage } from "../src/cli/_permissions.ts";
import { MAIN } from "./_daemon.ts";
import { START_PERMISSIONS } from "./_permissions.ts";

const decoder = new TextDecoder();

/** Runs `main.ts server <args>` in a new directory `cwd` (next to `outside`) with `permissions`. */
async function serverWith(permissions: string[], cwd: string, args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...permissions, MAIN, "server", "--port", "0", "--log-format", "json", ...args],
    cwd,
    env: {},
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr).trim() };
}

/** A scratch root holding `cwd` (where the daemon runs) and `outside` (beyond --allow-write=.). */
async function scratch(): Promise<{ cwd: string; outside: string } & AsyncDisposable> {
  const root = await Deno.makeTempDir({ prefix: "mosaicod-perm-" });
  const cwd = join(root, "cwd");
  const outside = join(root, "outside");
  await Deno.mkdir(cwd);
  await Deno.mkdir(outside);
  return { cwd, outside, [Symbol.asyncDispose]: () => Deno.remove(root, { recursive: true }) };
}

function assertOneLine(r: { code: number; stderr: string }, ...patterns: RegExp[]) {
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stderr.split("\n").length, 1, `one line, got: ${r.stderr}`);
  assert.ok(!/\bat .*:\d+:\d+/.test(r.stderr), `no stack trace: ${r.stderr}`);
  for (const re of patterns) assert.match(r.stderr, re);
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

Deno.test("permissions: a data directory outside --allow-write=. stops the daemon with the flag to grant it", async () => {
  await using dirs = await scratch();
  const dataDir = join(dirs.outside, "data");
  const r = await serverWith(START_PERMISSIONS, dirs.cwd, ["--data-dir", dataDir]);
  assertOneLine(
    r,
    new RegExp(
      `^mosaicod server: Deno's permissions do not let mosaicod write the data directory "${
        escape(dataDir)
      }" \\(--data-dir\\)`,
    ),
    new RegExp(`deno run --allow-write=${escape(dataDir)} `),
    /deno task start cannot take permission flags/,
    new RegExp(`choose a path inside "${escape(dirs.cwd)}"`),
  );
  assert.equal(r.stdout, "");
  // Checked before anything was opened: nothing was created.
  assert.deepEqual(await Array.fromAsync(Deno.readDir(dirs.outside)), []);
});

Deno.test("permissions: a store directory outside the permissions is named with --store; granted, the check passes", async () => {
  await using dirs = await scratch();
  const store = join(dirs.outside, "objects");
  // PostgreSQL on a closed port: the catalog fails fast once the permission check has passed.
  const args = ["--store", store, "--database-url", "postgres://u:p@127.0.0.1:1/m"];
  // TLS files that are not PEM, loaded before the store: the check must come before anything is opened.
  await Deno.writeTextFile(join(dirs.cwd, "bad.pem"), "not a certificate");
  const tls = ["--tls-cert-file", "bad.pem", "--tls-private-key-file", "bad.pem"];
  const denied = await serverWith(START_PERMISSIONS, dirs.cwd, [...args, ...tls]);
  assertOneLine(
    denied,
    new RegExp(`write the store directory "${escape(store)}" \\(--store\\)`),
    new RegExp(`--allow-write=${escape(store)} `),
  );
  const widened = START_PERMISSIONS.map((p) => p === "--allow-write=." ? `--allow-write=.,${store}` : p);
  assert.notDeepEqual(widened, START_PERMISSIONS, "the start task writes only under .");
  const granted = await serverWith(widened, dirs.cwd, args);
  assertOneLine(granted, /Cannot connect to PostgreSQL/);
});

Deno.test("permissions: TLS files outside --allow-read are named, with every denied path in one line", async () => {
  await using dirs = await scratch();
  const cert = join(dirs.outside, "cert.pem");
  const key = join(dirs.cwd, "key.pem"); // readable: only the certificate is reported
  const narrow = START_PERMISSIONS.map((p) => p === "--allow-read" ? `--allow-read=${dirs.cwd}` : p);
  assert.notDeepEqual(narrow, START_PERMISSIONS);
  const store = join(dirs.outside, "store");
  const r = await serverWith(narrow, dirs.cwd, [
    "--tls-cert-file",
    cert,
    "--tls-private-key-file",
    key,
    "--store",
    store,
  ]);
  assertOneLine(
    r,
    new RegExp(`read and write the store directory "${escape(store)}" \\(--store\\)`),
    new RegExp(`nor read the TLS certificate file "${escape(cert)}" \\(--tls-cert-file\\)`),
    new RegExp(
      `Grant them: deno run --allow-read=${escape(store)},${escape(cert)} --allow-write=${escape(store)} `,
    ),
  );
  assert.ok(!r.stderr.includes("key.pem"), r.stderr);
});

Deno.test("pathNeeds() lists the catalog and store under the data directory, a moved store and the TLS files", () => {
  const local = loadConfig({ args: ["--data-dir", "/srv/m"], env: {} });
  assert.deepEqual(pathNeeds(local).map((n) => [n.path, n.grant, n.access.join("+")]), [
    ["/srv/m/catalog", "/srv/m", "read+write"],
    ["/srv/m/store", "/srv/m", "read+write"],
  ]);
  const remote = loadConfig({
    args: ["--database-url", "postgres://db/m", "--store", "s3://bucket"],
    env: { MOSAICOD_TLS_CERT_FILE: "/etc/c.pem", MOSAICOD_TLS_PRIVATE_KEY_FILE: "/etc/k.pem" },
  });
  assert.deepEqual(pathNeeds(remote).map((n) => [n.path, n.access.join("+")]), [
    ["/etc/c.pem", "read"],
    ["/etc/k.pem", "read"],
  ]);
  const moved = loadConfig({ args: ["--data-dir", "/srv/m", "--store", "/mnt/objects"], env: {} });
  assert.deepEqual(pathNeeds(moved)[1].what, 'the store directory "/mnt/objects" (--store)');
});

Deno.test("permissionMessage() groups grants per access and merges the catalog and store of one data directory", () => {
  const [catalog, store] = pathNeeds(loadConfig({ args: ["--data-dir", "/srv/m"], env: {} }));
  const message = permissionMessage([
    { need: catalog, missing: ["write"] },
    { need: store, missing: ["write"] },
  ]);
  assert.match(
    message,
    /^Deno's permissions do not let mosaicod write the data directory "\/srv\/m" \(--data-dir\)\. /,
  );
  assert.equal(message.match(/\/srv\/m/g)?.length, 2, `named once, granted once: ${message}`);
  assert.match(message, /deno run --allow-write=\/srv\/m with the other flags of the start task/);
});

Deno.test("explainPermissionError() turns permission failures raised later into one explaining line", () => {
  const config = loadConfig({ args: ["--data-dir", "/srv/m"], env: {} });
  // This test process may do everything, so a NotCapable is about a path outside the configuration.
  const notCapable = new Deno.errors.NotCapable(
    'Requires write access to "/elsewhere", run again with the --allow-write flag',
  );
  const wrapped = new UnavailableError('Cannot open store "/srv/m/store"', { cause: notCapable });
  const later = explainPermissionError(wrapped, config);
  assert.ok(later instanceof ConfigError);
  assert.match(later.message, /^Deno's permissions stopped mosaicod: Requires write access to "\/elsewhere"/);
  assert.match(later.message, /deno task start cannot take permission flags/);
  assert.ok(!later.message.includes("\n"));

  const os = new Deno.errors.PermissionDenied("Permission denied (os error 13): mkdir '/srv/m/store'");
  const refused = explainPermissionError(new Error("Cannot open store", { cause: os }), config);
  assert.ok(refused instanceof ConfigError);
  assert.match(
    refused.message,
    /^The operating system denies mosaicod access: Cannot open store: Permission denied/,
  );
  assert.match(refused.message, /the data directory "\/srv\/m" \(--data-dir\)/);

  assert.equal(explainPermissionError(new UnavailableError("PostgreSQL is down"), config), null);
});

Deno.test("under the bundle's launcher, a denied path is granted through MOSAICOD_ALLOW_WRITE, not deno flags", () => {
  assert.equal(launcherOf({ MOSAICOD_LAUNCHER: "bundle" }), "bundle");
  assert.equal(launcherOf({ MOSAICOD_LAUNCHER: "other" }), undefined);
  const [, store] = pathNeeds(loadConfig({ args: ["--data-dir", "/srv/m", "--store", "/mnt/o"], env: {} }));
  const message = permissionMessage([{ need: store, missing: ["write"] }], "bundle");
  assert.match(message, /write the store directory "\/mnt\/o" \(--store\)\. /);
  assert.match(message, /start the launcher with MOSAICOD_ALLOW_WRITE=\/mnt\/o /);
  assert.ok(!message.includes("deno run"), message);
  const notCapable = new Deno.errors.NotCapable('Requires write access to "/elsewhere"');
  const later = explainPermissionError(notCapable, loadConfig({ args: [], env: {} }), "bundle");
  assert.match(later?.message ?? "", /add the path there$/);
});
