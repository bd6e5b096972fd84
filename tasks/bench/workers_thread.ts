/**
 * One worker thread of tasks/bench/workers_server.ts (`deno task bench --sections workers`). It reads every
 * connection it gets to the end, 256 KiB at a time into its own buffer (as the native transport's framed
 * reader does), then answers one JSON line, `{"worker": i, "bytes": n}`, and closes. How it gets a
 * connection is the design under test:
 *
 * - `listen`: it listens itself, on a port shared with the other threads (SO_REUSEPORT);
 * - `relay`: the acceptor thread reads the socket and transfers each chunk's ArrayBuffer to it over a
 *   MessagePort of that connection; it hands the buffer back once copied out, and its answer goes back the
 *   same way for the acceptor to write;
 * - `adopt`: the acceptor hands over a duplicate of the socket's file descriptor, opened with node:net.
 *
 * Bench code: imports nothing from src/.
 *
 * @module
 */
import * as net from "node:net";

/** Bytes read from a connection per call, and the size of the relay's buffers. */
export const CHUNK_BYTES = 256 * 1024;

/** What the server's main thread asks a worker thread. */
export type ThreadRequest =
  | { kind: "listen"; port: number }
  | { kind: "relay"; port: MessagePort }
  | { kind: "adopt"; fd: number };

/** What a worker thread tells the main thread: the port it listens on, or why it could not. */
export type ThreadEvent = { kind: "listening"; port: number } | { kind: "failed"; message: string };

/** On a relay port, acceptor to thread: one chunk (its buffer transferred), then the end of the input. */
export type RelayIn = { kind: "data"; buf: ArrayBuffer; length: number } | { kind: "end" };

/** On a relay port, thread to acceptor: a buffer handed back for reuse, then the answer to write. */
export type RelayOut = { kind: "free"; buf: ArrayBuffer } | { kind: "reply"; bytes: Uint8Array };

/** The one read call the drain loop needs, as `Deno.Conn` has it. */
interface ByteReader {
  read(target: Uint8Array): Promise<number | null>;
}

/** A ByteReader over chunks pushed to it: each chunk is copied out, then `release()` is called. */
class ChunkReader implements ByteReader {
  #chunks: { bytes: Uint8Array; release: () => void }[] = [];
  #offset = 0;
  #ended = false;
  #wake: (() => void) | null = null;

  push(bytes: Uint8Array, release: () => void): void {
    this.#chunks.push({ bytes, release });
    this.#notify();
  }

  end(): void {
    this.#ended = true;
    this.#notify();
  }

  /** Bytes queued and not yet read. */
  get queuedBytes(): number {
    return this.#chunks.reduce((sum, c) => sum + c.bytes.length, 0) - this.#offset;
  }

  async read(target: Uint8Array): Promise<number | null> {
    while (!this.#chunks.length) {
      if (this.#ended) return null;
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
    const head = this.#chunks[0];
    const n = Math.min(target.length, head.bytes.length - this.#offset);
    target.set(head.bytes.subarray(this.#offset, this.#offset + n));
    this.#offset += n;
    if (this.#offset === head.bytes.length) {
      this.#chunks.shift();
      this.#offset = 0;
      head.release();
    }
    return n;
  }

  #notify(): void {
    this.#wake?.();
    this.#wake = null;
  }
}

const worker = self as unknown as Worker & { name: string };
const encoder = new TextEncoder();

/** Reads `reader` to its end; returns the answer line. */
async function drain(reader: ByteReader): Promise<Uint8Array<ArrayBuffer>> {
  const buf = new Uint8Array(CHUNK_BYTES);
  let bytes = 0;
  for (let n = await reader.read(buf); n !== null; n = await reader.read(buf)) bytes += n;
  return encoder.encode(JSON.stringify({ worker: Number(worker.name), bytes }) + "\n");
}

async function serveConn(conn: Deno.Conn): Promise<void> {
  try {
    const reply = await drain(conn);
    for (let sent = 0; sent < reply.length;) sent += await conn.write(reply.subarray(sent));
  } finally {
    conn.close();
  }
}

async function listen(port: number): Promise<void> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port, reusePort: true });
  worker.postMessage({ kind: "listening", port: (listener.addr as Deno.NetAddr).port } satisfies ThreadEvent);
  for await (const conn of listener) serveConn(conn).catch(fail);
}

async function relay(port: MessagePort): Promise<void> {
  const reader = new ChunkReader();
  port.onmessage = (e: MessageEvent<RelayIn>) => {
    const msg = e.data;
    if (msg.kind === "end") return reader.end();
    const { buf } = msg;
    reader.push(
      new Uint8Array(buf, 0, msg.length),
      () => port.postMessage({ kind: "free", buf } satisfies RelayOut, [buf]),
    );
  };
  const bytes = await drain(reader);
  port.postMessage({ kind: "reply", bytes } satisfies RelayOut, [bytes.buffer]);
}

/** Highest bytes queued from an adopted socket before it is paused. */
const ADOPT_QUEUE_BYTES = 1024 * 1024;

async function adopt(fd: number): Promise<void> {
  // Half-open: the answer is written after the client has finished sending.
  const socket = new net.Socket({ fd, readable: true, writable: true, allowHalfOpen: true });
  const reader = new ChunkReader();
  const release = () => {
    if (socket.isPaused() && reader.queuedBytes < ADOPT_QUEUE_BYTES) socket.resume();
  };
  socket.on("data", (chunk: Uint8Array) => {
    reader.push(chunk, release);
    if (reader.queuedBytes >= ADOPT_QUEUE_BYTES) socket.pause();
  });
  socket.on("end", () => reader.end());
  const failed = new Promise<never>((_, reject) => socket.on("error", reject));
  const reply = await Promise.race([drain(reader), failed]);
  await new Promise<void>((resolve) => socket.end(reply, resolve));
}

/** Tells the main thread, which stops the server: a benchmark must not go on after a lost connection. */
function fail(err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  worker.postMessage({ kind: "failed", message } satisfies ThreadEvent);
}

worker.onmessage = (e: MessageEvent<ThreadRequest>) => {
  const req = e.data;
  const done = req.kind === "listen"
    ? listen(req.port)
    : req.kind === "relay"
    ? relay(req.port)
    : adopt(req.fd);
  done.catch(fail);
};
