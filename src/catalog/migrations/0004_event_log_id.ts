/**
 * An identity for the event log: a catalog rebuilt from the store starts a new log (ids from 1 again), and
 * a subscriber resuming with an id of the old log must be told instead of resuming at an unrelated event.
 *
 * @module
 */

export const name = "event_log_id";

export const sql = `
ALTER TABLE event_counter ADD COLUMN log_id uuid NOT NULL DEFAULT gen_random_uuid();
`;
