/**
 * DoGet of a 2026-line window ticket (section 7.4): the topic's schema, then the rows with
 * `start <= timestamp_ns < end` (END EXCLUSIVE) sorted by `timestamp_ns`, in non-empty batches. An empty
 * window (`start >= end`) and a topic that never received a schema answer the schema alone (the latter
 * without fields), which the SDK reads as "no data".
 *
 * The schema's own metadata depends on the connection (0.7 delta, B7 and B8): SDK 0.4 and 0.6 read the
 * three `mosaico:` keys from it, and 0.6 also the number of messages the stream holds (`msg_count`
 * inside `mosaico:properties`, with their range as `interval`; extra keys there are tolerated by 0.4);
 * a connection that called `info` (SDK 0.7) gets the stored schema alone, its metadata untouched.
 *
 * @module
 */
import { type Field, Schema } from "apache-arrow";
import { encodeSchemaMessage, withSchemaMetadata } from "../../arrow/ipc.ts";
import { NotFoundError } from "../../errors.ts";
import type { TimeRange, Topic } from "../../model/types.ts";
import { countTopicWindow, openTopicRead, type ReadDeps, topicStreamSchema } from "../../read/mod.ts";
import { type ConnectionDialect, wantsSchemaKeys } from "../dialect.ts";
import { encodeFlightData, type FramedMessage } from "../flight_data.ts";
import type { CallContext } from "../server.ts";
import type { TimeWindow, WindowRead } from "../ticket.ts";
import { interval } from "./manifests.ts";

const INT64_MIN = -(2n ** 63n);

/**
 * The inclusive range the read layer takes for a window `[start, end)`, or null when the window holds no
 * integer at all (`start >= end`, or `end` at the smallest int64).
 */
export function inclusiveRange(window: TimeWindow): TimeRange | null {
  if (window.endNs !== null && window.endNs <= INT64_MIN) return null;
  const endNs = window.endNs === null ? null : window.endNs - 1n;
  if (window.startNs !== null && endNs !== null && window.startNs > endNs) return null;
  return { startNs: window.startNs, endNs };
}

/**
 * The schema a window's stream starts with: the stored fields with the three `mosaico:` keys, and the
 * window's message count and range in `mosaico:properties`; or, for SDK 0.7, the stored fields alone.
 */
async function windowSchema(
  deps: ReadDeps,
  fields: readonly Field[],
  topic: Topic,
  opts: { window: TimeWindow; connection: ConnectionDialect | null; signal: AbortSignal },
): Promise<Schema> {
  if (!wantsSchemaKeys(opts.connection)) return new Schema([...fields]);
  const base = topicStreamSchema(new Schema([...fields]), topic);
  const unbounded = opts.window.startNs === null && opts.window.endNs === null;
  const count = unbounded
    ? await deps.catalog.topicUsage(topic.id)
    : await countTopicWindow(deps, { topic, window: opts.window, signal: opts.signal });
  const properties = JSON.parse(base.metadata.get("mosaico:properties")!);
  const metadata = new Map(base.metadata);
  metadata.set(
    "mosaico:properties",
    JSON.stringify({ ...properties, msg_count: count.rows, interval: interval(count) }),
  );
  return withSchemaMetadata(base, metadata);
}

/**
 * Streams one topic's window as FlightData messages.
 * @param opts.connection what the connection proved: decides the schema metadata (module doc).
 */
export async function* doGetWindow(
  deps: ReadDeps,
  read: WindowRead,
  ctx: CallContext,
  opts: { connection?: ConnectionDialect | null } = {},
): AsyncGenerator<FramedMessage> {
  const connection = opts.connection ?? null;
  const name = read.topic.full;
  const range = inclusiveRange(read.window);
  let opened;
  try {
    // An empty window still needs the schema: open from its start, and read nothing.
    const openRange = range ?? { startNs: read.window.startNs, endNs: null };
    opened = await openTopicRead(deps, { topicName: name, range: openRange, signal: ctx.signal });
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
    // Either the topic is unknown (refused) or it has no schema yet (answered with an empty one).
    const topic = await deps.catalog.getTopic(name);
    if (topic === null || topic.schemaKey !== null) throw err;
    const schema = await windowSchema(deps, [], topic, {
      window: read.window,
      connection,
      signal: ctx.signal,
    });
    yield encodeFlightData(encodeSchemaMessage(schema));
    return;
  }
  const schema = await windowSchema(deps, opened.schema.fields, opened.topic, {
    window: read.window,
    connection,
    signal: ctx.signal,
  });
  yield encodeFlightData(encodeSchemaMessage(schema));
  if (range === null) return;
  let rows = 0;
  for await (const { message, rows: n } of opened.messages) {
    rows += n;
    yield encodeFlightData(message);
  }
  ctx.log.debug("topic window streamed", { topic: name, rows });
}
