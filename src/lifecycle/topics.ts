/**
 * Topic lifecycle: create (with the sequence key) and delete. A topic is locked by the end of its
 * upload (`ingest/`), never here.
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
import type { JsonValue, SerializationFormat, Topic } from "../model/types.ts";
import { createWithManifest, deleteWithTombstone, type LifecycleDeps, requireTopic } from "./deps.ts";

export interface CreateTopicRequest {
  topic: TopicName;
  sequenceKey: string;
  serializationFormat: SerializationFormat;
  ontologyTag: string;
  userMetadata: JsonValue;
}

/** Creates an unlocked topic in the unlocked sequence whose key is given; returns it (its uuid is its key). */
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
  if (seq.locked) {
    throw new FailedPreconditionError(`Sequence "${seq.name}" is finalized: no topic can be added`);
  }
  const draft = {
    uuid: newKey(),
    sequenceId: seq.id,
    name: req.topic.full,
    serializationFormat: req.serializationFormat,
    ontologyTag: req.ontologyTag,
    userMetadata: req.userMetadata,
    createdMs: deps.now(),
  };
  const manifest = topicManifest({ ...draft, sequenceUuid: seq.uuid, sequenceName: seq.name, locked: false });
  return await createWithManifest(
    deps,
    { key: topicManifestKey(seq.uuid, draft.uuid), bytes: encodeManifest(manifest) },
    () => deps.catalog.createTopic(draft),
  );
}

/** Deletes a topic whose upload has not completed (locked topics are immutable). */
export async function deleteTopic(deps: LifecycleDeps, req: { topic: TopicName }): Promise<void> {
  const topic = await requireTopic(deps, req.topic.full);
  if (topic.locked) {
    throw new FailedPreconditionError(`Topic "${topic.name}" is locked: it can no longer be deleted`);
  }
  await deleteWithTombstone(
    deps,
    { uuid: topic.uuid, prefix: topicPrefix(topic.sequenceUuid, topic.uuid) },
    (job) => deps.catalog.deleteTopic(topic.id, { requireUnlocked: true, job }),
  );
}
