/**
 * Sequence and topic lifecycle, notifications, layers and system info: the domain behind DoAction
 * and GetFlightInfo. Imports catalog/, store/ and model/; never flight/.
 *
 * @module
 */
export { abortSequence, createSequence, deleteSequence, finalizeSequence } from "./sequences.ts";
export { createTopic, deleteTopic } from "./topics.ts";
export {
  createLayer,
  createNotification,
  deleteLayer,
  describeSequence,
  describeTopic,
  listLayers,
  listNotifications,
  listSequences,
  purgeNotifications,
  sequenceSystemInfo,
  topicSystemInfo,
  updateLayer,
} from "./info.ts";
export type { LifecycleDeps } from "./deps.ts";
