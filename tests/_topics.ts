/**
 * Builds real topics for tests and benchmarks: created through the lifecycle (manifests in the store,
 * rows in the catalog) and uploaded through the ingest path, exactly as a client's calls would.
 *
 * @module
 */
import type { RecordBatch } from "apache-arrow";
import { ingestTopic, openUpload } from "../src/ingest/mod.ts";
import { createTopic, type LifecycleDeps } from "../src/lifecycle/mod.ts";
import { normalizeTopicName } from "../src/model/locator.ts";
import type { JsonValue, Sequence, Topic } from "../src/model/types.ts";

export interface NewTopicWithData {
  /** The topic locator after the sequence name: `/front/imu`. */
  rest: string;
  tag: string;
  userMetadata?: JsonValue;
  /** Uploaded in order; none leaves the topic without data (unlocked). */
  batches: RecordBatch[];
  /** Seal a chunk after this many bytes of Arrow data (1: every batch becomes a chunk of its own). */
  chunkTargetBytes?: number;
}

/** Creates a topic in `sequence` and uploads its batches; returns the topic as created. */
export async function createTopicWithData(
  deps: LifecycleDeps,
  sequence: Sequence,
  spec: NewTopicWithData,
): Promise<Topic> {
  const topic = await createTopic(deps, {
    topic: normalizeTopicName(`${sequence.name}${spec.rest}`),
    sequenceKey: sequence.uuid,
    serializationFormat: "default",
    ontologyTag: spec.tag,
    userMetadata: spec.userMetadata ?? {},
  });
  if (spec.batches.length === 0) return topic;
  const ingest = { ...deps, chunkTargetBytes: spec.chunkTargetBytes };
  await ingestTopic(ingest, await openUpload(ingest, { topicName: topic.name, key: topic.uuid }), {
    schema: spec.batches[0].schema,
    batches: (async function* () {
      yield* spec.batches;
    })(),
  });
  return topic;
}
