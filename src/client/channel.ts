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
import { FramedMessage } from "../flight/flight_data.ts";
import type { ClientMessage } from "../transport/grpc/client_call.ts";
import { IDLE_CLOSE_MS, NativeTransport } from "./_native.ts";
import { toClientError } from "./errors.ts";
import { type CallEvents, ResponseStream } from "./_stream.ts";
import type { ServerAddress } from "./url.ts";

/**
 * The receive window this client opens per stream and for the connection: what a server may send ahead
 * of this client's reading. A response stream still pauses after 8 unread messages (`_stream.ts`).
 */
const FLOW_CONTROL_WINDOW = 8 * 1024 * 1024;

/** The connection closes after this long without a call (see the module doc); both transports. */
export { IDLE_CLOSE_MS };

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
  /**
   * Our HTTP/2 and gRPC client (`native`, the default for `grpc://`) or grpc-js on `node:http2` (the
   * fallback, and always for `grpc+tls://`); `MOSAICOD_CLIENT_TRANSPORT` sets the default.
   */
  transport?: ClientTransport;
}

/** The client's transports. */
export type ClientTransport = "native" | "grpc-js";

/** Per-call options. */
export interface CallOptions {
  /** This call's deadline, instead of the channel's. */
  deadlineMs?: number;
}

/** A message to send: protobuf bytes, or a FlightData already framed for gRPC. */
export type RequestMessage = Uint8Array | FramedMessage;

type GenericClient = grpc.Client & Record<string, (...args: unknown[]) => unknown>;

const FlightClientConstructor = grpc.makeGenericClientConstructor(FLIGHT_SERVICE, "FlightService");

/** What a hand-driven call needs of either transport's call object. */
interface DuplexCall extends CallEvents {
  /** Sends a message; false when the send buffer is full (`drain` follows). */
  write(message: RequestMessage): boolean;
  end(): void;
}

/** A client-streaming (and server-streaming) call driven by hand. */
export class BidiCall implements Disposable {
  readonly #call: DuplexCall;
  /** The server's responses; they end with the call's status. */
  readonly responses: ResponseStream;

  constructor(call: DuplexCall) {
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
  readonly #client: GenericClient | null = null;
  readonly #native: NativeTransport | null = null;
  readonly #options: ChannelOptions;
  #closed = false;

  constructor(address: ServerAddress, options: ChannelOptions = {}) {
    this.address = address;
    this.#options = options;
    // TLS stays on grpc-js: Deno's TLS (rustls) refuses a self-signed certificate marked as a CA, which
    // `openssl req -x509` makes by default and OpenSSL-based clients (grpc-js, the SDK) accept.
    if (!address.tls && (options.transport ?? defaultTransport()) === "native") {
      const metadata: [string, string][] = Object.entries(options.metadata ?? {})
        .map(([k, v]) => [k.toLowerCase(), v]);
      if (options.apiKey !== undefined) metadata.unshift([API_KEY_HEADER, options.apiKey]);
      this.#native = new NativeTransport(address, { metadata, gzip: options.gzip });
      return;
    }
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

  #deadline(opts: CallOptions): number | undefined {
    if (this.#closed) throw new Error("The client is closed");
    return opts.deadlineMs ?? this.#options.deadlineMs;
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
    if (this.#native) {
      const deadlineMs = this.#deadline(opts);
      return this.#native.unary(rpc, nativeMessage(request), { deadlineMs }).catch((err) => {
        throw toClientError(err);
      });
    }
    const args = this.#callArgs(opts);
    return new Promise((resolve, reject) => {
      this.#client![rpc](
        request,
        ...args,
        (err: grpc.ServiceError | null, response: Uint8Array) =>
          err ? reject(toClientError(err)) : resolve(response),
      );
    });
  }

  /** Calls a server-streaming RPC; its responses come as they arrive. */
  serverStream(rpc: FlightRpc, request: RequestMessage, opts: CallOptions = {}): ResponseStream {
    if (this.#native) {
      const call = this.#native.call(rpc, { deadlineMs: this.#deadline(opts) });
      const stream = new ResponseStream(call);
      call.write(nativeMessage(request));
      call.end();
      return stream;
    }
    const call = this.#client![rpc](request, ...this.#callArgs(opts)) as grpc.ClientReadableStream<
      Uint8Array
    >;
    return new ResponseStream(call);
  }

  /** Opens a bidirectional-streaming RPC (DoPut, DoExchange, Handshake). */
  bidi(rpc: FlightRpc, opts: CallOptions = {}): BidiCall {
    if (this.#native) {
      const call = this.#native.call(rpc, { deadlineMs: this.#deadline(opts) });
      return new BidiCall({
        on: call.on.bind(call),
        off: call.off.bind(call),
        pause: () => call.pause(),
        resume: () => call.resume(),
        cancel: () => call.cancel(),
        write: (message: RequestMessage) => call.write(nativeMessage(message)),
        end: () => call.end(),
      });
    }
    const call = this.#client![rpc](...this.#callArgs(opts)) as grpc.ClientDuplexStream<
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
    this.#client?.close();
    this.#native?.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** A request as our transport sends it: a FlightData already framed goes out as it is. */
function nativeMessage(message: RequestMessage): ClientMessage {
  return message;
}

/** The transport when the options do not say: `MOSAICOD_CLIENT_TRANSPORT`, else our own. */
function defaultTransport(): ClientTransport {
  let value: string | undefined;
  try {
    value = Deno.env.get("MOSAICOD_CLIENT_TRANSPORT");
  } catch {
    value = undefined; // no env permission: the default
  }
  return value === "grpc-js" ? "grpc-js" : "native";
}

/** `::1` of `[::1]`. */
function bareHost(host: string): string {
  return host.startsWith("[") ? host.slice(1, -1) : host;
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
