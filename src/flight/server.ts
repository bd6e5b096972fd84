/**
 * The gRPC server: binds a port, adapts grpc-js calls to `FlightHandlers` (plain async functions and
 * iterables of bytes), maps every error through `status.ts`, applies backpressure, turns client
 * cancellation into an AbortSignal, and drains in-flight calls on shutdown (telling calls that would wait
 * indefinitely, live event streams, to end first). Beside Flight it serves the gRPC health service
 * (`health.ts`), NOT_SERVING while the drain lasts (`drain.ts`).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { once } from "node:events";
import * as net from "node:net";
import * as grpc from "@grpc/grpc-js";
import { UnavailableError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { API_KEY_HEADER } from "../model/api_keys.ts";
import { FLIGHT_SERVICE, type FlightRpc, type ResponseMessage } from "./service_def.ts";
import { applyGrpcPatches } from "./grpc_patch.ts";
import {
  applyCompressionPatch,
  RESPONSE_COMPRESSION_OPTION,
  type ResponseCompression,
} from "./grpc_compression.ts";
import { toGrpcStatus } from "./status.ts";
import { CallSet } from "../transport/grpc/call_set.ts";
import type { DaemonMetrics } from "../metrics/daemon.ts";
import { withCallMetrics } from "./call_metrics.ts";
import { ServerDrain } from "./drain.ts";
import { grpcJsHealth, HEALTH_SERVICE } from "./health.ts";
import type { BufferRecycler } from "../buffer_recycler.ts";

/** What a handler knows about its call. */
export interface CallContext {
  /** Aborted when the client cancels or the server is forced down. */
  signal: AbortSignal;
  /**
   * Aborted when the server starts shutting down. A call that would otherwise wait indefinitely (a live
   * event subscription) ends on it, so that the drain does not wait for it; every other call ignores
   * it and finishes within the shutdown timeout as before.
   */
  stopping: AbortSignal;
  /** The client's address, for logs: "127.0.0.1:54321". */
  peer: string;
  /**
   * Names the client connection, and no other while the server runs: what per-connection memory is
   * keyed by. Not the peer address: a client port is reused soon after its connection closes (Linux
   * reuses loopback ports in TIME_WAIT), so one address names many connections over time.
   */
  connection: string;
  /**
   * The `authorization` metadata the client sent (several values joined with ", "), null without one.
   * A credential: never log it.
   */
  authorization: string | null;
  /**
   * The `mosaico-api-key-token` metadata (the 2026 SDK's API key; several values joined with ", "), null
   * without one. A credential: never log it.
   */
  apiKeyToken: string | null;
  log: Logger;
}

type Unary = (req: Uint8Array, ctx: CallContext) => Promise<ResponseMessage>;
type ServerStream = (req: Uint8Array, ctx: CallContext) => AsyncIterable<ResponseMessage>;
type BidiStream = (reqs: AsyncIterable<Uint8Array>, ctx: CallContext) => AsyncIterable<ResponseMessage>;

/** One function per FlightService RPC, over raw protobuf bytes. */
export interface FlightHandlers {
  Handshake: BidiStream;
  ListFlights: ServerStream;
  GetFlightInfo: Unary;
  PollFlightInfo: Unary;
  GetSchema: Unary;
  DoGet: ServerStream;
  DoPut: BidiStream;
  DoExchange: BidiStream;
  DoAction: ServerStream;
  ListActions: ServerStream;
}

export interface FlightServerOptions {
  host: string;
  port: number;
  maxMessageBytes: number;
  /**
   * Calls one client connection may have open at once (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS): a
   * client waits for a free slot before opening another; streams beyond it are refused. Unlimited when
   * unset.
   */
  maxConcurrentStreams?: number;
  log: Logger;
  /**
   * Listen with SO_REUSEPORT, so that several Flight worker threads share one port and the kernel
   * spreads connections across them (`--workers`). grpc-js cannot set it: a `node:net` server accepts
   * and hands each socket to grpc-js through a connection injector.
   */
  reusePort?: boolean;
  /** Serve TLS (`grpc+tls://`) with this certificate chain and private key (PEM); plaintext without. */
  tls?: TlsMaterial | null;
  /**
   * Compress responses with gzip for clients that list it in `grpc-accept-encoding` ("gzip"), or never
   * ("none", the default). Compressed requests (gzip, deflate) are accepted either way.
   */
  responseCompression?: ResponseCompression;
  /** Record Flight calls (by method and code, duration, bytes) here; none when absent. */
  metrics?: DaemonMetrics | null;
  /**
   * Where large request messages are read into and their buffers come back to once used (the encoder
   * pool gives upload buffers back): the native transport only.
   */
  receiveBuffers?: BufferRecycler | null;
}

/** A PEM certificate chain (leaf first) and its PEM private key. */
export interface TlsMaterial {
  certChain: Uint8Array;
  privateKey: Uint8Array;
}

/** HTTP/2 flow-control window and frame size: the largest the protocol allows (2^24 - 1). */
const HTTP2_WINDOW_BYTES = 16 * 1024 * 1024 - 1;

/** A running Flight server. */
export class FlightServer {
  #server: grpc.Server;
  #log: Logger;
  #calls = new CallSet();
  #drain = new ServerDrain();
  /** The shared-port listener (`reusePort`), closed first on shutdown. */
  #listener: net.Server | null = null;
  readonly port: number;
  readonly host: string;

  private constructor(server: grpc.Server, host: string, port: number, log: Logger) {
    this.#server = server;
    this.host = host;
    this.port = port;
    this.#log = log;
  }

  /** Registers the handlers and binds the port. @throws UnavailableError when the address cannot be bound. */
  static async start(handlers: FlightHandlers, opts: FlightServerOptions): Promise<FlightServer> {
    const patched = applyGrpcPatches(opts.log);
    const compression = opts.responseCompression ?? "none";
    if (compression === "gzip") applyCompressionPatch(opts.log, patched);
    routeGrpcLogs(opts.log);
    const server = new grpc.Server({
      "grpc.max_receive_message_length": opts.maxMessageBytes,
      "grpc.max_send_message_length": opts.maxMessageBytes,
      [RESPONSE_COMPRESSION_OPTION]: compression,
      ...(opts.maxConcurrentStreams ? { "grpc.max_concurrent_streams": opts.maxConcurrentStreams } : {}),
    });
    // grpc-js has no option for HTTP/2 settings; its constructor leaves them in this object.
    const common = (server as unknown as { commonServerOptions: { settings?: Record<string, number> } })
      .commonServerOptions;
    common.settings = {
      ...common.settings,
      initialWindowSize: HTTP2_WINDOW_BYTES,
      maxFrameSize: HTTP2_WINDOW_BYTES,
    };
    const calls = new CallSet();
    const drain = new ServerDrain();
    const served = withCallMetrics(drain.wrap(handlers), opts.metrics);
    const impl: grpc.UntypedServiceImplementation = {};
    for (const name of Object.keys(FLIGHT_SERVICE) as FlightRpc[]) {
      const handler = served[name] as Unary | ServerStream | BidiStream;
      impl[name] = adapt(name, handler, opts.log, { calls, stopping: drain.stopping });
    }
    server.addService(FLIGHT_SERVICE, impl);
    server.addService(HEALTH_SERVICE, grpcJsHealth(drain.health, opts.log));
    const address = hostPort(opts.host, opts.port);
    const credentials = opts.tls ? tlsCredentials(opts.tls) : grpc.ServerCredentials.createInsecure();
    const bound = opts.reusePort
      ? listenSharedPort(server.createConnectionInjector(credentials), opts.host, opts.port)
      : new Promise<{ port: number; listener: null }>((resolve, reject) => {
        server.bindAsync(
          address,
          credentials,
          (err, port) => err ? reject(err) : resolve({ port, listener: null }),
        );
      });
    const { port, listener } = await bound.catch((err: Error) => {
      opts.log.debug("bind failed", { address, err });
      throw new UnavailableError(`Cannot listen on ${address}: ${bindFailure(err)}`);
    });
    const fs = new FlightServer(server, opts.host, port, opts.log);
    fs.#calls = calls;
    fs.#drain = drain;
    fs.#listener = listener;
    return fs;
  }

  /** Number of calls in progress. */
  get activeCalls(): number {
    return this.#calls.size;
  }

  /**
   * Refuses new Flight calls (UNAVAILABLE) and waits for in-flight ones, health answering NOT_SERVING
   * meanwhile; then closes the listener and the connections. After `timeoutMs` the calls left are
   * cancelled (their handlers see an aborted signal). Calls that only wait (live event streams) are told
   * to end at once, through `CallContext.stopping`.
   */
  async shutdown(timeoutMs: number): Promise<void> {
    await this.#drain.run(timeoutMs, (leftMs) => this.#close(leftMs));
  }

  /** Closes the listener and the connections, waiting up to `timeoutMs` for the calls left. */
  async #close(timeoutMs: number): Promise<void> {
    const started = performance.now();
    this.#listener?.close();
    const graceful = new Promise<void>((resolve) => this.#server.tryShutdown(() => resolve()));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<"timeout">((resolve) =>
      timer = setTimeout(() => resolve("timeout"), timeoutMs)
    );
    const outcome = await Promise.race([graceful, deadline]);
    clearTimeout(timer);
    if (outcome === "timeout") {
      this.#log.warn("shutdown deadline reached, cancelling calls", { calls: this.#calls.size });
      this.#calls.abortAll(new Error("server shutting down"));
      this.#server.forceShutdown();
    }
    // The HTTP/2 sessions may close before every handler has returned (Deno's node:http2 can report a
    // session closed while a stream's handler still awaits the catalog): wait for the handlers too, so
    // that nothing they use is closed under them. Cancelled ones return promptly.
    const left = Math.max(SHUTDOWN_HANDLER_GRACE_MS, timeoutMs - (performance.now() - started));
    if (!(await this.#calls.whenIdle(left))) {
      this.#log.warn("handlers still running after shutdown", { calls: this.#calls.size });
    }
  }
}

/** Least time shutdown waits for handlers to return once the connections are closed. */
const SHUTDOWN_HANDLER_GRACE_MS = 2000;

/**
 * Server TLS credentials, without client certificates. The root store is empty on purpose: without one,
 * grpc-js passes its default roots as `ca`, which the server does not need (it asks for no client
 * certificate) and which Deno's `node:tls` sends along with the chain, making the handshake too large
 * for clients ("excessive message size").
 */
function tlsCredentials(tls: TlsMaterial): grpc.ServerCredentials {
  return grpc.ServerCredentials.createSsl(Buffer.alloc(0), [{
    cert_chain: Buffer.from(tls.certChain),
    private_key: Buffer.from(tls.privateKey),
  }]);
}

/** Accepts on `host:port` with SO_REUSEPORT and hands every connection to grpc-js. */
function listenSharedPort(
  injector: ReturnType<grpc.Server["createConnectionInjector"]>,
  host: string,
  port: number,
): Promise<{ port: number; listener: net.Server }> {
  const listener = net.createServer((socket) => injector.injectConnection(socket));
  return new Promise((resolve, reject) => {
    listener.once("error", reject);
    listener.listen({ host, port, reusePort: true } as net.ListenOptions, () => {
      listener.off("error", reject);
      resolve({ port: (listener.address() as net.AddressInfo).port, listener });
    });
  });
}

/** `host:port`, with an IPv6 host in brackets (`[::1]:6726`). */
export function hostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** A bind error (from `node:net` or `Deno.listen`) as a short reason. */
export function bindFailure(err: Error): string {
  return err instanceof Deno.errors.AddrInUse || /EADDRINUSE/.test(err.message)
    ? "address already in use"
    : err instanceof Deno.errors.PermissionDenied || /EACCES/.test(err.message)
    ? "permission denied"
    : err instanceof Deno.errors.AddrNotAvailable || /EADDRNOTAVAIL|ENOTFOUND|EAI_|EINVAL/.test(err.message)
    ? "address not available on this machine"
    : err.message;
}

/** grpc-js writes its own diagnostics to the console; send them through our logger instead. */
function routeGrpcLogs(log: Logger): void {
  const grpcLog = log.child({ source: "grpc-js" });
  grpc.setLogger({
    error: (...args: unknown[]) => grpcLog.debug(args.map(String).join(" ")),
    info: (...args: unknown[]) => grpcLog.debug(args.map(String).join(" ")),
    debug: (...args: unknown[]) => grpcLog.debug(args.map(String).join(" ")),
  } as Console);
}

type UnaryCall = grpc.ServerUnaryCall<Uint8Array, ResponseMessage>;
type StreamCall =
  | grpc.ServerWritableStream<Uint8Array, ResponseMessage>
  | grpc.ServerDuplexStream<Uint8Array, ResponseMessage>;

/** Numbers of the grpc-js HTTP/2 sessions (one per client connection) seen so far. */
const grpcJsSessions = new WeakMap<object, string>();
let grpcJsSessionSerial = 0;

/**
 * The connection a grpc-js call came on: its HTTP/2 session, found through the call objects grpc-js
 * 1.14 builds (`call` → `nextCall`… → `stream.session`; not public API, so a missing link falls back to
 * the peer address, which is what older versions keyed by).
 */
function grpcJsConnection(call: UnaryCall | StreamCall, peer: string): string {
  // deno-lint-ignore no-explicit-any
  let link: any = (call as any).call;
  for (let depth = 0; link && depth < 8; depth++, link = link.nextCall) {
    const session = link.stream?.session;
    if (session && typeof session === "object") {
      let id = grpcJsSessions.get(session);
      if (id === undefined) grpcJsSessions.set(session, id = `grpc-js#${++grpcJsSessionSerial}`);
      return id;
    }
  }
  return `peer:${peer}`;
}

function adapt(
  name: FlightRpc,
  handler: Unary | ServerStream | BidiStream,
  baseLog: Logger,
  { calls, stopping }: { calls: CallSet; stopping: AbortSignal },
): grpc.UntypedHandleCall {
  const open = (call: UnaryCall | StreamCall) => {
    const ac = new AbortController();
    calls.add(ac);
    (call as NodeJS.EventEmitter).on("cancelled", () => ac.abort(new Error("call cancelled by the client")));
    const peer = call.getPeer();
    const authorization = call.metadata.get("authorization").map(String).join(", ") || null;
    const apiKeyToken = call.metadata.get(API_KEY_HEADER).map(String).join(", ") || null;
    const log = baseLog.child({ rpc: name, peer });
    const connection = grpcJsConnection(call, peer);
    const ctx: CallContext = {
      signal: ac.signal,
      stopping,
      peer,
      connection,
      authorization,
      apiKeyToken,
      log,
    };
    const fail = (err: unknown) => toGrpcStatus(err, ctx.log);
    return { ctx, done: () => calls.delete(ac), fail };
  };
  const def = FLIGHT_SERVICE[name];
  if (!def.requestStream && !def.responseStream) {
    const unary: grpc.handleUnaryCall<Uint8Array, ResponseMessage> = (call, callback) => {
      const { ctx, done, fail } = open(call);
      // Through an async function, so a handler that throws synchronously is still mapped.
      (async () => await (handler as Unary)(call.request, ctx))().then(
        (res) => callback(null, res),
        (err) => callback(fail(err)),
      ).finally(done);
    };
    return unary as grpc.UntypedHandleCall;
  }
  const stream = async (call: StreamCall) => {
    const { ctx, done, fail } = open(call);
    try {
      const out = def.requestStream
        ? (handler as BidiStream)(
          requestsOf(call as grpc.ServerDuplexStream<Uint8Array, ResponseMessage>),
          ctx,
        )
        : (handler as ServerStream)(
          (call as grpc.ServerWritableStream<Uint8Array, ResponseMessage>).request,
          ctx,
        );
      for await (const msg of out) {
        if (ctx.signal.aborted) break;
        if (!call.write(msg)) await drained(call, ctx.signal);
      }
      if (!ctx.signal.aborted) call.end();
    } catch (err) {
      if (!ctx.signal.aborted) call.emit("error", fail(err));
    } finally {
      done();
    }
  };
  return stream as grpc.UntypedHandleCall;
}

/** The client's messages. Leaving the loop early must not destroy the call (we still reply). */
async function* requestsOf(
  call: grpc.ServerDuplexStream<Uint8Array, ResponseMessage>,
): AsyncIterable<Uint8Array> {
  const it = (call as unknown as { iterator(o: { destroyOnReturn: boolean }): AsyncIterable<Uint8Array> })
    .iterator({ destroyOnReturn: false });
  yield* it;
}

/** Waits for `drain`, or returns early when the call is cancelled. */
async function drained(call: StreamCall, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return;
  const ac = new AbortController();
  const onAbort = () => ac.abort();
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    await once(call, "drain", { signal: ac.signal });
  } catch (err) {
    if (!ac.signal.aborted) throw err;
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}
