/**
 * Read-only views of sequences and topics: system info, notifications, layers.
 *
 * @module
 */
import type { Layer, Notification, NotifyType, Sequence, Topic } from "../model/types.ts";
import type { TopicName } from "../model/locator.ts";
import { type LifecycleDeps, requireSequence, requireTopic } from "./deps.ts";
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

async function targetOf(deps: LifecycleDeps, target: NotificationTarget) {
  return "sequence" in target
    ? { target: "sequence" as const, targetId: (await requireSequence(deps, target.sequence)).id }
    : { target: "topic" as const, targetId: (await requireTopic(deps, target.topic.full)).id };
}

function nameOf(target: NotificationTarget): ["sequence" | "topic", string] {
  return "sequence" in target ? ["sequence", target.sequence] : ["topic", target.topic.full];
}

export async function createNotification(
  deps: LifecycleDeps,
  req: { on: NotificationTarget; notifyType: NotifyType; msg: string },
): Promise<void> {
  const t = await targetOf(deps, req.on);
  await deps.catalog.createNotification({
    ...t,
    notifyType: req.notifyType,
    msg: req.msg,
    createdMs: deps.now(),
  });
}

/** Notifications of a resource; an unknown resource has none. */
export function listNotifications(deps: LifecycleDeps, on: NotificationTarget): Promise<Notification[]> {
  return deps.catalog.listNotifications(...nameOf(on));
}

export async function purgeNotifications(deps: LifecycleDeps, on: NotificationTarget): Promise<void> {
  await deps.catalog.purgeNotifications(...nameOf(on));
}

export function listLayers(deps: LifecycleDeps): Promise<Layer[]> {
  return deps.catalog.listLayers();
}

export function createLayer(deps: LifecycleDeps, layer: Layer): Promise<void> {
  return deps.catalog.createLayer(layer).then(() => {});
}

export function deleteLayer(deps: LifecycleDeps, name: string): Promise<void> {
  return deps.catalog.deleteLayer(name).then(() => {});
}

export function updateLayer(deps: LifecycleDeps, prevName: string, layer: Layer): Promise<void> {
  return deps.catalog.updateLayer(prevName, layer).then(() => {});
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
