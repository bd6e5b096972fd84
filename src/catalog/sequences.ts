/**
 * Sequence rows: create, look up, lock (finalise) and delete.
 *
 * @module
 */
import { AlreadyExistsError, FailedPreconditionError, NotFoundError } from "../errors.ts";
import type { JsonValue, Sequence } from "../model/types.ts";
import { jsonParam, SEQUENCE_COLUMNS, type SequenceRow, toSequence, UUID_PATTERN } from "./_rows.ts";
import type { SqlDriver } from "./driver.ts";
import { appendEvents } from "./events.ts";
import { enqueueJob, type NewJob } from "./jobs.ts";
import { finalizeSession, getSessionByUuid, insertSession } from "./sessions.ts";

export interface NewSequence {
  uuid: string;
  name: string;
  userMetadata: JsonValue;
  createdNs: bigint;
  /**
   * A 0.1.0 upload: the sequence comes with its implicit session, whose uuid is the sequence's (the
   * sequence key) and whose ULID is this. A 2026 sequence starts without sessions.
   */
  implicitSessionUlid?: string;
}

export async function createSequence(db: SqlDriver, input: NewSequence): Promise<Sequence> {
  try {
    return await db.transaction(async (tx) => {
      const rows = await tx.query<{ id: number }>(
        `INSERT INTO sequences (uuid, name, user_metadata, created_ns, created_ms)
         VALUES ($1, $2, $3::text::jsonb, $4::text::int8, $4::text::int8 / 1000000) RETURNING id`,
        [input.uuid, input.name, jsonParam(input.userMetadata), String(input.createdNs)],
      );
      const id = Number(rows[0].id);
      if (input.implicitSessionUlid !== undefined) {
        await insertSession(tx, {
          uuid: input.uuid,
          ulid: input.implicitSessionUlid,
          sequenceId: id,
          createdNs: input.createdNs,
        });
      }
      const seq = await selectSequenceForUpdate(tx, id);
      await appendEvents(tx, [{ kind: "sequence.created", sequence: seq.name, resourceUuid: seq.uuid }]);
      return seq;
    });
  } catch (err) {
    if (err instanceof AlreadyExistsError) {
      throw new AlreadyExistsError(`Sequence "${input.name}" already exists`, { cause: err });
    }
    throw err;
  }
}

export async function getSequence(db: SqlDriver, name: string): Promise<Sequence | null> {
  const rows = await db.query<SequenceRow>(`SELECT ${SEQUENCE_COLUMNS} FROM sequences s WHERE s.name = $1`, [
    name,
  ]);
  return rows.length > 0 ? toSequence(rows[0]) : null;
}

export async function getSequenceByUuid(db: SqlDriver, uuid: string): Promise<Sequence | null> {
  if (!UUID_PATTERN.test(uuid)) return null;
  const rows = await db.query<SequenceRow>(`SELECT ${SEQUENCE_COLUMNS} FROM sequences s WHERE s.uuid = $1`, [
    uuid,
  ]);
  return rows.length > 0 ? toSequence(rows[0]) : null;
}

export async function listSequences(db: SqlDriver): Promise<Sequence[]> {
  const rows = await db.query<SequenceRow>(`SELECT ${SEQUENCE_COLUMNS} FROM sequences s ORDER BY s.id`);
  return rows.map(toSequence);
}

/**
 * Reads a sequence and row-locks it until the transaction ends. `share` lets concurrent topic
 * creations proceed together while still excluding `lockSequence()` and `deleteSequence()`.
 * @throws NotFoundError when no sequence has this id.
 */
export async function selectSequenceForUpdate(
  tx: SqlDriver,
  id: number,
  { share = false, lock = true }: { share?: boolean; lock?: boolean } = {},
): Promise<Sequence> {
  const mode = !lock ? "" : share ? "FOR SHARE OF s" : "FOR UPDATE OF s";
  const rows = await tx.query<SequenceRow>(
    `SELECT ${SEQUENCE_COLUMNS} FROM sequences s WHERE s.id = $1 ${mode}`,
    [id],
  );
  if (rows.length === 0) throw new NotFoundError(`Cannot find sequence with id ${id}`);
  return toSequence(rows[0]);
}

/**
 * Finalizes a 0.1.0 sequence: completes its implicit session (uuid = the sequence's), whose topics must
 * all be locked, enqueueing `jobs` (compactions) in the same transaction. A sequence without an implicit
 * session (created by a 2026 client) cannot be finalized this way.
 * @throws FailedPreconditionError when already finalized, without an implicit session, or with unlocked
 *   topics; NotFoundError.
 */
export async function lockSequence(
  db: SqlDriver,
  id: number,
  { jobs = [], completedNs }: { jobs?: readonly NewJob[]; completedNs?: bigint } = {},
): Promise<Sequence> {
  const seq = await selectSequenceForUpdate(db, id, { lock: false });
  const implicit = await getSessionByUuid(db, seq.uuid);
  if (!implicit) {
    throw new FailedPreconditionError(
      `Sequence "${seq.name}" has no 0.1.0 upload session: finalize its sessions with session_finalize`,
    );
  }
  try {
    await finalizeSession(db, implicit.id, {
      completedNs: completedNs ?? null,
      requireTopics: false,
      alreadyCompleted: "refuse",
      jobs,
      event: { kind: "sequence.finalized", sequence: seq.name },
    });
  } catch (err) {
    if (err instanceof FailedPreconditionError && err.message.endsWith("is already finalized")) {
      throw new FailedPreconditionError(`Sequence "${seq.name}" is already locked`, { cause: err });
    }
    throw err;
  }
  return await selectSequenceForUpdate(db, id, { lock: false });
}

/** How a deletion is recorded: aborted (by its writer) or deleted, and the job that removes its objects. */
export interface DeleteOptions {
  /** Refuse (FailedPreconditionError) a locked resource. */
  requireUnlocked?: boolean;
  /** Record the deletion as an abort (sequences only). */
  aborted?: boolean;
  /** Enqueued in the deleting transaction: the removal of the objects (deferred deletion). */
  job?: NewJob;
}

export function deleteSequence(db: SqlDriver, id: number, opts: DeleteOptions = {}): Promise<Sequence> {
  return db.transaction(async (tx) => {
    const seq = await selectSequenceForUpdate(tx, id);
    if (opts.requireUnlocked && seq.locked) {
      throw new FailedPreconditionError(`Sequence "${seq.name}" is locked`);
    }
    const [{ topics }] = await tx.query<{ topics: number }>(
      "SELECT count(*)::int4 AS topics FROM topics WHERE sequence_id = $1",
      [id],
    );
    await tx.query("DELETE FROM sequences WHERE id = $1", [id]);
    if (opts.job) await enqueueJob(tx, opts.job);
    await appendEvents(tx, [{
      kind: opts.aborted ? "sequence.aborted" : "sequence.deleted",
      sequence: seq.name,
      resourceUuid: seq.uuid,
      detail: { topics: Number(topics) },
    }]);
    return seq;
  });
}
