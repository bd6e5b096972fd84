/**
 * gRPC over our HTTP/2 server (`src/transport/http2/`): routing by path, length-prefixed messages with
 * the size limit checked on the prefix, `grpc-timeout` deadlines, metadata, gzip/deflate requests and
 * gzip responses, status in trailers (trailers-only for early errors), client cancellation as an
 * AbortSignal, server-stream backpressure, and a draining close. Knows nothing of Flight or the domain:
 * must not import from `src/flight/` or anything above the transport.
 *
 * @module
 */
export { GrpcServer, type GrpcServerOptions } from "./server.ts";
export type { GrpcCall, GrpcHandler } from "./call.ts";
export type { OutgoingMessage, PreFramedMessage } from "./response.ts";
export { GrpcCode, GrpcError, type GrpcStatus } from "./status.ts";
export { acceptsGzip, MIN_COMPRESSED_BYTES } from "./compression.ts";
export { CallSet } from "./call_set.ts";
