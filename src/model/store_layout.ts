/**
 * Where things live in the object store. Directories are named by uuid and names live in the
 * manifests, so a topic `/a/chunks` cannot collide with the chunks of topic `/a`, and a sequence
 * re-created under a deleted one's name never mixes with its objects.
 *
 * ```
 * sequences/<sequence uuid>/sequence.json                    sequence manifest
 * sequences/<sequence uuid>/sessions/<session ulid>/session.json   session manifest (manifest version 2+)
 * sequences/<sequence uuid>/topics/<topic uuid>/topic.json   topic manifest
 * .../topics/<topic uuid>/schema.arrow                       schema snapshot (encapsulated Arrow IPC), written once
 * .../topics/<topic uuid>/chunks/<index>-<chunk uuid>.parquet   sealed chunk, immutable
 * .../topics/<topic uuid>/chunks/<index>-<chunk uuid>.json      its rows, bytes, time range and statistics
 * <sequence or topic prefix>/notifications/<created ms>-<uuid>.json   a notification of that resource
 * layers/<sha-256 of the layer name, hex>.json               a layer
 * tombstones/<sequence or topic uuid>.json                   a deletion in progress: its prefix is garbage
 * ```
 *
 * @module
 */

const SEQUENCES = "sequences";

/** Everything of one sequence. */
export function sequencePrefix(sequenceUuid: string): string {
  return `${SEQUENCES}/${sequenceUuid}`;
}

export function sequenceManifestKey(sequenceUuid: string): string {
  return `${sequencePrefix(sequenceUuid)}/sequence.json`;
}

/**
 * Everything of one session but its topics (which live under the sequence, `topic.json` naming the
 * session). Named by the ULID, the session's public id: its uuid is a write token, and the implicit session
 * of a 0.1.0 upload shares its uuid with the sequence (tombstones and deletion jobs are keyed by these ids).
 */
export function sessionPrefix(sequenceUuid: string, sessionUlid: string): string {
  return `${sequencePrefix(sequenceUuid)}/sessions/${sessionUlid}`;
}

export function sessionManifestKey(sequenceUuid: string, sessionUlid: string): string {
  return `${sessionPrefix(sequenceUuid, sessionUlid)}/session.json`;
}

/** Everything of one topic. */
export function topicPrefix(sequenceUuid: string, topicUuid: string): string {
  return `${sequencePrefix(sequenceUuid)}/topics/${topicUuid}`;
}

export function topicManifestKey(sequenceUuid: string, topicUuid: string): string {
  return `${topicPrefix(sequenceUuid, topicUuid)}/topic.json`;
}

export function schemaKey(sequenceUuid: string, topicUuid: string): string {
  return `${topicPrefix(sequenceUuid, topicUuid)}/schema.arrow`;
}

/** Base name of a chunk's objects: index first so a listing is in write order, uuid so uploads never collide. */
function chunkBase(sequenceUuid: string, topicUuid: string, index: number, chunkUuid: string): string {
  return `${topicPrefix(sequenceUuid, topicUuid)}/chunks/${String(index).padStart(6, "0")}-${chunkUuid}`;
}

export function chunkKey(sequenceUuid: string, topicUuid: string, index: number, chunkUuid: string): string {
  return `${chunkBase(sequenceUuid, topicUuid, index, chunkUuid)}.parquet`;
}

export function chunkManifestKey(
  sequenceUuid: string,
  topicUuid: string,
  index: number,
  chunkUuid: string,
): string {
  return `${chunkBase(sequenceUuid, topicUuid, index, chunkUuid)}.json`;
}

/** The notifications of a sequence or topic, under its prefix. */
export function notificationsPrefix(resourcePrefix: string): string {
  return `${resourcePrefix}/notifications`;
}

/** One notification: creation time first (15 digits) so a listing is in time order. */
export function notificationKey(resourcePrefix: string, createdMs: number, uuid: string): string {
  return `${notificationsPrefix(resourcePrefix)}/${String(createdMs).padStart(15, "0")}-${uuid}.json`;
}

export const LAYERS_PREFIX = "layers";

/** A layer's object, named by a hash of its name (names may hold any character). */
export async function layerKey(name: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(name));
  return `${LAYERS_PREFIX}/${
    [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("")
  }.json`;
}

export const TOMBSTONES_PREFIX = "tombstones";

/**
 * Written before a sequence, session (by its ULID) or topic is deleted and removed after its objects are: while it exists,
 * whatever is left under the resource's prefix is garbage (rebuild skips it, verify --repair removes it).
 */
export function tombstoneKey(resourceUuid: string): string {
  return `${TOMBSTONES_PREFIX}/${resourceUuid}.json`;
}

/** What a key is in the layout above: the inverse of the key builders, for tools that list the store. */
export type StoreKey =
  | { kind: "sequence-manifest"; sequence: string; topic: null }
  | { kind: "session-manifest"; sequence: string; topic: null; session: string }
  | { kind: "topic-manifest" | "schema"; sequence: string; topic: string }
  | { kind: "chunk" | "chunk-manifest"; sequence: string; topic: string; chunk: string }
  | { kind: "notification"; sequence: string; topic: string | null }
  | { kind: "layer" | "other"; sequence: null; topic: null }
  | { kind: "tombstone"; resource: string; sequence: null; topic: null }
  /** Under a sequence (or topic) directory but none of the names above: stray. */
  | { kind: "unknown-in-sequence"; sequence: string; topic: string | null };

const IN_SEQUENCE = /^sequences\/([^/]+)\/(?:topics\/([^/]+)\/)?(.+)$/;
const CHUNK_FILE = /^chunks\/\d+-([^/.]+)\.(parquet|json)$/;
const NOTIFICATION_FILE = /^notifications\/[^/]+\.json$/;
const LAYER_FILE = /^layers\/[0-9a-f]{64}\.json$/;
const TOMBSTONE_FILE = /^tombstones\/([^/]+)\.json$/;
const SESSION_FILE = /^sessions\/([^/]+)\/session\.json$/;

export function parseStoreKey(key: string): StoreKey {
  const inSequence = IN_SEQUENCE.exec(key);
  if (inSequence) {
    const [, sequence, topic = null, rest] = inSequence;
    if (topic === null && rest === "sequence.json") return { kind: "sequence-manifest", sequence, topic };
    const session = topic === null ? SESSION_FILE.exec(rest) : null;
    if (session) return { kind: "session-manifest", sequence, topic: null, session: session[1] };
    if (NOTIFICATION_FILE.test(rest)) return { kind: "notification", sequence, topic };
    if (topic !== null) {
      if (rest === "topic.json") return { kind: "topic-manifest", sequence, topic };
      if (rest === "schema.arrow") return { kind: "schema", sequence, topic };
      const chunk = CHUNK_FILE.exec(rest);
      if (chunk) {
        return {
          kind: chunk[2] === "parquet" ? "chunk" : "chunk-manifest",
          sequence,
          topic,
          chunk: chunk[1],
        };
      }
    }
    return { kind: "unknown-in-sequence", sequence, topic };
  }
  const tombstone = TOMBSTONE_FILE.exec(key);
  if (tombstone) return { kind: "tombstone", resource: tombstone[1], sequence: null, topic: null };
  return { kind: LAYER_FILE.test(key) ? "layer" : "other", sequence: null, topic: null };
}
