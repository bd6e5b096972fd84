/**
 * Retention of the catalog's history: old events and finished jobs are pruned (`ops/prune.ts`). The
 * counter row records the highest pruned event id, so that a subscriber asking to resume below it is told
 * that events are gone instead of silently skipping them.
 *
 * @module
 */

export const name = "history_retention";

export const sql = `
ALTER TABLE event_counter ADD COLUMN pruned_through bigint NOT NULL DEFAULT 0;
CREATE INDEX jobs_finished_idx ON jobs (updated_ms) WHERE state IN ('done', 'cancelled');
`;
