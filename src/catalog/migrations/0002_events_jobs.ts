/**
 * The event queue (issue #7): an append-only event table whose ids are handed out by a one-row counter,
 * so that ids are gap-free and become visible in id order (see events.ts); the job table claimed with
 * `FOR UPDATE SKIP LOCKED` (see jobs.ts); and the statistics version of each chunk, so that chunks
 * written before a change of the statistics format can be found and refreshed.
 *
 * @module
 */

export const name = "events_jobs";

export const sql = `
CREATE TABLE event_counter (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  last_id bigint NOT NULL
);
INSERT INTO event_counter (singleton, last_id) VALUES (true, 0);

-- No foreign keys: events outlive what they describe (a deleted sequence keeps its history).
CREATE TABLE events (
  id bigint PRIMARY KEY,
  kind text NOT NULL,
  sequence_name text,
  topic_name text,
  -- Internal: uuids are write keys, never streamed to subscribers.
  resource_uuid uuid,
  detail jsonb NOT NULL DEFAULT '{}',
  created_ms bigint NOT NULL
);

CREATE TABLE jobs (
  id bigserial PRIMARY KEY,
  kind text NOT NULL,
  payload jsonb NOT NULL,
  -- At most one active job per key (e.g. one compaction per topic).
  dedupe_key text,
  state text NOT NULL DEFAULT 'pending'
    CHECK (state IN ('pending', 'running', 'failed', 'dead', 'done', 'cancelled')),
  attempts integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL CHECK (max_attempts >= 1),
  run_after_ms bigint NOT NULL,
  lease_until_ms bigint,
  owner text,
  last_error text,
  created_ms bigint NOT NULL,
  updated_ms bigint NOT NULL
);
CREATE UNIQUE INDEX jobs_active_dedupe_key_idx ON jobs (dedupe_key)
  WHERE state IN ('pending', 'running', 'failed');
CREATE INDEX jobs_runnable_idx ON jobs (run_after_ms, id) WHERE state IN ('pending', 'running', 'failed');

ALTER TABLE chunks ADD COLUMN stats_version integer NOT NULL DEFAULT 1;
`;
