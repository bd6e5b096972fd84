/**
 * Embedded catalog: PGlite (PostgreSQL compiled to WASM) in this process, persisted in a directory,
 * or in memory when no directory is given (tests). A fresh directory is created by initdb in a worker
 * thread first (`_pglite_init.ts`), so that its memory does not stay with the daemon.
 *
 * @module
 */
import { join } from "node:path";
import { PGlite, type Transaction } from "@electric-sql/pglite";
import { UnavailableError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { type Created, createDataDir, isDataDir, pgliteModule, POSTGRESQL_CONF } from "./_pglite_init.ts";
import {
  INT8_OID,
  JSON_OID,
  JSONB_OID,
  parseInt8,
  parseJsonExact,
  type SqlDriver,
  translateSqlState,
  withSavepoint,
} from "./driver.ts";

export interface PgliteDriverOptions {
  /** Data directory, created if missing. Omitted: an in-memory database, gone on close. */
  dir?: string;
  /** A `dump()` of another database to start from instead of running initdb (fast test clones). */
  loadDataDir?: Blob;
  /** Told when a fresh directory was created (initdb's time). */
  log?: Logger;
}

const LOCK_FILE = "mosaicod.lock";

/**
 * Opens PGlite. A fresh directory first runs initdb in a worker thread (about 2.5 s); opening an
 * existing one takes well under a second.
 * @throws UnavailableError when the directory is already open (in this or another process), or
 *   cannot be created.
 */
export async function openPgliteDriver(opts: PgliteDriverOptions = {}): Promise<PgliteDriver> {
  const { dir, loadDataDir, log } = opts;
  const lock = dir === undefined ? null : await lockDir(dir);
  try {
    let created: Created | null = null;
    if (dir !== undefined && loadDataDir === undefined) {
      const started = performance.now();
      created = await createDataDir(dir);
      if (created) {
        log?.info("catalog created", { dir, ...created, ms: Math.round(performance.now() - started) });
      }
      // Never initdb in this thread: PGlite would do so, silently, on a directory without PG_VERSION.
      if (!await isDataDir(dir)) throw new Error(`initdb left no PostgreSQL data directory in "${dir}"`);
    }
    const db = await PGlite.create({
      dataDir: dir,
      loadDataDir,
      pgliteWasmModule: await pgliteModule(),
      parsers: { [INT8_OID]: parseInt8, [JSON_OID]: parseJsonExact, [JSONB_OID]: parseJsonExact },
      postgresqlconf: POSTGRESQL_CONF,
    });
    return new PgliteDriver(db, lock, created);
  } catch (err) {
    lock?.close();
    const where = dir === undefined ? "in memory" : `in "${dir}"`;
    const why = err instanceof Error ? err.message : String(err);
    throw new UnavailableError(`Cannot open the embedded catalog ${where}: ${why}`, { cause: err });
  }
}

/**
 * Takes an exclusive lock on `<dir>/mosaicod.lock`, held until the driver closes. PGlite itself lets
 * two processes open one directory, and both would write to it.
 */
async function lockDir(dir: string): Promise<Deno.FsFile> {
  let file: Deno.FsFile;
  try {
    await Deno.mkdir(dir, { recursive: true });
    file = await Deno.open(join(dir, LOCK_FILE), { read: true, write: true, create: true });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new UnavailableError(`Cannot open the embedded catalog in "${dir}": ${why}`, { cause: err });
  }
  if (!await file.tryLock(true)) {
    file.close();
    throw new UnavailableError(`Cannot open the embedded catalog in "${dir}": another process is using it`);
  }
  return file;
}

/** Statements over PGlite or one of its transactions: both have the same query surface. */
abstract class PgliteStatements implements SqlDriver {
  readonly kind = "pglite";
  #target: PGlite | Transaction;

  constructor(target: PGlite | Transaction) {
    this.#target = target;
  }

  async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    try {
      return (await this.#target.query<T>(sql, params)).rows;
    } catch (err) {
      throw translateSqlState(err);
    }
  }

  async exec(sql: string): Promise<void> {
    try {
      await this.#target.exec(sql);
    } catch (err) {
      throw translateSqlState(err);
    }
  }

  abstract transaction<T>(fn: (tx: SqlDriver) => Promise<T>): Promise<T>;
  abstract close(): Promise<void>;
}

/** `SqlDriver` over one PGlite instance. PGlite runs one statement or transaction at a time. */
export class PgliteDriver extends PgliteStatements {
  #db: PGlite;
  #lock: Deno.FsFile | null;
  /** How this open created its directory: null when it existed already, or in memory. */
  readonly created: Created | null;

  constructor(db: PGlite, lock: Deno.FsFile | null = null, created: Created | null = null) {
    super(db);
    this.#db = db;
    this.#lock = lock;
    this.created = created;
  }

  async transaction<T>(fn: (tx: SqlDriver) => Promise<T>): Promise<T> {
    try {
      // PGlite's own transaction mutex queues concurrent callers (and plain queries) behind this one.
      return await this.#db.transaction((tx) => fn(new PgliteTx(tx)));
    } catch (err) {
      throw translateSqlState(err);
    }
  }

  async listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>> {
    try {
      return await this.#db.listen(channel, onNotify);
    } catch (err) {
      throw translateSqlState(err);
    }
  }

  /** A tarball of the whole data directory, for `loadDataDir`. */
  async dump(): Promise<Blob> {
    return await this.#db.dumpDataDir("none");
  }

  async close(): Promise<void> {
    try {
      if (!this.#db.closed) await this.#db.close();
    } finally {
      this.#lock?.close(); // Closing the file releases the lock.
      this.#lock = null;
    }
  }
}

/** The driver handed to a transaction callback: every statement runs inside the transaction. */
class PgliteTx extends PgliteStatements {
  transaction<T>(fn: (tx: SqlDriver) => Promise<T>): Promise<T> {
    return withSavepoint(this, fn);
  }

  close(): Promise<void> {
    return Promise.reject(new Error("Cannot close a transaction; it ends when its callback returns"));
  }
}
