/**
 * Upgrades keep data (issue #14): a data directory, and a PostgreSQL catalog with its store, written by the
 * release before sessions (fixtures in tests/fixtures/, made by make_upgrade_fixture.py) open with this
 * version, migrate, and serve their sequences to both SDK generations; verify is clean; a catalog rebuilt
 * from the upgraded store shows clients exactly what the migrated one did (sessions included).
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { type DaemonOptions, startDaemon } from "./_daemon.ts";
import { mosaicodWithEnv, pythonClient } from "./_commands.ts";
import { freshDatabase } from "./_postgres.ts";

const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));
const INTEROP = fileURLToPath(new URL("./interop/", import.meta.url));
const decoder = new TextDecoder();

async function run(cmd: string, args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}) {
  const out = await new Deno.Command(cmd, { args, ...opts, stdout: "piped", stderr: "piped" }).output();
  return { code: out.code, output: decoder.decode(out.stdout) + decoder.decode(out.stderr) };
}

async function unpack(fixture: string): Promise<string> {
  const cwd = await Deno.makeTempDir({ prefix: "mosaicod-upgrade-" });
  const r = await run("tar", ["xzf", `${FIXTURES}${fixture}`, "-C", cwd]);
  assert.equal(r.code, 0, r.output);
  return cwd;
}

/** What both clients see: the 2026 view (sessions) and the 0.1.0 view of every sequence. */
async function snapshots(url: string) {
  return {
    v2026: await pythonClient("sessions_snapshot.py", url),
    v1: await pythonClient("rebuild_snapshot.py", url, "snapshot"),
  };
}

interface SessionView {
  uuid: string;
  locked: boolean;
  /** Decimal strings (sessions_snapshot.py keeps ns exact). */
  created_at_ns: string;
  completed_at_ns?: string | null;
  topics: string[];
}
interface TopicView {
  manifest: { locked: boolean; info: { chunks_number: number } };
  data?: { rows: number };
}
type View = Record<string, {
  app_metadata: { created_at_ns: string; sessions: SessionView[] };
  topics: Record<string, TopicView>;
}>;

/** The sequences of the fixture as the 2026 protocol shows them right after the migration. */
function checkMigratedView(view: View, keys: Record<string, string>) {
  const done = view.upgrade_run_01.app_metadata;
  assert.equal(done.sessions.length, 1);
  const [session] = done.sessions;
  assert.equal(session.uuid, keys.upgrade_run_01, "the implicit session's uuid is the sequence key");
  assert.equal(session.locked, true);
  // Completion times older than sessions were not recorded: they read as the creation time.
  assert.equal(session.completed_at_ns, done.created_at_ns);
  assert.deepEqual(session.topics, ["upgrade_run_01/sensors/imu", "upgrade_run_01/status"]);
  assert.match(done.created_at_ns, /^\d+000000$/, "migrated times are whole milliseconds");
  const imu = view.upgrade_run_01.topics["upgrade_run_01/sensors/imu"];
  assert.equal(imu.data?.rows, 300);
  assert.equal(imu.manifest.locked, true);
  const open = view.upgrade_open.app_metadata.sessions;
  assert.equal(open.length, 1);
  assert.equal(open[0].locked, false);
  assert.equal(open[0].completed_at_ns ?? null, null);
  assert.equal(view.upgrade_empty.topics["upgrade_empty/nothing"].manifest.info.chunks_number, 0);
}

async function upgradeCheck(url: string, cwd: string) {
  const r = await run("python3", ["upgrade_check.py"], {
    cwd: INTEROP,
    env: { MOSAICOD_URL: url, MOSAICOD_UPGRADE_KEYS: `${cwd}/keys.json`, PYTHONDONTWRITEBYTECODE: "1" },
  });
  assert.equal(r.code, 0, r.output);
  assert.match(r.output, /^\d+ passed, 0 failed$/m);
}

/**
 * The whole upgrade story for one storage setup: migrate and serve, check with both clients, verify,
 * then rebuild the catalog from the store into `rebuilt` and compare what clients see.
 */
async function upgradeStory(
  cwd: string,
  storage: { args: string[]; env?: Record<string, string> },
  rebuilt: { args: string[]; prepare: () => Promise<void> },
) {
  const keys = JSON.parse(await Deno.readTextFile(`${cwd}/keys.json`));
  const daemonOpts = (args: string[]): DaemonOptions => ({ cwd, args, env: storage.env });
  let before;
  {
    await using daemon = await startDaemon(daemonOpts(storage.args));
    const migrated = daemon.logs.filter((l) => l.msg === "catalog migration applied").map((l) => l.migration);
    assert.ok(migrated.includes("0006_sessions"), `migrations applied: ${migrated}`);
    checkMigratedView((await snapshots(daemon.url)).v2026 as View, keys);
    await upgradeCheck(daemon.url, cwd);
    before = await snapshots(daemon.url);
    assert.equal(await daemon.stop(), 0);
  }
  const verify = await mosaicodWithEnv(cwd, storage.env ?? {}, "verify", ...storage.args);
  assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  assert.match(verify.stdout, / 0 drift\(s\)/);

  await rebuilt.prepare();
  const rebuild = await mosaicodWithEnv(cwd, storage.env ?? {}, "rebuild", ...rebuilt.args);
  assert.equal(rebuild.code, 0, rebuild.stdout + rebuild.stderr);
  assert.match(rebuild.stdout, /problems found: 0/);
  {
    await using daemon = await startDaemon(daemonOpts(rebuilt.args));
    assert.deepStrictEqual(await snapshots(daemon.url), before);
    assert.equal(await daemon.stop(), 0);
  }
  const again = await mosaicodWithEnv(cwd, storage.env ?? {}, "verify", ...rebuilt.args);
  assert.equal(again.code, 0, again.stdout + again.stderr);
}

Deno.test("upgrade: an embedded-catalog data dir of the previous release migrates, serves both generations, rebuilds exactly", async () => {
  const cwd = await unpack("upgrade_0.1_data.tgz");
  try {
    await upgradeStory(cwd, { args: [] }, {
      args: [],
      prepare: () => Deno.remove(`${cwd}/data/catalog`, { recursive: true }),
    });
  } finally {
    await Deno.remove(cwd, { recursive: true }).catch(() => {});
  }
});

Deno.test("upgrade: a PostgreSQL catalog and store of the previous release migrate, serve both generations, rebuild exactly", async () => {
  const cwd = await unpack("upgrade_0.1_postgres.tgz");
  await using db = await freshDatabase();
  await using fresh = await freshDatabase();
  try {
    const load = await run("psql", [db.url, "-v", "ON_ERROR_STOP=1", "-q", "-f", `${cwd}/catalog.sql`]);
    assert.equal(load.code, 0, load.output);
    const store = ["--store", `${cwd}/store`];
    await upgradeStory(cwd, { args: ["--database-url", db.url, ...store] }, {
      args: ["--database-url", fresh.url, ...store],
      prepare: async () => {},
    });
  } finally {
    await Deno.remove(cwd, { recursive: true }).catch(() => {});
  }
});
