/**
 * API keys behind the wire: issuing one (a random token, only its hash kept) and checking the token a
 * call presents, with the catalog lookup cached for a few seconds so that a stream of calls (or the SDK's
 * connection probes) does not query the catalog each time. Imports `catalog/` and `model/`; never
 * `flight/` (which decides what permission a call needs, in `flight/auth.ts`).
 *
 * @module
 */
import type { Catalog } from "../catalog/catalog.ts";
import { AlreadyExistsError, PermissionDeniedError, UnauthenticatedError } from "../errors.ts";
import type { Logger } from "../log.ts";
import {
  type ApiKey,
  type ApiKeyPermission,
  bearerToken,
  generateApiKeyToken,
  parseApiKeyToken,
  type StoredApiKey,
  tokenMatches,
} from "../model/api_keys.ts";

/** How long a catalog lookup is reused: a revoked key stops working at most this long after. */
export const API_KEY_CACHE_MS = 5_000;
/** Most fingerprints remembered at once (unknown ones included); the oldest are forgotten first. */
const CACHE_ENTRIES = 10_000;

/** Creates a key; returns the token (shown once, stored nowhere) and the key as listed. */
export async function issueApiKey(
  catalog: Pick<Catalog, "createApiKey">,
  opts: { permissions: readonly ApiKeyPermission[]; description: string; expiresMs: number | null },
): Promise<{ token: string; key: ApiKey }> {
  // 32 bits of fingerprint: a clash is rare, and only costs another draw.
  for (let attempt = 1;; attempt++) {
    const { token, fingerprint, tokenSha256 } = generateApiKeyToken();
    try {
      const key = await catalog.createApiKey({ fingerprint, tokenSha256, ...opts });
      return { token, key };
    } catch (err) {
      if (!(err instanceof AlreadyExistsError) || attempt >= 5) throw err;
    }
  }
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
  key: Promise<StoredApiKey | null>;
}

/** Checks the `authorization` metadata of calls against the catalog's keys. */
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
   * The caller a bearer token names.
   * @throws UnauthenticatedError when the metadata is missing, malformed, or names no usable key
   *   (unknown, revoked or expired). Messages name the fingerprint at most, never the token.
   * @throws UnavailableError when the catalog cannot be asked (the call may be retried).
   */
  async authenticate(authorization: string | null): Promise<Caller> {
    const token = bearerToken(authorization);
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
    if (key.expiresMs !== null && this.#now() >= key.expiresMs) {
      const at = new Date(key.expiresMs).toISOString();
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
    if (cached && now - cached.fetchedMs < this.#cacheMs) return cached.key;
    this.#cache.delete(fingerprint);
    const key = this.#catalog.findApiKey(fingerprint);
    const entry = { fetchedMs: now, key };
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
 * Refuses a caller without `permission`.
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
