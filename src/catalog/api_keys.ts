/**
 * API keys: rows named by fingerprint, holding the token's SHA-256, the permissions and the key's times.
 * Creation and revocation times are the database's clock (milliseconds); the expiry is whatever the
 * issuer chose, kept in nanoseconds (`expires_ns`, exact) and in milliseconds rounded up (`expires_ms`).
 * Rows written before migration 0007 have no `expires_ns`: their `expires_ms` scaled stands for it.
 *
 * @module
 */
import { AlreadyExistsError, NotFoundError } from "../errors.ts";
import {
  API_KEY_PERMISSIONS,
  type ApiKey,
  type ApiKeyPermission,
  expiryMs,
  type NewApiKey,
  NS_PER_MS,
  type StoredApiKey,
} from "../model/api_keys.ts";
import type { SqlDriver } from "./driver.ts";
import { NOW_MS } from "./events.ts";

// Rows from before migration 0007 may lack expires_ns (written by an older daemon or CLI): their
// expires_ms scaled stands for it, capped at the last int64 millisecond (LEAST skips NULLs: hence CASE).
const COLUMNS = "fingerprint, token_sha256, can_read, can_write, can_delete, can_manage, description, " +
  "created_ms, expires_ms, revoked_ms, CASE WHEN expires_ns IS NOT NULL THEN expires_ns " +
  "WHEN expires_ms IS NOT NULL THEN LEAST(expires_ms, 9223372036854) * 1000000 END AS expires_ns";

interface ApiKeyRow {
  fingerprint: string;
  token_sha256: string;
  can_read: boolean;
  can_write: boolean;
  can_delete: boolean;
  can_manage: boolean;
  description: string;
  created_ms: number | bigint;
  expires_ms: number | bigint | null;
  expires_ns: number | bigint | string | null;
  revoked_ms: number | bigint | null;
}

function toStoredApiKey(r: ApiKeyRow): StoredApiKey {
  const granted: Record<ApiKeyPermission, boolean> = {
    read: r.can_read,
    write: r.can_write,
    delete: r.can_delete,
    manage: r.can_manage,
  };
  const createdMs = Number(r.created_ms);
  return {
    fingerprint: r.fingerprint,
    tokenSha256: r.token_sha256,
    permissions: API_KEY_PERMISSIONS.filter((p) => granted[p]),
    description: r.description,
    createdMs,
    createdNs: BigInt(createdMs) * NS_PER_MS,
    expiresMs: r.expires_ms === null ? null : Number(r.expires_ms),
    expiresNs: r.expires_ns === null ? null : BigInt(r.expires_ns),
    revokedMs: r.revoked_ms === null ? null : Number(r.revoked_ms),
  };
}

/** The key without its hash, for listings. */
function toApiKey(r: ApiKeyRow): ApiKey {
  const { tokenSha256: _, ...key } = toStoredApiKey(r);
  return key;
}

/** @throws AlreadyExistsError when the fingerprint is taken (the issuer draws another token). */
export async function createApiKey(db: SqlDriver, key: NewApiKey): Promise<ApiKey> {
  try {
    const rows = await db.query<ApiKeyRow>(
      `INSERT INTO api_keys
         (fingerprint, token_sha256, can_read, can_write, can_delete, can_manage, description, created_ms,
          expires_ms, expires_ns)
       VALUES ($1, $2, $3, $4, $5, $6, $7, ${NOW_MS}, $8, $9::text::int8)
       RETURNING ${COLUMNS}`,
      [
        key.fingerprint,
        key.tokenSha256,
        key.permissions.includes("read"),
        key.permissions.includes("write"),
        key.permissions.includes("delete"),
        key.permissions.includes("manage"),
        key.description,
        key.expiresNs === null ? null : expiryMs(key.expiresNs),
        key.expiresNs === null ? null : String(key.expiresNs),
      ],
    );
    return toApiKey(rows[0]);
  } catch (err) {
    if (err instanceof AlreadyExistsError) {
      throw new AlreadyExistsError(`API key "${key.fingerprint}" already exists`, { cause: err });
    }
    throw err;
  }
}

/** The key with that fingerprint and its token hash, revoked or expired ones included; null if none. */
export async function findApiKey(db: SqlDriver, fingerprint: string): Promise<StoredApiKey | null> {
  const rows = await db.query<ApiKeyRow>(`SELECT ${COLUMNS} FROM api_keys WHERE fingerprint = $1`, [
    fingerprint,
  ]);
  return rows.length === 0 ? null : toStoredApiKey(rows[0]);
}

/** Every key, oldest first. */
export async function listApiKeys(db: SqlDriver): Promise<ApiKey[]> {
  const rows = await db.query<ApiKeyRow>(`SELECT ${COLUMNS} FROM api_keys ORDER BY id`);
  return rows.map(toApiKey);
}

/**
 * Revokes a key (a key revoked already keeps its first revocation time); returns it.
 * @throws NotFoundError `Cannot find API key "x"`.
 */
export async function revokeApiKey(db: SqlDriver, fingerprint: string): Promise<ApiKey> {
  const rows = await db.query<ApiKeyRow>(
    `UPDATE api_keys SET revoked_ms = COALESCE(revoked_ms, ${NOW_MS}) WHERE fingerprint = $1
     RETURNING ${COLUMNS}`,
    [fingerprint],
  );
  if (rows.length === 0) throw new NotFoundError(`Cannot find API key "${fingerprint}"`);
  return toApiKey(rows[0]);
}
