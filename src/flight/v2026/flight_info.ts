/**
 * GetFlightInfo of the 2026 protocol (section 7.2): a CMD descriptor whose JSON names a sequence or a
 * topic (`resource_locator`) and an optional window. A sequence answers its field-less schema with the
 * sequence metadata keys, its sessions in `app_metadata`, and one endpoint per topic; a topic answers
 * its stored schema with the three topic keys and exactly one endpoint. Every endpoint carries a window
 * ticket (`ticket.ts`) and the topic manifest (`manifests.ts`). The window only goes into tickets.
 *
 * @module
 */
import { Schema } from "apache-arrow";
import { encodeEncapsulatedSchema } from "../../arrow/ipc.ts";
import { NotFoundError, UnimplementedError } from "../../errors.ts";
import { describeSequenceSessions, describeTopic, type LifecycleDeps } from "../../lifecycle/mod.ts";
import type { LocatorLimits } from "../../model/locator.ts";
import type { Topic } from "../../model/types.ts";
import { sequenceInfoSchema, topicStreamSchema } from "../../read/schema_metadata.ts";
import { encodeFlightInfo, type FlightDescriptor, type FlightEndpoint } from "../messages.ts";
import { encodeWindowTicket, type TimeWindow } from "../ticket.ts";
import { parseInfoCommand } from "./commands.ts";
import { encodeJson, sequenceAppMetadata, topicManifest, type TopicUsage } from "./manifests.ts";

/**
 * Answers a 2026 GetFlightInfo (a CMD descriptor) with an encoded FlightInfo.
 * @throws InvalidArgumentError for a malformed command; NotFoundError for an unknown sequence or topic;
 *   UnimplementedError for a session locator.
 */
export async function getFlightInfo2026(
  deps: LifecycleDeps,
  descriptor: FlightDescriptor,
  opts: { limits?: LocatorLimits } = {},
): Promise<Uint8Array> {
  const { locator, window } = parseInfoCommand(descriptor.cmd, { limits: opts.limits });
  if (locator.kind === "session") {
    throw new UnimplementedError(
      `Cannot describe session "${locator.sequence}:${locator.id}": session FlightInfo is not implemented`,
    );
  }
  if (locator.kind === "sequence") return await sequenceInfo(deps, locator.sequence, descriptor, window);
  return await topicInfo(deps, locator.topic.full, descriptor, window);
}

async function sequenceInfo(
  deps: LifecycleDeps,
  name: string,
  descriptor: FlightDescriptor,
  window: TimeWindow,
): Promise<Uint8Array> {
  const found = await describeSequenceSessions(deps, name);
  if (!found) throw new NotFoundError(`Cannot find sequence "${name}"`);
  return encodeFlightInfo({
    schema: encodeEncapsulatedSchema(sequenceInfoSchema(found.sequence)),
    descriptor,
    endpoints: found.topics.map((t) => endpoint(t, t.usage, window)),
    totalRecords: -1n,
    totalBytes: -1n,
    ordered: false,
    appMetadata: encodeJson(sequenceAppMetadata(found.sequence, found.sessions, found.topics)),
  });
}

async function topicInfo(
  deps: LifecycleDeps,
  name: string,
  descriptor: FlightDescriptor,
  window: TimeWindow,
): Promise<Uint8Array> {
  const found = await describeTopic(deps, name);
  if (!found) throw new NotFoundError(`Cannot find topic "${name}"`);
  // A topic without data (no upload yet, or one of zero batches) has no fields, but the same three
  // metadata keys (7.2): the daemon knows a schema only from stored chunks.
  const fields = found.schema !== null && found.usage.chunks > 0 ? found.schema : new Schema([]);
  return encodeFlightInfo({
    schema: encodeEncapsulatedSchema(topicStreamSchema(fields, found.topic)),
    descriptor,
    endpoints: [endpoint(found.topic, found.usage, window)],
    totalRecords: -1n,
    totalBytes: -1n,
    ordered: false,
  });
}

/** One topic's endpoint: its window ticket, no locations, and its manifest. */
function endpoint(topic: Topic, usage: TopicUsage, window: TimeWindow): FlightEndpoint {
  return {
    ticket: encodeWindowTicket(topic.name, window),
    locations: [],
    appMetadata: encodeJson(topicManifest(topic, usage)),
  };
}
