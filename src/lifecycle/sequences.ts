/**
 * Sequence lifecycle: create, finalize, abort, delete. Store first, catalog last: a manifest is
 * written before the catalog row that makes it visible, and objects are removed after the rows.
 *
 * @module
 */
import { crashPoint } from "../crash_points.ts";
import { AlreadyExistsError, FailedPreconditionError, PermissionDeniedError } from "../errors.ts";
import { keysEqual, newKey } from "../model/keys.ts";
import { encodeManifest, sequenceManifest } from "../model/manifests.ts";
import { sequenceManifestKey, sequencePrefix } from "../model/store_layout.ts";
import type { JsonValue, Sequence } from "../model/types.ts";
import { createWithManifest, deleteWithTombstone, type LifecycleDeps, requireSequence } from "./deps.ts";

/** Creates an unlocked sequence; returns its key (the write token for its topics). */
export async function createSequence(
  deps: LifecycleDeps,
  req: { name: string; userMetadata: JsonValue },
): Promise<Sequence> {
  if (await deps.catalog.getSequence(req.name)) {
    throw new AlreadyExistsError(`Sequence "${req.name}" already exists`);
  }
  const draft = { uuid: newKey(), name: req.name, userMetadata: req.userMetadata, createdMs: deps.now() };
  const manifest = {
    key: sequenceManifestKey(draft.uuid),
    bytes: encodeManifest(sequenceManifest({ ...draft, locked: false })),
  };
  return await createWithManifest(deps, manifest, () => deps.catalog.createSequence(draft));
}

function checkKey(seq: Sequence, key: string): void {
  if (!keysEqual(key, seq.uuid)) throw new PermissionDeniedError(`Wrong key for sequence "${seq.name}"`);
}

/** Locks a sequence whose topics are all locked. */
export async function finalizeSequence(
  deps: LifecycleDeps,
  req: { sequence: string; key: string },
): Promise<void> {
  const seq = await requireSequence(deps, req.sequence);
  checkKey(seq, req.key);
  if (seq.locked) throw new FailedPreconditionError(`Sequence "${seq.name}" is already finalized`);
  const unlocked = (await deps.catalog.listTopics(seq.id)).filter((t) => !t.locked);
  if (unlocked.length > 0) {
    const names = unlocked.slice(0, 10).map((t) => `"${t.name}"`).join(", ");
    throw new FailedPreconditionError(
      `Cannot finalize sequence "${seq.name}": ${unlocked.length} topic(s) have no completed upload: ${names}`,
    );
  }
  const key = sequenceManifestKey(seq.uuid);
  await deps.store.put(key, encodeManifest(sequenceManifest({ ...seq, locked: true })));
  crashPoint("finalize.before-lock");
  try {
    await deps.catalog.lockSequence(seq.id);
  } catch (err) {
    // The catalog refused (e.g. a topic appeared meanwhile): put the manifest back as it was.
    await deps.store.put(key, encodeManifest(sequenceManifest(seq))).catch(() => {});
    throw err;
  }
}

/** Removes an unlocked sequence, as the SDK does when an upload fails (needs the key). */
export async function abortSequence(
  deps: LifecycleDeps,
  req: { sequence: string; key: string },
): Promise<void> {
  const seq = await requireSequence(deps, req.sequence);
  checkKey(seq, req.key);
  await removeSequence(deps, seq);
}

/** Removes an unlocked sequence without a key; finalized sequences are immutable. */
export async function deleteSequence(deps: LifecycleDeps, req: { sequence: string }): Promise<void> {
  await removeSequence(deps, await requireSequence(deps, req.sequence));
}

async function removeSequence(deps: LifecycleDeps, seq: Sequence): Promise<void> {
  if (seq.locked) {
    throw new FailedPreconditionError(`Sequence "${seq.name}" is finalized: it can no longer be deleted`);
  }
  await deleteWithTombstone(
    deps,
    { uuid: seq.uuid, prefix: sequencePrefix(seq.uuid) },
    () => deps.catalog.deleteSequence(seq.id, { requireUnlocked: true }),
  );
}
