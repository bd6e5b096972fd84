/**
 * The transport of the client: one gRPC channel (one HTTP/2 connection) to a Flight server, on which
 * every FlightService RPC is called with raw protobuf bytes, over the server's own service definition
 * (`flight/service_def.ts`, whose serializers pass bytes and pre-framed FlightData through). Typed
 * calls live in `flight_client.ts`; tests use these raw calls to send hand-made (and malformed)
 * messages.
 *
 * The channel closes its connection after {@link IDLE_CLOSE_MS} without calls, before the server's idle
 * timeout (5 minutes) would: Deno aborts the process when a GOAWAY reaches a long idle `node:http2`
 * client session (denoland/deno#36788), so the client never leaves one open that long. Close the
 * channel when done (`using`, `close()`).
 *
 * Must not import the server (app/, cli/, lifecycle/ and below): only the Flight codec modules.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { isIP } from "node:net";
import { checkServerIdentity } from "node:tls";
import * as grpc from "@grpc/grpc-js";
import { FLIGHT_SERVICE, type FlightRpc } from "../flight/service_def.ts";
import type { FramedMessage } from "../flight/flight_data.ts";
import { toClientError } from "./errors.ts";
import { ResponseStream } from "./_stream.ts";
import type { ServerAddress } from "./url.ts";

/**
 * The receive window this client opens per stream and for the connection: what a server may send ahead
 * of this client's reading. A response stream still pauses after 8 unread messages (`_stream.ts`).
 */
const FLOW_CONTROL_WINDOW = 8 * 1024 * 1024;

/** The connection closes after this long without a call (see the module doc). */
export const IDLE_CLOSE_MS = 60_000;

/**
 * The TLS server name sent when the address is an IP: grpc-js sends the host as the server name, which
 * Deno's `node:tls` refuses for an IP (RFC 6066 allows only host names there). A name under `.invalid`
 * takes its place; the certificate is still checked against the IP address.
 */
const IP_SERVER_NAME = "ip-address.invalid";

/** The gRPC metadata key that carries an API key (the 2026 SDK's). */
export const API_KEY_HEADER = "mosaico-api-key-token";

/** How the channel connects. */
export interface ChannelOptions {
  /** Sent as `mosaico-api-key-token` with every call. */
  apiKey?: string;
  /** PEM certificates to trust for `grpc+tls://` (default: the system's roots). */
  tlsCaPem?: Uint8Array;
  /** Compress requests with gzip (responses may be gzip either way). */
  gzip?: boolean;
  /** Every call fails with DEADLINE_EXCEEDED after this long unless it sets its own (default: none). */
  deadlineMs?: number;
  /** More gRPC metadata sent with every call. */
  metadata?: Record<string, string>;
}

/** Per-call options. */
export interface CallOptions {
  /** This call's deadline, instead of the channel's. */
  deadlineMs?: number;
}

/** A message to send: protobuf bytes, or a FlightData already framed for gRPC. */
export type RequestMessage = Uint8Array | FramedMessage;

type GenericClient = grpc.Client & Record<string, (...args: unknown[]) => unknown>;

const FlightClientConstructor = grpc.makeGenericClientConstructor(FLIGHT_SERVICE, "FlightService");

/** A client-streaming (and server-streaming) call driven by hand. */
export class BidiCall implements Disposable {
  readonly #call: grpc.ClientDuplexStream<RequestMessage, Uint8Array>;
  /** The server's responses; they end with the call's status. */
  readonly responses: ResponseStream;

  constructor(call: grpc.ClientDuplexStream<RequestMessage, Uint8Array>) {
    this.#call = call;
    this.responses = new ResponseStream(call);
  }

  /**
   * Sends one message. Resolves at once while the send buffer has room, else once it drained (or the
   * call ended: its status then comes through {@link responses}).
   */
  write(message: RequestMessage): Promise<void> {
    if (this.#call.write(message) || this.responses.ended) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.#call.off("drain", done);
        this.#call.off("close", done);
        resolve();
      };
      this.#call.on("drain", done);
      this.#call.on("close", done);
    });
  }

  /** Half-closes: no more messages from the client. */
  end(): void {
    this.#call.end();
  }

  /** Cancels the call (the server sees CANCELLED); the responses end with CANCELLED. */
  cancel(): void {
    this.#call.cancel();
  }

  [Symbol.dispose](): void {
    if (!this.responses.ended) this.cancel();
  }
}

/** One connection to a Flight server; raw RPCs. */
export class FlightChannel implements Disposable {
  readonly address: ServerAddress;
  readonly #client: GenericClient;
  readonly #options: ChannelOptions;
  #closed = false;

  constructor(address: ServerAddress, options: ChannelOptions = {}) {
    this.address = address;
    this.#options = options;
    const ip = address.tls && isIP(bareHost(address.host)) !== 0 ? bareHost(address.host) : null;
    const credentials = address.tls
      ? grpc.credentials.createSsl(
        options.tlsCaPem ? toBuffer(options.tlsCaPem) : null,
        null,
        null,
        // The certificate must name the address itself (see IP_SERVER_NAME).
        ip === null ? {} : { checkServerIdentity: (_name, cert) => checkServerIdentity(ip, cert) },
      )
      : grpc.credentials.createInsecure();
    this.#client = new FlightClientConstructor(address.target, credentials, {
      ...(ip === null ? {} : { "grpc.ssl_target_name_override": IP_SERVER_NAME }),
      "grpc.max_receive_message_length": -1,
      "grpc.max_send_message_length": -1,
      "grpc.client_idle_timeout_ms": IDLE_CLOSE_MS,
      // Node's default stream window (64 KiB) makes a DoGet wait for a WINDOW_UPDATE every 64 KiB:
      // measured, an export of 256 MiB of images took 10–25% longer with it.
      "grpc-node.flow_control_window": FLOW_CONTROL_WINDOW,
      // The daemon is reached directly: no *_proxy variables are read (nor need env permissions).
      "grpc.enable_http_proxy": 0,
      ...(options.gzip ? { "grpc.default_compression_algorithm": 2 } : {}),
    }) as unknown as GenericClient;
  }

  #callArgs(opts: CallOptions): [grpc.Metadata, grpc.CallOptions] {
    if (this.#closed) throw new Error("The client is closed");
    const metadata = new grpc.Metadata();
    if (this.#options.apiKey !== undefined) metadata.set(API_KEY_HEADER, this.#options.apiKey);
    for (const [key, value] of Object.entries(this.#options.metadata ?? {})) metadata.set(key, value);
    const deadlineMs = opts.deadlineMs ?? this.#options.deadlineMs;
    return [metadata, deadlineMs === undefined ? {} : { deadline: Date.now() + deadlineMs }];
  }

  /** Calls a unary RPC. @throws ClientError with the call's status. */
  unary(rpc: FlightRpc, request: RequestMessage, opts: CallOptions = {}): Promise<Uint8Array> {
    const args = this.#callArgs(opts);
    return new Promise((resolve, reject) => {
      this.#client[rpc](
        request,
        ...args,
        (err: grpc.ServiceError | null, response: Uint8Array) =>
          err ? reject(toClientError(err)) : resolve(response),
      );
    });
  }

  /** Calls a server-streaming RPC; its responses come as they arrive. */
  serverStream(rpc: FlightRpc, request: RequestMessage, opts: CallOptions = {}): ResponseStream {
    const call = this.#client[rpc](request, ...this.#callArgs(opts)) as grpc.ClientReadableStream<Uint8Array>;
    return new ResponseStream(call);
  }

  /** Opens a bidirectional-streaming RPC (DoPut, DoExchange, Handshake). */
  bidi(rpc: FlightRpc, opts: CallOptions = {}): BidiCall {
    const call = this.#client[rpc](...this.#callArgs(opts)) as grpc.ClientDuplexStream<
      RequestMessage,
      Uint8Array
    >;
    return new BidiCall(call);
  }

  /** Sends `requests`, half-closes, and collects every response. @throws ClientError */
  async exchange(rpc: FlightRpc, requests: Iterable<RequestMessage>, opts: CallOptions = {}) {
    const call = this.bidi(rpc, opts);
    for (const r of requests) {
      if (call.responses.ended) break;
      await call.write(r);
    }
    call.end();
    return await call.responses.all();
  }

  /** Closes the connection once the calls still running have ended; new calls are refused. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#client.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** `::1` of `[::1]`. */
function bareHost(host: string): string {
  return host.startsWith("[") ? host.slice(1, -1) : host;
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
