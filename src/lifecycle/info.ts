/**
 * Read-only views of sequences and topics: system info, notifications, layers.
 *
 * @module
 */
import type { Layer, Notification, NotifyType, Sequence, Session, Topic } from "../model/types.ts";
import { NO_USAGE, type Usage } from "../catalog/catalog.ts";
import { AlreadyExistsError } from "../errors.ts";
import type { TopicName } from "../model/locator.ts";
import { type LifecycleDeps, requireSequence, requireTopic } from "./deps.ts";
import { encodeManifest, layerManifest, notificationManifest } from "../model/manifests.ts";
import {
  layerKey,
  notificationKey,
  notificationsPrefix,
  sequencePrefix,
  topicPrefix,
} from "../model/store_layout.ts";
import { decodeEncapsulatedSchema } from "../arrow/ipc.ts";

export interface SystemInfo {
  /** Committed chunks (topics), or all committed chunks of its topics (sequences). */
  chunks: number;
  sizeBytes: number;
  locked: boolean;
  createdMs: number;
}

/** Size and state of a sequence; stable between calls unless something is written. */
export async function sequenceSystemInfo(
  deps: LifecycleDeps,
  req: { sequence: string },
): Promise<SystemInfo> {
  const seq = await requireSequence(deps, req.sequence);
  const usage = await deps.catalog.sequenceUsage(seq.id);
  return { chunks: usage.chunks, sizeBytes: usage.sizeBytes, locked: seq.locked, createdMs: seq.createdMs };
}

export async function topicSystemInfo(deps: LifecycleDeps, req: { topic: TopicName }): Promise<SystemInfo> {
  const topic = await requireTopic(deps, req.topic.full);
  const usage = await deps.catalog.topicUsage(topic.id);
  return {
    chunks: usage.chunks,
    sizeBytes: usage.sizeBytes,
    locked: topic.locked,
    createdMs: topic.createdMs,
  };
}

/** A topic with the totals of its committed chunks. */
export type TopicWithUsage = Topic & { usage: Usage };

/**
 * A sequence with its sessions and every topic (with its usage), in creation order (GetFlightInfo on a
 * sequence, protocol 2026).
 */
export async function describeSequenceSessions(
  deps: LifecycleDeps,
  name: string,
): Promise<{ sequence: Sequence; sessions: Session[]; topics: TopicWithUsage[] } | null> {
  const sequence = await deps.catalog.getSequence(name);
  if (!sequence) return null;
  const [sessions, topics, usages] = await Promise.all([
    deps.catalog.listSessions(sequence.id),
    deps.catalog.listTopics(sequence.id),
    deps.catalog.topicUsagesOfSequence(sequence.id),
  ]);
  return { sequence, sessions, topics: topics.map((t) => ({ ...t, usage: usages.get(t.id) ?? NO_USAGE })) };
}

/** A sequence and its topics in catalog order (GetFlightInfo on a sequence). */
export async function describeSequence(
  deps: LifecycleDeps,
  name: string,
): Promise<{ sequence: Sequence; topics: Topic[] } | null> {
  const sequence = await deps.catalog.getSequence(name);
  if (!sequence) return null;
  return { sequence, topics: await deps.catalog.listTopics(sequence.id) };
}

export type NotificationTarget = { sequence: string } | { topic: TopicName };

/** The catalog target of a notification, and the store prefix of its resource. */
async function targetOf(deps: LifecycleDeps, target: NotificationTarget) {
  if ("sequence" in target) {
    const seq = await requireSequence(deps, target.sequence);
    return {
      target: "sequence" as const,
      targetId: seq.id,
      uuid: seq.uuid,
      prefix: sequencePrefix(seq.uuid),
    };
  }
  const topic = await requireTopic(deps, target.topic.full);
  return {
    target: "topic" as const,
    targetId: topic.id,
    uuid: topic.uuid,
    prefix: topicPrefix(topic.sequenceUuid, topic.uuid),
  };
}

function nameOf(target: NotificationTarget): ["sequence" | "topic", string] {
  return "sequence" in target ? ["sequence", target.sequence] : ["topic", target.topic.full];
}

export async function createNotification(
  deps: LifecycleDeps,
  req: { on: NotificationTarget; notifyType: NotifyType; msg: string },
): Promise<void> {
  const t = await targetOf(deps, req.on);
  const createdMs = deps.now();
  const manifest = notificationManifest({
    target: t.target,
    target_uuid: t.uuid,
    name: nameOf(req.on)[1],
    notify_type: req.notifyType,
    msg: req.msg,
    created_ms: createdMs,
  });
  // Store first: a rebuilt catalog keeps every notification a client was told had been recorded.
  const key = notificationKey(t.prefix, createdMs, crypto.randomUUID());
  await deps.store.put(key, encodeManifest(manifest));
  try {
    await deps.catalog.createNotification({
      target: t.target,
      targetId: t.targetId,
      notifyType: req.notifyType,
      msg: req.msg,
      createdMs,
    });
  } catch (err) {
    await deps.store.delete(key).catch(() => {});
    throw err;
  }
}

/** Notifications of a resource; an unknown resource has none. */
export function listNotifications(deps: LifecycleDeps, on: NotificationTarget): Promise<Notification[]> {
  return deps.catalog.listNotifications(...nameOf(on));
}

export async function purgeNotifications(deps: LifecycleDeps, on: NotificationTarget): Promise<void> {
  const [target, name] = nameOf(on);
  const resource = "sequence" in on
    ? await deps.catalog.getSequence(name).then((s) => s && sequencePrefix(s.uuid))
    : await deps.catalog.getTopic(name).then((t) => t && topicPrefix(t.sequenceUuid, t.uuid));
  if (resource) await deps.store.deletePrefix(notificationsPrefix(resource));
  await deps.catalog.purgeNotifications(target, name);
}

export function listLayers(deps: LifecycleDeps): Promise<Layer[]> {
  return deps.catalog.listLayers();
}

/** Layers are stored as `layers/<hash>.json` too, written before the catalog learns of them. */
export async function createLayer(deps: LifecycleDeps, layer: Layer): Promise<void> {
  if ((await deps.catalog.listLayers()).some((l) => l.name === layer.name)) {
    await deps.catalog.createLayer(layer); // refused with ALREADY_EXISTS, and the stored layer stays
    return;
  }
  const key = await layerKey(layer.name);
  await deps.store.put(key, encodeManifest(layerManifest(layer)));
  try {
    await deps.catalog.createLayer(layer);
  } catch (err) {
    // ALREADY_EXISTS: a concurrent create of the same name won and owns the object now.
    if (!(err instanceof AlreadyExistsError)) await deps.store.delete(key).catch(() => {});
    throw err;
  }
}

export async function deleteLayer(deps: LifecycleDeps, name: string): Promise<void> {
  await deps.store.delete(await layerKey(name)); // first: a rebuild must not bring it back
  await deps.catalog.deleteLayer(name);
}

export async function updateLayer(deps: LifecycleDeps, prevName: string, layer: Layer): Promise<void> {
  const layers = await deps.catalog.listLayers();
  const previous = layers.find((l) => l.name === prevName);
  const taken = layer.name !== prevName && layers.some((l) => l.name === layer.name);
  const key = await layerKey(layer.name);
  // Touch the store only for an update the catalog will take; otherwise let it refuse on its own.
  if (previous && !taken) await deps.store.put(key, encodeManifest(layerManifest(layer)));
  try {
    await deps.catalog.updateLayer(prevName, layer); // NOT_FOUND / ALREADY_EXISTS come from here
  } catch (err) {
    if (err instanceof AlreadyExistsError) throw err; // the name was taken meanwhile: its object is the winner's
    if (previous && !taken && layer.name !== prevName) await deps.store.delete(key).catch(() => {});
    else if (previous && !taken) {
      await deps.store.put(key, encodeManifest(layerManifest(previous))).catch(() => {});
    }
    throw err;
  }
  if (layer.name !== prevName) await deps.store.delete(await layerKey(prevName));
}

/** A topic with its schema snapshot (null before its first upload) and its committed usage. */
export async function describeTopic(deps: LifecycleDeps, name: string) {
  const topic = await deps.catalog.getTopic(name);
  if (!topic) return null;
  const schema = topic.schemaKey ? decodeEncapsulatedSchema(await deps.store.get(topic.schemaKey)) : null;
  return { topic, schema, usage: await deps.catalog.topicUsage(topic.id) };
}

/** Every sequence, locked or not, in creation order (ListFlights). */
export function listSequences(deps: LifecycleDeps): Promise<Sequence[]> {
  return deps.catalog.listSequences();
}
