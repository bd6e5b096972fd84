/**
 * Catalog rebuild: the object store is the truth, and the catalog can be built again from it alone.
 * The store holds, for every sequence, its manifest; for every topic, its manifest (with the uuids of
 * its committed chunks), its schema snapshot; for every chunk, its Parquet file and a manifest with rows,
 * bytes, time range and statistics; notifications under their resource; layers (see
 * `model/store_layout.ts`). Rebuilding reads them and inserts the same rows, with the same uuids (the
 * clients' keys), into the catalog.
 *
 * - Sequences and topics with a tombstone (a deletion was started) are not restored.
 * - Only committed chunks count: those a topic manifest lists. Objects of uploads that never committed
 *   are ignored (`verify` reports them).
 * - Idempotent: what the catalog already holds (by uuid) is kept, what is missing is added, lock states
 *   are brought up to the manifests'. Run it again after an interruption.
 * - Problems (an unreadable manifest, a chunk listed but missing or of another size, a name already used
 *   by another uuid) are reported, and the rest is rebuilt; a topic missing a chunk is left unlocked
 *   with the chunks that are there, so nothing half-known looks complete.
 *
 * @module
 */
import type { Catalog } from "../catalog/catalog.ts";
import type { Logger } from "../log.ts";
import {
  type ChunkManifest,
  chunkStatsFromManifest,
  type LayerManifest,
  MANIFEST_VERSION,
  type NotificationManifest,
  type SequenceManifest,
  type SessionManifest,
  type TopicManifest,
} from "../model/manifests.ts";
import { legacySession, manifestCreatedNs, type StoredSession } from "./_stored_sessions.ts";
import {
  LAYERS_PREFIX,
  parseStoreKey,
  schemaKey,
  sequencePrefix,
  TOMBSTONES_PREFIX,
  topicPrefix,
} from "../model/store_layout.ts";
import type { NewChunk, Sequence } from "../model/types.ts";
import type { ObjectStore } from "../store/store.ts";
import { readManifestJson } from "./_manifest_json.ts";

export interface RebuildDeps {
  catalog: Catalog;
  store: ObjectStore;
  log: Logger;
}

export interface RebuildOptions {
  /** Read and check everything, write nothing. */
  dryRun?: boolean;
  /** Called after each sequence with how many of how many are done. */
  onProgress?: (done: number, total: number) => void;
}

export interface RebuildReport {
  sequences: number;
  /** Sessions found in the store (version 1 sequences: their implicit session). */
  sessions: number;
  topics: number;
  chunks: number;
  /** Parquet bytes of the committed chunks. */
  bytes: number;
  /** Restored with the sequences and topics this run created (those already present keep theirs). */
  notifications: number;
  /** Layers restored (a layer whose name the catalog already has is kept). */
  layers: number;
  /** Sequences and topics already in the catalog (by uuid), kept as they were. */
  alreadyPresent: number;
  problems: string[];
}

interface TopicEntry {
  manifestKey: string;
  hasSchema: boolean;
}

interface SequenceEntry {
  manifestKey: string;
  topics: Map<string, TopicEntry>;
  /** Session manifest keys by session ULID (manifest version 2+). */
  sessions: Map<string, string>;
}

/** What the store holds, from one listing. */
interface StoreIndex {
  sequences: Map<string, SequenceEntry>;
  /** Every object's size, by key. */
  sizes: Map<string, number>;
  /** Chunk manifest keys by chunk uuid. */
  chunkManifests: Map<string, string>;
  /** Notification keys by the prefix of their sequence or topic, in time order. */
  notifications: Map<string, string[]>;
  /** Uuids of sequences and topics whose deletion was started: never restored. */
  deleted: Set<string>;
}

/** Builds the catalog from the store; see the module notes. Never throws for a bad object: reports it. */
export async function rebuildCatalog(deps: RebuildDeps, opts: RebuildOptions = {}): Promise<RebuildReport> {
  const report: RebuildReport = {
    sequences: 0,
    sessions: 0,
    topics: 0,
    chunks: 0,
    bytes: 0,
    notifications: 0,
    layers: 0,
    alreadyPresent: 0,
    problems: [],
  };
  const index = await indexStore(deps.store);
  const manifests: SequenceManifest[] = [];
  for (const [uuid, entry] of index.sequences) {
    const m = await readManifest<SequenceManifest>(deps.store, entry.manifestKey, "sequence", report);
    if (m && m.uuid !== uuid) report.problems.push(`${entry.manifestKey}: names uuid ${m.uuid}`);
    else if (m) manifests.push(m);
  }
  manifests.sort((a, b) => a.created_ms - b.created_ms || (a.name < b.name ? -1 : 1));
  let done = 0;
  for (const manifest of manifests) {
    await rebuildSequence(deps, index, manifest, report, opts.dryRun ?? false);
    opts.onProgress?.(++done, manifests.length);
  }
  await restoreLayers(deps, report, opts.dryRun ?? false);
  return report;
}

async function indexStore(store: ObjectStore): Promise<StoreIndex> {
  const index: StoreIndex = {
    sequences: new Map(),
    sizes: new Map(),
    chunkManifests: new Map(),
    notifications: new Map(),
    deleted: new Set(),
  };
  for await (const { key } of store.list(TOMBSTONES_PREFIX)) {
    const k = parseStoreKey(key);
    if (k.kind === "tombstone") index.deleted.add(k.resource);
  }
  const sequence = (uuid: string) => {
    let entry = index.sequences.get(uuid);
    if (!entry) {
      index.sequences.set(uuid, entry = { manifestKey: "", topics: new Map(), sessions: new Map() });
    }
    return entry;
  };
  for await (const { key, sizeBytes: size } of store.list("sequences")) {
    index.sizes.set(key, size);
    const k = parseStoreKey(key);
    if (k.kind === "sequence-manifest") sequence(k.sequence).manifestKey = key;
    else if (k.kind === "session-manifest") sequence(k.sequence).sessions.set(k.session, key);
    else if (k.kind === "topic-manifest" || k.kind === "schema") {
      const topics = sequence(k.sequence).topics;
      const topic = topics.get(k.topic) ?? { manifestKey: "", hasSchema: false };
      if (k.kind === "topic-manifest") topic.manifestKey = key;
      else topic.hasSchema = true;
      topics.set(k.topic, topic);
    } else if (k.kind === "chunk-manifest") index.chunkManifests.set(k.chunk, key);
    else if (k.kind === "notification") {
      const prefix = k.topic === null ? sequencePrefix(k.sequence) : topicPrefix(k.sequence, k.topic);
      const list = index.notifications.get(prefix) ?? [];
      list.push(key); // listings are in key order: creation time first
      index.notifications.set(prefix, list);
    }
  }
  // Directories without their manifest are leftovers of a create that never completed; tombstoned ones
  // of a deletion that was cut short.
  for (const [uuid, entry] of index.sequences) {
    if (!entry.manifestKey || index.deleted.has(uuid)) index.sequences.delete(uuid);
    for (const topicUuid of entry.topics.keys()) {
      if (index.deleted.has(topicUuid)) entry.topics.delete(topicUuid);
    }
    for (const ulid of entry.sessions.keys()) {
      if (index.deleted.has(ulid)) entry.sessions.delete(ulid);
    }
  }
  return index;
}

async function rebuildSequence(
  deps: RebuildDeps,
  index: StoreIndex,
  manifest: SequenceManifest,
  report: RebuildReport,
  dryRun: boolean,
): Promise<void> {
  const { catalog } = deps;
  const createdNs = manifestCreatedNs(manifest);
  let seq: Sequence | null = await catalog.getSequenceByUuid(manifest.uuid);
  if (seq) report.alreadyPresent++;
  else {
    const taken = await catalog.getSequence(manifest.name);
    if (taken) {
      report.problems.push(`sequence "${manifest.name}": the name belongs to ${taken.uuid} in the catalog`);
      return;
    }
    if (!dryRun) {
      seq = await catalog.createSequence({
        uuid: manifest.uuid,
        name: manifest.name,
        userMetadata: manifest.user_metadata,
        createdNs,
      });
    }
  }
  report.sequences++;
  if (seq && !dryRun) {
    await restoreNotifications(deps, index, sequencePrefix(seq.uuid), {
      kind: "sequence",
      id: seq.id,
      name: seq.name,
    }, report);
  }
  const entry = index.sequences.get(manifest.uuid)!;
  const sessions = await storedSessions(deps, entry, manifest, report);
  const sessionIds = new Map<string, number>();
  for (const session of sessions) {
    report.sessions++;
    if (!seq || dryRun) continue;
    const present = await catalog.getSessionByUuid(session.uuid);
    const restored = present ?? await catalog.createSession({ ...session, sequenceId: seq.id });
    sessionIds.set(session.uuid, restored.id);
  }
  const topics: { manifest: TopicManifest; entry: TopicEntry }[] = [];
  for (const [uuid, topicEntry] of entry.topics) {
    if (!topicEntry.manifestKey) continue; // a topic_create that never completed
    const m = await readManifest<TopicManifest>(deps.store, topicEntry.manifestKey, "topic", report);
    const sessionUuid = m?.session_uuid ?? manifest.uuid;
    if (m && (m.uuid !== uuid || m.sequence_uuid !== manifest.uuid)) {
      report.problems.push(`${topicEntry.manifestKey}: names topic ${m.uuid} of sequence ${m.sequence_uuid}`);
    } else if (m && !sessions.some((x) => x.uuid === sessionUuid)) {
      report.problems.push(`${topicEntry.manifestKey}: its session is not in the store`);
    } else if (m) topics.push({ manifest: m, entry: topicEntry });
  }
  topics.sort((a, b) =>
    a.manifest.created_ms - b.manifest.created_ms || (a.manifest.name < b.manifest.name ? -1 : 1)
  );
  const incomplete = new Set<string>();
  for (const topic of topics) {
    const sessionUuid = topic.manifest.session_uuid ?? manifest.uuid;
    const sessionId = sessionIds.get(sessionUuid) ?? null;
    const locked = await rebuildTopic(deps, index, { seq, sessionId }, manifest, topic, report, dryRun);
    if (!locked) incomplete.add(sessionUuid);
  }
  for (const session of sessions) {
    const id = sessionIds.get(session.uuid);
    if (session.completedNs === null || id === undefined) continue;
    if (incomplete.has(session.uuid)) {
      report.problems.push(
        `session "${manifest.name}:${session.ulid}": finalized, but not every topic could be restored`,
      );
      continue;
    }
    await catalog.finalizeSession(id, {
      completedNs: session.completedNs,
      requireTopics: false,
      alreadyCompleted: "keep",
      event: { kind: "session.finalized", sequence: manifest.name, detail: { restored: true } },
    });
  }
}

/**
 * The sessions of a stored sequence, oldest first: its session manifests (version 2+), or the implicit
 * session of a sequence written before sessions existed (`model/legacy.ts`).
 */
async function storedSessions(
  deps: RebuildDeps,
  entry: SequenceEntry,
  manifest: SequenceManifest,
  report: RebuildReport,
): Promise<StoredSession[]> {
  const sessions: StoredSession[] = [];
  for (const [ulid, key] of entry.sessions) {
    const m = await readManifest<SessionManifest>(deps.store, key, "session", report);
    if (m && (m.ulid !== ulid || m.sequence_uuid !== manifest.uuid)) {
      report.problems.push(`${key}: names session ${m.ulid} of sequence ${m.sequence_uuid}`);
    } else if (m) {
      sessions.push({
        uuid: m.uuid,
        ulid: m.ulid,
        createdNs: BigInt(m.created_ns),
        completedNs: m.completed_ns === null ? null : BigInt(m.completed_ns),
      });
    }
  }
  // A sequence written before sessions existed was one implicit session; a manifest of it (written once
  // it was finalized after the upgrade) wins over the derived one.
  if (manifest.version < 2 && !sessions.some((x) => x.uuid === manifest.uuid)) {
    sessions.push(legacySession(manifest));
  }
  return sessions.sort((a, b) => (a.createdNs < b.createdNs ? -1 : a.createdNs > b.createdNs ? 1 : 0));
}

/** Rebuilds one topic; returns whether it ends up locked (as its manifest says, with all its chunks). */
async function rebuildTopic(
  deps: RebuildDeps,
  index: StoreIndex,
  parent: { seq: Sequence | null; sessionId: number | null },
  seqManifest: SequenceManifest,
  { manifest, entry }: { manifest: TopicManifest; entry: TopicEntry },
  report: RebuildReport,
  dryRun: boolean,
): Promise<boolean> {
  const { catalog, store } = deps;
  const createdNs = manifestCreatedNs(manifest);
  let topic = await catalog.getTopicByUuid(manifest.uuid);
  if (topic) report.alreadyPresent++;
  else {
    const taken = await catalog.getTopic(manifest.name);
    if (taken) {
      report.problems.push(`topic "${manifest.name}": the name belongs to ${taken.uuid} in the catalog`);
      return false;
    }
    if (!dryRun && parent.seq && parent.sessionId !== null) {
      topic = await catalog.createTopic({
        uuid: manifest.uuid,
        sessionId: parent.sessionId,
        name: manifest.name,
        serializationFormat: manifest.serialization_format,
        ontologyTag: manifest.ontology_tag,
        userMetadata: manifest.user_metadata,
        createdNs,
      });
    }
  }
  report.topics++;
  if (topic && !dryRun) {
    const prefix = topicPrefix(seqManifest.uuid, manifest.uuid);
    await restoreNotifications(
      deps,
      index,
      prefix,
      { kind: "topic", id: topic.id, name: topic.name },
      report,
    );
  }
  const snapshot = schemaKey(seqManifest.uuid, manifest.uuid);
  if (entry.hasSchema && topic && topic.schemaKey === null && !dryRun) {
    topic = await catalog.setTopicSchema(topic.id, snapshot);
  }
  if (!manifest.locked) return false;
  const chunks: NewChunk[] = [];
  let complete = true;
  for (const uuid of manifest.chunks) {
    const chunk = await readChunk(store, index, manifest, uuid, report);
    if (chunk) chunks.push(chunk);
    else complete = false;
  }
  report.chunks += chunks.length;
  report.bytes += chunks.reduce((n, c) => n + c.sizeBytes, 0);
  if (!complete) return false; // left unlocked: a topic must never look complete without its data
  // Before version 2 a topic's completion time was not recorded: it reads as its creation (legacy.ts).
  const completedNs = manifest.completed_ns ? BigInt(manifest.completed_ns) : createdNs;
  if (topic && !topic.locked && !dryRun) await catalog.commitTopic(topic.id, chunks, completedNs);
  return true;
}

/**
 * Adds the stored notifications of a sequence or topic that its catalog row lacks, matched by time,
 * type and message (so a run cut short and run again restores the rest, and never doubles any).
 */
async function restoreNotifications(
  deps: RebuildDeps,
  index: StoreIndex,
  prefix: string,
  target: { kind: "sequence" | "topic"; id: number; name: string },
  report: RebuildReport,
): Promise<void> {
  const keys = index.notifications.get(prefix) ?? [];
  if (keys.length === 0) return;
  const present = new Map<string, number>();
  const identity = (createdMs: number, type: string, msg: string) => JSON.stringify([createdMs, type, msg]);
  for (const n of await deps.catalog.listNotifications(target.kind, target.name)) {
    const id = identity(n.createdMs, n.notifyType, n.msg);
    present.set(id, (present.get(id) ?? 0) + 1);
  }
  for (const key of keys) {
    const m = await readManifest<NotificationManifest>(deps.store, key, "notification", report);
    if (!m) continue;
    const id = identity(m.created_ms, m.notify_type, m.msg);
    const left = present.get(id) ?? 0;
    if (left > 0) {
      present.set(id, left - 1);
      continue;
    }
    await deps.catalog.createNotification({
      target: target.kind,
      targetId: target.id,
      notifyType: m.notify_type,
      msg: m.msg,
      createdMs: m.created_ms,
    });
    report.notifications++;
  }
}

/** Layers the catalog lacks (by name). */
async function restoreLayers(deps: RebuildDeps, report: RebuildReport, dryRun: boolean): Promise<void> {
  const present = new Set((await deps.catalog.listLayers()).map((l) => l.name));
  for await (const { key } of deps.store.list(LAYERS_PREFIX)) {
    const m = await readManifest<LayerManifest>(deps.store, key, "layer", report);
    if (!m || present.has(m.name)) continue;
    if (!dryRun) await deps.catalog.createLayer({ name: m.name, description: m.description });
    report.layers++;
  }
}

async function readChunk(
  store: ObjectStore,
  index: StoreIndex,
  topic: TopicManifest,
  uuid: string,
  report: RebuildReport,
): Promise<NewChunk | null> {
  const key = index.chunkManifests.get(uuid);
  if (!key) {
    report.problems.push(`topic "${topic.name}": chunk ${uuid} is listed but its manifest is missing`);
    return null;
  }
  const m = await readManifest<ChunkManifest>(store, key, "chunk", report, { exact: false });
  if (!m) return null;
  const size = index.sizes.get(m.key);
  if (size === undefined) {
    report.problems.push(`topic "${topic.name}": chunk ${m.key} is missing`);
    return null;
  }
  if (size !== m.size_bytes) {
    report.problems.push(
      `topic "${topic.name}": chunk ${m.key} has ${size} bytes, its manifest says ${m.size_bytes}`,
    );
    return null;
  }
  return {
    uuid: m.uuid,
    index: m.index,
    key: m.key,
    sizeBytes: m.size_bytes,
    rowCount: m.row_count,
    startNs: BigInt(m.start_ns),
    endNs: BigInt(m.end_ns),
    stats: chunkStatsFromManifest(m),
    statsVersion: m.stats_version ?? 1,
  };
}

/** A manifest of the given kind, or null (with a problem reported) when unreadable. */
async function readManifest<T extends { kind: string; version: number }>(
  store: ObjectStore,
  key: string,
  kind: T["kind"],
  report: RebuildReport,
  { exact = true } = {},
): Promise<T | null> {
  try {
    const value = await readManifestJson(store, key, { exact });
    const m = value as unknown as T;
    const known = typeof m?.version === "number" && m.version >= 1 && m.version <= MANIFEST_VERSION;
    if (typeof value !== "object" || value === null || m.kind !== kind || !known) {
      report.problems.push(`${key}: not a ${kind} manifest of versions 1 to ${MANIFEST_VERSION}`);
      return null;
    }
    return m;
  } catch (err) {
    report.problems.push(`${key}: unreadable (${err instanceof Error ? err.message : err})`);
    return null;
  }
}
