/**
 * The client's own transport for `grpc://` addresses: Flight calls over our HTTP/2 and gRPC client
 * (`src/transport/`), one connection per channel, opened on the first call, opened again after it failed
 * or the server went away, and closed after {@link IDLE_CLOSE_MS} without a call. The calls it makes behave as grpc-js's call
 * objects as far as `channel.ts`'s streams use them (`GrpcClientCall`).
 *
 * Must not import the server (app/, cli/, lifecycle/ and below): only the transport and the Flight codec.
 *
 * @module
 */
import { FLIGHT_SERVICE, type FlightRpc } from "../flight/service_def.ts";
import { type ClientMessage, GrpcClientCall } from "../transport/grpc/client_call.ts";
import { GrpcCode } from "../transport/grpc/status.ts";
import { Http2ClientConnection } from "../transport/http2/client.ts";
import type { ServerAddress } from "./url.ts";

/** The connection closes after this long without a call (the grpc-js channel's idle timeout too). */
export const IDLE_CLOSE_MS = 60_000;

/** What every call of a channel carries. */
export interface NativeOptions {
  /** Request headers (lower-case names) sent with every call. */
  metadata: [string, string][];
  gzip?: boolean;
}

/** Calls on one connection to `address`. */
export class NativeTransport {
  readonly #address: ServerAddress;
  readonly #options: NativeOptions;
  #conn: Promise<Http2ClientConnection> | null = null;
  #current: Http2ClientConnection | null = null;
  #calls = 0;
  #idle: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  /** @throws Error for a `grpc+tls://` address (see `http2/client.ts`) */
  constructor(address: ServerAddress, options: NativeOptions) {
    if (address.tls) throw new Error(`Cannot reach ${address.url} with the native transport: no TLS`);
    this.#address = address;
    this.#options = options;
  }

  /** Starts a call of `rpc`; send with `write`/`end` (a unary or server-streaming call: one message). */
  call(rpc: FlightRpc, opts: { deadlineMs?: number }): GrpcClientCall {
    if (this.#closed) throw new Error("The client is closed");
    clearTimeout(this.#idle);
    if (this.#calls++ === 0) this.#current?.ref(true);
    const call = new GrpcClientCall(this.#connection(), {
      path: FLIGHT_SERVICE[rpc].path,
      authority: this.#address.target,
      scheme: "http",
      metadata: this.#options.metadata,
      deadlineMs: opts.deadlineMs,
      gzip: this.#options.gzip,
    });
    call.once("close", () => {
      if (--this.#calls > 0) return;
      if (this.#closed) return this.#drop();
      // Idle: the connection no longer keeps the process alive, and goes after a while.
      this.#current?.ref(false);
      this.#idle = setTimeout(() => this.#drop(), IDLE_CLOSE_MS);
      Deno.unrefTimer(this.#idle);
    });
    return call;
  }

  /** A unary call: the one response, or the call's status as the error. */
  unary(rpc: FlightRpc, request: ClientMessage, opts: { deadlineMs?: number }): Promise<Uint8Array> {
    const call = this.call(rpc, opts);
    return new Promise((resolve, reject) => {
      let response: Uint8Array | null = null;
      call.on("data", (m: Uint8Array) => response ??= m);
      call.on("error", reject);
      call.on(
        "end",
        () =>
          response === null
            ? reject({ code: GrpcCode.INTERNAL, details: "The server answered a unary call with no message" })
            : resolve(response),
      );
      call.write(request);
      call.end();
    });
  }

  /** Closes the connection once the calls running have ended; new calls are refused. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#idle);
    if (this.#calls === 0) this.#drop();
  }

  #connection(): Promise<Http2ClientConnection> {
    if (this.#conn === null || this.#current?.closed) {
      const host = this.#address.host.startsWith("[") ? this.#address.host.slice(1, -1) : this.#address.host;
      const conn = Http2ClientConnection.connect({ hostname: host, port: this.#address.port }).catch(
        (err) => {
          if (this.#conn === conn) this.#conn = null;
          throw new Error(
            `Cannot connect to ${this.#address.url}: ${err instanceof Error ? err.message : err}`,
          );
        },
      );
      this.#current = null;
      this.#conn = conn;
      conn.then((c) => {
        if (this.#conn !== conn) return;
        this.#current = c;
        c.ref(this.#calls > 0);
      }, () => {});
    }
    return this.#conn;
  }

  #drop(): void {
    const conn = this.#conn;
    this.#conn = null;
    this.#current = null;
    conn?.then((c) => c.close(), () => {});
  }
}
