/**
 * Catalog fixtures shared by the tests: a 0.1.0 sequence with its implicit session, a 2026 sequence
 * without one, and topics created in a sequence's implicit session or in a given session. Talks to the
 * catalog only (no store, no lifecycle); must not be imported by src/.
 *
 * @module
 */
import type { Catalog, NewSequence } from "../src/catalog/catalog.ts";
import type { JsonValue, SerializationFormat, Session, Topic } from "../src/model/types.ts";
import { newUlid } from "../src/model/ulid.ts";
import { nsToMs } from "../src/model/time.ts";

/** What a fixture sequence may override. */
export interface SequenceOptions {
  uuid?: string;
  userMetadata?: JsonValue;
  /** Creation time (default 1 ms). */
  createdNs?: bigint;
}

/** The `createSequence` input of a 0.1.0 sequence: it comes with its implicit session. */
export function zeroOneSequenceInput(name: string, opts: SequenceOptions = {}): NewSequence {
  const createdNs = opts.createdNs ?? 1_000_000n;
  return {
    uuid: opts.uuid ?? crypto.randomUUID(),
    name,
    userMetadata: opts.userMetadata === undefined ? {} : opts.userMetadata,
    createdNs,
    implicitSessionUlid: newUlid(Math.max(0, nsToMs(createdNs))),
  };
}

/** Creates a 0.1.0 sequence with its implicit session (uuid = the sequence's). */
export function zeroOneSequence(db: Catalog, name: string, opts: SequenceOptions = {}) {
  return db.createSequence(zeroOneSequenceInput(name, opts));
}

/** Creates a 2026 sequence: no session until one is opened. */
export function sequence2026(db: Catalog, name: string, opts: SequenceOptions = {}) {
  const { implicitSessionUlid: _, ...input } = zeroOneSequenceInput(name, opts);
  return db.createSequence(input);
}

/** Opens a session in a sequence. */
export function openSession(
  db: Catalog,
  seq: { id: number },
  opts: { createdNs?: bigint; uuid?: string } = {},
): Promise<Session> {
  const createdNs = opts.createdNs ?? 5_000_000n;
  return db.createSession({
    uuid: opts.uuid ?? crypto.randomUUID(),
    ulid: newUlid(Math.max(0, nsToMs(createdNs))),
    sequenceId: seq.id,
    createdNs,
  });
}

/** What a fixture topic may override. */
export interface TopicOptions {
  uuid?: string;
  userMetadata?: JsonValue;
  serializationFormat?: SerializationFormat;
  ontologyTag?: string;
  /** Creation time (default 2 ms). */
  createdNs?: bigint;
}

/** Creates the topic `<session's sequence>/<path>` in a session. */
export function sessionTopic(
  db: Catalog,
  session: Pick<Session, "id" | "sequenceName">,
  path: string,
  opts: TopicOptions = {},
): Promise<Topic> {
  return db.createTopic({
    uuid: opts.uuid ?? crypto.randomUUID(),
    sessionId: session.id,
    name: `${session.sequenceName}/${path}`,
    serializationFormat: opts.serializationFormat ?? "default",
    ontologyTag: opts.ontologyTag ?? "imu",
    userMetadata: opts.userMetadata === undefined ? {} : opts.userMetadata,
    createdNs: opts.createdNs ?? 2_000_000n,
  });
}

/**
 * Creates the topic `<sequence>/<path>` in the implicit session of a 0.1.0 sequence (the one whose uuid
 * is the sequence's). @throws Error when the sequence has none.
 */
export async function topicIn(
  db: Catalog,
  seq: { uuid: string; name: string },
  path: string,
  opts: TopicOptions = {},
): Promise<Topic> {
  const session = await db.getSessionByUuid(seq.uuid);
  if (!session) throw new Error(`Sequence "${seq.name}" has no implicit session`);
  return await sessionTopic(db, session, path, opts);
}
