/**
 * What data written before sessions existed (mosaicod before the 2026 protocol) reads as. The catalog
 * migration and the rebuild from the store both apply these rules, so that a migrated catalog and one
 * rebuilt from the same store agree exactly.
 *
 * - A sequence was one implicit session: its uuid is the sequence key (the sequence's uuid), created with
 *   the sequence and, if the sequence was finalized, completed at that same instant (the real time was
 *   not recorded).
 * - A locked topic completed when it was created, for the same reason.
 * - The implicit session's ULID is derived from its uuid by a one-way hash, so that it is stable and
 *   reveals nothing of the uuid (a write token).
 *
 * Imports only `node:crypto` and `ulid.ts`.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { encodeUlid } from "./ulid.ts";

const LABEL = "mosaicod legacy session ulid\n";

/** The ULID of the implicit session of a sequence written before sessions existed. */
export function legacySessionUlid(sessionUuid: string, createdNs: bigint): string {
  const digest = createHash("sha256").update(LABEL + sessionUuid.toLowerCase(), "utf8").digest();
  return encodeUlid(Number(createdNs / 1_000_000n), new Uint8Array(digest.subarray(0, 10)));
}
