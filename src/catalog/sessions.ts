/**
 * Session rows (protocol 2026): create inside a sequence, look up by write token or by locator, finalize
 * (lock), delete with their topics. Topic creation row-locks its session `FOR SHARE` and finalizing takes
 * `FOR UPDATE`, so a finalize sees every topic created before it and no topic joins a finalized session.
 *
 * @module
 */
import { FailedPreconditionError, NotFoundError } from "../errors.ts";
import type { Session } from "../model/types.ts";
import { SESSION_COLUMNS, type SessionRow, toSession, UUID_PATTERN } from "./_rows.ts";
import type { SqlDriver } from "./driver.ts";
import { appendEvents, type NewEvent, NOW_NS } from "./events.ts";
import { enqueueJob, type NewJob } from "./jobs.ts";
import { selectSequenceForUpdate } from "./sequences.ts";

export interface NewSession {
  uuid: string;
  ulid: string;
  sequenceId: number;
  createdNs: bigint;
}

const FROM_SESSIONS = "FROM sessions x JOIN sequences s ON s.id = x.sequence_id";

/** How a session is named in messages: its public locator, never its uuid (a write token). */
export function sessionLabel(session: Pick<Session, "sequenceName" | "ulid">): string {
  return `${session.sequenceName}:${session.ulid}`;
}

/** Inserts a session row inside `tx` (the sequence must be row-locked by the caller); no event. */
export async function insertSession(tx: SqlDriver, input: NewSession): Promise<Session> {
  const rows = await tx.query<SessionRow>(
    `WITH x AS (
       INSERT INTO sessions (uuid, ulid, sequence_id, created_ns) VALUES ($1, $2, $3, $4::text::int8) RETURNING *
     )
     SELECT ${SESSION_COLUMNS} FROM x JOIN sequences s ON s.id = x.sequence_id`,
    [input.uuid, input.ulid, input.sequenceId, String(input.createdNs)],
  );
  return toSession(rows[0]);
}

/** Opens a new session in a sequence. @throws NotFoundError when the sequence is gone. */
export function createSession(db: SqlDriver, input: NewSession): Promise<Session> {
  return db.transaction(async (tx) => {
    // FOR SHARE: a concurrent deletion of the sequence waits, or this waits for it and finds nothing.
    const seq = await selectSequenceForUpdate(tx, input.sequenceId, { share: true });
    const session = await insertSession(tx, input);
    await appendEvents(tx, [{
      kind: "session.created",
      sequence: seq.name,
      resourceUuid: session.uuid,
      detail: { session: sessionLabel(session) },
    }]);
    return session;
  });
}

export async function getSessionByUuid(db: SqlDriver, uuid: string): Promise<Session | null> {
  if (!UUID_PATTERN.test(uuid)) return null;
  const rows = await db.query<SessionRow>(`SELECT ${SESSION_COLUMNS} ${FROM_SESSIONS} WHERE x.uuid = $1`, [
    uuid,
  ]);
  return rows.length > 0 ? toSession(rows[0]) : null;
}

/** The session with this ULID (canonical uppercase), whatever its sequence. */
export async function getSessionByUlid(db: SqlDriver, ulid: string): Promise<Session | null> {
  const rows = await db.query<SessionRow>(`SELECT ${SESSION_COLUMNS} ${FROM_SESSIONS} WHERE x.ulid = $1`, [
    ulid,
  ]);
  return rows.length > 0 ? toSession(rows[0]) : null;
}

/** The session whose locator is `<sequence>:<ulid>` (ulid in canonical uppercase). */
export async function getSessionByLocator(
  db: SqlDriver,
  sequence: string,
  ulid: string,
): Promise<Session | null> {
  const rows = await db.query<SessionRow>(
    `SELECT ${SESSION_COLUMNS} ${FROM_SESSIONS} WHERE s.name = $1 AND x.ulid = $2`,
    [sequence, ulid],
  );
  return rows.length > 0 ? toSession(rows[0]) : null;
}

/** The sessions of a sequence in creation order. */
export async function listSessions(db: SqlDriver, sequenceId: number): Promise<Session[]> {
  const rows = await db.query<SessionRow>(
    `SELECT ${SESSION_COLUMNS} ${FROM_SESSIONS} WHERE x.sequence_id = $1 ORDER BY x.created_ns, x.id`,
    [sequenceId],
  );
  return rows.map(toSession);
}

/** Reads a session and row-locks it until the transaction ends. @throws NotFoundError */
export async function selectSessionForUpdate(
  tx: SqlDriver,
  id: number,
  { share = false }: { share?: boolean } = {},
): Promise<Session> {
  const rows = await tx.query<SessionRow>(
    `SELECT ${SESSION_COLUMNS} ${FROM_SESSIONS} WHERE x.id = $1 ${
      share ? "FOR SHARE OF x" : "FOR UPDATE OF x"
    }`,
    [id],
  );
  if (rows.length === 0) throw new NotFoundError(`Cannot find session with id ${id}`);
  return toSession(rows[0]);
}

/** How a finalize is checked and recorded. */
export interface FinalizeOptions {
  /** The completion time; null: now, by the database clock. */
  completedNs: bigint | null;
  /** Refuse a session without topics (2026); a 0.1.0 sequence may be finalized empty. */
  requireTopics: boolean;
  /** A session already completed: refuse (0.1.0 "already finalized") or succeed unchanged (2026). */
  alreadyCompleted: "refuse" | "keep";
  /** Enqueued in the same transaction (compactions of its topics). */
  jobs?: readonly NewJob[];
  /** The event to append (default `session.finalized`). */
  event?: Omit<NewEvent, "resourceUuid">;
}

/**
 * Completes (locks) a session whose topics are all locked.
 * @throws FailedPreconditionError when it has no topic (with `requireTopics`), a topic is unlocked, or it
 *   is already completed and `alreadyCompleted` is "refuse"; NotFoundError.
 */
export function finalizeSession(db: SqlDriver, id: number, opts: FinalizeOptions): Promise<Session> {
  return db.transaction(async (tx) => {
    const session = await selectSessionForUpdate(tx, id);
    if (session.completedNs !== null) {
      if (opts.alreadyCompleted === "keep") return session;
      throw new FailedPreconditionError(`Session "${sessionLabel(session)}" is already finalized`);
    }
    // The row lock above waits for topic creations in flight (FOR SHARE), so this sees every topic.
    const topics = await tx.query<{ name: string; locked: boolean }>(
      "SELECT name, locked FROM topics WHERE session_id = $1 ORDER BY id",
      [id],
    );
    if (opts.requireTopics && topics.length === 0) {
      throw new FailedPreconditionError(`Session "${sessionLabel(session)}" is empty: it has no topic`);
    }
    const open = topics.filter((t) => !t.locked);
    if (open.length > 0) {
      const names = open.slice(0, 10).map((t) => `"${t.name}"`).join(", ");
      throw new FailedPreconditionError(
        `Cannot finalize session "${
          sessionLabel(session)
        }": ${open.length} topic(s) are unlocked (their upload has not ended): ${names}`,
      );
    }
    const [{ completed_ns: completed }] = await tx.query<{ completed_ns: string }>(
      `UPDATE sessions SET completed_ns = coalesce($2::text::int8, ${NOW_NS}) WHERE id = $1
       RETURNING completed_ns::text AS completed_ns`,
      [id, opts.completedNs === null ? null : String(opts.completedNs)],
    );
    for (const job of opts.jobs ?? []) await enqueueJob(tx, job);
    const event = opts.event ??
      {
        kind: "session.finalized",
        sequence: session.sequenceName,
        detail: { session: sessionLabel(session) },
      };
    await appendEvents(tx, [{ ...event, resourceUuid: session.uuid }]);
    return { ...session, completedNs: BigInt(completed) };
  });
}

/**
 * Deletes a session and its topics (with their chunks and notifications), whatever their state, enqueueing
 * `jobs` (the removal of their objects) in the same transaction, only if its topics are still exactly
 * `expectedTopics` (uuids): the caller wrote the tombstones of those.
 * @throws FailedPreconditionError when a topic was added or removed meanwhile; NotFoundError.
 */
export function deleteSession(
  db: SqlDriver,
  id: number,
  jobs: readonly NewJob[],
  expectedTopics: readonly string[],
): Promise<Session> {
  return db.transaction(async (tx) => {
    // FOR UPDATE: topic creations in this session (FOR SHARE) wait for the outcome.
    const session = await selectSessionForUpdate(tx, id);
    const topics = await tx.query<{ name: string; uuid: string }>(
      "SELECT name, uuid FROM topics WHERE session_id = $1 ORDER BY id",
      [id],
    );
    const want = new Set(expectedTopics);
    if (topics.length !== want.size || topics.some((t) => !want.has(t.uuid))) {
      throw new FailedPreconditionError(
        `The topics of session "${sessionLabel(session)}" changed meanwhile: try again`,
      );
    }
    await tx.query("DELETE FROM sessions WHERE id = $1", [id]);
    for (const job of jobs) await enqueueJob(tx, job);
    await appendEvents(tx, [
      ...topics.map((t): NewEvent => ({
        kind: "topic.deleted",
        sequence: session.sequenceName,
        topic: t.name,
        resourceUuid: t.uuid,
      })),
      {
        kind: "session.deleted",
        sequence: session.sequenceName,
        resourceUuid: session.uuid,
        detail: { session: sessionLabel(session), topics: topics.length },
      },
    ]);
    return session;
  });
}
