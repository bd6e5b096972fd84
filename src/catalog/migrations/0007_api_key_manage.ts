/**
 * API keys for the 2026 protocol: a fourth permission, `manage` (the keys themselves), and the expiry in
 * nanoseconds as the protocol gives it (`expires_at_ns`, echoed exactly by `api_key_status`). Existing
 * keys get `can_manage = false` and their millisecond expiry scaled; `expires_ms` stays, rounded up from
 * `expires_ns`, for listings. A key needs at least one of the four permissions.
 *
 * @module
 */

export const name = "api_key_manage";

export const sql = `
ALTER TABLE api_keys ADD COLUMN can_manage boolean NOT NULL DEFAULT false;
ALTER TABLE api_keys ADD COLUMN expires_ns bigint;
-- Expiries past the last int64 nanosecond (2262-04-11) become that instant.
UPDATE api_keys SET expires_ns = LEAST(expires_ms, 9223372036854) * 1000000 WHERE expires_ms IS NOT NULL;
ALTER TABLE api_keys DROP CONSTRAINT api_keys_check;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_some_permission
  CHECK (can_read OR can_write OR can_delete OR can_manage);
`;
