/**
 * Sequence rows: create, look up, lock (finalise) and delete.
 *
 * @module
 */
import { AlreadyExistsError, FailedPreconditionError, NotFoundError } from "../errors.ts";
import type { JsonValue, Sequence } from "../model/types.ts";
import { jsonParam, SEQUENCE_COLUMNS, type SequenceRow, toSequence, UUID_PATTERN } from "./_rows.ts";
import type { SqlDriver } from "./driver.ts";

export interface NewSequence {
  uuid: string;
  name: string;
  userMetadata: JsonValue;
  createdMs: number;
}

export async function createSequence(db: SqlDriver, input: NewSequence): Promise<Sequence> {
  try {
    const rows = await db.query<SequenceRow>(
      `INSERT INTO sequences AS s (uuid, name, user_metadata, created_ms)
       VALUES ($1, $2, $3::text::jsonb, $4) RETURNING ${SEQUENCE_COLUMNS}`,
      [input.uuid, input.name, jsonParam(input.userMetadata), input.createdMs],
    );
    return toSequence(rows[0]);
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

export function lockSequence(db: SqlDriver, id: number): Promise<Sequence> {
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
    return { ...seq, locked: true };
  });
}

export function deleteSequence(
  db: SqlDriver,
  id: number,
  { requireUnlocked = false }: { requireUnlocked?: boolean } = {},
): Promise<Sequence> {
  return db.transaction(async (tx) => {
    const seq = await selectSequenceForUpdate(tx, id);
    if (requireUnlocked && seq.locked) throw new FailedPreconditionError(`Sequence "${seq.name}" is locked`);
    await tx.query("DELETE FROM sequences WHERE id = $1", [id]);
    return seq;
  });
}
