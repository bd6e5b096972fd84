/**
 * Checking the API key a call presents (`mosaico-api-key-token: <token>` or `authorization: Bearer
 * <token>`) against the catalog's keys, with the catalog lookup cached for a few seconds so that a stream
 * of calls (or the SDK's connection probes) does not query the catalog each time. Issuing, describing and
 * revoking keys is `key_admin.ts`. Imports `catalog/` and `model/`; never `flight/` (which decides what
 * permission a call needs, in `flight/auth.ts`).
 *
 * @module
 */
import type { Catalog } from "../catalog/catalog.ts";
import { PermissionDeniedError, UnauthenticatedError } from "../errors.ts";
import type { Logger } from "../log.ts";
import {
  type ApiKeyCredentials,
  type ApiKeyPermission,
  isExpired,
  parseApiKeyToken,
  presentedToken,
  type StoredApiKey,
  tokenMatches,
} from "../model/api_keys.ts";

/** How long a catalog lookup is reused: a revoked key stops working at most this long after. */
export const API_KEY_CACHE_MS = 5_000;
/** Most fingerprints remembered at once (unknown ones included); the oldest are forgotten first. */
const CACHE_ENTRIES = 10_000;

/**
 * Revocations made by this thread (`key_admin.ts`), so that its verifiers drop a cached lookup at once
 * instead of at the end of the cache window: fingerprint → the revocation's number in {@link revocations}.
 */
const revokedHere = new Map<string, number>();
let revocations = 0;

/** Tells this thread's verifiers that a key was just revoked (or changed): their cached lookup is stale. */
export function forgetApiKey(fingerprint: string): void {
  revokedHere.delete(fingerprint);
  revokedHere.set(fingerprint, ++revocations);
  if (revokedHere.size > CACHE_ENTRIES) revokedHere.delete(revokedHere.keys().next().value!);
}

/** Who a call authenticated as. */
export interface Caller {
  fingerprint: string;
  permissions: readonly ApiKeyPermission[];
}

export interface ApiKeyVerifierOptions {
  /** Milliseconds a lookup is reused (default {@link API_KEY_CACHE_MS}). */
  cacheMs?: number;
  /** Milliseconds since the epoch, for expiry and the cache; injected by tests. */
  now?: () => number;
  /** Refusals are logged here at debug level, by fingerprint (never the token). */
  log?: Logger;
}

interface CacheEntry {
  fetchedMs: number;
  /** {@link revocations} when it was fetched: a later revocation of the key here makes it stale. */
  revocation: number;
  key: Promise<StoredApiKey | null>;
}

/** Checks the API key metadata of calls against the catalog's keys. */
export class ApiKeyVerifier {
  #catalog: Pick<Catalog, "findApiKey">;
  #cacheMs: number;
  #now: () => number;
  #log: Logger | undefined;
  #cache = new Map<string, CacheEntry>();

  constructor(catalog: Pick<Catalog, "findApiKey">, opts: ApiKeyVerifierOptions = {}) {
    this.#catalog = catalog;
    this.#cacheMs = opts.cacheMs ?? API_KEY_CACHE_MS;
    this.#now = opts.now ?? Date.now;
    this.#log = opts.log;
  }

  /**
   * The caller a call's credentials name: its `mosaico-api-key-token` and `authorization` metadata (a
   * `CallContext` will do), or the `authorization` value alone.
   * @throws UnauthenticatedError when the metadata is missing, malformed, contradictory (two different
   *   tokens), or names no usable key (unknown, revoked or expired). Messages name the fingerprint at
   *   most, never the token.
   * @throws UnavailableError when the catalog cannot be asked (the call may be retried).
   */
  async authenticate(credentials: ApiKeyCredentials | string | null): Promise<Caller> {
    const token = presentedToken(
      typeof credentials === "object" && credentials !== null ? credentials : { authorization: credentials },
    );
    const fingerprint = parseApiKeyToken(token);
    const key = await this.#lookup(fingerprint);
    // An unknown key and a wrong secret under a known fingerprint read the same.
    if (key === null || !tokenMatches(token, key.tokenSha256)) {
      return this.#refuse(fingerprint, "unknown", `Cannot authenticate: API key "${fingerprint}" is unknown`);
    }
    if (key.revokedMs !== null) {
      return this.#refuse(
        fingerprint,
        "revoked",
        `Cannot authenticate: API key "${fingerprint}" was revoked`,
      );
    }
    if (isExpired(key.expiresNs, this.#now())) {
      const at = new Date(key.expiresMs!).toISOString();
      return this.#refuse(
        fingerprint,
        "expired",
        `Cannot authenticate: API key "${fingerprint}" expired at ${at}`,
      );
    }
    return { fingerprint, permissions: key.permissions };
  }

  #refuse(fingerprint: string, reason: string, message: string): never {
    this.#log?.debug("api key refused", { fingerprint, reason });
    throw new UnauthenticatedError(message);
  }

  /** The catalog's row, from the cache when fetched less than `cacheMs` ago. */
  #lookup(fingerprint: string): Promise<StoredApiKey | null> {
    const now = this.#now();
    const cached = this.#cache.get(fingerprint);
    const stale = (revokedHere.get(fingerprint) ?? -1) > (cached?.revocation ?? Infinity);
    if (cached && !stale && now - cached.fetchedMs < this.#cacheMs) return cached.key;
    this.#cache.delete(fingerprint);
    const entry = { fetchedMs: now, revocation: revocations, key: this.#catalog.findApiKey(fingerprint) };
    const key = entry.key;
    this.#cache.set(fingerprint, entry);
    // A failed lookup (catalog unavailable) is not remembered.
    key.catch(() => {
      if (this.#cache.get(fingerprint) === entry) this.#cache.delete(fingerprint);
    });
    if (this.#cache.size > CACHE_ENTRIES) this.#cache.delete(this.#cache.keys().next().value!);
    return key;
  }
}

/**
 * Refuses a caller without `permission` (permissions are independent: a key created at a 2026 level
 * holds every permission below it, see `expandHierarchical`).
 * @param what the call, for the message (`DoPut`, `sequence_delete`).
 * @throws PermissionDeniedError `API key "ab12cd34" lacks the write permission (needed by DoPut)`.
 */
export function requirePermission(caller: Caller, permission: ApiKeyPermission, what: string): void {
  if (!caller.permissions.includes(permission)) {
    throw new PermissionDeniedError(
      `API key "${caller.fingerprint}" lacks the ${permission} permission (needed by ${what})`,
    );
  }
}
