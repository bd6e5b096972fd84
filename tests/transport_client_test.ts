/**
 * Our HTTP/2 + gRPC client (`src/transport/http2/client.ts`, `src/transport/grpc/client_call.ts`)
 * against an independent server: grpc-js on `node:http2`, serving a test service of raw bytes. Unary,
 * server-streaming and bidirectional calls with messages far larger than the windows on either side, the
 * status and its percent-encoded message, metadata, a deadline, cancellation seen by the server, the
 * server's limit on concurrent streams, a server that goes away mid-call and a reconnect after it.
 *
 * @module
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { type ClientMessage, GrpcClientCall } from "../src/transport/grpc/client_call.ts";
import { Http2ClientConnection } from "../src/transport/http2/client.ts";

const bytes = (m: Buffer | Uint8Array) => new Uint8Array(m.buffer, m.byteOffset, m.byteLength);
const method = (path: string, requestStream: boolean, responseStream: boolean) => ({
  path,
  requestStream,
  responseStream,
  requestSerialize: (m: Uint8Array) => Buffer.from(m),
  requestDeserialize: (b: Buffer) => bytes(b),
  responseSerialize: (m: Uint8Array) => Buffer.from(m),
  responseDeserialize: (b: Buffer) => bytes(b),
});
const SERVICE = {
  Echo: method("/test.T/Echo", false, false),
  Fill: method("/test.T/Fill", false, true),
  Chat: method("/test.T/Chat", true, true),
  Fail: method("/test.T/Fail", false, false),
  Hang: method("/test.T/Hang", false, true),
  Early: method("/test.T/Early", true, true),
} as unknown as grpc.ServiceDefinition;

/** A message of `n` bytes whose content depends on `seed` (checked on arrival). */
function pattern(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed) & 255;
  return out;
}

interface Fixture extends AsyncDisposable {
  port: number;
  /** Calls of Hang the server saw cancelled. */
  cancelled: number;
  server: grpc.Server;
}

async function serve(options: grpc.ServerOptions = {}): Promise<Fixture> {
  const server = new grpc.Server(options);
  const fx = { cancelled: 0 } as Fixture;
  server.addService(SERVICE, {
    Echo: (call: grpc.ServerUnaryCall<Uint8Array, Uint8Array>, cb: grpc.sendUnaryData<Uint8Array>) => {
      const tag = call.metadata.get("x-tag")[0];
      const prefix = new TextEncoder().encode(typeof tag === "string" ? tag : "");
      const out = new Uint8Array(prefix.length + call.request.length);
      out.set(prefix);
      out.set(call.request, prefix.length);
      cb(null, out);
    },
    Fill: (call: grpc.ServerWritableStream<Uint8Array, Uint8Array>) => {
      // The request: count and size of the messages wanted, as two uint32.
      const view = new DataView(call.request.buffer, call.request.byteOffset, 8);
      const [count, size] = [view.getUint32(0), view.getUint32(4)];
      let i = 0;
      const pump = () => {
        while (i < count) {
          if (!call.write(pattern(size, i++))) return void call.once("drain", pump);
        }
        call.end();
      };
      pump();
    },
    Chat: (call: grpc.ServerDuplexStream<Uint8Array, Uint8Array>) => {
      call.on("data", (m: Uint8Array) => call.write(m.slice().reverse()));
      call.on("end", () => call.end());
    },
    Fail: (_call: unknown, cb: grpc.sendUnaryData<Uint8Array>) => {
      cb({ code: grpc.status.FAILED_PRECONDITION, details: "not now: 100% busy, café closed" });
    },
    Early: (call: grpc.ServerDuplexStream<Uint8Array, Uint8Array>) => {
      call.once("data", () => call.emit("error", { code: grpc.status.ABORTED, details: "refused early" }));
    },
    Hang: (call: grpc.ServerWritableStream<Uint8Array, Uint8Array>) => {
      call.write(new Uint8Array([1]));
      call.on("cancelled", () => fx.cancelled++);
    },
  });
  fx.server = server;
  fx.port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => {
      if (err) reject(err);
      else resolve(port);
    })
  );
  fx[Symbol.asyncDispose] = () => new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  return fx;
}

interface Outcome {
  messages: Uint8Array[];
  status: { code: number; details: string };
}

/** Makes a call, sends `requests` (then half-closes), and collects what comes back. */
function call(
  conn: Promise<Http2ClientConnection>,
  port: number,
  path: string,
  requests: ClientMessage[],
  opts: { deadlineMs?: number; metadata?: [string, string][]; gzip?: boolean; onData?: () => void } = {},
): { call: GrpcClientCall; done: Promise<Outcome> } {
  const c = new GrpcClientCall(conn, { path, authority: `127.0.0.1:${port}`, scheme: "http", ...opts });
  const messages: Uint8Array[] = [];
  const done = new Promise<Outcome>((resolve) => {
    c.on("data", (m: Uint8Array) => {
      messages.push(m);
      opts.onData?.();
    });
    c.on("end", () => resolve({ messages, status: { code: 0, details: "" } }));
    c.on("error", (status: { code: number; details: string }) => resolve({ messages, status }));
  });
  for (const r of requests) c.write(r);
  c.end();
  return { call: c, done };
}

const fillRequest = (count: number, size: number) => {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setUint32(0, count);
  new DataView(out.buffer).setUint32(4, size);
  return out;
};

Deno.test("native gRPC client against grpc-js: unary, streams past every window, status, metadata", async () => {
  await using fx = await serve();
  const conn = Http2ClientConnection.connect({ hostname: "127.0.0.1", port: fx.port });
  try {
    const echo = await call(conn, fx.port, "/test.T/Echo", [new Uint8Array([1, 2, 3])], {
      metadata: [["x-tag", "ab"]],
    }).done;
    assert.deepEqual(echo.status.code, 0);
    assert.deepEqual(echo.messages, [new Uint8Array([97, 98, 1, 2, 3])]);

    // 48 messages of 1 MiB: six times our 8 MiB stream window.
    const fill = await call(conn, fx.port, "/test.T/Fill", [fillRequest(48, 1 << 20)]).done;
    assert.equal(fill.status.code, 0);
    assert.equal(fill.messages.length, 48);
    fill.messages.forEach((m, i) => assert.deepEqual(m, pattern(1 << 20, i), `message ${i}`));

    // 24 requests of 1 MiB into grpc-js's 64 KiB windows, a framed one among them, and a gzip call.
    const sent = Array.from({ length: 24 }, (_, i) => pattern(1 << 20, 100 + i));
    const framed = new Uint8Array(5 + 10);
    new DataView(framed.buffer).setUint32(1, 10);
    framed.set(pattern(10, 7), 5);
    // Sent in two pieces, as a FlightData with a large body is.
    const pieces = { parts: [framed.subarray(0, 8), framed.subarray(8)], byteLength: framed.length, framed };
    const chat = await call(conn, fx.port, "/test.T/Chat", [...sent, pieces]).done;
    assert.equal(chat.status.code, 0);
    assert.deepEqual(chat.messages, [...sent, pattern(10, 7)].map((m) => m.slice().reverse()));
    const zipped = await call(conn, fx.port, "/test.T/Chat", [pattern(300_000, 3)], { gzip: true }).done;
    assert.deepEqual(zipped.messages, [pattern(300_000, 3).reverse()]);

    const fail = await call(conn, fx.port, "/test.T/Fail", [new Uint8Array()]).done;
    assert.deepEqual(fail.status, {
      code: grpc.status.FAILED_PRECONDITION,
      details: "not now: 100% busy, café closed",
    });
    const missing = await call(conn, fx.port, "/test.T/Nope", [new Uint8Array()]).done;
    assert.equal(missing.status.code, grpc.status.UNIMPLEMENTED);
  } finally {
    await (await conn).close();
  }
});

Deno.test("native gRPC client: a deadline, a cancel the server sees, early answers, and calls past the server's stream limit", async () => {
  await using fx = await serve({ "grpc.max_concurrent_streams": 2 });
  const conn = Http2ClientConnection.connect({ hostname: "127.0.0.1", port: fx.port });
  try {
    const started = performance.now();
    const late = await call(conn, fx.port, "/test.T/Hang", [new Uint8Array()], { deadlineMs: 300 }).done;
    assert.equal(late.status.code, grpc.status.DEADLINE_EXCEEDED);
    assert.equal(late.messages.length, 1);
    assert.ok(performance.now() - started < 3000);

    let cancel = () => {};
    const hung = call(conn, fx.port, "/test.T/Hang", [new Uint8Array()], { onData: () => cancel() });
    cancel = () => hung.call.cancel();
    assert.equal((await hung.done).status.code, grpc.status.CANCELLED);
    for (let i = 0; i < 50 && fx.cancelled < 2; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(fx.cancelled, 2); // the deadline's and the cancel's

    // Calls the server ends while their requests are still open, one after the other: each is reset
    // by the client, so none keeps one of the server's two streams.
    for (let i = 0; i < 6; i++) {
      const c = new GrpcClientCall(conn, { path: "/test.T/Early", authority: "x", scheme: "http" });
      const status = new Promise<number>((resolve) => {
        c.on("error", (e: { code: number }) => resolve(e.code));
        c.on("end", () => resolve(0));
      });
      c.write(new Uint8Array([i])); // and never end()
      assert.equal(await status, grpc.status.ABORTED, `call ${i}`);
    }

    // Eight calls at once on a server taking two streams at a time: every one completes.
    const all = await Promise.all(
      Array.from(
        { length: 8 },
        (_, i) => call(conn, fx.port, "/test.T/Fill", [fillRequest(4, 100_000 + i)]).done,
      ),
    );
    all.forEach((o, i) => {
      assert.equal(o.status.code, 0, o.status.details);
      assert.deepEqual(o.messages.map((m) => m.length), [0, 1, 2, 3].map(() => 100_000 + i));
    });
  } finally {
    await (await conn).close();
  }
});

Deno.test("native gRPC client: a server that goes away fails the call and the connection; no server, UNAVAILABLE", async () => {
  const fx = await serve();
  const conn = Http2ClientConnection.connect({ hostname: "127.0.0.1", port: fx.port });
  const hung = call(conn, fx.port, "/test.T/Hang", [new Uint8Array()], {
    onData: () => fx.server.forceShutdown(),
  });
  const outcome = await hung.done;
  // grpc-js resets its streams (CANCEL, which gRPC reads as CANCELLED), then drops the connection.
  assert.ok(
    [grpc.status.CANCELLED, grpc.status.UNAVAILABLE].includes(outcome.status.code),
    `${outcome.status.code}: ${outcome.status.details}`,
  );
  for (let i = 0; i < 100 && !(await conn).closed; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal((await conn).closed, true);
  await (await conn).close();
  const refused = Http2ClientConnection.connect({ hostname: "127.0.0.1", port: fx.port });
  const nobody = await call(refused, fx.port, "/test.T/Echo", [new Uint8Array()]).done;
  assert.equal(nobody.status.code, grpc.status.UNAVAILABLE);
  await refused.catch(() => {});
});
