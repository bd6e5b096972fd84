/**
 * API keys (issue #8): the token format, its fingerprint and hash, and the permissions a key carries.
 *
 * A token is `msco_<secret>_<fingerprint>`: `secret` is 32 random characters from `[a-z0-9]` (about 165
 * bits), `fingerprint` the first 8 hex digits of SHA-256 over a fixed label and the secret. The fingerprint
 * is the key's public name (the catalog's lookup id, what `api-key list` shows and `revoke` takes) and a
 * checksum: a mistyped token fails here, without a catalog lookup. The catalog stores only the SHA-256 of
 * the whole token (a fast hash is enough for random secrets of this size; nothing to slow down).
 *
 * Imports only `errors.ts` and `node:crypto`.
 *
 * @module
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { UnauthenticatedError } from "../errors.ts";

/** What a key may do: read (listings, reads, queries), write (create, upload, finalize), delete. */
export type ApiKeyPermission = "read" | "write" | "delete";
export const API_KEY_PERMISSIONS: readonly ApiKeyPermission[] = Object.freeze(["read", "write", "delete"]);

/** A key as the catalog lists it; never the token. */
export interface ApiKey {
  /** 8 lowercase hex digits, unique: the key's name. */
  fingerprint: string;
  /** In the order of {@link API_KEY_PERMISSIONS}, at least one. */
  permissions: ApiKeyPermission[];
  description: string;
  createdMs: number;
  /** Milliseconds since the epoch after which the key no longer works; null: never expires. */
  expiresMs: number | null;
  /** When it was revoked; null while it is not. */
  revokedMs: number | null;
}

/** A key with the hash its token must match (what the verifier reads). */
export interface StoredApiKey extends ApiKey {
  /** SHA-256 of the whole token, 64 lowercase hex digits. */
  tokenSha256: string;
}

/** The fields of a new key row. */
export interface NewApiKey {
  fingerprint: string;
  tokenSha256: string;
  permissions: readonly ApiKeyPermission[];
  description: string;
  expiresMs: number | null;
}

const PREFIX = "msco_";
const SECRET_LENGTH = 32;
const FINGERPRINT_LENGTH = 8;
const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
const TOKEN_PATTERN = /^msco_([a-z0-9]{32})_([0-9a-f]{8})$/;
/** Domain separation: the fingerprint is never a prefix of the stored hash. */
const FINGERPRINT_LABEL = "mosaicod api key fingerprint\n";

/** Lowercase hex SHA-256 of a UTF-8 string. */
function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** The fingerprint a secret implies (8 lowercase hex digits). */
export function fingerprintOf(secret: string): string {
  return sha256Hex(FINGERPRINT_LABEL + secret).slice(0, FINGERPRINT_LENGTH);
}

/** SHA-256 of a whole token, as stored in the catalog. */
export function hashApiKeyToken(token: string): string {
  return sha256Hex(token);
}

/** Whether a token hashes to `expectedSha256`, compared in constant time. */
export function tokenMatches(token: string, expectedSha256: string): boolean {
  const actual = new TextEncoder().encode(hashApiKeyToken(token));
  const expected = new TextEncoder().encode(expectedSha256);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** A new random token with its fingerprint and hash. */
export function generateApiKeyToken(): { token: string; fingerprint: string; tokenSha256: string } {
  let secret = "";
  while (secret.length < SECRET_LENGTH) {
    for (const byte of crypto.getRandomValues(new Uint8Array(SECRET_LENGTH))) {
      // 252 = 7 × 36: rejecting the rest keeps every character equally likely.
      if (byte < 252 && secret.length < SECRET_LENGTH) secret += ALPHABET[byte % ALPHABET.length];
    }
  }
  const fingerprint = fingerprintOf(secret);
  const token = `${PREFIX}${secret}_${fingerprint}`;
  return { token, fingerprint, tokenSha256: hashApiKeyToken(token) };
}

/**
 * Checks a token's shape and fingerprint; returns the fingerprint. Messages never repeat the token.
 * @throws UnauthenticatedError for anything but a well-formed token whose fingerprint fits its secret.
 */
export function parseApiKeyToken(token: string): string {
  const m = TOKEN_PATTERN.exec(token);
  if (!m) {
    throw new UnauthenticatedError(
      "Cannot authenticate: malformed API key (expected msco_<32 lowercase letters or digits>_<8 hex digits>)",
    );
  }
  if (fingerprintOf(m[1]) !== m[2]) {
    throw new UnauthenticatedError(
      "Cannot authenticate: invalid API key (its fingerprint does not match; mistyped?)",
    );
  }
  return m[2];
}

/**
 * The token of an `authorization` header value, `Bearer <token>` (scheme in any case).
 * @throws UnauthenticatedError when the header is missing or not a bearer token.
 */
export function bearerToken(authorization: string | null): string {
  if (authorization === null || authorization.trim() === "") {
    throw new UnauthenticatedError(
      'Cannot authenticate: no API key (send the gRPC metadata "authorization: Bearer <token>")',
    );
  }
  const m = /^bearer +(\S+) *$/i.exec(authorization);
  if (!m) {
    throw new UnauthenticatedError(
      'Cannot authenticate: the authorization metadata must be "Bearer <token>"',
    );
  }
  return m[1];
}

/** Whether `text` is a fingerprint (8 lowercase hex digits). */
export function isFingerprint(text: string): boolean {
  return /^[0-9a-f]{8}$/.test(text);
}
