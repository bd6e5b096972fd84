/**
 * The one seam between the catalog's SQL and a database engine: embedded PGlite or a PostgreSQL pool.
 * Both drivers run the same SQL text (`$1` placeholders), return the same JS values and translate their
 * own failures into domain errors here, at the edge.
 *
 * @module
 */
import { AlreadyExistsError, InvalidArgumentError, UnavailableError } from "../errors.ts";

/** A minimal SQL connection: both drivers implement it, the catalog speaks only to it. */
export interface SqlDriver {
  readonly kind: "pglite" | "postgres";
  /**
   * Runs one statement with `$1`-style parameters and returns its rows.
   * Values come back normalised: int8 as `number` (or `bigint` beyond ±2^53), jsonb parsed,
   * bool as `boolean`, float8 as `number` (NaN and ±Infinity included), numeric as `string`.
   * @throws AlreadyExistsError on a unique violation (SQLSTATE 23505); the caller refines the message.
   * @throws UnavailableError when the database cannot be reached.
   */
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs a parameterless script of one or more statements (migrations). */
  exec(sql: string): Promise<void>;
  /**
   * Runs `fn` in a transaction on one connection: committed when `fn` resolves, rolled back when it
   * throws. Safe under concurrent callers. Nested calls on `tx` use a savepoint.
   */
  transaction<T>(fn: (tx: SqlDriver) => Promise<T>): Promise<T>;
  /**
   * Calls `onNotify` with the payload of every NOTIFY on `channel` (delivered at the sender's commit)
   * until the returned function is called. Absent on transactions. A dropped connection may lose
   * notifications while it is down: listeners must also poll now and then.
   */
  listen?(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** Parses a PostgreSQL int8 text value: a `number` when exact, else a `bigint` (never loses digits). */
/** Type oids whose text both drivers parse themselves. */
export const INT8_OID = 20;
export const JSON_OID = 114;
export const JSONB_OID = 3802;

export { parseJsonExact } from "../model/json.ts";

export function parseInt8(text: string): number | bigint {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : BigInt(text);
}

/** SQLSTATE codes (or classes) that mean the server is gone or refusing work: retrying may succeed. */
const UNAVAILABLE_STATES = /^(08|57P0[1-3]|53300|53400)/;
/** SQLSTATE codes caused by the values sent: bad UTF-8, a NUL in text or JSON, an unparsable literal. */
const BAD_VALUE_STATES = new Set(["22021", "22P05", "22P02", "22003", "54001"]);

/**
 * Translates a database error carrying a SQLSTATE `code` into a domain error; returns `err` unchanged
 * when no domain error fits (a bug: it surfaces as an internal error).
 */
export function translateSqlState(err: unknown): unknown {
  const code = errorCode(err);
  if (code === undefined || !(err instanceof Error)) return err;
  if (code === "23505") return new AlreadyExistsError(`Cannot insert row: ${err.message}`, { cause: err });
  if (UNAVAILABLE_STATES.test(code)) {
    return new UnavailableError(`Cannot reach the catalog database: ${err.message}`, { cause: err });
  }
  if (BAD_VALUE_STATES.has(code)) {
    return new InvalidArgumentError(`Cannot store value: ${err.message}`, { cause: err });
  }
  return err;
}

/** The `code` property of an error object (SQLSTATE or Node-style errno name), if any. */
export function errorCode(err: unknown): string | undefined {
  if (typeof err !== "object" || err === null || !("code" in err)) return undefined;
  return typeof err.code === "string" ? err.code : undefined;
}

let savepointCounter = 0;

/** Runs `fn` inside a savepoint of an open transaction: the nested form of `transaction()`. */
export async function withSavepoint<T>(tx: SqlDriver, fn: (tx: SqlDriver) => Promise<T>): Promise<T> {
  const name = `sp_${++savepointCounter}`;
  await tx.query(`SAVEPOINT ${name}`);
  try {
    const result = await fn(tx);
    await tx.query(`RELEASE SAVEPOINT ${name}`);
    return result;
  } catch (err) {
    await tx.query(`ROLLBACK TO SAVEPOINT ${name}`);
    throw err;
  }
}
