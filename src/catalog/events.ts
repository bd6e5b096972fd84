/**
 * The event log: every lifecycle change appends events in the transaction that makes the change, so an
 * event exists exactly when its change committed.
 *
 * Ids come from the one-row `event_counter`, updated as the transaction's last statement: the row lock
 * orders the transactions that append, so ids are gap-free and a reader that sees id n has already
 * been able to see every id below it. "Everything after the last id I saw" therefore misses nothing and
 * repeats nothing, which a `bigserial` (allocated at insert, visible at commit, in another order) would
 * not give. The lock is held only from that statement to the commit.
 *
 * Each append is announced on the `mosaicod_events` channel (NOTIFY, delivered at commit), so that
 * subscribers wake without polling where the driver can LISTEN.
 *
 * @module
 */
import type { CatalogEvent, EventKind, JsonValue } from "../model/types.ts";
import type { SqlDriver } from "./driver.ts";

export const EVENTS_CHANNEL = "mosaicod_events";

/** An event to append; the id and time are the catalog's. */
export interface NewEvent {
  kind: EventKind;
  sequence?: string | null;
  topic?: string | null;
  /** The sequence or topic the event is about (internal; never streamed). */
  resourceUuid?: string | null;
  detail?: Record<string, JsonValue>;
}

/** Nanoseconds since the epoch (microsecond resolution), by the database clock. */
export const NOW_NS = "((extract(epoch from clock_timestamp()) * 1000000)::int8 * 1000)";

/** Milliseconds since the epoch, by the database clock. */
export const NOW_MS = "(extract(epoch from clock_timestamp()) * 1000)::int8";

/**
 * Appends `events` in order, inside the caller's transaction (`tx`). Call it as the transaction's last
 * statement: from here to the commit, other appenders wait.
 */
export async function appendEvents(tx: SqlDriver, events: readonly NewEvent[]): Promise<void> {
  if (events.length === 0) return;
  const [{ last_id: last }] = await tx.query<{ last_id: number }>(
    "UPDATE event_counter SET last_id = last_id + $1 RETURNING last_id",
    [events.length],
  );
  const rows = events.map((e, i) => ({
    ord: i + 1,
    kind: e.kind,
    sequence_name: e.sequence ?? null,
    topic_name: e.topic ?? null,
    resource_uuid: e.resourceUuid ?? null,
    detail: e.detail ?? {},
  }));
  await tx.query(
    `INSERT INTO events (id, kind, sequence_name, topic_name, resource_uuid, detail, created_ms)
     SELECT $1::int8 + r.ord, r.kind, r.sequence_name, r.topic_name, r.resource_uuid::uuid, r.detail, ${NOW_MS}
     FROM jsonb_to_recordset($2::text::jsonb) AS r(
       ord int8, kind text, sequence_name text, topic_name text, resource_uuid text, detail jsonb)`,
    [Number(last) - events.length, JSON.stringify(rows)],
  );
  await tx.query(`SELECT pg_notify('${EVENTS_CHANNEL}', $1)`, [String(last)]);
}

interface EventRow {
  id: number;
  kind: EventKind;
  sequence_name: string | null;
  topic_name: string | null;
  detail: JsonValue;
  created_ms: number;
}

/** A page of events stops once their details reach this many bytes (it always holds one event). */
export const EVENT_PAGE_BYTES = 8 * 1024 * 1024;

/**
 * Events with an id above `afterId`, oldest first: at most `limit`, and fewer when their details would
 * exceed {@link EVENT_PAGE_BYTES} (large notification messages). An empty page means: caught up.
 */
export async function listEvents(db: SqlDriver, afterId: number, limit: number): Promise<CatalogEvent[]> {
  const rows = await db.query<EventRow>(
    `SELECT id, kind, sequence_name, topic_name, detail, created_ms FROM (
       SELECT e.*, sum(octet_length(e.detail::text)) OVER (ORDER BY e.id) - octet_length(e.detail::text)
         AS bytes_before
       FROM (SELECT * FROM events WHERE id > $1 ORDER BY id LIMIT $2) e
     ) x WHERE bytes_before < $3 ORDER BY id`,
    [afterId, limit, EVENT_PAGE_BYTES],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    kind: r.kind,
    sequence: r.sequence_name,
    topic: r.topic_name,
    detail: r.detail,
    createdMs: Number(r.created_ms),
  }));
}

/** The identity of this event log (a uuid): a rebuilt catalog starts another log. */
export async function eventLogId(db: SqlDriver): Promise<string> {
  const [row] = await db.query<{ log_id: string }>("SELECT log_id FROM event_counter");
  return row.log_id;
}

/** The id of the newest event (0 when there is none). */
export async function lastEventId(db: SqlDriver): Promise<number> {
  const [row] = await db.query<{ last_id: number }>("SELECT last_id FROM event_counter");
  return Number(row.last_id);
}

/** The highest event id pruned by retention (0 when none was): the log starts after it. */
export async function eventsPrunedThrough(db: SqlDriver): Promise<number> {
  const [row] = await db.query<{ pruned_through: number }>("SELECT pruned_through FROM event_counter");
  return Number(row.pruned_through);
}

/**
 * Advisory locks taken (for a transaction) by whoever prunes events or jobs, so that several daemons on
 * one database prune one at a time instead of queueing on (or deadlocking over) the same rows; the one
 * that holds a lock goes on until nothing is left, the others skip their pass. Arbitrary constants.
 */
export const PRUNE_LOCKS = { events: 0x6d6f7365, jobs: 0x6d6f736a } as const;

/** Takes the prune lock of `what` until the end of the transaction `tx`; false when another holds it. */
export async function tryPruneLock(tx: SqlDriver, what: keyof typeof PRUNE_LOCKS): Promise<boolean> {
  const [row] = await tx.query<{ locked: boolean }>("SELECT pg_try_advisory_xact_lock($1) AS locked", [
    PRUNE_LOCKS[what],
  ]);
  return row.locked;
}

/**
 * Deletes the oldest events, at most `batch` of them, as long as each is older than `ageMs` (by the
 * database clock): a prefix of the log, so that the log always stays "every event after
 * `pruned_through`". Returns how many went and the new `pruned_through` (nothing goes while another
 * pruner holds its lock, {@link PRUNE_LOCKS}). The counter only moves forward.
 */
export function pruneEvents(
  db: SqlDriver,
  ageMs: number,
  batch: number,
): Promise<{ pruned: number; through: number }> {
  return db.transaction(async (tx) => {
    const locked = await tryPruneLock(tx, "events");
    const from = await eventsPrunedThrough(tx);
    if (!locked) return { pruned: 0, through: from };
    // The prefix ends just before the first young event of the batch (ids and times rise together,
    // but a prefix never skips a young event that a clock step placed between old ones).
    const [{ through }] = await tx.query<{ through: number }>(
      `WITH batch AS (SELECT id, created_ms FROM events WHERE id > $1 ORDER BY id LIMIT $2)
       SELECT coalesce((SELECT min(id) - 1 FROM batch WHERE created_ms > ${NOW_MS} - $3), (SELECT max(id) FROM batch), $1)
         AS through`,
      [from, batch, ageMs],
    );
    const upTo = Number(through);
    if (upTo <= from) return { pruned: 0, through: from };
    const gone = await tx.query("DELETE FROM events WHERE id > $1 AND id <= $2 RETURNING id", [from, upTo]);
    // Last, like an append: the counter row's lock is held only from here to the commit.
    await tx.query("UPDATE event_counter SET pruned_through = greatest(pruned_through, $1)", [upTo]);
    return { pruned: gone.length, through: upTo };
  });
}
