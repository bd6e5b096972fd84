/**
 * Topic lifecycle: create (0.1.0: with the sequence key, in the sequence's implicit session; 2026: in a
 * session, `sessions.ts`) and delete. A topic is locked by the end of its upload (`ingest/`), never here.
 *
 * @module
 */
import {
  AlreadyExistsError,
  FailedPreconditionError,
  NotFoundError,
  PermissionDeniedError,
} from "../errors.ts";
import { keysEqual, newKey } from "../model/keys.ts";
import type { TopicName } from "../model/locator.ts";
import { encodeManifest, topicManifest } from "../model/manifests.ts";
import { topicManifestKey, topicPrefix } from "../model/store_layout.ts";
import type { JsonValue, SerializationFormat, Session, Topic } from "../model/types.ts";
import { createWithManifest, deleteWithTombstone, type LifecycleDeps, nowNs, requireTopic } from "./deps.ts";

export interface CreateTopicRequest {
  topic: TopicName;
  sequenceKey: string;
  serializationFormat: SerializationFormat;
  ontologyTag: string;
  userMetadata: JsonValue;
}

/**
 * Creates an unlocked topic in the unlocked 0.1.0 sequence whose key is given (its implicit session);
 * returns it (its uuid is its key).
 */
export async function createTopic(deps: LifecycleDeps, req: CreateTopicRequest): Promise<Topic> {
  if (await deps.catalog.getTopic(req.topic.full)) {
    throw new AlreadyExistsError(`Topic "${req.topic.full}" already exists`);
  }
  // The name says which sequence; the key must be that sequence's (a write token, not a lookup key).
  const seq = await deps.catalog.getSequence(req.topic.sequence);
  if (!seq) {
    const keyOwner = await deps.catalog.getSequenceByUuid(req.sequenceKey);
    if (keyOwner) {
      throw new PermissionDeniedError(
        `Topic "${req.topic.full}" is not under sequence "${keyOwner.name}" of this key`,
      );
    }
    throw new NotFoundError(`Cannot find sequence "${req.topic.sequence}" of topic "${req.topic.full}"`);
  }
  if (!keysEqual(req.sequenceKey, seq.uuid)) {
    throw new PermissionDeniedError(`Wrong sequence key for topic "${req.topic.full}"`);
  }
  // The sequence key is the uuid of the implicit session of a 0.1.0 upload.
  const session = await deps.catalog.getSessionByUuid(seq.uuid);
  if (!session) {
    throw new FailedPreconditionError(
      `Sequence "${seq.name}" has no 0.1.0 upload session: add topics through a session (session_create)`,
    );
  }
  if (session.completedNs !== null) {
    throw new FailedPreconditionError(`Sequence "${seq.name}" is finalized: no topic can be added`);
  }
  return await insertTopic(deps, session, req);
}

/**
 * Writes the manifest of a new topic of `session`, then its catalog row (which refuses a finalized
 * session atomically).
 * @throws PermissionDeniedError when the topic is not under the session's sequence; AlreadyExistsError;
 *   FailedPreconditionError.
 */
export async function insertTopic(
  deps: LifecycleDeps,
  session: Session,
  req: {
    topic: TopicName;
    serializationFormat: SerializationFormat;
    ontologyTag: string;
    userMetadata: JsonValue;
  },
): Promise<Topic> {
  // The checks in the order of protocol 2026, 4.3: name taken, session finalized, wrong sequence.
  if (await deps.catalog.getTopic(req.topic.full)) {
    throw new AlreadyExistsError(`Topic "${req.topic.full}" already exists`);
  }
  if (session.completedNs !== null) {
    throw new FailedPreconditionError(
      `Session "${session.sequenceName}:${session.ulid}" is finalized: no topic can be added`,
    );
  }
  if (req.topic.sequence !== session.sequenceName) {
    throw new PermissionDeniedError(
      `Topic "${req.topic.full}" is not under sequence "${session.sequenceName}" of this session`,
    );
  }
  const draft = {
    uuid: newKey(),
    sessionId: session.id,
    name: req.topic.full,
    serializationFormat: req.serializationFormat,
    ontologyTag: req.ontologyTag,
    userMetadata: req.userMetadata,
    createdNs: nowNs(deps),
  };
  const manifest = topicManifest({
    ...draft,
    sequenceUuid: session.sequenceUuid,
    sequenceName: session.sequenceName,
    sessionUuid: session.uuid,
    createdMs: Number(draft.createdNs / 1_000_000n),
    completedNs: null,
    locked: false,
  });
  return await createWithManifest(
    deps,
    { key: topicManifestKey(session.sequenceUuid, draft.uuid), bytes: encodeManifest(manifest) },
    () => deps.catalog.createTopic(draft),
  );
}

/**
 * Deletes a topic. The 0.1.0 protocol refuses a locked topic (immutable); the 2026 protocol deletes in
 * any state (`ignoreLocks`).
 */
export async function deleteTopic(
  deps: LifecycleDeps,
  req: { topic: TopicName; ignoreLocks?: boolean },
): Promise<void> {
  const topic = await requireTopic(deps, req.topic.full);
  const requireUnlocked = !req.ignoreLocks;
  if (requireUnlocked && topic.locked) {
    throw new FailedPreconditionError(`Topic "${topic.name}" is locked: it can no longer be deleted`);
  }
  await deleteWithTombstone(
    deps,
    { uuid: topic.uuid, prefix: topicPrefix(topic.sequenceUuid, topic.uuid) },
    (job) => deps.catalog.deleteTopic(topic.id, { requireUnlocked, job }),
  );
}
