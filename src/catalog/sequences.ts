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

export interface NewSequence {
  uuid: string;
  name: string;
  userMetadata: JsonValue;
  createdMs: number;
}

export async function createSequence(db: SqlDriver, input: NewSequence): Promise<Sequence> {
  try {
    return await db.transaction(async (tx) => {
      const rows = await tx.query<SequenceRow>(
        `INSERT INTO sequences AS s (uuid, name, user_metadata, created_ms)
         VALUES ($1, $2, $3::text::jsonb, $4) RETURNING ${SEQUENCE_COLUMNS}`,
        [input.uuid, input.name, jsonParam(input.userMetadata), input.createdMs],
      );
      const seq = toSequence(rows[0]);
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
  { share = false }: { share?: boolean } = {},
): Promise<Sequence> {
  const rows = await tx.query<SequenceRow>(
    `SELECT ${SEQUENCE_COLUMNS} FROM sequences s WHERE s.id = $1 ${share ? "FOR SHARE" : "FOR UPDATE"}`,
    [id],
  );
  if (rows.length === 0) throw new NotFoundError(`Cannot find sequence with id ${id}`);
  return toSequence(rows[0]);
}

/** Locks a sequence whose topics are all locked, enqueueing `jobs` (compactions) in the same transaction. */
export function lockSequence(
  db: SqlDriver,
  id: number,
  { jobs = [] }: { jobs?: readonly NewJob[] } = {},
): Promise<Sequence> {
  return db.transaction(async (tx) => {
    const seq = await selectSequenceForUpdate(tx, id);
    if (seq.locked) throw new FailedPreconditionError(`Sequence "${seq.name}" is already locked`);
    // The row lock above waits for topic creations in flight, so this sees every topic.
    const open = await tx.query<{ name: string }>(
      "SELECT name FROM topics WHERE sequence_id = $1 AND NOT locked ORDER BY id",
      [id],
    );
    if (open.length > 0) {
      const names = open.map((t) => `"${t.name}"`).join(", ");
      throw new FailedPreconditionError(`Sequence "${seq.name}" has unlocked topics: ${names}`);
    }
    await tx.query("UPDATE sequences SET locked = true WHERE id = $1", [id]);
    for (const job of jobs) await enqueueJob(tx, job);
    await appendEvents(tx, [{ kind: "sequence.finalized", sequence: seq.name, resourceUuid: seq.uuid }]);
    return { ...seq, locked: true };
  });
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
