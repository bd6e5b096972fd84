/**
 * The Flight client of mosaicod: what the toolkit (`mosaicod ls|info|cat|query`, later import, export,
 * push and sync) and the tests use to talk to a daemon. It speaks the current protocol (the 2026 line as
 * SDK 0.7 does, `mosaico.ts`) over plain Arrow Flight (`flight_client.ts`) over one gRPC channel
 * (`channel.ts`), with the server's own codecs for protobuf, FlightData and Arrow IPC. Errors are
 * {@link ClientError}s carrying the gRPC code and the server's message.
 *
 * Layer: imports `model/`, `arrow/` and the Flight codec modules (`flight/messages.ts`,
 * `flight/flight_data.ts`, `flight/service_def.ts`); never the daemon (app, cli, lifecycle, ingest, read,
 * query, catalog, store, transport).
 *
 * @module
 */
export { API_KEY_HEADER, BidiCall, type CallOptions, type ChannelOptions, FlightChannel } from "./channel.ts";
export type { RequestMessage } from "./channel.ts";
export { ClientError, codeName, GrpcCode } from "./errors.ts";
export {
  commandDescriptor,
  FlightClient,
  type FlightDescriptor,
  type FlightInfo,
  pathDescriptor,
  type PutProgress,
} from "./flight_client.ts";
export {
  type SequenceInfo,
  sequenceTotals,
  type ServerInfo,
  type SessionInfo,
  type TimeSpan,
  type TopicManifest,
} from "./manifests.ts";
export {
  connect,
  type ConnectOptions,
  MosaicoClient,
  type NewTopic,
  type TopicInfo,
  type Window,
} from "./mosaico.ts";
export { FlightReader } from "./reader.ts";
export { ResponseStream, ResponseTimeoutError } from "./_stream.ts";
export { DEFAULT_SERVER_URL, parseServerUrl, type ServerAddress } from "./url.ts";
