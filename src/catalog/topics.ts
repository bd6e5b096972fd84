/**
 * Topic rows: create inside an unlocked sequence, look up, record the schema snapshot, delete.
 * Locking a topic happens in `commitTopic()` (chunks.ts), together with its chunks.
 *
 * @module
 */
import { AlreadyExistsError, FailedPreconditionError, NotFoundError } from "../errors.ts";
import type { JsonValue, SerializationFormat, Topic } from "../model/types.ts";
import { jsonParam, TOPIC_COLUMNS, type TopicRow, toTopic, UUID_PATTERN } from "./_rows.ts";
import type { SqlDriver } from "./driver.ts";
import { appendEvents } from "./events.ts";
import { enqueueJob } from "./jobs.ts";
import type { DeleteOptions } from "./sequences.ts";
import { selectSessionForUpdate, sessionLabel } from "./sessions.ts";

export interface NewTopic {
  uuid: string;
  /** The open session the topic joins (its sequence is the session's). */
  sessionId: number;
  /** Full locator `<sequence>/<path>`. */
  name: string;
  serializationFormat: SerializationFormat;
  ontologyTag: string;
  userMetadata: JsonValue;
  createdNs: bigint;
}

const FROM_TOPICS = "FROM topics t JOIN sequences s ON s.id = t.sequence_id";

export async function createTopic(db: SqlDriver, input: NewTopic): Promise<Topic> {
  try {
    return await db.transaction(async (tx) => {
      // FOR SHARE: waits for (and then sees) a concurrent finalize of the session, which takes FOR UPDATE.
      const session = await selectSessionForUpdate(tx, input.sessionId, { share: true });
      if (session.completedNs !== null) {
        throw new FailedPreconditionError(
          session.uuid === session.sequenceUuid
            ? `Sequence "${session.sequenceName}" is locked`
            : `Session "${sessionLabel(session)}" is finalized: no topic can be added`,
        );
      }
      const seq = { name: session.sequenceName };
      const rows = await tx.query<TopicRow>(
        `WITH t AS (
           INSERT INTO topics (uuid, sequence_id, session_id, name, user_metadata, serialization_format,
             ontology_tag, created_ns, created_ms)
           VALUES ($1, $2, $3, $4, $5::text::jsonb, $6, $7, $8::text::int8, $8::text::int8 / 1000000) RETURNING *
         )
         SELECT ${TOPIC_COLUMNS} FROM t JOIN sequences s ON s.id = t.sequence_id`,
        [
          input.uuid,
          session.sequenceId,
          session.id,
          input.name,
          jsonParam(input.userMetadata),
          input.serializationFormat,
          input.ontologyTag,
          String(input.createdNs),
        ],
      );
      const topic = toTopic(rows[0]);
      await appendEvents(tx, [{
        kind: "topic.created",
        sequence: seq.name,
        topic: topic.name,
        resourceUuid: topic.uuid,
        detail: { ontology_tag: topic.ontologyTag, serialization_format: topic.serializationFormat },
      }]);
      return topic;
    });
  } catch (err) {
    if (err instanceof AlreadyExistsError) {
      throw new AlreadyExistsError(`Topic "${input.name}" already exists`, { cause: err });
    }
    throw err;
  }
}

export async function getTopic(db: SqlDriver, name: string): Promise<Topic | null> {
  const rows = await db.query<TopicRow>(`SELECT ${TOPIC_COLUMNS} ${FROM_TOPICS} WHERE t.name = $1`, [name]);
  return rows.length > 0 ? toTopic(rows[0]) : null;
}

export async function getTopicByUuid(db: SqlDriver, uuid: string): Promise<Topic | null> {
  if (!UUID_PATTERN.test(uuid)) return null;
  const rows = await db.query<TopicRow>(`SELECT ${TOPIC_COLUMNS} ${FROM_TOPICS} WHERE t.uuid = $1`, [uuid]);
  return rows.length > 0 ? toTopic(rows[0]) : null;
}

/** The topics of a session, in creation order. */
export async function listSessionTopics(db: SqlDriver, sessionId: number): Promise<Topic[]> {
  const rows = await db.query<TopicRow>(
    `SELECT ${TOPIC_COLUMNS} ${FROM_TOPICS} WHERE t.session_id = $1 ORDER BY t.id`,
    [sessionId],
  );
  return rows.map(toTopic);
}

export async function listTopics(db: SqlDriver, sequenceId: number): Promise<Topic[]> {
  const rows = await db.query<TopicRow>(
    `SELECT ${TOPIC_COLUMNS} ${FROM_TOPICS} WHERE t.sequence_id = $1 ORDER BY t.id`,
    [sequenceId],
  );
  return rows.map(toTopic);
}

/**
 * Reads a topic and row-locks it until the transaction ends.
 * @throws NotFoundError when no topic has this id.
 */
export async function selectTopicForUpdate(tx: SqlDriver, id: number): Promise<Topic> {
  const rows = await tx.query<TopicRow>(
    `SELECT ${TOPIC_COLUMNS} ${FROM_TOPICS} WHERE t.id = $1 FOR UPDATE OF t`,
    [id],
  );
  if (rows.length === 0) throw new NotFoundError(`Cannot find topic with id ${id}`);
  return toTopic(rows[0]);
}

export async function setTopicSchema(db: SqlDriver, topicId: number, schemaKey: string): Promise<Topic> {
  const rows = await db.query<TopicRow>(
    `UPDATE topics t SET schema_key = $2 FROM sequences s
     WHERE t.id = $1 AND s.id = t.sequence_id AND NOT t.locked AND (t.schema_key IS NULL OR t.schema_key = $2)
     RETURNING ${TOPIC_COLUMNS}`,
    [topicId, schemaKey],
  );
  if (rows.length > 0) return toTopic(rows[0]);
  // Nothing updated: find out why, for the message.
  const current = await db.query<TopicRow>(`SELECT ${TOPIC_COLUMNS} ${FROM_TOPICS} WHERE t.id = $1`, [
    topicId,
  ]);
  if (current.length === 0) throw new NotFoundError(`Cannot find topic with id ${topicId}`);
  const topic = toTopic(current[0]);
  if (topic.locked) throw new FailedPreconditionError(`Topic "${topic.name}" is locked`);
  throw new FailedPreconditionError(`Topic "${topic.name}" already has a different schema`);
}

export function deleteTopic(db: SqlDriver, id: number, opts: DeleteOptions = {}): Promise<Topic> {
  return db.transaction(async (tx) => {
    const topic = await selectTopicForUpdate(tx, id);
    if (opts.requireUnlocked && topic.locked) {
      throw new FailedPreconditionError(`Topic "${topic.name}" is locked`);
    }
    await tx.query("DELETE FROM topics WHERE id = $1", [id]);
    if (opts.job) await enqueueJob(tx, opts.job);
    await appendEvents(tx, [{
      kind: "topic.deleted",
      sequence: topic.sequenceName,
      topic: topic.name,
      resourceUuid: topic.uuid,
    }]);
    return topic;
  });
}
