/**
 * Managing API keys: issuing one (a random token, only its hash kept), describing one, revoking one. The
 * 2026 protocol's `api_key_create`, `api_key_status` and `api_key_revoke` actions and the `api-key` CLI
 * call these. Imports `catalog/` and `model/`; never `flight/`.
 *
 * A revoked key is gone as far as the protocol is concerned (the reference daemon deletes it): its status
 * and a second revocation are NOT_FOUND. The catalog keeps its row, marked revoked, for `api-key list`.
 *
 * @module
 */
import type { Catalog } from "../catalog/catalog.ts";
import { AlreadyExistsError, InvalidArgumentError, NotFoundError } from "../errors.ts";
import {
  type ApiKey,
  type ApiKeyPermission,
  generateApiKeyToken,
  isFingerprint,
  normalizePermissions,
} from "../model/api_keys.ts";
import { forgetApiKey } from "./api_keys.ts";

/** What a new key may do, what it is for, and when it stops working. */
export interface NewApiKeyRequest {
  /** Independent permissions, at least one (a 2026 level goes through `expandHierarchical` first). */
  permissions: readonly ApiKeyPermission[];
  description: string;
  /** Nanoseconds since the epoch from which the key no longer works; null: never expires. */
  expiresNs: bigint | null;
}

/**
 * Creates a key; returns its token (shown once, stored nowhere) and the key as listed.
 * @throws InvalidArgumentError when no permission is given.
 */
export async function createApiKey(
  catalog: Pick<Catalog, "createApiKey">,
  request: NewApiKeyRequest,
): Promise<{ token: string; key: ApiKey }> {
  const permissions = normalizePermissions(request.permissions);
  if (permissions.length === 0) {
    throw new InvalidArgumentError("Cannot create an API key without a permission");
  }
  // 32 bits of fingerprint: a clash is rare, and only costs another draw.
  for (let attempt = 1;; attempt++) {
    const { token, fingerprint, tokenSha256 } = generateApiKeyToken();
    try {
      const key = await catalog.createApiKey({
        fingerprint,
        tokenSha256,
        permissions,
        description: request.description,
        expiresNs: request.expiresNs,
      });
      return { token, key };
    } catch (err) {
      if (!(err instanceof AlreadyExistsError) || attempt >= 5) throw err;
    }
  }
}

/**
 * The key named by `fingerprint`, expired ones included (the caller decides what expired means).
 * @throws NotFoundError `Cannot find API key "x"` when there is none, or it was revoked.
 */
export async function apiKeyStatus(
  catalog: Pick<Catalog, "findApiKey">,
  fingerprint: string,
): Promise<ApiKey> {
  const found = isFingerprint(fingerprint) ? await catalog.findApiKey(fingerprint) : null;
  if (found === null || found.revokedMs !== null) throw notFound(fingerprint);
  const { tokenSha256: _, ...key } = found;
  return key;
}

/**
 * Revokes the key named by `fingerprint`: calls with it fail authentication from now on in this thread,
 * and within the verifiers' cache window (5 s) in other threads and daemons.
 * @throws NotFoundError `Cannot find API key "x"` when there is none, or it was revoked already.
 */
export async function revokeApiKey(
  catalog: Pick<Catalog, "findApiKey" | "revokeApiKey">,
  fingerprint: string,
): Promise<void> {
  await apiKeyStatus(catalog, fingerprint);
  await catalog.revokeApiKey(fingerprint);
  forgetApiKey(fingerprint);
}

function notFound(fingerprint: string): NotFoundError {
  // From a client: quoted as JSON and cut short, so that any text reads as one value.
  return new NotFoundError(`Cannot find API key ${JSON.stringify(fingerprint.slice(0, 64))}`);
}
