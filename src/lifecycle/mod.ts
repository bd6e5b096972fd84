/**
 * Sequence, session and topic lifecycle, notifications, layers and system info: the domain behind
 * DoAction and GetFlightInfo for every protocol generation. Imports catalog/, store/ and model/; never
 * flight/.
 *
 * @module
 */
export { abortSequence, createSequence, deleteSequence, finalizeSequence } from "./sequences.ts";
export {
  createSession,
  createSessionTopic,
  type CreateSessionTopicRequest,
  deleteSession,
  finalizeSession,
  requireSession,
} from "./sessions.ts";
export { createTopic, deleteTopic } from "./topics.ts";
export {
  createLayer,
  createNotification,
  deleteLayer,
  describeSequence,
  describeSequenceSessions,
  describeTopic,
  listLayers,
  listNotifications,
  listSequences,
  purgeNotifications,
  sequenceSystemInfo,
  topicSystemInfo,
  type TopicWithUsage,
  updateLayer,
} from "./info.ts";
export type { LifecycleDeps } from "./deps.ts";
export { nowNs } from "./deps.ts";
