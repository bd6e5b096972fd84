/**
 * GetFlightInfo of the 2026 line (2026 protocol, section 7.2; 0.7 delta, B5–B7): a CMD descriptor whose
 * JSON names a sequence, a topic or a session (`resource_locator`) and an optional window. A sequence
 * answers a field-less schema, its sessions in `app_metadata`, and one endpoint per topic; a topic its
 * stored schema and exactly one endpoint; a session `<sequence>:<ulid>` (an extension: no SDK asks) a
 * field-less schema, itself in `app_metadata`, and one endpoint per topic it created. Every endpoint
 * carries a window ticket (`ticket.ts`) and the topic manifest (`manifests.ts`), whose
 * `time_window_info` counts the rows inside the window when the request has a bound.
 *
 * Per connection: SDK 0.4 connections get the sessions' `uuid`, SDK 0.6/0.7 ones never; schemas carry
 * the `mosaico:` keys except for a connection that called `info` (SDK 0.7), which gets the stored
 * schema untouched ({@link wantsSchemaKeys}).
 *
 * @module
 */
import { Schema } from "apache-arrow";
import { encodeEncapsulatedSchema } from "../../arrow/ipc.ts";
import { NotFoundError } from "../../errors.ts";
import { describeSequenceSessions, describeTopic, type LifecycleDeps } from "../../lifecycle/mod.ts";
import type { TopicWithUsage } from "../../lifecycle/mod.ts";
import type { LocatorLimits } from "../../model/locator.ts";
import type { JsonValue, Sequence, Session, Topic } from "../../model/types.ts";
import { countTopicWindow, type ReadDeps } from "../../read/mod.ts";
import { sequenceInfoSchema, topicStreamSchema } from "../../read/schema_metadata.ts";
import { type ConnectionDialect, wantsSchemaKeys } from "../dialect.ts";
import { encodeFlightInfo, type FlightDescriptor, type FlightEndpoint } from "../messages.ts";
import { encodeWindowTicket, type TimeWindow } from "../ticket.ts";
import { parseInfoCommand } from "./commands.ts";
import { sessionUlid } from "./locator.ts";
import {
  encodeJson,
  sequenceAppMetadata,
  sessionEntry,
  topicManifest,
  type TopicUsage,
  type WindowUsage,
} from "./manifests.ts";

/** What a 2026-line GetFlightInfo reads: the catalog and store, and the Parquet workers (window counts). */
export interface InfoDeps {
  lifecycle: LifecycleDeps;
  read: ReadDeps;
}

/** How one call is answered. */
interface InfoPlan {
  deps: InfoDeps;
  descriptor: FlightDescriptor;
  window: TimeWindow;
  connection: ConnectionDialect | null;
  signal?: AbortSignal;
}

/**
 * Answers a 2026-line GetFlightInfo (a CMD descriptor) with an encoded FlightInfo.
 * @param opts.connection what the connection proved (module doc); null: treated as SDK 0.4.
 * @throws InvalidArgumentError for a malformed command or session id; NotFoundError for an unknown
 *   sequence, topic or session.
 */
export async function getFlightInfo2026(
  deps: InfoDeps,
  descriptor: FlightDescriptor,
  opts: { limits?: LocatorLimits; connection?: ConnectionDialect | null; signal?: AbortSignal } = {},
): Promise<Uint8Array> {
  const { locator, window } = parseInfoCommand(descriptor.cmd, { limits: opts.limits });
  const plan: InfoPlan = {
    deps,
    descriptor,
    window,
    connection: opts.connection ?? null,
    signal: opts.signal,
  };
  if (locator.kind === "topic") return await topicInfo(plan, locator.topic.full);
  const ulid = locator.kind === "session"
    ? sessionUlid(`${locator.sequence}:${locator.id}`, locator.id)
    : null;
  const found = await describeSequenceSessions(deps.lifecycle, locator.sequence);
  if (!found) throw new NotFoundError(`Cannot find sequence "${locator.sequence}"`);
  if (ulid === null) return await sequenceInfo(plan, found);
  const session = found.sessions.find((s) => s.ulid === ulid);
  if (!session) throw new NotFoundError(`Cannot find session "${locator.sequence}:${ulid}"`);
  return await sessionInfo(plan, found, session);
}

interface SequenceView {
  sequence: Sequence;
  sessions: Session[];
  topics: TopicWithUsage[];
}

async function sequenceInfo(plan: InfoPlan, found: SequenceView): Promise<Uint8Array> {
  const withUuid = plan.connection?.dialect !== "v07";
  return encodeFlightInfo({
    schema: encodeEncapsulatedSchema(containerSchema(plan, found.sequence)),
    descriptor: plan.descriptor,
    endpoints: await endpoints(plan, found.topics),
    totalRecords: -1n,
    totalBytes: -1n,
    ordered: false,
    appMetadata: encodeJson(sequenceAppMetadata(found.sequence, found.sessions, found.topics, { withUuid })),
  });
}

async function sessionInfo(plan: InfoPlan, found: SequenceView, session: Session): Promise<Uint8Array> {
  const withUuid = plan.connection?.dialect !== "v07";
  const topics = found.topics.filter((t) => t.sessionId === session.id);
  const entry = sessionEntry(session, topics, { withUuid }) as { [key: string]: JsonValue };
  return encodeFlightInfo({
    schema: encodeEncapsulatedSchema(containerSchema(plan, found.sequence)),
    descriptor: plan.descriptor,
    endpoints: await endpoints(plan, topics),
    totalRecords: -1n,
    totalBytes: -1n,
    ordered: false,
    appMetadata: encodeJson({ resource_locator: entry.locator, sequence: found.sequence.name, ...entry }),
  });
}

/** The field-less schema of a sequence or session: the sequence keys, or nothing for SDK 0.7. */
function containerSchema(plan: InfoPlan, sequence: Sequence): Schema {
  return wantsSchemaKeys(plan.connection) ? sequenceInfoSchema(sequence) : new Schema([]);
}

async function topicInfo(plan: InfoPlan, name: string): Promise<Uint8Array> {
  const found = await describeTopic(plan.deps.lifecycle, name);
  if (!found) throw new NotFoundError(`Cannot find topic "${name}"`);
  let schema: Schema;
  if (wantsSchemaKeys(plan.connection)) {
    // A topic without data (no upload yet, or one of zero batches) has no fields, but the same three
    // metadata keys (7.2): the 0.4 daemon knows a schema only from stored chunks.
    const fields = found.schema !== null && found.usage.chunks > 0 ? found.schema : new Schema([]);
    schema = topicStreamSchema(fields, found.topic);
  } else {
    schema = found.schema ?? new Schema([]); // SDK 0.7: the schema as stored, once there is one
  }
  return encodeFlightInfo({
    schema: encodeEncapsulatedSchema(schema),
    descriptor: plan.descriptor,
    endpoints: await endpoints(plan, [{ ...found.topic, usage: found.usage }]),
    totalRecords: -1n,
    totalBytes: -1n,
    ordered: false,
  });
}

/** One endpoint per topic, in the order given; window counts run one topic at a time. */
async function endpoints(plan: InfoPlan, topics: readonly (Topic & { usage: TopicUsage })[]) {
  const out: FlightEndpoint[] = [];
  for (const topic of topics) {
    out.push(endpoint(topic, topic.usage, plan.window, await windowUsage(plan, topic)));
  }
  return out;
}

/** The rows of `topic` inside the request's window, or null when the request has no bound (B5). */
async function windowUsage(plan: InfoPlan, topic: Topic): Promise<WindowUsage | null> {
  if (plan.window.startNs === null && plan.window.endNs === null) return null;
  return await countTopicWindow(plan.deps.read, { topic, window: plan.window, signal: plan.signal });
}

/** One topic's endpoint: its window ticket, no locations, and its manifest. */
function endpoint(
  topic: Topic,
  usage: TopicUsage,
  window: TimeWindow,
  inside: WindowUsage | null,
): FlightEndpoint {
  return {
    ticket: encodeWindowTicket(topic.name, window),
    locations: [],
    appMetadata: encodeJson(topicManifest(topic, usage, inside)),
  };
}
