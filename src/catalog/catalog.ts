/**
 * The catalog: what sequences, topics and chunks exist, their lock state and statistics, in
 * PostgreSQL or embedded PGlite (same SQL on both, see driver.ts). Owns all SQL of the daemon.
 * Must not import `store/`, `flight/` or anything above it.
 *
 * @module
 */
import type { CatalogConfig } from "../config.ts";
import type { Logger } from "../log.ts";
import type { ApiKey, NewApiKey, StoredApiKey } from "../model/api_keys.ts";
import type {
  CatalogEvent,
  Chunk,
  ColumnStats,
  Job,
  JobKind,
  JobState,
  Layer,
  NewChunk,
  Notification,
  Sequence,
  Session,
  Topic,
} from "../model/types.ts";
import * as apiKeys from "./api_keys.ts";
import * as chunks from "./chunks.ts";
import type { SqlDriver } from "./driver.ts";
import * as events from "./events.ts";
import * as jobs from "./jobs.ts";
import * as layers from "./layers.ts";
import { migrate } from "./migrate.ts";
import * as notifications from "./notifications.ts";
import * as query from "./query.ts";
import { openPgliteDriver } from "./pglite_driver.ts";
import { openPostgresDriver } from "./postgres_driver.ts";
import * as sequences from "./sequences.ts";
import * as sessions from "./sessions.ts";
import * as topics from "./topics.ts";

export type { ListChunksOptions, Usage } from "./chunks.ts";
export type { NewNotification, NotificationTarget } from "./notifications.ts";
export type { DeleteOptions, NewSequence } from "./sequences.ts";
export type { NewEvent } from "./events.ts";
export type { JobFence, ListJobsOptions, NewJob } from "./jobs.ts";
export type { NewTopic } from "./topics.ts";
export type { FinalizeOptions, NewSession } from "./sessions.ts";
export { NO_USAGE } from "./chunks.ts";
export { DEFAULT_LAYER } from "./layers.ts";

export interface OpenCatalogOptions {
  log: Logger;
  /** Apply pending migrations before returning (default true). */
  migrate?: boolean;
}

/** Opens the driver a config names, without migrating (the `migrate` CLI command uses this). */
export function openDriver(config: CatalogConfig, { log }: { log: Logger }): Promise<SqlDriver> {
  return config.kind === "pglite"
    ? openPgliteDriver({ dir: config.dir, log })
    : openPostgresDriver(config.url, { log });
}

/** Typed access to the catalog. Every method is one statement or one transaction. */
export class Catalog implements AsyncDisposable {
  /** The underlying connection, for migrations and tests; SQL stays inside `catalog/`. */
  readonly driver: SqlDriver;

  private constructor(driver: SqlDriver) {
    this.driver = driver;
  }

  /**
   * Opens the catalog a config names and (by default) migrates it.
   * @throws UnavailableError when the database cannot be reached or opened.
   */
  static async open(config: CatalogConfig, opts: OpenCatalogOptions): Promise<Catalog> {
    const started = performance.now();
    const driver = await openDriver(config, opts);
    try {
      if (opts.migrate ?? true) await migrate(driver, opts.log);
    } catch (err) {
      await driver.close();
      throw err;
    }
    opts.log.info("catalog opened", { kind: driver.kind, openMs: Math.round(performance.now() - started) });
    return new Catalog(driver);
  }

  /** Wraps an open (and migrated) driver; the catalog closes it. */
  static fromDriver(driver: SqlDriver): Catalog {
    return new Catalog(driver);
  }

  close(): Promise<void> {
    return this.driver.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // Sequences

  /** @throws AlreadyExistsError `Sequence "x" already exists`. */
  createSequence(input: sequences.NewSequence): Promise<Sequence> {
    return sequences.createSequence(this.driver, input);
  }

  getSequence(name: string): Promise<Sequence | null> {
    return sequences.getSequence(this.driver, name);
  }

  getSequenceByUuid(uuid: string): Promise<Sequence | null> {
    return sequences.getSequenceByUuid(this.driver, uuid);
  }

  /** All sequences, oldest first. */
  listSequences(): Promise<Sequence[]> {
    return sequences.listSequences(this.driver);
  }

  /**
   * Locks (finalises) a sequence, atomically: only when it is unlocked and all its topics are locked.
   * @throws FailedPreconditionError naming the reason; NotFoundError.
   */
  lockSequence(
    id: number,
    opts?: { jobs?: readonly jobs.NewJob[]; completedNs?: bigint },
  ): Promise<Sequence> {
    return sequences.lockSequence(this.driver, id, opts);
  }

  /**
   * Deletes a sequence with its topics, chunks, statistics and notifications; returns it so the
   * caller can remove its objects. `requireUnlocked` refuses (FailedPreconditionError) a locked one.
   */
  deleteSequence(id: number, opts?: sequences.DeleteOptions): Promise<Sequence> {
    return sequences.deleteSequence(this.driver, id, opts);
  }

  // Sessions

  /** Opens a session in a sequence. @throws NotFoundError when the sequence is gone. */
  createSession(input: sessions.NewSession): Promise<Session> {
    return sessions.createSession(this.driver, input);
  }

  getSessionByUuid(uuid: string): Promise<Session | null> {
    return sessions.getSessionByUuid(this.driver, uuid);
  }

  /** The session with this ULID (canonical uppercase). */
  getSessionByUlid(ulid: string): Promise<Session | null> {
    return sessions.getSessionByUlid(this.driver, ulid);
  }

  /** The session whose locator is `<sequence>:<ulid>` (ulid in canonical uppercase). */
  getSessionByLocator(sequence: string, ulid: string): Promise<Session | null> {
    return sessions.getSessionByLocator(this.driver, sequence, ulid);
  }

  /** The sessions of a sequence, oldest first. */
  listSessions(sequenceId: number): Promise<Session[]> {
    return sessions.listSessions(this.driver, sequenceId);
  }

  /** Completes a session whose topics are all locked. @throws FailedPreconditionError; NotFoundError. */
  finalizeSession(id: number, opts: sessions.FinalizeOptions): Promise<Session> {
    return sessions.finalizeSession(this.driver, id, opts);
  }

  /** Deletes a session with its topics, enqueueing the removal of their objects. @throws NotFoundError */
  deleteSession(
    id: number,
    jobs: readonly jobs.NewJob[],
    expectedTopics: readonly string[],
  ): Promise<Session> {
    return sessions.deleteSession(this.driver, id, jobs, expectedTopics);
  }

  /** Topics of a session, oldest first. */
  listSessionTopics(sessionId: number): Promise<Topic[]> {
    return topics.listSessionTopics(this.driver, sessionId);
  }

  // Topics

  /**
   * Creates an unlocked topic in an unlocked sequence (checked atomically against lockSequence).
   * @throws AlreadyExistsError `Topic "x" already exists`; FailedPreconditionError; NotFoundError.
   */
  createTopic(input: topics.NewTopic): Promise<Topic> {
    return topics.createTopic(this.driver, input);
  }

  getTopic(name: string): Promise<Topic | null> {
    return topics.getTopic(this.driver, name);
  }

  getTopicByUuid(uuid: string): Promise<Topic | null> {
    return topics.getTopicByUuid(this.driver, uuid);
  }

  /** Topics of a sequence, oldest first. */
  listTopics(sequenceId: number): Promise<Topic[]> {
    return topics.listTopics(this.driver, sequenceId);
  }

  /**
   * Records the store key of the topic's schema snapshot: only on an unlocked topic whose key is
   * unset or equal. @throws FailedPreconditionError otherwise; NotFoundError.
   */
  setTopicSchema(topicId: number, schemaKey: string): Promise<Topic> {
    return topics.setTopicSchema(this.driver, topicId, schemaKey);
  }

  /** Deletes a topic with its chunks, statistics and notifications; returns it. */
  deleteTopic(id: number, opts?: sequences.DeleteOptions): Promise<Topic> {
    return topics.deleteTopic(this.driver, id, opts);
  }

  // Chunks

  /**
   * Records a topic's chunks and statistics and locks the topic, in one transaction.
   * @throws FailedPreconditionError `Topic "x" is locked` (nothing recorded); NotFoundError.
   */
  commitTopic(topicId: number, newChunks: readonly NewChunk[], completedNs?: bigint): Promise<Topic> {
    return chunks.commitTopic(this.driver, topicId, newChunks, completedNs);
  }

  /** Chunks by start time then index; with a range, those overlapping it (inclusive). */
  listChunks(topicId: number, opts?: chunks.ListChunksOptions): Promise<Chunk[]> {
    return chunks.listChunks(this.driver, topicId, opts);
  }

  topicUsage(topicId: number): Promise<chunks.Usage> {
    return chunks.topicUsage(this.driver, topicId);
  }

  sequenceUsage(sequenceId: number): Promise<chunks.Usage> {
    return chunks.sequenceUsage(this.driver, sequenceId);
  }

  /** The usage of every topic of a sequence that has chunks, by topic id. */
  topicUsagesOfSequence(sequenceId: number): Promise<Map<number, chunks.Usage>> {
    return chunks.topicUsagesOfSequence(this.driver, sequenceId);
  }

  /**
   * Replaces a locked topic's chunks (compaction) if they are still `expected`, enqueueing `job` in the
   * same transaction. @throws FailedPreconditionError when they changed; NotFoundError.
   */
  replaceTopicChunks(
    topicId: number,
    expected: readonly string[],
    next: readonly NewChunk[],
    job: jobs.NewJob,
    fence?: jobs.JobFence,
  ): Promise<Topic> {
    return chunks.replaceTopicChunks(this.driver, topicId, expected, next, job, fence);
  }

  /** Which of `keys` are chunk files the catalog references. */
  referencedChunkKeys(keys: readonly string[]): Promise<Set<string>> {
    return chunks.referencedChunkKeys(this.driver, keys);
  }

  /** Uuids of topics with chunks whose statistics predate `version`. */
  topicsWithStatsBefore(version: number): Promise<string[]> {
    return chunks.topicsWithStatsBefore(this.driver, version);
  }

  chunksWithStatsBefore(topicId: number, version: number): Promise<Chunk[]> {
    return chunks.chunksWithStatsBefore(this.driver, topicId, version);
  }

  replaceChunkStats(chunkId: number, stats: readonly ColumnStats[], version: number): Promise<void> {
    return chunks.replaceChunkStats(this.driver, chunkId, stats, version);
  }

  // Events

  /** Events after `afterId`, oldest first, at most `limit`. */
  listEvents(afterId: number, limit: number): Promise<CatalogEvent[]> {
    return events.listEvents(this.driver, afterId, limit);
  }

  /** The identity (a uuid) of this catalog's event log; a rebuilt catalog has another. */
  eventLogId(): Promise<string> {
    return events.eventLogId(this.driver);
  }

  /** The highest event id removed by retention (0: none); the log holds the events after it. */
  eventsPrunedThrough(): Promise<number> {
    return events.eventsPrunedThrough(this.driver);
  }

  /** Removes up to `batch` of the oldest events older than `ageMs` (a prefix of the log). */
  pruneEvents(ageMs: number, batch: number): Promise<{ pruned: number; through: number }> {
    return events.pruneEvents(this.driver, ageMs, batch);
  }

  /** Id of the newest event, 0 when none. */
  lastEventId(): Promise<number> {
    return events.lastEventId(this.driver);
  }

  /**
   * Calls `wake` whenever events are appended (`"events"`) or jobs become due (`"jobs"`), until the
   * returned function is called; null when the driver cannot listen (callers then poll).
   */
  async listen(channel: "events" | "jobs", wake: () => void): Promise<(() => Promise<void>) | null> {
    if (!this.driver.listen) return null;
    return await this.driver.listen(channel === "events" ? events.EVENTS_CHANNEL : jobs.JOBS_CHANNEL, wake);
  }

  // Jobs

  enqueueJob(job: jobs.NewJob): Promise<Job> {
    return jobs.enqueueJob(this.driver, job);
  }

  claimJob(opts: { owner: string; leaseMs: number; kinds: readonly JobKind[] }): Promise<Job | null> {
    return jobs.claimJob(this.driver, opts);
  }

  renewLease(id: number, owner: string, leaseMs: number): Promise<boolean> {
    return jobs.renewLease(this.driver, id, owner, leaseMs);
  }

  finishJob(id: number, owner: string): Promise<boolean> {
    return jobs.finishJob(this.driver, id, owner);
  }

  releaseJob(id: number, owner: string): Promise<boolean> {
    return jobs.releaseJob(this.driver, id, owner);
  }

  failJob(id: number, owner: string, error: string, backoffMs: number): Promise<JobState | null> {
    return jobs.failJob(this.driver, id, owner, error, backoffMs);
  }

  /** Jobs, newest first. */
  listJobs(opts?: jobs.ListJobsOptions): Promise<Job[]> {
    return jobs.listJobs(this.driver, opts);
  }

  /** How many jobs are in each state (metrics); states without a job are absent. */
  countJobsByState(): Promise<Partial<Record<JobState, number>>> {
    return jobs.countJobsByState(this.driver);
  }

  getJob(id: number): Promise<Job | null> {
    return jobs.getJob(this.driver, id);
  }

  hasActiveJob(dedupeKey: string): Promise<boolean> {
    return jobs.hasActiveJob(this.driver, dedupeKey);
  }

  /** @throws NotFoundError; FailedPreconditionError unless failed, dead or cancelled. */
  retryJob(id: number): Promise<Job> {
    return jobs.retryJob(this.driver, id);
  }

  /** @throws NotFoundError; FailedPreconditionError when done or cancelled already. */
  cancelJob(id: number): Promise<Job> {
    return jobs.cancelJob(this.driver, id);
  }

  /** Removes up to `batch` done or cancelled jobs that finished more than `ageMs` ago; returns how many. */
  pruneFinishedJobs(ageMs: number, batch: number): Promise<number> {
    return jobs.pruneFinishedJobs(this.driver, ageMs, batch);
  }

  // Notifications

  /** @throws NotFoundError when the target does not exist. */
  createNotification(input: notifications.NewNotification): Promise<Notification> {
    return notifications.createNotification(this.driver, input);
  }

  /** Notifications of a sequence or topic by name, oldest first; empty for an unknown name. */
  listNotifications(target: notifications.NotificationTarget, name: string): Promise<Notification[]> {
    return notifications.listNotifications(this.driver, target, name);
  }

  /** Returns how many notifications were deleted. */
  purgeNotifications(target: notifications.NotificationTarget, name: string): Promise<number> {
    return notifications.purgeNotifications(this.driver, target, name);
  }

  // Queries

  /** Topics matching a query's sequence/topic conditions, grouped by sequence; none without conditions. */
  findTopics(filter: query.CatalogFilter): Promise<query.QueryItem[]> {
    return query.findTopics(this.driver, filter);
  }

  /** Chunks of one ontology tag group that statistics do not rule out (protocol 9.4). */
  findChunkCandidates(filter: query.CatalogFilter, group: query.TagGroup): Promise<query.ChunkCandidate[]> {
    return query.findChunkCandidates(this.driver, filter, group);
  }

  // Layers

  /** @throws AlreadyExistsError `Layer "x" already exists`. */
  createLayer(layer: Layer): Promise<Layer> {
    return layers.createLayer(this.driver, layer);
  }

  /** @throws NotFoundError `Cannot find layer "x"`. */
  deleteLayer(name: string): Promise<void> {
    return layers.deleteLayer(this.driver, name);
  }

  /** @throws NotFoundError for an unknown `prevName`; AlreadyExistsError when `name` is taken. */
  updateLayer(prevName: string, next: Layer): Promise<Layer> {
    return layers.updateLayer(this.driver, prevName, next);
  }

  /** All layers, oldest first. */
  listLayers(): Promise<Layer[]> {
    return layers.listLayers(this.driver);
  }

  /** Creates the `default` layer if missing; returns whether it did. */
  ensureDefaultLayer(): Promise<boolean> {
    return layers.ensureDefaultLayer(this.driver);
  }

  // API keys

  /** @throws AlreadyExistsError when the fingerprint is taken. */
  createApiKey(key: NewApiKey): Promise<ApiKey> {
    return apiKeys.createApiKey(this.driver, key);
  }

  /** The key with that fingerprint and its token hash (revoked and expired ones too); null if none. */
  findApiKey(fingerprint: string): Promise<StoredApiKey | null> {
    return apiKeys.findApiKey(this.driver, fingerprint);
  }

  /** Every key, oldest first, without token hashes. */
  listApiKeys(): Promise<ApiKey[]> {
    return apiKeys.listApiKeys(this.driver);
  }

  /** Revokes a key (idempotent); @throws NotFoundError `Cannot find API key "x"`. */
  revokeApiKey(fingerprint: string): Promise<ApiKey> {
    return apiKeys.revokeApiKey(this.driver, fingerprint);
  }
}
