/**
 * Notifications: plain messages attached to a sequence or a topic (e.g. an upload that failed under
 * the SDK's Report policy). Deleted with their sequence or topic.
 *
 * @module
 */
import { NotFoundError } from "../errors.ts";
import type { Notification, NotifyType } from "../model/types.ts";
import { type NotificationRow, toNotification } from "./_rows.ts";
import type { SqlDriver } from "./driver.ts";
import { appendEvents } from "./events.ts";

export type NotificationTarget = "sequence" | "topic";

export interface NewNotification {
  target: NotificationTarget;
  targetId: number;
  notifyType: NotifyType;
  msg: string;
  createdMs: number;
}

/** Fixed table and column names per target (never user input). */
const TARGETS = {
  sequence: { table: "sequences", column: "sequence_id" },
  topic: { table: "topics", column: "topic_id" },
} as const satisfies Record<NotificationTarget, { table: string; column: string }>;

/** @throws NotFoundError when the sequence or topic does not exist. */
export function createNotification(db: SqlDriver, input: NewNotification): Promise<Notification> {
  const { table, column } = TARGETS[input.target];
  const sequenceName = input.target === "sequence"
    ? "x.name"
    : "(SELECT s.name FROM sequences s WHERE s.id = x.sequence_id)";
  return db.transaction(async (tx) => {
    const rows = await tx.query<NotificationRow & { sequence_name: string; uuid: string }>(
      `WITH x AS (SELECT * FROM ${table} WHERE id = $1),
       n AS (
         INSERT INTO notifications (${column}, notify_type, msg, created_ms)
         SELECT x.id, $2, $3, $4 FROM x RETURNING id, notify_type, msg, created_ms
       )
       SELECT n.id, x.name, x.uuid, ${sequenceName} AS sequence_name, n.notify_type, n.msg, n.created_ms
       FROM n, x`,
      [input.targetId, input.notifyType, input.msg, input.createdMs],
    );
    if (rows.length === 0) throw new NotFoundError(`Cannot find ${input.target} with id ${input.targetId}`);
    const r = rows[0];
    await appendEvents(tx, [{
      kind: "notification.created",
      sequence: r.sequence_name,
      topic: input.target === "topic" ? r.name : null,
      resourceUuid: r.uuid,
      detail: { notify_type: r.notify_type, msg: r.msg },
    }]);
    return toNotification(r);
  });
}

/** Notifications of the sequence or topic with this name, oldest first; empty when it does not exist. */
export async function listNotifications(
  db: SqlDriver,
  target: NotificationTarget,
  name: string,
): Promise<Notification[]> {
  const { table, column } = TARGETS[target];
  const rows = await db.query<NotificationRow>(
    `SELECT n.id, x.name, n.notify_type, n.msg, n.created_ms
     FROM notifications n JOIN ${table} x ON x.id = n.${column} WHERE x.name = $1 ORDER BY n.id`,
    [name],
  );
  return rows.map(toNotification);
}

/** Deletes the notifications of the sequence or topic with this name; returns how many went. */
export async function purgeNotifications(
  db: SqlDriver,
  target: NotificationTarget,
  name: string,
): Promise<number> {
  const { table, column } = TARGETS[target];
  const rows = await db.query(
    `DELETE FROM notifications n USING ${table} x WHERE x.id = n.${column} AND x.name = $1 RETURNING n.id`,
    [name],
  );
  return rows.length;
}
