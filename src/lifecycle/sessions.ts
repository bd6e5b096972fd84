/**
 * Session lifecycle (protocol 2026): open a session in a sequence, add topics to it, finalize (lock) it,
 * delete it with its topics. The 0.1.0 protocol reaches the same rows through the implicit session of
 * its sequences (`sequences.ts`). Store first, catalog last, as everywhere in `lifecycle/`.
 *
 * @module
 */
import { FailedPreconditionError, NotFoundError } from "../errors.ts";
import { newKey } from "../model/keys.ts";
import type { TopicName } from "../model/locator.ts";
import { encodeManifest, sessionManifest } from "../model/manifests.ts";
import { sessionManifestKey, sessionPrefix, topicPrefix } from "../model/store_layout.ts";
import type { JsonValue, SerializationFormat, Session, SessionRef, Topic } from "../model/types.ts";
import { newUlid } from "../model/ulid.ts";
import { compactionJobs } from "./_compaction.ts";
import {
  createWithManifest,
  deleteWithTombstones,
  type LifecycleDeps,
  nowNs,
  requireSequence,
} from "./deps.ts";
import { insertTopic } from "./topics.ts";

/** Opens a new session in an existing sequence. @throws NotFoundError */
export async function createSession(deps: LifecycleDeps, req: { sequence: string }): Promise<Session> {
  const seq = await requireSequence(deps, req.sequence);
  const createdNs = nowNs(deps);
  const draft = {
    uuid: newKey(),
    ulid: newUlid(Number(createdNs / 1_000_000n)),
    sequenceId: seq.id,
    createdNs,
  };
  const manifest = sessionManifest({ ...draft, sequenceUuid: seq.uuid, completedNs: null });
  return await createWithManifest(
    deps,
    { key: sessionManifestKey(seq.uuid, draft.ulid), bytes: encodeManifest(manifest) },
    () => deps.catalog.createSession(draft),
  );
}

/** The session a reference names. @throws NotFoundError (never revealing which uuids exist). */
export async function requireSession(deps: LifecycleDeps, ref: SessionRef): Promise<Session> {
  const session = "uuid" in ref
    ? await deps.catalog.getSessionByUuid(ref.uuid)
    : await deps.catalog.getSessionByLocator(ref.sequence, ref.ulid);
  if (!session) {
    throw new NotFoundError(
      "uuid" in ref
        ? "Cannot find the session of this uuid"
        : `Cannot find session "${ref.sequence}:${ref.ulid}"`,
    );
  }
  return session;
}

export interface CreateSessionTopicRequest {
  topic: TopicName;
  sessionUuid: string;
  serializationFormat: SerializationFormat;
  ontologyTag: string;
  userMetadata: JsonValue;
}

/**
 * Creates an unlocked topic in an open session; its uuid is the DoPut write token.
 * @throws NotFoundError (session); AlreadyExistsError (topic name); FailedPreconditionError (session
 *   finalized); PermissionDeniedError (topic not under the session's sequence).
 */
export async function createSessionTopic(
  deps: LifecycleDeps,
  req: CreateSessionTopicRequest,
): Promise<Topic> {
  const session = await requireSession(deps, { uuid: req.sessionUuid });
  return await insertTopic(deps, session, req);
}

/**
 * Finalizes (locks) a session: it needs at least one topic, all locked. Finalizing a finalized session
 * succeeds and changes nothing. Topics made of many small chunks get a compaction job.
 * @throws FailedPreconditionError; NotFoundError.
 */
export async function finalizeSession(deps: LifecycleDeps, req: { session: SessionRef }): Promise<Session> {
  const session = await requireSession(deps, req.session);
  if (session.completedNs !== null) return session;
  const topics = await deps.catalog.listSessionTopics(session.id);
  const label = `${session.sequenceName}:${session.ulid}`;
  if (topics.length === 0) throw new FailedPreconditionError(`Session "${label}" is empty: it has no topic`);
  const open = topics.find((t) => !t.locked);
  if (open) throw new FailedPreconditionError(`Topic "${open.name}" is unlocked: its upload has not ended`);
  const completedNs = nowNs(deps);
  const key = sessionManifestKey(session.sequenceUuid, session.ulid);
  await deps.store.put(key, encodeManifest(sessionManifest({ ...session, completedNs })));
  let done: Session;
  try {
    done = await deps.catalog.finalizeSession(session.id, {
      completedNs,
      requireTopics: true,
      alreadyCompleted: "keep",
      jobs: await compactionJobs(deps, topics),
    });
  } catch (err) {
    // The catalog refused (a topic appeared meanwhile, say): the manifest goes back as it was.
    await deps.store.put(key, encodeManifest(sessionManifest(session))).catch(() => {});
    throw err;
  }
  // A concurrent finalize committed first: the manifest must say its time, not ours.
  if (done.completedNs !== completedNs) await deps.store.put(key, encodeManifest(sessionManifest(done)));
  return done;
}

/**
 * Deletes a session, its topics and their data, whatever their lock state (protocol 2026, 4.5); the
 * sequence stays, possibly without sessions. Objects go after the deletion retention (tombstones).
 * @throws NotFoundError
 */
export async function deleteSession(deps: LifecycleDeps, req: { session: SessionRef }): Promise<void> {
  const session = await requireSession(deps, req.session);
  const topics = await deps.catalog.listSessionTopics(session.id);
  const resources = [
    ...topics.map((t) => ({ uuid: t.uuid, prefix: topicPrefix(session.sequenceUuid, t.uuid) })),
    { uuid: session.ulid, prefix: sessionPrefix(session.sequenceUuid, session.ulid) },
  ];
  await deleteWithTombstones(
    deps,
    resources,
    (jobs) => deps.catalog.deleteSession(session.id, jobs, topics.map((t) => t.uuid)),
  );
}
