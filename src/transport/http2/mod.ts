/**
 * Our HTTP/2 server (RFC 9113) over `Deno.listen` / `Deno.listenTls`: the public surface used by the
 * gRPC layer. Owns framing, HPACK (./hpack/), flow control, stream states and every limit that stops
 * a misbehaving peer. Knows nothing of gRPC or Flight: must not import src/transport/grpc/ or
 * src/flight/.
 *
 * @example
 * ```ts
 * const server = await Http2Server.listen({ host: "127.0.0.1", port: 0, log }, (stream) => {
 *   stream.sendHeaders([[":status", "200"]]);
 *   void stream.sendData(new TextEncoder().encode("hello")).then(() => stream.sendTrailers([]));
 * });
 * await server.close(5_000);
 * ```
 *
 * @module
 */

export type { HeaderField } from "./hpack/mod.ts";
export { DEFAULT_HTTP2_LIMITS, type Http2Limits } from "./limits.ts";
export { Http2Server, type Http2ServerOptions } from "./server.ts";
export type { Http2ServerStream } from "./proto/streams/server_stream.ts";
export { StreamAbortedError } from "./proto/streams/recv.ts";
export { ErrorCode, errorCodeName } from "./frame/reason.ts";
