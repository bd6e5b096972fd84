/**
 * DoGet (protocol 7.3): the ticket names a topic (plain `<seq>/<rest>`, or a range ticket from
 * GetFlightInfo); the stream is the schema with the three `mosaico:` keys, then the rows in
 * `timestamp_ns` order. Each message is encoded once, pre-framed for gRPC.
 *
 * @module
 */
import { encodeRecordBatchMessage, encodeSchemaMessage } from "../arrow/ipc.ts";
import { openTopicRead, type ReadDeps } from "../read/mod.ts";
import { encodeFlightData, type FramedMessage } from "./flight_data.ts";
import { decodeBytesMessage } from "./messages.ts";
import type { CallContext } from "./server.ts";
import { parseTicket } from "./ticket.ts";

/** Streams one topic as FlightData messages. */
export async function* doGet(
  deps: ReadDeps,
  req: Uint8Array,
  ctx: CallContext,
): AsyncGenerator<FramedMessage> {
  const { topic, range } = parseTicket(decodeBytesMessage(req));
  const read = await openTopicRead(deps, { topicName: topic.full, range, signal: ctx.signal });
  yield encodeFlightData(encodeSchemaMessage(read.schema));
  let rows = 0;
  for await (const batch of read.batches) {
    rows += batch.numRows;
    yield encodeFlightData(encodeRecordBatchMessage(batch));
  }
  ctx.log.debug("topic streamed", { topic: topic.full, rows, ranged: range !== null });
}
