/**
 * What a push must do with each session of a source sequence, decided from the two descriptions alone
 * (no data read): copy it, skip it (the target holds it), compare it by content digest, leave it (not
 * finalized at the source), or refuse it (the target holds something else under its topic names).
 *
 * A session is the unit of transfer: a finalized session never changes, and the target's copy is
 * recognised by the `mosaicod:source` key that a push adds to the user metadata of every topic it creates,
 * naming the source session (`<sequence>:<ULID>`). A target session that is not finalized and whose topics
 * all name the source session is what an earlier, cut push left: it is deleted and the session copied
 * again. Topic names are unique in a sequence, so a source session's topics can only be in one place.
 *
 * Layer: `toolkit/sync`; imports the client's manifest types and `model/`.
 *
 * @module
 */
import type { SequenceInfo, SessionInfo, TopicManifest } from "../../client/mod.ts";
import type { JsonValue } from "../../model/types.ts";

/** The user-metadata key of a pushed topic that names its source session. */
export const SOURCE_KEY = "mosaicod:source";

/** One session's fate. `clear`: target sessions (locators) an earlier cut push left, to delete first. */
export type SessionPlan =
  | { kind: "pending"; session: SessionInfo }
  | { kind: "copy"; session: SessionInfo; topics: TopicManifest[]; clear: string[] }
  | { kind: "skip"; session: SessionInfo; target: string }
  | {
    kind: "compare";
    session: SessionInfo;
    topics: TopicManifest[];
    target: string;
    targetTopics: TopicManifest[];
  }
  | { kind: "conflict"; session: SessionInfo; reason: string };

type JsonObject = { [key: string]: JsonValue };

function isObject(v: JsonValue): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The source session a pushed topic names, or null. */
export function sourceOf(topic: TopicManifest): string | null {
  const meta = topic.userMetadata;
  if (!isObject(meta)) return null;
  const marker = meta[SOURCE_KEY];
  return isObject(marker) && typeof marker.session === "string" ? marker.session : null;
}

/** A topic's user metadata as pushed: the source's, with `mosaicod:source` naming `session` (replaced). */
export function withSource(userMetadata: JsonValue, session: string): JsonObject {
  return { ...(isObject(userMetadata) ? userMetadata : {}), [SOURCE_KEY]: { session } };
}

/** User metadata without the `mosaicod:source` key (what a push must keep equal). */
export function withoutSource(userMetadata: JsonValue): JsonValue {
  if (!isObject(userMetadata) || !(SOURCE_KEY in userMetadata)) return userMetadata;
  const { [SOURCE_KEY]: _marker, ...rest } = userMetadata;
  return rest;
}

/** The plan of every session of `source` against `target` (null: the target has no such sequence). */
export function planSequence(source: SequenceInfo, target: SequenceInfo | null): SessionPlan[] {
  const sourceTopics = new Map(source.topics.map((t) => [t.locator, t]));
  const targetTopics = new Map((target?.topics ?? []).map((t) => [t.locator, t]));
  const holderOf = new Map<string, SessionInfo>();
  for (const s of target?.sessions ?? []) for (const t of s.topics) holderOf.set(t, s);
  return source.sessions.map((session): SessionPlan => {
    if (!session.locked) return { kind: "pending", session };
    const topics = session.topics.map((name) => sourceTopics.get(name)).filter((t) => t !== undefined);
    const names = new Set(session.topics);
    const holders = [...new Set(session.topics.flatMap((n) => holderOf.get(n) ?? []))];
    if (holders.length === 0) return { kind: "copy", session, topics, clear: [] };
    const ours = (h: SessionInfo) =>
      h.topics.every((n) => {
        const held = targetTopics.get(n);
        return names.has(n) && held !== undefined && sourceOf(held) === session.locator;
      });
    const open = holders.filter((h) => !h.locked);
    const foreign = open.find((h) => !ours(h));
    if (foreign !== undefined) {
      return {
        kind: "conflict",
        session,
        reason: `the target's session "${foreign.locator}" is not finalized and holds ` +
          `"${foreign.topics.find((n) => names.has(n))}" (another upload may be in progress)`,
      };
    }
    const done = holders.filter((h) => h.locked);
    if (done.length === 0) return { kind: "copy", session, topics, clear: open.map((h) => h.locator) };
    const held = done[0];
    const exact = held.topics.length === names.size && session.topics.every((n) => holderOf.get(n) === held);
    if (done.length > 1 || open.length > 0 || !exact) {
      const name = session.topics.find((n) => holderOf.has(n))!;
      const where = holderOf.get(name)!;
      return {
        kind: "conflict",
        session,
        reason: `the target holds "${name}" in session "${where.locator}", which does not hold exactly ` +
          `this session's topics`,
      };
    }
    const heldTopics = held.topics.flatMap((n) => targetTopics.get(n) ?? []);
    if (heldTopics.length !== names.size) {
      return {
        kind: "conflict",
        session,
        reason: `the target does not describe every topic of "${held.locator}"`,
      };
    }
    const same = heldTopics.every((t) =>
      sourceOf(t) === session.locator && t.rows === sourceTopics.get(t.locator)?.rows
    );
    return same
      ? { kind: "skip", session, target: held.locator }
      : { kind: "compare", session, topics, target: held.locator, targetTopics: heldTopics };
  });
}

function sortedKeys(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(sortedKeys);
  // A raw JSON number (exact beyond 2^53) has a null prototype: kept as is.
  if (!isObject(value) || Object.getPrototypeOf(value) !== Object.prototype) return value;
  return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortedKeys(value[k])]));
}

/** Whether two JSON values are equal, whatever the order of their keys (a catalog may reorder them). */
export function sameJson(a: JsonValue, b: JsonValue): boolean {
  return JSON.stringify(sortedKeys(a)) === JSON.stringify(sortedKeys(b));
}
