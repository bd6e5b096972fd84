/**
 * GetFlightInfo (protocol 7.2): a PATH descriptor names a sequence (one endpoint per topic) or a topic
 * (its schema and one endpoint). A CMD descriptor asks for a time range of one topic (the range-read
 * extension): its endpoint carries a range ticket that DoGet understands; with `stripes`, several
 * endpoints cut the range for parallel reading (the striped-read extension). A CMD descriptor may also
 * ask for the live events (extension): the event schema and one endpoint with the events ticket.
 *
 * @module
 */
import { InvalidArgumentError, NotFoundError } from "../errors.ts";
import { encodeEncapsulatedSchema } from "../arrow/ipc.ts";
import { describeSequence, describeTopic, type LifecycleDeps } from "../lifecycle/mod.ts";
import { type LocatorLimits, normalizeSequenceName, normalizeTopicName } from "../model/locator.ts";
import type { TimeRange } from "../model/types.ts";
import { EVENT_STREAM_SCHEMA, type EventSubscription } from "../read/mod.ts";
import { sequenceInfoSchema, topicStreamSchema } from "../read/schema_metadata.ts";
import { planStripes } from "../read/stripes.ts";
import { decodeDescriptor, encodeFlightInfo, type FlightDescriptor } from "./messages.ts";
import { encodeEventsTicket, encodeRangeTicket, encodeTicket, parseFlightCommand } from "./ticket.ts";

/** Answers GetFlightInfo with an encoded FlightInfo. */
export async function getFlightInfo(
  deps: LifecycleDeps,
  req: Uint8Array,
  opts: { limits?: LocatorLimits } = {},
): Promise<Uint8Array> {
  const limits = opts.limits;
  const descriptor = decodeDescriptor(req);
  if (descriptor.type === "cmd") {
    const command = parseFlightCommand(descriptor.cmd, { limits });
    if (command.kind === "events") return eventsInfo(command.subscription, descriptor);
    return await topicInfo(deps, command.topic.full, descriptor, command.range, command.stripes);
  }
  if (descriptor.type !== "path") {
    throw new InvalidArgumentError("Cannot describe a flight: descriptor has no type");
  }
  if (descriptor.path.length !== 1) {
    throw new InvalidArgumentError(
      `Cannot describe a flight: a PATH descriptor must have exactly one element, got ${descriptor.path.length}`,
    );
  }
  const raw = descriptor.path[0];
  const sequenceName = asSequenceName(raw, limits);
  if (sequenceName !== null) {
    const found = await describeSequence(deps, sequenceName);
    if (found) {
      return encodeFlightInfo({
        schema: encodeEncapsulatedSchema(sequenceInfoSchema(found.sequence)),
        descriptor,
        endpoints: found.topics.map((t) => ({ ticket: encodeTicket(t.name), locations: [] })),
        totalRecords: -1n,
        totalBytes: -1n,
        ordered: false,
      });
    }
    throw new NotFoundError(`Cannot find sequence "${sequenceName}"`);
  }
  return await topicInfo(deps, normalizeTopicName(raw, { limits }).full, descriptor, null);
}

/** The name as a sequence locator, or null when it can only be a topic (it has a `/` inside). */
function asSequenceName(raw: string, limits: LocatorLimits | undefined): string | null {
  try {
    return normalizeSequenceName(raw, { stripTrailingSlash: true, limits });
  } catch (err) {
    if (err instanceof InvalidArgumentError && raw.trim().replace(/^\/|\/$/g, "").includes("/")) return null;
    throw err;
  }
}

/**
 * A topic's FlightInfo: one endpoint, or with `stripes` > 1 up to that many, each a range ticket for
 * one stripe (`read/stripes.ts`); reading them in order and concatenating gives the whole (ranged) read.
 */
async function topicInfo(
  deps: LifecycleDeps,
  name: string,
  descriptor: FlightDescriptor,
  range: TimeRange | null,
  stripes = 1,
): Promise<Uint8Array> {
  const found = await describeTopic(deps, name);
  if (!found) throw new NotFoundError(`Cannot find topic "${name}"`);
  // The SDK relies on this failing for a topic whose upload carried no data (protocol 5.3).
  if (!found.schema || found.usage.chunks === 0) throw new NotFoundError(`Topic "${name}" has no data`);
  let tickets = [range ? encodeRangeTicket(name, range) : encodeTicket(name)];
  if (stripes > 1) {
    const whole = range ?? { startNs: null, endNs: null };
    const chunks = await deps.catalog.listChunks(found.topic.id, {
      startNs: whole.startNs ?? undefined,
      endNs: whole.endNs ?? undefined,
    });
    tickets = planStripes(chunks, whole, stripes).map((r) => encodeRangeTicket(name, r));
  }
  return encodeFlightInfo({
    schema: encodeEncapsulatedSchema(topicStreamSchema(found.schema, found.topic)),
    descriptor,
    endpoints: tickets.map((ticket) => ({ ticket, locations: [] })),
    totalRecords: range ? -1n : BigInt(found.usage.rows),
    totalBytes: range ? -1n : BigInt(found.usage.sizeBytes),
    ordered: true,
  });
}

/** The events stream's FlightInfo: its schema and one endpoint whose ticket is the events ticket. */
function eventsInfo(sub: EventSubscription, descriptor: FlightDescriptor): Uint8Array {
  return encodeFlightInfo({
    schema: encodeEncapsulatedSchema(EVENT_STREAM_SCHEMA),
    descriptor,
    endpoints: [{ ticket: encodeEventsTicket(sub), locations: [] }],
    totalRecords: -1n,
    totalBytes: -1n,
    ordered: true,
  });
}
