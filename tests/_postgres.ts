/**
 * Test databases: a throwaway PostgreSQL cluster shared by every test module of one `deno test`
 * process (or `TEST_DATABASE_URL` when set), fresh schemas and databases in it, and in-memory PGlite.
 *
 * The cluster lives in `$TMPDIR/mosaicod-test-pg-<pid>-<start time>/`. The first module that needs it
 * creates that directory (an atomic claim), starts the cluster and writes its URL there; other
 * modules (separate isolates, same process) wait for the URL. A detached watchdog stops the cluster
 * and removes the directory as soon as the test process exits, however it exits.
 *
 * @module
 */
import { join } from "node:path";
import { tmpdir } from "node:os";
import { Catalog } from "../src/catalog/catalog.ts";
import type { SqlDriver } from "../src/catalog/driver.ts";
import { migrate } from "../src/catalog/migrate.ts";
import { openPgliteDriver } from "../src/catalog/pglite_driver.ts";
import { openPostgresDriver } from "../src/catalog/postgres_driver.ts";
import { silentLogger } from "../src/log.ts";

const INSTALL_HINT = "install the server with `apt-get install postgresql`, or set TEST_DATABASE_URL";
const START_TIMEOUT_MS = 60_000;

let clusterUrl: Promise<string> | undefined;

/**
 * URL of the test cluster (`postgres://postgres@127.0.0.1:<port>/postgres`), started on first use.
 * @example const url = await testDatabaseUrl(); // then `--database-url` for a daemon under test
 */
export function testDatabaseUrl(): Promise<string> {
  const fromEnv = Deno.env.get("TEST_DATABASE_URL");
  if (fromEnv) return Promise.resolve(fromEnv);
  clusterUrl ??= claimOrAwaitCluster();
  return clusterUrl;
}

/** A fresh, empty database on the test cluster, dropped on dispose (for daemons under test). */
export async function freshDatabase(): Promise<{ url: string } & AsyncDisposable> {
  const adminUrl = await testDatabaseUrl();
  const name = `mosaicod_test_${randomHex()}`;
  await withAdmin(adminUrl, (db) => db.exec(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.href,
    [Symbol.asyncDispose]: () => withAdmin(adminUrl, (db) => db.exec(`DROP DATABASE ${name} WITH (FORCE)`)),
  };
}

/** A catalog in its own new schema of the test cluster; the schema is dropped on dispose. */
export async function freshPostgresCatalog({ migrate: run = true } = {}): Promise<Catalog> {
  const schema = `test_${randomHex()}`;
  const inner = await openPostgresDriver(await testDatabaseUrl(), { schema, maxConnections: 10 });
  const driver = new SchemaDroppingDriver(inner, schema);
  if (run) await migrate(driver, silentLogger());
  return Catalog.fromDriver(driver);
}

let pgliteTemplate: Promise<Blob> | undefined;

/** A catalog in a new in-memory PGlite, cloned from a cached empty database (initdb once per module). */
export async function freshPgliteCatalog({ migrate: run = true } = {}): Promise<Catalog> {
  pgliteTemplate ??= (async () => {
    const driver = await openPgliteDriver();
    try {
      return await driver.dump();
    } finally {
      await driver.close();
    }
  })();
  const driver = await openPgliteDriver({ loadDataDir: await pgliteTemplate });
  if (run) await migrate(driver, silentLogger());
  return Catalog.fromDriver(driver);
}

/** Delegates to a schema-scoped driver and drops the schema before closing. */
class SchemaDroppingDriver implements SqlDriver {
  readonly kind = "postgres";
  constructor(readonly inner: SqlDriver, readonly schema: string) {}
  query<T>(sql: string, params?: unknown[]): Promise<T[]> {
    return this.inner.query<T>(sql, params);
  }
  exec(sql: string): Promise<void> {
    return this.inner.exec(sql);
  }
  transaction<T>(fn: (tx: SqlDriver) => Promise<T>): Promise<T> {
    return this.inner.transaction(fn);
  }
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>> {
    return this.inner.listen!(channel, onNotify);
  }
  async close(): Promise<void> {
    try {
      await this.inner.exec(`DROP SCHEMA IF EXISTS ${this.schema} CASCADE`);
    } finally {
      await this.inner.close();
    }
  }
}

async function withAdmin(url: string, fn: (db: SqlDriver) => Promise<void>): Promise<void> {
  const db = await openPostgresDriver(url, { maxConnections: 1 });
  try {
    await fn(db);
  } finally {
    await db.close();
  }
}

function randomHex(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => b.toString(16).padStart(2, "0")).join(
    "",
  );
}

// Cluster lifecycle

interface ClusterPaths {
  root: string;
  data: string;
  run: string;
  urlFile: string;
  errorFile: string;
}

function clusterPaths(): ClusterPaths {
  const root = join(tmpdir(), `mosaicod-test-pg-${Deno.pid}-${processStartTime()}`);
  const run = join(root, "run");
  return { root, data: join(root, "data"), run, urlFile: join(root, "url"), errorFile: join(root, "error") };
}

/** Start time of this process (clock ticks since boot), so a reused pid never finds a stale cluster. */
function processStartTime(): string {
  try {
    const stat = Deno.readTextFileSync(`/proc/${Deno.pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return "0"; // Not Linux: the pid alone must do.
    // Without -A Deno refuses /proc (tasks/test.ts runs so): it has one isolate, so any token will do.
    if (err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied) {
      return `r${crypto.randomUUID().slice(0, 8)}`;
    }
    throw err;
  }
}

async function claimOrAwaitCluster(): Promise<string> {
  const paths = clusterPaths();
  try {
    await Deno.mkdir(paths.root, { mode: 0o755 });
  } catch (err) {
    if (err instanceof Deno.errors.AlreadyExists) return await awaitCluster(paths);
    throw err;
  }
  try {
    const url = await startCluster(paths);
    await Deno.writeTextFile(`${paths.urlFile}.tmp`, url);
    await Deno.rename(`${paths.urlFile}.tmp`, paths.urlFile);
    return url;
  } catch (err) {
    await Deno.writeTextFile(paths.errorFile, err instanceof Error ? err.message : String(err));
    throw err;
  }
}

async function awaitCluster(paths: ClusterPaths): Promise<string> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const url = await readIfExists(paths.urlFile);
    if (url !== null) return url;
    const error = await readIfExists(paths.errorFile);
    if (error !== null) throw new Error(`Cannot use the test PostgreSQL cluster: ${error}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`Cannot use the test PostgreSQL cluster in "${paths.root}": not ready after 60 s`);
}

async function readIfExists(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
}

async function startCluster(paths: ClusterPaths): Promise<string> {
  const ctl = await initCluster(paths);
  await ctl("start");
  return ctl.url;
}

/** A pg_ctl bound to one initialised cluster: `ctl("start")`, `ctl("stop", "-m", "fast")`. */
type PgCtl = ((...args: string[]) => Promise<void>) & { url: string };

/** Creates the cluster's folders, its watchdog and its data directory (initdb); does not start it. */
async function initCluster(paths: ClusterPaths): Promise<PgCtl> {
  const bin = await findBinDir();
  const asPostgres = Deno.uid() === 0 ? await postgresUser() : null;
  for (const dir of [paths.data, paths.run]) {
    await Deno.mkdir(dir, { mode: 0o700 });
    if (asPostgres) await Deno.chown(dir, asPostgres.uid, asPostgres.gid);
  }
  const prefix = asPostgres ? ["runuser", "-u", "postgres", "--"] : [];
  // Started before anything else, so whatever part of the cluster exists is cleaned up.
  await startWatchdog(paths, [...prefix, join(bin, "pg_ctl")]);
  await run([...prefix, join(bin, "initdb"), "-D", paths.data, "-U", "postgres", "-A", "trust", "-E", "UTF8"]
    .concat(["--locale=C", "--no-sync"]));
  const port = freePort();
  const settings = [
    `-c port=${port}`,
    "-c listen_addresses=127.0.0.1",
    `-c unix_socket_directories=${paths.run}`,
    "-c max_connections=300",
    "-c fsync=off -c synchronous_commit=off -c full_page_writes=off",
  ].join(" ");
  const log = join(paths.run, "postgres.log");
  const ctl = (...args: string[]) =>
    run([
      ...prefix,
      join(bin, "pg_ctl"),
      "-D",
      paths.data,
      "-l",
      log,
      "-w",
      "-t",
      "30",
      "-o",
      settings,
      ...args,
    ]);
  return Object.assign(ctl, { url: `postgres://postgres@127.0.0.1:${port}/postgres` });
}

/** A cluster of one test's own, which the test may stop and start again (dependency-fault tests). */
export interface PrivateCluster extends AsyncDisposable {
  url: string;
  /** Stops the server (`fast`: clients are disconnected at once). */
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** Initialises and starts a cluster in a new temp folder; disposing stops it and removes the folder. */
export async function startPrivateCluster(): Promise<PrivateCluster> {
  const root = await Deno.makeTempDir({ prefix: "mosaicod-test-pg-own-" });
  await Deno.chmod(root, 0o755); // the postgres user must reach its folders inside
  const run = join(root, "run");
  const paths = {
    root,
    data: join(root, "data"),
    run,
    urlFile: join(root, "url"),
    errorFile: join(root, "error"),
  };
  const ctl = await initCluster(paths);
  await ctl("start");
  return {
    url: ctl.url,
    stop: () => ctl("stop", "-m", "fast"),
    start: () => ctl("start"),
    async [Symbol.asyncDispose]() {
      await ctl("stop", "-m", "immediate").catch(() => {});
      await Deno.remove(root, { recursive: true }).catch(() => {});
    },
  };
}

/** Stops the cluster and removes its directory once this process has exited. */
async function startWatchdog(paths: ClusterPaths, pgCtl: string[]): Promise<void> {
  const script = `root=$1; pid=$2; shift 2
while kill -0 "$pid" 2>/dev/null; do sleep 0.3; done
"$@" >/dev/null 2>&1; rm -rf "$root"`;
  const stop = [...pgCtl, "-D", paths.data, "stop", "-m", "immediate"];
  await run(["setsid", "-f", "sh", "-c", script, "watchdog", paths.root, String(Deno.pid), ...stop], {
    quiet: true,
  });
}

async function run(argv: string[], { quiet = false } = {}): Promise<void> {
  const out = await new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdin: "null",
    stdout: quiet ? "null" : "piped",
    stderr: quiet ? "null" : "piped",
  }).output();
  if (!out.success) {
    const text = new TextDecoder().decode(out.stderr).trim() || new TextDecoder().decode(out.stdout).trim();
    throw new Error(`Cannot start the test PostgreSQL cluster: ${argv.join(" ")} failed: ${text}`);
  }
}

async function findBinDir(): Promise<string> {
  const base = "/usr/lib/postgresql";
  const versions: number[] = [];
  try {
    for await (const e of Deno.readDir(base)) if (/^\d+$/.test(e.name)) versions.push(Number(e.name));
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  for (const v of versions.sort((a, b) => b - a)) {
    const bin = join(base, String(v), "bin");
    if (await exists(join(bin, "pg_ctl")) && await exists(join(bin, "initdb"))) return bin;
  }
  throw new Error(`Cannot find initdb and pg_ctl in ${base}/*/bin: ${INSTALL_HINT}`);
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const id = async (flag: string) => {
    const out = await new Deno.Command("id", { args: [flag, "postgres"], stdout: "piped", stderr: "null" })
      .output();
    if (!out.success) {
      throw new Error(`Cannot run initdb as root and there is no "postgres" user: ${INSTALL_HINT}`);
    }
    return Number(new TextDecoder().decode(out.stdout).trim());
  };
  return { uid: await id("-u"), gid: await id("-g") };
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}
