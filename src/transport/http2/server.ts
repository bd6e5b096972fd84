/**
 * The HTTP/2 server: listens with `Deno.listen` or `Deno.listenTls` (ALPN `h2`), caps connections,
 * runs one {@link Connection} per socket, ticks their timers from one interval, and closes gracefully
 * (two-step GOAWAY, wait for open streams, then close). Knows nothing of gRPC.
 *
 * @module
 */

import type { Logger } from "../../log.ts";
import { encodeGoAway } from "./frame/go_away.ts";
import { ErrorCode } from "./frame/reason.ts";
import { encodeSettings } from "./frame/settings.ts";
import { type Http2Limits, resolveLimits } from "./limits.ts";
import { Connection } from "./proto/connection.ts";
import type { Http2ServerStream } from "./proto/streams/server_stream.ts";

/** How to listen. */
export interface Http2ServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** SO_REUSEPORT (Linux), for several workers on one port; needs Deno's `--unstable-net`. */
  reusePort?: boolean;
  /** PEM certificate chain and private key: TLS with ALPN `h2`; plaintext (prior knowledge) without. */
  tls?: { certChain: Uint8Array; privateKey: Uint8Array } | null;
  limits?: Partial<Http2Limits>;
  log: Logger;
}

/** A listening HTTP/2 server. */
export class Http2Server {
  readonly host: string;
  readonly port: number;
  #listener: Deno.Listener;
  #tls: boolean;
  #limits: Readonly<Http2Limits>;
  #log: Logger;
  #onStream: (s: Http2ServerStream) => void;
  #connections = new Set<Connection>();
  #connectionSerial = 0;
  #timer: ReturnType<typeof setInterval>;
  #accepting: Promise<void>;
  #closing = false;

  private constructor(
    listener: Deno.Listener,
    opts: Http2ServerOptions,
    limits: Readonly<Http2Limits>,
    onStream: (s: Http2ServerStream) => void,
  ) {
    this.#listener = listener;
    this.host = opts.host;
    this.port = (listener.addr as Deno.NetAddr).port;
    this.#tls = !!opts.tls;
    this.#limits = limits;
    this.#log = opts.log;
    this.#onStream = onStream;
    const tickMs = Math.max(20, Math.min(1000, limits.handshakeTimeoutMs / 4, limits.idleTimeoutMs / 4));
    this.#timer = setInterval(() => this.#tick(), tickMs);
    this.#accepting = this.#acceptLoop();
  }

  /**
   * Binds `host:port` and serves every request stream to `onStream`.
   * @throws RangeError on bad limits; Deno's errors (AddrInUse, PermissionDenied, ...) when binding fails
   */
  static listen(opts: Http2ServerOptions, onStream: (s: Http2ServerStream) => void): Promise<Http2Server> {
    const limits = resolveLimits(opts.limits);
    const base = { hostname: opts.host, port: opts.port, ...(opts.reusePort ? { reusePort: true } : {}) };
    const listener: Deno.Listener = opts.tls
      ? Deno.listenTls({
        ...base,
        cert: new TextDecoder().decode(opts.tls.certChain),
        key: new TextDecoder().decode(opts.tls.privateKey),
        alpnProtocols: ["h2"],
      })
      : Deno.listen(base);
    return Promise.resolve(new Http2Server(listener, opts, limits, onStream));
  }

  /** Streams open over all connections. */
  get activeStreams(): number {
    let n = 0;
    for (const c of this.#connections) n += c.activeStreams;
    return n;
  }

  /** Connections open. */
  get connections(): number {
    return this.#connections.size;
  }

  /** Stops accepting, sends the two-step GOAWAY, waits for open streams up to `timeoutMs`, closes all. */
  async close(timeoutMs: number): Promise<void> {
    if (!this.#closing) {
      this.#closing = true;
      this.#listener.close();
    }
    for (const c of this.#connections) c.shutdown();
    const all = Promise.all([...this.#connections].map((c) => c.done));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<void>((resolve) => timer = setTimeout(resolve, timeoutMs));
    await Promise.race([all, deadline]);
    clearTimeout(timer);
    for (const c of this.#connections) c.close();
    await Promise.all([...this.#connections].map((c) => c.done));
    await this.#accepting;
    clearInterval(this.#timer);
  }

  async #acceptLoop(): Promise<void> {
    for (;;) {
      let socket: Deno.Conn;
      try {
        socket = await this.#listener.accept();
      } catch (err) {
        if (this.#closing) return;
        if (err instanceof Deno.errors.BadResource || err instanceof Deno.errors.Interrupted) return;
        this.#log.warn("accept failed", { err });
        continue;
      }
      if (this.#closing) {
        socket.close();
        continue;
      }
      if (this.#connections.size >= this.#limits.maxConnections) {
        this.#refuse(socket);
        continue;
      }
      this.#serve(socket);
    }
  }

  #serve(socket: Deno.Conn): void {
    const peer = formatPeer(socket.remoteAddr);
    // Small frames (SETTINGS ack, WINDOW_UPDATE, a unary answer) must not wait for Nagle's algorithm.
    (socket as Partial<Deno.TcpConn>).setNoDelay?.(true);
    const conn = new Connection(socket, {
      limits: this.#limits,
      log: this.#log.child({ peer }),
      peer,
      connectionId: ++this.#connectionSerial,
      onStream: this.#onStream,
    });
    this.#connections.add(conn);
    void conn.serve(this.#tls).finally(() => this.#connections.delete(conn));
  }

  /** Over the connection cap: SETTINGS and GOAWAY (plaintext only), then close. */
  #refuse(socket: Deno.Conn): void {
    this.#log.warn("connection refused: too many connections", { max: this.#limits.maxConnections });
    if (this.#tls) return socket.close();
    const bytes = new Uint8Array([
      ...encodeSettings([]),
      ...encodeGoAway(0, ErrorCode.ENHANCE_YOUR_CALM, "too many connections"),
    ]);
    socket.write(bytes).then(
      () => socket.close(),
      () => socket.close(),
    );
  }

  #tick(): void {
    const now = performance.now();
    for (const c of this.#connections) c.tick(now);
  }
}

/** "127.0.0.1:54321", "[::1]:54321". */
export function formatPeer(addr: Deno.Addr): string {
  if (addr.transport !== "tcp" && addr.transport !== "udp") return addr.transport;
  return addr.hostname.includes(":") ? `[${addr.hostname}]:${addr.port}` : `${addr.hostname}:${addr.port}`;
}
