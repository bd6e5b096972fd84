/**
 * A topic as JSON messages for MCAP: schema encoding `jsonschema` (the schema derived from the topic's
 * Arrow schema, `_json_schema.ts`, named after its ontology tag), message encoding `json`, one message
 * per row holding every column (`arrow/cells.ts` values: exact integers, base64 bytes, nanosecond
 * timestamps). The channel is `/<topic path>` and carries the topic's tag, format and user metadata in
 * its metadata (`mosaico.*` keys). Log and publish time are the row's `timestamp_ns`.
 *
 * Imports apache-arrow and `errors.ts` only.
 *
 * @module
 */
import type { RecordBatch } from "apache-arrow";
import { InvalidArgumentError } from "../../errors.ts";
import { cellJson, type CellReader, cellReader } from "../../arrow/cells.ts";
import { rowJsonSchema } from "./_json_schema.ts";
import type { TopicSource } from "./format.ts";
import type { ChannelEncoding, ChannelMessage } from "./mcap_format.ts";

const encoder = new TextEncoder();

/** The MCAP channel of a topic with JSON messages. */
export function jsonChannel(topic: TopicSource): ChannelEncoding {
  const names = topic.schema.fields.map((f) => JSON.stringify(f.name));
  const time = topic.schema.fields.findIndex((f) => f.name === "timestamp_ns");
  if (time < 0) {
    throw new InvalidArgumentError(`Cannot export "${topic.locator}" as MCAP: it has no timestamp_ns`);
  }
  return {
    schema: {
      name: topic.ontologyTag,
      encoding: "jsonschema",
      data: encoder.encode(JSON.stringify(rowJsonSchema(topic.schema, topic.ontologyTag))),
    },
    channel: {
      topic: `/${topic.path}`,
      messageEncoding: "json",
      metadata: new Map([
        ["mosaico.ontology_tag", topic.ontologyTag],
        ["mosaico.serialization_format", topic.serializationFormat],
        ["mosaico.user_metadata", JSON.stringify(topic.userMetadata)],
      ]),
    },
    *messages(batch: RecordBatch): Iterable<ChannelMessage> {
      const readers: CellReader[] = batch.data.children.map(cellReader);
      for (let row = 0; row < batch.numRows; row++) {
        const logTime = logTimeOf(topic, readers[time](row));
        let text = "{";
        for (let i = 0; i < readers.length; i++) {
          text += `${i > 0 ? "," : ""}${names[i]}:${cellJson(readers[i](row))}`;
        }
        yield { logTime, publishTime: logTime, data: encoder.encode(`${text}}`) };
      }
    },
  };
}

function logTimeOf(topic: TopicSource, value: unknown): bigint {
  const ns = typeof value === "bigint" ? value : typeof value === "number" ? BigInt(value) : null;
  if (ns === null || ns < 0n) {
    throw new InvalidArgumentError(
      `Cannot export "${topic.locator}" as MCAP: timestamp_ns ${ns ?? "null"} is not a time MCAP can hold ` +
        "(log times are unsigned nanoseconds)",
    );
  }
  return ns;
}
