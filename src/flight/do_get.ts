/**
 * DoGet (protocol 7.3): the ticket names a topic (plain `<seq>/<rest>`, or a range ticket from
 * GetFlightInfo); the stream is the schema with the three `mosaico:` keys, then the rows in
 * `timestamp_ns` order. An events ticket (extension) streams the catalog's events instead: the event
 * schema at once, then the events in id order. A 2026 window ticket goes to `v2026/do_get.ts`. Each
 * message is encoded once, pre-framed for gRPC.
 *
 * @module
 */
import type { RecordBatch, Schema } from "apache-arrow";
import { encodeRecordBatchMessage, encodeSchemaMessage } from "../arrow/ipc.ts";
import {
  eventStreamSchema,
  type EventSubscription,
  openEventStream,
  openTopicRead,
  type ReadDeps,
} from "../read/mod.ts";
import type { LocatorLimits } from "../model/locator.ts";
import { encodeFlightData, type FramedMessage } from "./flight_data.ts";
import { decodeBytesMessage } from "./messages.ts";
import type { CallContext } from "./server.ts";
import { parseTicket, type TopicRead } from "./ticket.ts";
import { doGetWindow } from "./v2026/do_get.ts";
import type { ConnectionDialect } from "./dialect.ts";

/** Streams one topic, or the catalog's events, as FlightData messages. */
export async function* doGet(
  deps: ReadDeps,
  req: Uint8Array,
  ctx: CallContext,
  opts: { limits?: LocatorLimits; connection?: ConnectionDialect | null } = {},
): AsyncGenerator<FramedMessage> {
  const ticket = parseTicket(decodeBytesMessage(req), { limits: opts.limits });
  if (ticket.kind === "events") yield* streamEvents(deps, ticket.subscription, ctx);
  else if (ticket.kind === "window") {
    yield* doGetWindow(deps, ticket, ctx, { connection: opts.connection }); // 2026 line
  } else yield* streamTopic(deps, ticket, ctx);
}

async function* streamTopic(deps: ReadDeps, { topic, range }: TopicRead, ctx: CallContext) {
  const read = await openTopicRead(deps, { topicName: topic.full, range, signal: ctx.signal });
  yield encodeFlightData(encodeSchemaMessage(read.schema));
  let rows = 0;
  // Batches the Parquet workers wrote go out as they are, without a decode and re-encode here.
  for await (const { message, rows: n } of read.messages) {
    rows += n;
    yield encodeFlightData(message);
  }
  ctx.log.debug("topic streamed", { topic: topic.full, rows, ranged: range !== null });
}

async function* streamEvents(deps: ReadDeps, sub: EventSubscription, ctx: CallContext) {
  const batches = await openEventStream(deps, sub, { signal: ctx.signal, stopping: ctx.stopping });
  const schema = eventStreamSchema(await deps.catalog.eventLogId());
  const events = yield* encodeStream(schema, batches);
  ctx.log.debug("events streamed", { afterId: sub.afterId, follow: sub.follow, events });
}

/** The schema message, then one message per batch; returns the number of rows sent. */
async function* encodeStream(
  schema: Schema,
  batches: AsyncIterable<RecordBatch>,
): AsyncGenerator<FramedMessage, number> {
  yield encodeFlightData(encodeSchemaMessage(schema));
  let rows = 0;
  for await (const batch of batches) {
    rows += batch.numRows;
    yield encodeFlightData(encodeRecordBatchMessage(batch));
  }
  return rows;
}
