/**
 * Catalog ↔ store verification: everything the catalog says must be in the store as it says, and
 * everything in the store must be accounted for.
 *
 * Drift found:
 * - `missing`: a catalog sequence, topic or chunk whose object (manifest, schema, Parquet file) is gone;
 * - `mismatch`: a manifest that disagrees with the catalog (lock state, committed chunks, size, rows,
 *   time range, statistics), or a chunk file of another size;
 * - `orphan`: objects the catalog does not know: a sequence or topic directory with no catalog row (a
 *   rebuild would restore it), stray temporary files;
 * - `uncommitted`: chunk objects no commit lists (uploads that failed, were cancelled or were cut short);
 * - `deleted`: leftovers of a deletion whose removal job was lost (their resource has a tombstone), and
 *   stale tombstones.
 *
 * Objects awaiting a removal job (a deletion's retention, chunks a compaction replaced) are not drift:
 * they are counted in `pendingRemoval`. The chunk objects and manifest of a topic being compacted are
 * skipped. `repair` must not run beside job runners that may start a compaction meanwhile (stop the
 * daemons, or run them with `--job-workers 0`).
 *
 * `repair` removes only the objects of uploads that never committed, and only for topics that are locked
 * (no upload can commit them any more). Deletions cut short are completed by the daemon at start-up;
 * everything else is for an operator (or `rebuild`).
 *
 * @module
 */
import { type Catalog, DEFAULT_LAYER } from "../catalog/catalog.ts";
import {
  type ChunkManifest,
  chunkStatsFromManifest,
  type LayerManifest,
  type SequenceManifest,
  type SessionManifest,
  type TopicManifest,
} from "../model/manifests.ts";
import { legacySession, type StoredSession } from "./_stored_sessions.ts";
import {
  chunkManifestKey,
  layerKey,
  parseStoreKey,
  schemaKey,
  sequenceManifestKey,
  sessionManifestKey,
  topicManifestKey,
} from "../model/store_layout.ts";
import type { Chunk, ColumnStats, Sequence, Session, Topic } from "../model/types.ts";
import type { ObjectStore } from "../store/store.ts";
import { awaitsRemoval, pendingWork } from "./_pending.ts";
import { canonicalJson, readManifestJson } from "./_manifest_json.ts";

export type DriftKind = "missing" | "mismatch" | "orphan" | "uncommitted" | "deleted";

export interface Drift {
  kind: DriftKind;
  /** The object key or resource name concerned. */
  what: string;
  detail: string;
  /** Removed by `repair`. */
  repaired?: boolean;
}

export interface VerifyReport {
  sequences: number;
  sessions: number;
  topics: number;
  chunks: number;
  objects: number;
  drift: Drift[];
  /** Keys removed by `repair`. */
  removed: string[];
  /** Objects an active `delete_objects` job will remove (retention, compaction grace). */
  pendingRemoval: number;
}

export interface VerifyOptions {
  /** Remove the objects of uploads that never committed to a now locked topic; nothing else. */
  repair?: boolean;
  onProgress?: (done: number, total: number) => void;
}

/** Compares the catalog with the store; see the module notes. */
export async function verifyStore(
  deps: { catalog: Catalog; store: ObjectStore },
  opts: VerifyOptions = {},
): Promise<VerifyReport> {
  const { catalog, store } = deps;
  const report: VerifyReport = {
    sequences: 0,
    sessions: 0,
    topics: 0,
    chunks: 0,
    objects: 0,
    drift: [],
    removed: [],
    pendingRemoval: 0,
  };
  // Jobs under way are read before the listing and again after the catalog: a compaction running at
  // any point in between changes its topic's chunk objects, which are then neither drift nor removable.
  const before = await pendingWork(catalog);
  const sizes = new Map<string, number>();
  for await (const { key, sizeBytes } of store.list("")) sizes.set(key, sizeBytes);
  report.objects = sizes.size;
  const known = new Set<string>(); // keys the catalog accounts for
  const sequenceUuids = new Set<string>();
  const topicUuids = new Map<string, Topic>();
  const sessionUlids = new Set<string>();
  const committed = new Set<string>(); // chunk uuids
  const drift = (kind: DriftKind, what: string, detail: string) => report.drift.push({ kind, what, detail });

  const sequences = await catalog.listSequences();
  for (const [i, seq] of sequences.entries()) {
    report.sequences++;
    sequenceUuids.add(seq.uuid);
    const seqKey = sequenceManifestKey(seq.uuid);
    known.add(seqKey);
    const sm = await manifest<SequenceManifest>(store, sizes, seqKey);
    if (!sm) drift("missing", seqKey, `manifest of sequence "${seq.name}"`);
    else if (sm.name !== seq.name) {
      drift("mismatch", seqKey, `manifest says ${sm.name}, catalog ${seq.name}`);
    }
    for (const session of await catalog.listSessions(seq.id)) {
      report.sessions++;
      sessionUlids.add(session.ulid);
      await verifySession(store, sizes, known, { seq, manifest: sm, session }, drift);
    }
    for (const topic of await catalog.listTopics(seq.id)) {
      report.topics++;
      topicUuids.set(topic.uuid, topic);
      const tKey = topicManifestKey(seq.uuid, topic.uuid);
      known.add(tKey);
      const chunks = (await catalog.listChunks(topic.id, { withStats: true })).sort((a, b) =>
        a.index - b.index
      );
      const tm = await manifest<TopicManifest>(store, sizes, tKey);
      if (!tm) drift("missing", tKey, `manifest of topic "${topic.name}"`);
      else if (
        (tm.locked !== topic.locked || tm.chunks.join() !== chunks.map((c) => c.uuid).join()) &&
        !before.compacting.has(topic.uuid)
      ) {
        drift(
          "mismatch",
          tKey,
          `manifest of topic "${topic.name}" disagrees on its lock or committed chunks`,
        );
      } else if ((tm.session_uuid ?? seq.uuid) !== topic.sessionUuid) {
        drift("mismatch", tKey, `manifest of topic "${topic.name}" names another session`);
      }
      if (topic.schemaKey) {
        known.add(topic.schemaKey);
        if (!sizes.has(topic.schemaKey)) drift("missing", topic.schemaKey, `schema of topic "${topic.name}"`);
      } else if (sizes.has(schemaKey(seq.uuid, topic.uuid))) known.add(schemaKey(seq.uuid, topic.uuid));
      for (const chunk of chunks) {
        report.chunks++;
        committed.add(chunk.uuid);
        await verifyChunk(store, sizes, known, seq.uuid, topic, chunk, drift);
      }
    }
    opts.onProgress?.(i + 1, sequences.length);
  }

  await verifyLayers(catalog, store, sizes, known, drift);
  const tombstones = new Map<string, string>(); // resource uuid → tombstone key
  for (const key of sizes.keys()) {
    const k = parseStoreKey(key);
    if (k.kind !== "tombstone") continue;
    tombstones.set(k.resource, key);
    known.add(key);
  }
  /** Records drift that `repair` removes (uncommitted uploads), and removes it when asked. */
  const removable = async (kind: DriftKind, key: string, detail: string) => {
    drift(kind, key, detail);
    if (!opts.repair) return;
    await store.delete(key);
    report.removed.push(key);
    report.drift.at(-1)!.repaired = true;
  };
  const pending = await pendingWork(catalog);
  for (const uuid of before.compacting) pending.compacting.add(uuid);
  for (const [key] of sizes) {
    if (awaitsRemoval(pending, key)) {
      report.pendingRemoval++;
      known.add(key);
      continue;
    }
    if (known.has(key)) continue;
    const k = parseStoreKey(key);
    const session = k.kind === "session-manifest" ? k.session : null;
    const dead = [k.sequence, k.topic, session].find((u) => u && tombstones.has(u));
    if (dead && !sequenceUuids.has(dead) && !topicUuids.has(dead) && !sessionUlids.has(dead)) {
      drift(
        "deleted",
        key,
        "left over by a deletion whose removal job is gone (the daemon re-enqueues it at start)",
      );
    } else if (k.sequence !== null && !sequenceUuids.has(k.sequence)) {
      drift("orphan", key, "sequence unknown to the catalog");
    } else if (k.topic !== null && !topicUuids.has(k.topic)) {
      drift("orphan", key, "topic unknown to the catalog");
    } else if (session !== null) {
      drift("orphan", key, "session unknown to the catalog");
    } else if (k.kind === "notification") continue; // a notification of a known sequence or topic
    else if ((k.kind === "chunk" || k.kind === "chunk-manifest") && !committed.has(k.chunk)) {
      const topic = topicUuids.get(k.topic);
      const detail = "chunk of an upload that never committed";
      // A compaction under way writes such objects until its switch: they are neither drift nor garbage.
      if (pending.compacting.has(k.topic)) continue;
      // An unlocked topic may still be uploading: its objects are reported, never removed.
      if (topic?.locked) await removable("uncommitted", key, detail);
      else drift("uncommitted", key, `${detail} (topic unlocked)`);
    } else drift("orphan", key, "object outside the store layout");
  }
  // Tombstones last, once the leftovers they guard are gone.
  for (const [uuid, key] of tombstones) {
    if (pending.tombstones.has(key)) continue;
    if (sequenceUuids.has(uuid) || topicUuids.has(uuid) || sessionUlids.has(uuid)) {
      drift(
        "mismatch",
        key,
        "a deletion was started but the catalog still holds the resource (delete it again)",
      );
    } else {drift(
        "deleted",
        key,
        "tombstone of a deletion whose removal job is gone (the daemon re-enqueues it at start)",
      );}
  }
  return report;
}

/**
 * A session's manifest says what the catalog says (uuid, times). The implicit session of a sequence
 * written before sessions existed has none until it changes: the legacy rules then say what it must be.
 */
async function verifySession(
  store: ObjectStore,
  sizes: Map<string, number>,
  known: Set<string>,
  { seq, manifest: sm, session }: { seq: Sequence; manifest: SequenceManifest | null; session: Session },
  drift: (kind: DriftKind, what: string, detail: string) => void,
): Promise<void> {
  const key = sessionManifestKey(seq.uuid, session.ulid);
  known.add(key);
  const m = await manifest<SessionManifest>(store, sizes, key);
  const expected: StoredSession | null = m
    ? {
      uuid: m.uuid,
      ulid: m.ulid,
      createdNs: BigInt(m.created_ns),
      completedNs: m.completed_ns === null ? null : BigInt(m.completed_ns),
    }
    : sm && sm.version < 2 && session.uuid === seq.uuid
    ? legacySession(sm)
    : null;
  const label = `session "${seq.name}:${session.ulid}"`;
  if (!expected) drift("missing", key, `manifest of ${label}`);
  else if (
    expected.uuid !== session.uuid || expected.ulid !== session.ulid ||
    expected.createdNs !== session.createdNs ||
    expected.completedNs !== session.completedNs
  ) {
    drift("mismatch", key, `the store describes ${label} differently (uuid, times or completion)`);
  }
}

/** Every catalog layer has its object (the built-in default layer may not), and every object a layer. */
async function verifyLayers(
  catalog: Catalog,
  store: ObjectStore,
  sizes: Map<string, number>,
  known: Set<string>,
  drift: (kind: DriftKind, what: string, detail: string) => void,
): Promise<void> {
  for (const layer of await catalog.listLayers()) {
    const key = await layerKey(layer.name);
    known.add(key);
    const m = await manifest<LayerManifest>(store, sizes, key);
    if (!m) {
      if (layer.name !== DEFAULT_LAYER.name) drift("missing", key, `layer "${layer.name}"`);
    } else if (m.name !== layer.name || m.description !== layer.description) {
      drift("mismatch", key, `layer "${layer.name}" is described differently in the store`);
    }
  }
  for (const key of sizes.keys()) {
    if (key.startsWith("layers/") && !known.has(key)) {
      drift(
        "orphan",
        key,
        parseStoreKey(key).kind === "layer"
          ? "layer unknown to the catalog"
          : "object outside the store layout",
      );
      known.add(key);
    }
  }
}

async function verifyChunk(
  store: ObjectStore,
  sizes: Map<string, number>,
  known: Set<string>,
  sequenceUuid: string,
  topic: Topic,
  chunk: Chunk,
  drift: (kind: DriftKind, what: string, detail: string) => void,
): Promise<void> {
  known.add(chunk.key);
  const size = sizes.get(chunk.key);
  if (size === undefined) drift("missing", chunk.key, `chunk ${chunk.index} of topic "${topic.name}"`);
  else if (size !== chunk.sizeBytes) {
    drift("mismatch", chunk.key, `${size} bytes, the catalog says ${chunk.sizeBytes}`);
  }
  const mKey = chunkManifestKey(sequenceUuid, topic.uuid, chunk.index, chunk.uuid);
  known.add(mKey);
  const cm = await manifest<ChunkManifest>(store, sizes, mKey, { exact: false });
  if (!cm) return drift("missing", mKey, `manifest of chunk ${chunk.index} of topic "${topic.name}"`);
  const differs = cm.size_bytes !== chunk.sizeBytes
    ? "size"
    : cm.row_count !== chunk.rowCount
    ? "row count"
    : cm.start_ns !== String(chunk.startNs) || cm.end_ns !== String(chunk.endNs)
    ? "time range"
    : statsDiffer(chunkStatsFromManifest(cm), chunk.stats);
  if (differs) drift("mismatch", mKey, `its ${differs} differs from the catalog's`);
}

/** The first column whose statistics differ (`statistics of "x"`), or null. */
function statsDiffer(stored: ColumnStats[], catalog: ColumnStats[]): string | null {
  const byColumn = new Map(catalog.map((s) => [s.column, s]));
  for (const s of stored) {
    const c = byColumn.get(s.column);
    if (!c || canonicalJson(s) !== canonicalJson(c)) {
      return `statistics of "${s.column}" (${canonicalJson(s)} vs ${canonicalJson(c)})`;
    }
  }
  return stored.length === catalog.length ? null : "statistics column count";
}

/** A manifest's JSON, or null when the object is missing or unreadable. */
async function manifest<T>(
  store: ObjectStore,
  sizes: Map<string, number>,
  key: string,
  opts: { exact?: boolean } = {},
): Promise<T | null> {
  if (!sizes.has(key)) return null;
  try {
    return await readManifestJson(store, key, opts) as T;
  } catch {
    return null;
  }
}
