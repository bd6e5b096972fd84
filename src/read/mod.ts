/**
 * The read folder's public surface: opening a topic read (DoGet), the schemas with the `mosaico:`
 * metadata keys that FlightInfo and DoGet share, the event subscription, and the row count of a time
 * window. Must not import `flight/`.
 *
 * @module
 */
export {
  DEFAULT_TARGET_BATCH_BYTES,
  openTopicRead,
  READ_AHEAD_BATCHES,
  type ReadDeps,
  type ReadMessage,
  type TopicRead,
  type TopicReadRequest,
} from "./topic_read.ts";
export { sequenceInfoSchema, topicStreamSchema } from "./schema_metadata.ts";
export {
  EVENT_LOG_METADATA_KEY,
  EVENT_STREAM_SCHEMA,
  type EventDeps,
  type EventStreamOptions,
  eventStreamSchema,
  type EventSubscription,
  openEventStream,
} from "./events.ts";
export {
  countTopicWindow,
  type HalfOpenWindow,
  type WindowCount,
  type WindowCountDeps,
} from "./window_count.ts";
