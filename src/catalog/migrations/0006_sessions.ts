/**
 * Sessions (protocol 2026): a sequence holds sessions, a session holds topics. Every sequence that
 * exists gets one implicit session, the 0.1.0 upload it was: its uuid is the sequence key, it is completed
 * when the sequence was finalized. Creation and completion times move to nanoseconds (`created_ns`,
 * `completed_ns`); `created_ms` stays, derived from them, for the 0.1.0 answers and filters.
 *
 * Times this version cannot know for older data follow one rule, shared with the catalog rebuild so that
 * both give the same catalog (`model/legacy.ts`): an old session was created with its sequence and, if
 * the sequence was finalized, completed at that same instant; an old locked topic completed when it was
 * created. Session ULIDs of old sequences are derived from their uuid (`legacySessionUlid`), filled in
 * by {@link after} since SQL cannot compute them.
 *
 * The sequence's `locked` column goes: the 0.1.0 view of a lock is derived from the sessions.
 *
 * @module
 */
import type { SqlDriver } from "../driver.ts";
import { legacySessionUlid } from "../../model/legacy.ts";

export const name = "sessions";

export const sql = `
CREATE TABLE sessions (
  id bigserial PRIMARY KEY,
  uuid uuid NOT NULL UNIQUE,
  -- The public id (locator "<sequence>:<ulid>"); filled for old sequences by the migration's second step.
  ulid text UNIQUE CHECK (ulid ~ '^[0-7][0-9A-HJKMNP-TV-Z]{25}$'),
  sequence_id bigint NOT NULL REFERENCES sequences (id) ON DELETE CASCADE,
  created_ns bigint NOT NULL,
  completed_ns bigint
);
CREATE INDEX sessions_sequence_id_idx ON sessions (sequence_id);

ALTER TABLE sequences ADD COLUMN created_ns bigint;
UPDATE sequences SET created_ns = created_ms * 1000000;
ALTER TABLE sequences ALTER COLUMN created_ns SET NOT NULL;

INSERT INTO sessions (uuid, sequence_id, created_ns, completed_ns)
  SELECT uuid, id, created_ns, CASE WHEN locked THEN created_ns END FROM sequences ORDER BY id;
ALTER TABLE sequences DROP COLUMN locked;

ALTER TABLE topics ADD COLUMN created_ns bigint;
ALTER TABLE topics ADD COLUMN completed_ns bigint;
ALTER TABLE topics ADD COLUMN session_id bigint REFERENCES sessions (id) ON DELETE CASCADE;
UPDATE topics SET created_ns = created_ms * 1000000;
UPDATE topics SET completed_ns = created_ns WHERE locked;
UPDATE topics t SET session_id = x.id FROM sessions x WHERE x.sequence_id = t.sequence_id;
ALTER TABLE topics ALTER COLUMN created_ns SET NOT NULL;
ALTER TABLE topics ALTER COLUMN session_id SET NOT NULL;
CREATE INDEX topics_session_id_idx ON topics (session_id);
`;

/** Gives the implicit sessions of existing sequences their derived ULIDs, then makes the column required. */
export async function after(tx: SqlDriver): Promise<void> {
  const rows = await tx.query<{ id: number; uuid: string; created_ns: number | bigint }>(
    "SELECT id, uuid, created_ns FROM sessions WHERE ulid IS NULL ORDER BY id",
  );
  for (const r of rows) {
    await tx.query("UPDATE sessions SET ulid = $2 WHERE id = $1", [
      r.id,
      legacySessionUlid(r.uuid, BigInt(r.created_ns)),
    ]);
  }
  await tx.exec("ALTER TABLE sessions ALTER COLUMN ulid SET NOT NULL");
}
