/**
 * Sessions as the store describes them, for `rebuild` and `verify`: a session manifest, or (for a
 * sequence written before sessions existed, manifest version 1) the implicit session derived by the
 * rules of `model/legacy.ts`.
 *
 * @module
 */
import { legacySessionUlid } from "../model/legacy.ts";
import type { SequenceManifest } from "../model/manifests.ts";

/** A session as the store describes it. */
export interface StoredSession {
  uuid: string;
  ulid: string;
  createdNs: bigint;
  completedNs: bigint | null;
}

/** The implicit session of a version 1 sequence (`model/legacy.ts`). */
export function legacySession(manifest: SequenceManifest): StoredSession {
  const createdNs = manifestCreatedNs(manifest);
  return {
    uuid: manifest.uuid,
    ulid: legacySessionUlid(manifest.uuid, createdNs),
    createdNs,
    completedNs: manifest.locked ? createdNs : null,
  };
}

/** A manifest's creation time in ns (version 1 manifests have milliseconds only). */
export function manifestCreatedNs(m: { created_ms: number; created_ns?: string }): bigint {
  return m.created_ns !== undefined ? BigInt(m.created_ns) : BigInt(m.created_ms) * 1_000_000n;
}
