/**
 * DoGet of a 2026 window ticket (section 7.4): the topic's schema with the three `mosaico:` keys, then
 * the rows with `start <= timestamp_ns < end` (END EXCLUSIVE) sorted by `timestamp_ns`, in non-empty
 * batches. An empty window (`start >= end`) and a topic that never received a schema answer the schema
 * alone (the latter without fields), which the SDK reads as "no data".
 *
 * @module
 */
import { Schema } from "apache-arrow";
import { encodeRecordBatchMessage, encodeSchemaMessage } from "../../arrow/ipc.ts";
import { NotFoundError } from "../../errors.ts";
import type { TimeRange } from "../../model/types.ts";
import { openTopicRead, type ReadDeps, topicStreamSchema } from "../../read/mod.ts";
import { encodeFlightData, type FramedMessage } from "../flight_data.ts";
import type { CallContext } from "../server.ts";
import type { TimeWindow, WindowRead } from "../ticket.ts";

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

/** Streams one topic's window as FlightData messages. */
export async function* doGetWindow(
  deps: ReadDeps,
  read: WindowRead,
  ctx: CallContext,
): AsyncGenerator<FramedMessage> {
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
    yield encodeFlightData(encodeSchemaMessage(topicStreamSchema(new Schema([]), topic)));
    return;
  }
  yield encodeFlightData(encodeSchemaMessage(opened.schema));
  if (range === null) return;
  let rows = 0;
  for await (const batch of opened.batches) {
    rows += batch.numRows;
    yield encodeFlightData(encodeRecordBatchMessage(batch));
  }
  ctx.log.debug("topic window streamed", { topic: name, rows });
}
