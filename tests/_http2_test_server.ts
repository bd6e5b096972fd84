/**
 * A tiny HTTP/2 server of src/transport/http2/ for the transport's own tests, with a few paths that
 * make a handler behave in a given way, and the request block a raw test client sends to reach them.
 * Not gRPC: plain HTTP/2 requests and answers.
 *
 * Paths: `/ok` reads the body, answers 200, "ok" and a trailer `x-received: <body bytes>`;
 * `/hold` never reads the body nor answers: it waits for the stream to be aborted;
 * `/echo` sends every body chunk back as it arrives (backpressure both ways), then trailers;
 * `/trailers-only` answers with one HEADERS frame carrying END_STREAM;
 * `/stream` sends 64 messages of 1 MiB, counting completed `sendData` calls in `sentMessages`.
 *
 * @module
 */
import { silentLogger } from "../src/log.ts";
import { type Http2Limits, Http2Server, type Http2ServerStream } from "../src/transport/http2/mod.ts";
import { FLAG, FRAME, headersFrame, hpackLiteral } from "./_h2_frames.ts";
import type { H2Peer } from "./_h2_peer.ts";
import { receivedHeaders } from "./_h2_expect.ts";

/** A running test server and what its handlers saw. */
export interface TestServer extends AsyncDisposable {
  server: Http2Server;
  port: number;
  /** `sendData` calls of `/stream` that resolved. */
  sentMessages: number;
  /** Streams handed to the handler. */
  streams: Http2ServerStream[];
}

/** Starts a server on a free port with `limits`. */
export async function startTestServer(
  limits: Partial<Http2Limits> = {},
  tls: { certChain: Uint8Array; privateKey: Uint8Array } | null = null,
): Promise<TestServer> {
  const state = { sentMessages: 0, streams: [] as Http2ServerStream[] };
  const server = await Http2Server.listen(
    { host: "127.0.0.1", port: 0, limits, tls, log: silentLogger() },
    (stream) => {
      state.streams.push(stream);
      void handle(stream, state).catch(() => stream.reset(0x2));
    },
  );
  return {
    server,
    port: server.port,
    get sentMessages() {
      return state.sentMessages;
    },
    streams: state.streams,
    [Symbol.asyncDispose]: () => server.close(2000),
  };
}

async function handle(stream: Http2ServerStream, state: { sentMessages: number }): Promise<void> {
  const path = stream.headers.find(([n]) => n === ":path")?.[1];
  if (path === "/stream") {
    stream.sendHeaders([[":status", "200"]]);
    const mib = new Uint8Array(1 << 20);
    for (let i = 0; i < 64 && !stream.signal.aborted; i++) {
      await stream.sendData(mib);
      state.sentMessages++;
    }
    return stream.sendTrailers([["x-done", "1"]]);
  }
  if (path === "/echo") {
    stream.sendHeaders([[":status", "200"]]);
    for await (const chunk of stream.body) await stream.sendData(chunk);
    return stream.sendTrailers([["x-echo", "done"]]);
  }
  if (path === "/trailers-only") {
    return stream.sendHeaders([[":status", "200"], ["x-only", "1"]], { endStream: true });
  }
  if (path === "/hold") {
    if (!stream.signal.aborted) {
      await new Promise((r) => stream.signal.addEventListener("abort", r, { once: true }));
    }
    return;
  }
  let received = 0;
  for await (const chunk of stream.body) received += chunk.length;
  stream.sendHeaders([[":status", "200"]]);
  await stream.sendData(new TextEncoder().encode("ok"));
  await stream.sendTrailers([["x-received", String(received)]]);
}

/** The HPACK block of a request for `path` (no Huffman, no indexing). */
export function requestBlock(path: string, extra: number[] = []): Uint8Array {
  return Uint8Array.from([
    0x83, // :method POST
    0x86, // :scheme http
    ...hpackLiteral(":path", path),
    ...hpackLiteral(":authority", "localhost"),
    ...extra,
  ]);
}

/** Sends a request for `/ok` on stream `id` and waits for the end of the answer. @returns its status */
export async function fetchOk(peer: H2Peer, id: number): Promise<string | undefined> {
  await peer.write(headersFrame(id, requestBlock("/ok"), { endStream: true }));
  await peer.waitFrame(
    (f) => f.streamId === id && f.type === FRAME.HEADERS && (f.flags & FLAG.END_STREAM) !== 0,
    5000,
    `the end of stream ${id}`,
  );
  const blocks = receivedHeaders(peer).filter((b) => b.streamId === id);
  return blocks[0]?.fields.find(([n]) => n === ":status")?.[1];
}

/** Resolves once `done()` holds, polling every 10 ms; rejects after `timeoutMs`. */
export async function waitUntil(done: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
