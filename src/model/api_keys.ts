/**
 * API keys (issue #8, 2026 protocol section 11): the token format, its fingerprint and hash, the
 * credentials a call presents, and the permissions a key carries.
 *
 * A token is `msco_<payload>_<fingerprint>`: `payload` is 32 random characters from `[a-z0-9]` (about 165
 * bits), `fingerprint` 8 lowercase hex digits. Tokens minted now use the 2026 protocol's fingerprint, the
 * CRC-32 (IEEE, as zlib.crc32) of the payload; tokens minted before it (issue #8) used the first 8 hex
 * digits of SHA-256 over a fixed label and the payload, and still work: either checksum is accepted. The
 * fingerprint is the key's public name (the catalog's lookup id, what `api-key list` shows, what `status`
 * and `revoke` take) and a checksum: a mistyped token fails here, without a catalog lookup. It is not a
 * secret and proves nothing: the catalog stores the SHA-256 of the whole token, which is what a call must
 * match (a fast hash is enough for random payloads of this size).
 *
 * Permissions are stored as a set of independent ones (`read`, `write`, `delete`, `manage`); the 2026
 * protocol names levels instead (read ⊂ write ⊂ delete ⊂ manage), which {@link expandHierarchical} turns
 * into that set.
 *
 * Imports only `errors.ts` and `node:crypto`.
 *
 * @module
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { UnauthenticatedError } from "../errors.ts";
import { crc32 as zlibCrc32 } from "node:zlib";

/**
 * What a key may do: read (listings, reads, queries), write (create, upload, finalize), delete, manage
 * (API keys themselves). Independent of each other: a key holds any non-empty set of them.
 */
export type ApiKeyPermission = "read" | "write" | "delete" | "manage";
/** Every permission, in the order listings show them (and the order of the 2026 hierarchy). */
export const API_KEY_PERMISSIONS: readonly ApiKeyPermission[] = Object.freeze([
  "read",
  "write",
  "delete",
  "manage",
]);

/** Whether `text` names a permission. */
export function isApiKeyPermission(text: unknown): text is ApiKeyPermission {
  return typeof text === "string" && (API_KEY_PERMISSIONS as readonly string[]).includes(text);
}

/**
 * The permissions a 2026 permission level grants: that one and every level below it
 * (read ⊂ write ⊂ delete ⊂ manage). `"write"` → `["read", "write"]`; `"manage"` → all four.
 */
export function expandHierarchical(level: ApiKeyPermission): ApiKeyPermission[] {
  return API_KEY_PERMISSIONS.slice(0, API_KEY_PERMISSIONS.indexOf(level) + 1);
}

/** `permissions` without repeats, in the order of {@link API_KEY_PERMISSIONS}. */
export function normalizePermissions(permissions: Iterable<ApiKeyPermission>): ApiKeyPermission[] {
  const wanted = new Set(permissions);
  return API_KEY_PERMISSIONS.filter((p) => wanted.has(p));
}

/** A key as the catalog lists it; never the token. */
export interface ApiKey {
  /** 8 lowercase hex digits, unique: the key's name. */
  fingerprint: string;
  /** In the order of {@link API_KEY_PERMISSIONS}, at least one. */
  permissions: ApiKeyPermission[];
  description: string;
  /** When it was created, milliseconds since the epoch (the database's clock). */
  createdMs: number;
  /** The same instant in nanoseconds (the 2026 protocol's `created_at_ns`). */
  createdNs: bigint;
  /** Milliseconds since the epoch from which the key no longer works; null: never expires. */
  expiresMs: number | null;
  /** The expiry in nanoseconds, exactly as it was asked for (`expires_at_ns`); null: never expires. */
  expiresNs: bigint | null;
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
  /** Nanoseconds since the epoch from which the key no longer works; null: never expires. */
  expiresNs: bigint | null;
}

/** Nanoseconds per millisecond. */
export const NS_PER_MS = 1_000_000n;

/** The millisecond from which a key expiring at `expiresNs` is expired (rounded up: never early). */
export function expiryMs(expiresNs: bigint): number {
  return Number((expiresNs + NS_PER_MS - 1n) / NS_PER_MS);
}

/** Whether a key expiring at `expiresNs` (null: never) is expired at `nowMs`. */
export function isExpired(expiresNs: bigint | null, nowMs: number): boolean {
  return expiresNs !== null && BigInt(Math.floor(nowMs)) * NS_PER_MS >= expiresNs;
}

const PREFIX = "msco_";
const PAYLOAD_LENGTH = 32;
const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
const TOKEN_PATTERN = /^msco_([a-z0-9]{32})_([0-9a-f]{8})$/;
/** Domain separation of the issue #8 fingerprint: it is never a prefix of the stored hash. */
const LEGACY_FINGERPRINT_LABEL = "mosaicod api key fingerprint\n";

/** Lowercase hex SHA-256 of a UTF-8 string. */
function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** CRC-32 (IEEE 802.3, reflected, as zlib.crc32) of a UTF-8 string. */
export function crc32(text: string): number {
  return zlibCrc32(new TextEncoder().encode(text));
}

/** The fingerprint new tokens carry: CRC-32 of the payload, 8 lowercase hex digits (2026 protocol). */
export function fingerprintOf(payload: string): string {
  return crc32(payload).toString(16).padStart(8, "0");
}

/** The fingerprint of tokens minted before the 2026 protocol: a labelled SHA-256, first 8 hex digits. */
export function legacyFingerprintOf(payload: string): string {
  return sha256Hex(LEGACY_FINGERPRINT_LABEL + payload).slice(0, 8);
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

/** A new random token (2026 fingerprint) with its fingerprint and hash. */
export function generateApiKeyToken(): { token: string; fingerprint: string; tokenSha256: string } {
  let payload = "";
  while (payload.length < PAYLOAD_LENGTH) {
    for (const byte of crypto.getRandomValues(new Uint8Array(PAYLOAD_LENGTH))) {
      // 252 = 7 × 36: rejecting the rest keeps every character equally likely.
      if (byte < 252 && payload.length < PAYLOAD_LENGTH) payload += ALPHABET[byte % ALPHABET.length];
    }
  }
  const fingerprint = fingerprintOf(payload);
  const token = `${PREFIX}${payload}_${fingerprint}`;
  return { token, fingerprint, tokenSha256: hashApiKeyToken(token) };
}

/**
 * Checks a token's shape and fingerprint (either checksum); returns the fingerprint. Messages never
 * repeat the token.
 * @throws UnauthenticatedError for anything but a well-formed token whose fingerprint fits its payload.
 */
export function parseApiKeyToken(token: string): string {
  const m = TOKEN_PATTERN.exec(token);
  if (!m) {
    throw new UnauthenticatedError(
      "Cannot authenticate: malformed API key (expected msco_<32 lowercase letters or digits>_<8 hex digits>)",
    );
  }
  if (fingerprintOf(m[1]) !== m[2] && legacyFingerprintOf(m[1]) !== m[2]) {
    throw new UnauthenticatedError(
      "Cannot authenticate: invalid API key (its fingerprint does not match; mistyped?)",
    );
  }
  return m[2];
}

/** The metadata a call may carry its API key in. */
export const API_KEY_HEADER = "mosaico-api-key-token";

/** What a call presented: either header, null when absent. Credentials: never log them. */
export interface ApiKeyCredentials {
  /** `authorization` metadata, `Bearer <token>` (issue #8 clients). */
  authorization: string | null;
  /** `mosaico-api-key-token` metadata, the bare token (2026 SDK). */
  apiKeyToken?: string | null;
}

/**
 * The token a call presents, from `mosaico-api-key-token: <token>` or `authorization: Bearer <token>`
 * (scheme in any case). Empty values count as absent. Both present must name the same token.
 * @throws UnauthenticatedError when neither is present, `authorization` is not a bearer token, or the
 *   two differ.
 */
export function presentedToken(credentials: ApiKeyCredentials): string {
  const direct = credentials.apiKeyToken?.trim() || null;
  const authorization = credentials.authorization?.trim() || null;
  if (direct === null && authorization === null) {
    throw new UnauthenticatedError(
      `Cannot authenticate: no API key (send the gRPC metadata "${API_KEY_HEADER}: <token>" ` +
        `or "authorization: Bearer <token>")`,
    );
  }
  let bearer: string | null = null;
  if (authorization !== null) {
    const m = /^bearer +(\S+)$/i.exec(authorization);
    if (!m) {
      throw new UnauthenticatedError(
        'Cannot authenticate: the authorization metadata must be "Bearer <token>"',
      );
    }
    bearer = m[1];
  }
  if (direct !== null && bearer !== null && direct !== bearer) {
    throw new UnauthenticatedError(
      `Cannot authenticate: "${API_KEY_HEADER}" and "authorization" name different API keys`,
    );
  }
  return (direct ?? bearer)!;
}

/** Whether `text` is a fingerprint (8 lowercase hex digits). */
export function isFingerprint(text: string): boolean {
  return /^[0-9a-f]{8}$/.test(text);
}
