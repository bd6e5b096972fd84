/**
 * A gRPC server over our HTTP/2 server: checks each request (`POST`, `content-type: application/grpc…`,
 * a known path, a valid `grpc-timeout`), routes it to its method's handler, counts the calls in progress
 * and drains them on close. Knows nothing of the services it serves: handlers work on message bytes and
 * the service maps its own errors (`toStatus`). Must not import from `src/flight/` or the domain.
 *
 * @module
 */
import type { Logger } from "../../log.ts";
import { type Http2Limits, Http2Server, type Http2ServerStream } from "../http2/mod.ts";
import { type CallSettings, type GrpcCall, type GrpcHandler, headerValue, serveCall } from "./call.ts";
import { CallSet } from "./call_set.ts";
import { acceptsGzip } from "./compression.ts";
import { MessageBudget } from "./message_budget.ts";
import { GrpcCode, type GrpcStatus, statusFields } from "./status.ts";
import { parseGrpcTimeout } from "./timeout.ts";

export interface GrpcServerOptions {
  host: string;
  port: number;
  /** Listen with SO_REUSEPORT (several worker threads on one port). */
  reusePort?: boolean;
  /** Serve TLS (ALPN h2) with this PEM certificate chain and private key; plaintext without. */
  tls?: { certChain: Uint8Array; privateKey: Uint8Array } | null;
  /** HTTP/2 limits beyond the defaults (`maxConcurrentStreams`, …). */
  limits?: Partial<Http2Limits>;
  /** Largest message received or sent (after inflating, for a compressed one). */
  maxMessageBytes: number;
  /** Gzip responses for clients that accept gzip ("gzip"), or never ("none", the default). */
  responseCompression?: "gzip" | "none";
  /**
   * Bytes the incomplete request messages of one connection may hold (`message_budget.ts`); default
   * {@link DEFAULT_CONNECTION_MESSAGE_BYTES}, or one message of `maxMessageBytes` if larger.
   */
  maxConnectionMessageBytes?: number;
  /** Where a request message's bulk payload starts (see `message_reader.ts`): placed 8-byte aligned. */
  bodyOffset?: (head: Uint8Array) => number;
  /** The buffer a request message is read into (see `message_reader.ts`); default a new one. */
  allocate?: (bytes: number) => ArrayBuffer;
  /** Maps an error a handler threw to the status its call ends with. */
  toStatus: (err: unknown, call: GrpcCall) => GrpcStatus;
  log: Logger;
}

/** Default bytes of incomplete request messages one connection may hold. */
export const DEFAULT_CONNECTION_MESSAGE_BYTES = 256 * 1024 * 1024;

/** Least time close waits for handlers to return once the connections are closed. */
const CLOSE_HANDLER_GRACE_MS = 2000;

/** A running gRPC server. */
export class GrpcServer {
  readonly #http2: Http2Server;
  readonly #calls: CallSet;
  readonly #log: Logger;

  private constructor(http2: Http2Server, calls: CallSet, log: Logger) {
    this.#http2 = http2;
    this.#calls = calls;
    this.#log = log;
  }

  /**
   * Binds the port and serves `routes` (path `/package.Service/Method` → handler).
   * @throws what `Deno.listen` throws when the address cannot be bound.
   */
  static async listen(
    routes: ReadonlyMap<string, GrpcHandler>,
    opts: GrpcServerOptions,
  ): Promise<GrpcServer> {
    const calls = new CallSet();
    const budgets = new ConnectionBudgets(
      Math.max(opts.maxConnectionMessageBytes ?? DEFAULT_CONNECTION_MESSAGE_BYTES, opts.maxMessageBytes),
    );
    const http2 = await Http2Server.listen(
      {
        host: opts.host,
        port: opts.port,
        reusePort: opts.reusePort,
        tls: opts.tls,
        limits: opts.limits,
        log: opts.log,
      },
      (stream) => onStream(stream, routes, { opts, calls, budgets }),
    );
    return new GrpcServer(http2, calls, opts.log);
  }

  /** The address it listens on. */
  get host(): string {
    return this.#http2.host;
  }

  /** The port it listens on (the one chosen, for port 0). */
  get port(): number {
    return this.#http2.port;
  }

  /** Number of calls in progress (handlers running). */
  get activeCalls(): number {
    return this.#calls.size;
  }

  /**
   * Stops taking calls (two-step GOAWAY), waits for the calls in progress up to `timeoutMs`, then closes
   * every connection and cancels the calls left (their handlers see an aborted signal), and waits a little
   * more for those handlers to return, so that nothing they use is closed under them.
   */
  async close(timeoutMs: number): Promise<void> {
    const started = performance.now();
    const drained = this.#calls.whenIdle(timeoutMs);
    const closed = this.#http2.close(timeoutMs);
    if (!(await drained)) {
      this.#log.warn("shutdown deadline reached, cancelling calls", { calls: this.#calls.size });
      this.#calls.abortAll(new Error("server shutting down"));
    }
    await closed;
    const left = Math.max(CLOSE_HANDLER_GRACE_MS, timeoutMs - (performance.now() - started));
    if (!(await this.#calls.whenIdle(left))) {
      this.#log.warn("handlers still running after shutdown", { calls: this.#calls.size });
    }
  }
}

/** Checks a new request and starts its call, or answers it at once. */
function onStream(
  stream: Http2ServerStream,
  routes: ReadonlyMap<string, GrpcHandler>,
  { opts, calls, budgets }: { opts: GrpcServerOptions; calls: CallSet; budgets: ConnectionBudgets },
): void {
  const headers = stream.headers;
  if (headerValue(headers, ":method") !== "POST") {
    return refuse(stream, [[":status", "405"], ["allow", "POST"]]);
  }
  if (!isGrpcContentType(headerValue(headers, "content-type"))) return refuse(stream, [[":status", "415"]]);
  const path = headerValue(headers, ":path") ?? "";
  const handler = routes.get(path);
  if (handler === undefined) {
    return refuseCall(stream, {
      code: GrpcCode.UNIMPLEMENTED,
      details: `The server does not implement the method ${path}`,
    });
  }
  const timeout = headerValue(headers, "grpc-timeout");
  const timeoutMs = timeout === null ? null : parseGrpcTimeout(timeout);
  if (timeout !== null && timeoutMs === null) {
    return refuseCall(stream, {
      code: GrpcCode.INTERNAL,
      details: `Invalid grpc-timeout value "${timeout}"`,
    });
  }
  const settings: CallSettings = {
    maxMessageBytes: opts.maxMessageBytes,
    gzipResponses: opts.responseCompression === "gzip" &&
      acceptsGzip(headerValue(headers, "grpc-accept-encoding")),
    requestEncoding: (headerValue(headers, "grpc-encoding") ?? "identity").trim().toLowerCase(),
    timeoutMs,
    bodyOffset: opts.bodyOffset,
    allocate: opts.allocate,
    budget: budgets.enter(stream.connectionId),
    toStatus: opts.toStatus,
  };
  const ac = new AbortController();
  calls.add(ac);
  serveCall(stream, handler, { ac, settings })
    .catch((err) => opts.log.debug("call failed", { path, err }))
    .finally(() => {
      calls.delete(ac);
      budgets.leave(stream.connectionId);
    });
}

/** One {@link MessageBudget} per connection with calls in progress. */
class ConnectionBudgets {
  readonly #capacity: number;
  readonly #byConnection = new Map<number, { budget: MessageBudget; calls: number }>();

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** The budget of `connection`, for one more call. */
  enter(connection: number): MessageBudget {
    let entry = this.#byConnection.get(connection);
    if (entry === undefined) {
      entry = { budget: new MessageBudget(this.#capacity), calls: 0 };
      this.#byConnection.set(connection, entry);
    }
    entry.calls++;
    return entry.budget;
  }

  /** A call of `connection` ended. */
  leave(connection: number): void {
    const entry = this.#byConnection.get(connection);
    if (entry !== undefined && --entry.calls === 0) this.#byConnection.delete(connection);
  }
}

/** `application/grpc`, alone or with a subtype (`+proto`) or parameters (`;charset=…`). */
function isGrpcContentType(value: string | null): boolean {
  if (value === null) return false;
  const v = value.trim().toLowerCase();
  return v === "application/grpc" || v.startsWith("application/grpc+") || v.startsWith("application/grpc;");
}

/**
 * An HTTP-level refusal (not a gRPC request at all). A request body still coming is stopped by the HTTP/2
 * layer (RST_STREAM NO_ERROR after our END_STREAM).
 */
function refuse(stream: Http2ServerStream, fields: [string, string][]): void {
  stream.sendHeaders(fields, { endStream: true });
}

/** A gRPC call refused before it starts: trailers-only response with its status. */
function refuseCall(stream: Http2ServerStream, status: GrpcStatus): void {
  refuse(stream, [[":status", "200"], ["content-type", "application/grpc+proto"], ...statusFields(status)]);
}
