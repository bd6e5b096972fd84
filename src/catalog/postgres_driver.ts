/**
 * External catalog: a pool of connections to a PostgreSQL server (`npm:postgres`).
 *
 * @module
 */
import postgres from "postgres";
import { UnavailableError } from "../errors.ts";
import type { Logger } from "../log.ts";
import {
  errorCode,
  JSON_OID,
  JSONB_OID,
  parseInt8,
  parseJsonExact,
  type SqlDriver,
  translateSqlState,
  withSavepoint,
} from "./driver.ts";

export interface PostgresDriverOptions {
  /** Schema to create if missing and put first on every connection's search_path (test isolation). */
  schema?: string;
  /** Largest number of pooled connections. */
  maxConnections?: number;
  connectTimeoutS?: number;
  /** Receives server notices at debug level. */
  log?: Logger;
}

type Sql = postgres.Sql<Record<string, never>>;
type TxSql = postgres.TransactionSql<Record<string, never>>;
type Params = postgres.ParameterOrJSON<never>[];

/** Socket-level failures of the client library: the server is unreachable or went away. */
const CONNECTION_ERRORS: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  ETIMEDOUT: "connection timed out",
  CONNECT_TIMEOUT: "connection timed out",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host not found",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  EPIPE: "connection closed",
  ENOENT: "no socket at that path",
  CONNECTION_CLOSED: "connection closed",
  CONNECTION_ENDED: "connection ended",
  CONNECTION_DESTROYED: "connection destroyed",
};

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Opens a pool and checks that the server answers.
 * @throws UnavailableError `Cannot connect to PostgreSQL at host:port: connection refused` (never the
 * password) when the first connection fails.
 */
export async function openPostgresDriver(
  url: string,
  opts: PostgresDriverOptions = {},
): Promise<PostgresDriver> {
  if (opts.schema !== undefined && !SCHEMA_NAME.test(opts.schema)) {
    throw new TypeError(`Invalid schema name "${opts.schema}"`);
  }
  let sql: Sql;
  try {
    sql = createPool(url, opts);
  } catch (err) {
    // A malformed URL, or (in Deno) no --allow-env: the library reads PG* variables here.
    throw connectError(url, err);
  }
  try {
    await sql.unsafe("SELECT 1");
    if (opts.schema !== undefined) await sql.unsafe(`CREATE SCHEMA IF NOT EXISTS ${opts.schema}`);
  } catch (err) {
    await sql.end({ timeout: 0 });
    throw connectError(url, err);
  }
  return new PostgresDriver(sql);
}

function createPool(url: string, opts: PostgresDriverOptions): Sql {
  return postgres(url, {
    max: opts.maxConnections ?? 10,
    connect_timeout: opts.connectTimeoutS ?? 10,
    onnotice: (notice) => opts.log?.debug("database notice", { message: notice.message }),
    // int8 as number when exact, else bigint; parameters of any numeric type serialise as text.
    // jsonb: integers beyond 2^53 stay exact (model/json.ts).
    types: {
      int8: { to: 20, from: [20], serialize: (x: unknown) => String(x), parse: parseInt8 },
      jsonb: { to: JSONB_OID, from: [JSON_OID, JSONB_OID], serialize: JSON.stringify, parse: parseJsonExact },
    },
    connection: opts.schema === undefined ? {} : { search_path: opts.schema },
  }) as unknown as Sql;
}

/** `SqlDriver` over a connection pool; a transaction reserves one connection until it ends. */
export class PostgresDriver implements SqlDriver {
  readonly kind = "postgres";
  #sql: Sql;
  /** Statements and transactions not yet settled: what close() must wait for. */
  #inFlight = 0;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.#track(runQuery<T>(this.#sql, sql, params));
  }

  exec(sql: string): Promise<void> {
    return this.#track(runScript(this.#sql, sql));
  }

  transaction<T>(fn: (tx: SqlDriver) => Promise<T>): Promise<T> {
    return this.#track((async () => {
      try {
        return await this.#sql.begin((tx) => fn(new PostgresTx(tx))) as T;
      } catch (err) {
        throw translatePostgresError(err);
      }
    })());
  }

  /** On one dedicated connection of the pool, re-established (and re-listening) after it drops. */
  async listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>> {
    try {
      const { unlisten } = await this.#sql.listen(channel, onNotify);
      return async () => {
        await unlisten().catch(() => {}); // the connection may be gone already
      };
    } catch (err) {
      throw translatePostgresError(err);
    }
  }

  /** Waits up to 5 s for work in flight, then closes every connection. */
  async close(): Promise<void> {
    // With nothing in flight, close at once: the library's graceful end() never settles for a
    // connection the server dropped mid-query (porsager/postgres#1097), so it would sit out the timeout.
    await this.#sql.end({ timeout: this.#inFlight === 0 ? 0 : 5 });
  }

  async #track<T>(work: Promise<T>): Promise<T> {
    this.#inFlight++;
    try {
      return await work;
    } finally {
      this.#inFlight--;
    }
  }
}

/** The driver handed to a transaction callback: runs on the transaction's reserved connection. */
class PostgresTx implements SqlDriver {
  readonly kind = "postgres";
  #tx: TxSql;

  constructor(tx: TxSql) {
    this.#tx = tx;
  }

  query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return runQuery<T>(this.#tx, sql, params);
  }

  exec(sql: string): Promise<void> {
    return runScript(this.#tx, sql);
  }

  transaction<T>(fn: (tx: SqlDriver) => Promise<T>): Promise<T> {
    return withSavepoint(this, fn);
  }

  close(): Promise<void> {
    return Promise.reject(new Error("Cannot close a transaction; it ends when its callback returns"));
  }
}

async function runQuery<T>(sql: Sql | TxSql, text: string, params: unknown[]): Promise<T[]> {
  try {
    // Copy into a plain array: the library's result array carries extra properties.
    return [...await sql.unsafe(text, params as Params)] as T[];
  } catch (err) {
    throw translatePostgresError(err);
  }
}

async function runScript(sql: Sql | TxSql, text: string): Promise<void> {
  try {
    await sql.unsafe(text).simple();
  } catch (err) {
    throw translatePostgresError(err);
  }
}

function translatePostgresError(err: unknown): unknown {
  const code = errorCode(err);
  if (code !== undefined && code in CONNECTION_ERRORS) {
    return new UnavailableError(`Cannot reach PostgreSQL: ${CONNECTION_ERRORS[code]}`, { cause: err });
  }
  return translateSqlState(err);
}

/** `host:port` (or the socket path) of a URL, without user or password. */
export function describeTarget(url: string): string {
  if (!URL.canParse(url)) return "the configured URL";
  const u = new URL(url);
  const socket = u.searchParams.get("host");
  if (socket) return socket;
  return `${u.hostname || "localhost"}:${u.port || "5432"}`;
}

/** One line naming the target and the reason; the cause is left out so no secret can travel along. */
function connectError(url: string, err: unknown): UnavailableError {
  const code = errorCode(err);
  const reason = code !== undefined && code in CONNECTION_ERRORS
    ? CONNECTION_ERRORS[code]
    : (err instanceof Error ? err.message : String(err)).split("\n")[0];
  const password = URL.canParse(url) ? decodeURIComponent(new URL(url).password) : "";
  const safe = password ? reason.replaceAll(password, "***") : reason;
  return new UnavailableError(`Cannot connect to PostgreSQL at ${describeTarget(url)}: ${safe}`);
}
