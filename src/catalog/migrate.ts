/**
 * Applies pending catalog migrations, each in its own transaction, recorded in `schema_migrations`.
 *
 * @module
 */
import type { Logger } from "../log.ts";
import type { SqlDriver } from "./driver.ts";
import { type Migration, MIGRATIONS } from "./migrations/mod.ts";

const BOOKKEEPING = `
CREATE TABLE schema_migrations (
  version integer PRIMARY KEY,
  name text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

/**
 * Serialises migrators of the same schema across processes (PostgreSQL) until the transaction ends.
 * The key depends on the schema so that isolated test schemas do not wait for each other.
 */
const LOCK = `SELECT pg_advisory_xact_lock(hashtext('mosaicod.migrate:' || current_schema()))`;

/**
 * Applies every migration not yet recorded, in order. Re-running is a no-op; two processes running
 * it at once apply each migration exactly once.
 * @returns the names (`0001_init`) of the migrations this call applied.
 */
export async function migrate(
  driver: SqlDriver,
  log: Logger,
  { migrations = MIGRATIONS }: { migrations?: readonly Migration[] } = {},
): Promise<{ applied: string[] }> {
  const applied: string[] = [];
  for (const migration of migrations) {
    if (await applyOne(driver, migration)) {
      const label = migrationLabel(migration);
      log.info("catalog migration applied", { migration: label });
      applied.push(label);
    }
  }
  return { applied };
}

/** `0001_init`: the version padded to four digits, then the name. */
export function migrationLabel(m: Pick<Migration, "version" | "name">): string {
  return `${String(m.version).padStart(4, "0")}_${m.name}`;
}

/** Applies one migration unless already recorded; returns whether it ran. */
function applyOne(driver: SqlDriver, migration: Migration): Promise<boolean> {
  return driver.transaction(async (tx) => {
    await tx.query(LOCK);
    if (!await hasBookkeeping(tx)) await tx.exec(BOOKKEEPING);
    const done = await tx.query("SELECT 1 FROM schema_migrations WHERE version = $1", [migration.version]);
    if (done.length > 0) return false;
    await tx.exec(migration.sql);
    if (migration.after) await migration.after(tx);
    await tx.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [
      migration.version,
      migration.name,
    ]);
    return true;
  });
}

/** The migrations recorded as applied, in version order (empty before the first `migrate()`). */
export async function appliedMigrations(driver: SqlDriver): Promise<{ version: number; name: string }[]> {
  if (!await hasBookkeeping(driver)) return [];
  return await driver.query("SELECT version, name FROM schema_migrations ORDER BY version");
}

async function hasBookkeeping(driver: SqlDriver): Promise<boolean> {
  const rows = await driver.query<{ found: boolean }>(
    "SELECT to_regclass('schema_migrations') IS NOT NULL AS found",
  );
  return rows[0].found;
}
