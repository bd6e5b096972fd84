/**
 * A TCP proxy for dependency-fault tests: forwards to a real server, or makes it look down (connections
 * refused at once) or hung (connections accepted, never answered). Switching modes cuts the connections
 * in flight, as a crash or a network partition would.
 *
 * @module
 */
import * as net from "node:net";

export type ProxyMode = "forward" | "refuse" | "stall";

export class FaultProxy implements AsyncDisposable {
  readonly port: number;
  #server: net.Server;
  #mode: ProxyMode = "forward";
  #sockets = new Set<net.Socket>();
  /** Bytes clients may still send before the proxy switches to `refuse` (null: no limit). */
  #budget: number | null = null;

  private constructor(server: net.Server, port: number) {
    this.#server = server;
    this.port = port;
  }

  /** Listens on a free loopback port, forwarding to `target`. */
  static async start(target: { host: string; port: number }): Promise<FaultProxy> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen({ host: "127.0.0.1", port: 0 }, resolve));
    const proxy = new FaultProxy(server, (server.address() as net.AddressInfo).port);
    server.on("connection", (client) => proxy.#accept(client, target));
    return proxy;
  }

  get mode(): ProxyMode {
    return this.#mode;
  }

  /**
   * Keeps forwarding until clients have sent `bytes` more, then switches to `refuse` in the middle of
   * whatever request is under way (an upload cut short by the store going down).
   */
  refuseAfter(bytes: number): void {
    this.#budget = bytes;
  }

  /** Changes the mode; every connection open now is cut. */
  setMode(mode: ProxyMode): void {
    this.#mode = mode;
    this.#budget = null;
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
  }

  #track(socket: net.Socket): void {
    this.#sockets.add(socket);
    socket.on("close", () => this.#sockets.delete(socket));
    socket.on("error", () => socket.destroy());
  }

  #accept(client: net.Socket, target: { host: string; port: number }): void {
    this.#track(client);
    if (this.#mode === "refuse") return void client.destroy();
    if (this.#mode === "stall") return void client.pause(); // accepted, never answered
    const upstream = net.connect(target.port, target.host);
    this.#track(upstream);
    client.on("data", (chunk: Uint8Array) => {
      if (this.#budget === null) return void upstream.write(chunk);
      this.#budget -= chunk.length;
      if (this.#budget < 0) this.setMode("refuse");
      else upstream.write(chunk);
    });
    upstream.pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.setMode("refuse");
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
