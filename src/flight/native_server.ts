/**
 * The Flight server on our own transport (`--transport native`): the FlightService methods routed by
 * `src/transport/grpc/` over our HTTP/2 server, with the surface and semantics of the grpc-js
 * `FlightServer` (`server.ts`): the same handlers and `CallContext` (signal, `stopping`, peer, the
 * `authorization` and `mosaico-api-key-token` metadata, a logger), errors mapped by `status.ts`, the
 * message limit both ways, optional gzip responses, SO_REUSEPORT for worker threads, TLS, and a shutdown
 * that tells waiting calls to end (`stopping`) and drains the others within its timeout.
 *
 * What grpc-js needed patches for is built in: received messages are assembled with one copy, FlightData
 * bodies 8-byte aligned (`peekBodyOffset`), pre-framed DoGet messages are sent as they are, and a request
 * cut inside a message ends its call with INVALID_ARGUMENT (its handler cancelled).
 *
 * Beside Flight it serves the gRPC health service (`health.ts`), and drains as `drain.ts` says: health
 * answers NOT_SERVING while the Flight calls in progress finish, then the listener closes.
 *
 * @module
 */
import { UnavailableError } from "../errors.ts";
import { API_KEY_HEADER } from "../model/api_keys.ts";
import { type GrpcCall, type GrpcHandler, GrpcServer } from "../transport/grpc/mod.ts";
import { peekBodyOffset } from "./flight_data.ts";
import { testHttp2Limits } from "./_http2_test_limits.ts";
import {
  bindFailure,
  type CallContext,
  type FlightHandlers,
  type FlightServerOptions,
  hostPort,
} from "./server.ts";
import { FLIGHT_RPCS, FLIGHT_SERVICE_NAME, type FlightRpc, type ResponseMessage } from "./service_def.ts";
import { toGrpcStatus } from "./status.ts";
import { ServerDrain } from "./drain.ts";
import { withCallMetrics } from "./call_metrics.ts";
import { healthRoutes } from "./health.ts";
import type { Logger } from "../log.ts";

type Unary = (req: Uint8Array, ctx: CallContext) => Promise<ResponseMessage>;
type ServerStream = (req: Uint8Array, ctx: CallContext) => AsyncIterable<ResponseMessage>;
type BidiStream = (reqs: AsyncIterable<Uint8Array>, ctx: CallContext) => AsyncIterable<ResponseMessage>;

/** A running Flight server on the native transport; a drop-in for `FlightServer`. */
export class NativeFlightServer {
  readonly #grpc: GrpcServer;
  readonly #drain: ServerDrain;
  readonly port: number;
  readonly host: string;

  private constructor(grpc: GrpcServer, drain: ServerDrain) {
    this.#grpc = grpc;
    this.#drain = drain;
    this.host = grpc.host;
    this.port = grpc.port;
  }

  /** Registers the handlers and binds the port. @throws UnavailableError when the address cannot be bound. */
  static async start(handlers: FlightHandlers, opts: FlightServerOptions): Promise<NativeFlightServer> {
    const drain = new ServerDrain();
    const served = withCallMetrics(drain.wrap(handlers), opts.metrics);
    const routes = flightRoutes(served, opts.log, drain.stopping);
    for (const [path, route] of healthRoutes(drain.health)) routes.set(path, route);
    const address = hostPort(opts.host, opts.port);
    const grpc = await GrpcServer.listen(routes, {
      host: opts.host,
      port: opts.port,
      reusePort: opts.reusePort,
      tls: opts.tls,
      limits: {
        ...testHttp2Limits(),
        ...(opts.maxConcurrentStreams ? { maxConcurrentStreams: opts.maxConcurrentStreams } : {}),
      },
      maxMessageBytes: opts.maxMessageBytes,
      responseCompression: opts.responseCompression ?? "none",
      bodyOffset: peekBodyOffset,
      allocate: opts.receiveBuffers ? (bytes) => opts.receiveBuffers!.take(bytes) : undefined,
      toStatus: (err, call) => toGrpcStatus(err, callLog(opts.log, call)),
      log: opts.log,
    }).catch((err: Error) => {
      opts.log.debug("bind failed", { address, err });
      throw new UnavailableError(`Cannot listen on ${address}: ${bindFailure(err)}`);
    });
    return new NativeFlightServer(grpc, drain);
  }

  /** Number of calls in progress. */
  get activeCalls(): number {
    return this.#grpc.activeCalls;
  }

  /**
   * Refuses new Flight calls (UNAVAILABLE) and waits for in-flight ones, health answering NOT_SERVING
   * meanwhile; then closes the listener and the connections. After `timeoutMs` the calls left are
   * cancelled (their handlers see an aborted signal). Calls that only wait (live event streams) are told
   * to end at once, through `CallContext.stopping`.
   */
  async shutdown(timeoutMs: number): Promise<void> {
    await this.#drain.run(timeoutMs, (leftMs) => this.#grpc.close(leftMs));
  }
}

/** The FlightService methods by path, each adapting its handler to `CallContext`. */
function flightRoutes(
  handlers: FlightHandlers,
  log: Logger,
  stopping: AbortSignal,
): Map<string, GrpcHandler> {
  const routes = new Map<string, GrpcHandler>();
  for (const [name, [requestStream, responseStream]] of Object.entries(FLIGHT_RPCS)) {
    const handler = handlers[name as FlightRpc] as Unary | ServerStream | BidiStream;
    const ctx = (call: GrpcCall) => contextOf(call, { log, stopping });
    let route: GrpcHandler;
    if (requestStream && responseStream) {
      route = { kind: "bidi", handle: (reqs, call) => (handler as BidiStream)(reqs, ctx(call)) };
    } else if (responseStream) {
      route = { kind: "serverStream", handle: (req, call) => (handler as ServerStream)(req, ctx(call)) };
    } else if (!requestStream) {
      route = { kind: "unary", handle: (req, call) => (handler as Unary)(req, ctx(call)) };
    } else {
      throw new Error(`FlightService method ${name}: client streaming is not used by Flight`);
    }
    routes.set(`/${FLIGHT_SERVICE_NAME}/${name}`, route);
  }
  return routes;
}

function contextOf(call: GrpcCall, { log, stopping }: { log: Logger; stopping: AbortSignal }): CallContext {
  return {
    signal: call.signal,
    stopping,
    peer: call.peer,
    connection: `native#${call.connectionId}`,
    authorization: call.metadata("authorization") || null,
    apiKeyToken: call.metadata(API_KEY_HEADER) || null,
    log: callLog(log, call),
  };
}

/** The call's logger: the method's name and the peer on every line, as with grpc-js. */
function callLog(log: Logger, call: GrpcCall): Logger {
  return log.child({ rpc: call.method.slice(call.method.lastIndexOf("/") + 1), peer: call.peer });
}
