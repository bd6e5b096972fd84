/**
 * The server side of `deno task bench --sections workers`: one process, `--workers N` threads of
 * workers_thread.ts, and one way of spreading connections across them (`--design`):
 *
 * - `reuseport`: every thread listens on the same port with SO_REUSEPORT and the kernel picks, by a hash of
 *   the connection's addresses and ports (what `--workers N` does today, src/flight_workers.ts);
 * - `relay`: the main thread accepts, picks a thread in turn and relays: it reads the socket into a pool of
 *   four 256 KiB ArrayBuffers per connection, transfers each filled one to the thread (no copy; the thread
 *   hands it back, which also bounds the bytes in flight) and writes the thread's answer back;
 * - `handover`: the main thread accepts with node:net, picks a thread in turn and hands it a duplicate of the
 *   socket's file descriptor (`fdForIpc()`, a Deno 2.9 internal of node:net's handle, the one its
 *   child_process handle passing uses); the thread opens it with `new net.Socket({ fd })`.
 *
 * Listens on a free port of 127.0.0.1, prints `{"port": N}` on stdout and serves until SIGTERM.
 * A thread that fails stops the process with exit code 1. Bench code: imports nothing from src/.
 *
 * @module
 */
import * as net from "node:net";
import { parseArgs } from "node:util";
import {
  CHUNK_BYTES,
  type RelayIn,
  type RelayOut,
  type ThreadEvent,
  type ThreadRequest,
} from "./workers_thread.ts";

/** The ways of spreading connections that the section compares. */
export const DESIGNS = ["reuseport", "relay", "handover"] as const;
/** One of {@link DESIGNS}. */
export type Design = typeof DESIGNS[number];

const THREAD_URL = new URL("./workers_thread.ts", import.meta.url);
/** Relay buffers per connection: at most this many chunks are in flight to a thread. */
const RELAY_BUFFERS = 4;

/** Worker threads, and the next one to give a connection to. */
class Threads {
  readonly #workers: Worker[];
  #next = 0;

  constructor(count: number, onFailed: (message: string) => void) {
    this.#workers = Array.from({ length: count }, (_, i) => {
      const worker = new Worker(THREAD_URL, { type: "module", name: String(i) });
      worker.addEventListener("message", (e: MessageEvent<ThreadEvent>) => {
        if (e.data.kind === "failed") onFailed(`thread ${i}: ${e.data.message}`);
      });
      worker.onerror = (e) => onFailed(`thread ${i}: ${e.message}`);
      return worker;
    });
  }

  /** Sends `req` to the next thread in turn. */
  nextTakes(req: ThreadRequest, transfer: Transferable[] = []): void {
    this.#workers[this.#next++ % this.#workers.length].postMessage(req, transfer);
  }

  /** Has every thread listen on one port (the first picks it); returns the port. */
  async listenAll(): Promise<number> {
    let port = 0;
    for (const worker of this.#workers) {
      const listening = new Promise<number>((resolve, reject) => {
        const onMessage = (e: MessageEvent<ThreadEvent>) => {
          worker.removeEventListener("message", onMessage);
          if (e.data.kind === "listening") resolve(e.data.port);
          else reject(new Error(`Cannot listen on port ${port} with SO_REUSEPORT: ${e.data.message}`));
        };
        worker.addEventListener("message", onMessage);
      });
      worker.postMessage({ kind: "listen", port } satisfies ThreadRequest);
      port = await listening;
    }
    return port;
  }

  terminate(): void {
    for (const worker of this.#workers) worker.terminate();
  }
}

/** Relays one connection to a thread through `port` until the thread's answer is written. */
async function relayConn(conn: Deno.Conn, port: MessagePort): Promise<void> {
  const free = Array.from({ length: RELAY_BUFFERS }, () => new ArrayBuffer(CHUNK_BYTES));
  let wake: (() => void) | null = null;
  const reply = Promise.withResolvers<Uint8Array>();
  port.onmessage = (e: MessageEvent<RelayOut>) => {
    if (e.data.kind === "reply") return reply.resolve(e.data.bytes);
    free.push(e.data.buf);
    wake?.();
    wake = null;
  };
  try {
    for (;;) {
      while (!free.length) await new Promise<void>((resolve) => wake = resolve);
      const buf = free.pop()!;
      const length = await conn.read(new Uint8Array(buf));
      if (length === null) break;
      port.postMessage({ kind: "data", buf, length } satisfies RelayIn, [buf]);
    }
    port.postMessage({ kind: "end" } satisfies RelayIn);
    const bytes = await reply.promise;
    for (let sent = 0; sent < bytes.length;) sent += await conn.write(bytes.subarray(sent));
  } finally {
    port.close();
    conn.close();
  }
}

function serveRelay(threads: Threads, onFailed: (message: string) => void): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const failed = (err: unknown) => onFailed(`relay: ${err instanceof Error ? err.message : err}`);
  (async () => {
    for await (const conn of listener) {
      const { port1, port2 } = new MessageChannel();
      threads.nextTakes({ kind: "relay", port: port2 }, [port2]);
      relayConn(conn, port1).catch(failed);
    }
  })().catch(failed);
  return (listener.addr as Deno.NetAddr).port;
}

/** The part of node:net's socket handle that this design relies on (not in Node's typings). */
interface HandleWithFd {
  fdForIpc(): number;
}

async function serveHandover(threads: Threads, onFailed: (message: string) => void): Promise<number> {
  const server = net.createServer((socket) => {
    const handle = (socket as unknown as { _handle?: Partial<HandleWithFd> })._handle;
    const fd = typeof handle?.fdForIpc === "function" ? handle.fdForIpc() : -1;
    // The thread owns the duplicate; the acceptor's own descriptor closes here.
    socket.destroy();
    if (fd < 0) return onFailed("handover: this Deno has no fdForIpc() on node:net socket handles");
    threads.nextTakes({ kind: "adopt", fd });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  return (server.address() as net.AddressInfo).port;
}

async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { design: { type: "string" }, workers: { type: "string", default: "2" } },
  });
  const design = DESIGNS.find((d) => d === values.design);
  if (!design) throw new Error(`--design must be one of ${DESIGNS.join(", ")}, got "${values.design}"`);
  const count = Number(values.workers);
  if (!Number.isInteger(count) || count < 1) throw new Error(`--workers must be a positive integer`);
  const stopped = Promise.withResolvers<number>();
  const onFailed = (message: string) => {
    console.error(`workers_server: ${message}`);
    stopped.resolve(1);
  };
  Deno.addSignalListener("SIGTERM", () => stopped.resolve(0));
  const threads = new Threads(count, onFailed);
  const port = design === "reuseport"
    ? await threads.listenAll()
    : design === "relay"
    ? serveRelay(threads, onFailed)
    : await serveHandover(threads, onFailed);
  console.log(JSON.stringify({ port }));
  const code = await stopped.promise;
  threads.terminate();
  return code;
}

if (import.meta.main) {
  let code: number;
  try {
    code = await main(Deno.args);
  } catch (err) {
    console.error(`workers_server: ${err instanceof Error ? err.message : err}`);
    code = 1;
  }
  Deno.exit(code);
}
