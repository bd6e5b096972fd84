/**
 * The schema-level metadata the SDK reads (protocol section 8): `mosaico:context`,
 * `mosaico:user_metadata` and, for topics, `mosaico:properties`. FlightInfo and the DoGet stream use
 * the same schemas, so both come from here.
 *
 * @module
 */
import { Schema } from "apache-arrow";
import { withSchemaMetadata } from "../arrow/ipc.ts";
import type { Sequence, Topic } from "../model/types.ts";

/**
 * The stored fields of a topic with the schema-level metadata replaced by exactly the three topic keys.
 * `mosaico:properties` holds exactly `serialization_format` and `ontology_tag`: the SDK expands it
 * into a dataclass, so any other key would break it.
 */
export function topicStreamSchema(schema: Schema, topic: Topic): Schema {
  const properties = { serialization_format: topic.serializationFormat, ontology_tag: topic.ontologyTag };
  return withSchemaMetadata(
    schema,
    new Map([
      ["mosaico:context", "topic"],
      ["mosaico:user_metadata", JSON.stringify(topic.userMetadata)],
      ["mosaico:properties", JSON.stringify(properties)],
    ]),
  );
}

/** The field-less schema of a sequence's FlightInfo: `mosaico:context` = `sequence` and its user metadata. */
export function sequenceInfoSchema(sequence: Sequence): Schema {
  return new Schema(
    [],
    new Map([
      ["mosaico:context", "sequence"],
      ["mosaico:user_metadata", JSON.stringify(sequence.userMetadata)],
    ]),
  );
}
