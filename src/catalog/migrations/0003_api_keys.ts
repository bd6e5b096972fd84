/**
 * API keys (issue #8): one row per key, named by its fingerprint; only the SHA-256 of the token is kept.
 * Revoked keys stay listed (with the time of revocation), so that `api-key list` shows what existed.
 *
 * @module
 */

export const name = "api_keys";

export const sql = `
CREATE TABLE api_keys (
  id bigserial PRIMARY KEY,
  fingerprint text NOT NULL UNIQUE CHECK (fingerprint ~ '^[0-9a-f]{8}$'),
  token_sha256 text NOT NULL CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
  can_read boolean NOT NULL,
  can_write boolean NOT NULL,
  can_delete boolean NOT NULL,
  description text NOT NULL DEFAULT '',
  created_ms bigint NOT NULL,
  expires_ms bigint,
  revoked_ms bigint,
  CHECK (can_read OR can_write OR can_delete)
);
`;
