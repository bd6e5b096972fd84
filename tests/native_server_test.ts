/**
 * `NativeFlightServer` (src/flight/native_server.ts) with small handler sets of the test's own, no
 * catalog or store: what each call's `CallContext` holds, error mapping, pre-framed responses sent as
 * they are, uploads placed so that `data_body` is 8-byte aligned, bind failures, and the draining
 * shutdown (`stopping` first, in-flight calls finish, the rest cancelled at the deadline), watched from a
 * raw HTTP/2 connection (a grpc-js client must not be connected when the server sends GOAWAY: Deno's
 * node:http2 client can abort on it).
 */
import assert from "node:assert/strict";
import { status } from "@grpc/grpc-js";
import { NotFoundError, UnavailableError, UnimplementedError } from "../src/errors.ts";
import { createLogger, type Logger } from "../src/log.ts";
import { decodeFlightData, encodeFlightData, FramedMessage } from "../src/flight/flight_data.ts";
import { decodeBytesMessage, encodeBytesMessage } from "../src/flight/messages.ts";
import { NativeFlightServer } from "../src/flight/native_server.ts";
import type { FlightHandlers } from "../src/flight/server.ts";
import type { ResponseMessage } from "../src/flight/service_def.ts";
import { HpackDecoder } from "../src/transport/http2/hpack/mod.ts";
import { channelTo, rpcError } from "./_flight_client.ts";
import { dataFrame, FRAME, grpcMessage, grpcRequestBlock, headersFrame } from "./_h2_frames.ts";
import { H2Peer } from "./_h2_peer.ts";
import { flightData } from "./_hostile.ts";

const utf8 = new TextEncoder();
const text = new TextDecoder();

/** Every RPC UNIMPLEMENTED, but those given. */
function handlers(given: Partial<FlightHandlers>): FlightHandlers {
  const no = (name: string) => () => Promise.reject(new UnimplementedError(`${name} is not served here`));
  const noStream = (name: string) =>
    async function* (): AsyncIterable<ResponseMessage> {
      yield* [];
      throw new UnimplementedError(`${name} is not served here`);
    };
  return {
    Handshake: noStream("Handshake"),
    ListFlights: noStream("ListFlights"),
    GetFlightInfo: no("GetFlightInfo"),
    PollFlightInfo: no("PollFlightInfo"),
    GetSchema: no("GetSchema"),
    DoGet: noStream("DoGet"),
    DoPut: noStream("DoPut"),
    DoExchange: noStream("DoExchange"),
    DoAction: noStream("DoAction"),
    ListActions: noStream("ListActions"),
    ...given,
  };
}

/** A logger that keeps its lines. */
function collectingLogger(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  return { log: createLogger({ level: "debug", sink: (l) => lines.push(JSON.parse(l)) }), lines };
}

function start(h: FlightHandlers, log: Logger, port = 0): Promise<NativeFlightServer> {
  return NativeFlightServer.start(h, { host: "127.0.0.1", port, maxMessageBytes: 4 * 1024 * 1024, log });
}

Deno.test("NativeFlightServer: each call's context holds its peer and credentials; errors map through status.ts", async () => {
  const { log, lines } = collectingLogger();
  const server = await start(
    handlers({
      GetFlightInfo: (_req, ctx) =>
        Promise.resolve(utf8.encode(JSON.stringify({
          peer: ctx.peer,
          authorization: ctx.authorization,
          apiKeyToken: ctx.apiKeyToken,
          aborted: [ctx.signal.aborted, ctx.stopping.aborted],
        }))),
      // deno-lint-ignore require-yield
      ListFlights: async function* () {
        throw new NotFoundError('Cannot find "caffè ☕" (50% sure)');
      },
      // deno-lint-ignore require-yield
      DoAction: async function* () {
        throw new Error("a bug of ours");
      },
    }),
    log,
  );
  try {
    {
      using client = channelTo(server.port, {
        deadlineMs: 10_000,
        metadata: { authorization: "Bearer abc", "mosaico-api-key-token": "tok" },
      });
      const ctx = JSON.parse(text.decode(await client.unary("GetFlightInfo", new Uint8Array(0))));
      assert.match(ctx.peer, /^127\.0\.0\.1:\d+$/);
      assert.deepEqual(
        { ...ctx, peer: "" },
        { peer: "", authorization: "Bearer abc", apiKeyToken: "tok", aborted: [false, false] },
      );
      const notFound = await rpcError(client.serverStream("ListFlights", new Uint8Array(0)).all());
      assert.deepEqual(notFound, { code: status.NOT_FOUND, details: 'Cannot find "caffè ☕" (50% sure)' });
      const bug = await rpcError(client.serverStream("DoAction", new Uint8Array(0)).all());
      assert.deepEqual(bug, { code: status.INTERNAL, details: "Internal error" });
      const unimplemented = await rpcError(client.exchange("DoExchange", []));
      assert.equal(unimplemented.code, status.UNIMPLEMENTED);
    }
    {
      using anonymous = channelTo(server.port, { deadlineMs: 10_000 });
      const ctx = JSON.parse(text.decode(await anonymous.unary("GetFlightInfo", new Uint8Array(0))));
      assert.equal(ctx.authorization, null);
      assert.equal(ctx.apiKeyToken, null);
    }
    const errors = lines.filter((l) => l.level === "error");
    assert.equal(errors.length, 1, "only the bug is logged as an error");
    assert.equal(errors[0].rpc, "DoAction");
    assert.match(String(errors[0].peer), /^127\.0\.0\.1:\d+$/);
    assert.ok(!JSON.stringify(lines).includes("abc"), "credentials never logged");
  } finally {
    await server.shutdown(1000);
  }
});

Deno.test("NativeFlightServer: pre-framed answers go out as they are; uploads arrive with data_body 8-byte aligned", async () => {
  const { log } = collectingLogger();
  const framed = [1, 7, 100, 5000].map((headerBytes, i) =>
    encodeFlightData({
      header: new Uint8Array(headerBytes).fill(i + 1),
      bodyLength: 100_000,
      bodyParts: [{ offset: 0, bytes: new Uint8Array(100_000).fill(0x40 + i) }],
    })
  );
  const server = await start(
    handlers({
      DoGet: async function* () {
        yield* framed;
      },
      DoPut: async function* (reqs) {
        const seen: [number, number][] = [];
        for await (const msg of reqs) {
          const body = decodeFlightData(msg).body;
          seen.push([body.length, body.byteOffset % 8]);
        }
        yield utf8.encode(JSON.stringify(seen));
      },
    }),
    log,
  );
  try {
    using client = channelTo(server.port, { deadlineMs: 10_000 });
    const got = await client.serverStream("DoGet", encodeBytesMessage(utf8.encode("any"))).all();
    assert.deepEqual(
      got.map((m) => new Uint8Array(m)),
      framed.map((f) => new Uint8Array(f.framed.subarray(5))),
    );
    const headers = [0, 1, 3, 6, 100, 999, 3000];
    const uploads = headers.map((n, i) =>
      flightData({ header: new Uint8Array(n).fill(9), body: new Uint8Array(4096 + i).fill(i) })
    );
    const [answer] = await client.exchange("DoPut", uploads);
    assert.deepEqual(JSON.parse(text.decode(answer)), headers.map((_, i) => [4096 + i, 0]));
    assert.ok(framed[0] instanceof FramedMessage);
  } finally {
    await server.shutdown(1000);
  }
});

Deno.test("NativeFlightServer.start(): a port in use is an UnavailableError naming the address", async () => {
  const { log } = collectingLogger();
  const first = await start(handlers({}), log);
  try {
    await assert.rejects(
      start(handlers({}), log, first.port),
      new UnavailableError(`Cannot listen on 127.0.0.1:${first.port}: address already in use`),
    );
  } finally {
    await first.shutdown(1000);
  }
});

/** The gRPC status each stream ended with (from its trailers or trailers-only headers), by stream id. */
function statuses(peer: H2Peer): Map<number, { code: number; message: string }> {
  const hpack = new HpackDecoder({ maxDynamicTableSize: 4096, maxHeaderListSize: 1 << 20 });
  const out = new Map<number, { code: number; message: string }>();
  for (const f of peer.frames) {
    if (f.type !== FRAME.HEADERS) continue;
    const fields = new Map(hpack.decode(f.payload));
    const code = fields.get("grpc-status");
    if (code !== undefined) {
      out.set(f.streamId, { code: Number(code), message: fields.get("grpc-message") ?? "" });
    }
  }
  return out;
}

Deno.test("NativeFlightServer.shutdown(): stopping first, in-flight calls finish, the rest cancelled at the deadline", async () => {
  const { log, lines } = collectingLogger();
  const seen: Record<string, string> = {};
  const until = (signal: AbortSignal) =>
    new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
  const server = await start(
    handlers({
      DoGet: async function* (req, ctx) {
        const what = text.decode(decodeBytesMessage(req));
        if (what === "follow") {
          // A call that only waits: it ends when told the server is stopping.
          await until(ctx.stopping);
          seen.follow = `stopping while signal aborted=${ctx.signal.aborted}`;
          return;
        }
        if (what === "slow") {
          await until(ctx.stopping);
          await new Promise((r) => setTimeout(r, 300));
          seen.slow = "finished";
          yield utf8.encode("done");
          return;
        }
        // Ignores `stopping`: cancelled at the deadline.
        await until(ctx.signal);
        seen.stuck = "cancelled";
      },
    }),
    log,
  );
  await using peer = await H2Peer.connect(server.port);
  const ids = { follow: 1, slow: 3, stuck: 5 };
  for (const [what, id] of Object.entries(ids)) {
    await peer.write(
      headersFrame(id, grpcRequestBlock("DoGet")),
      dataFrame(id, grpcMessage(encodeBytesMessage(utf8.encode(what))), true),
    );
  }
  for (let waited = 0; server.activeCalls < 3; waited += 10) {
    assert.ok(waited < 5000, `three calls in progress, not ${server.activeCalls}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  const started = performance.now();
  await server.shutdown(1500);
  const ms = performance.now() - started;
  assert.ok(ms >= 1400 && ms < 4500, `shutdown took ${Math.round(ms)} ms`);
  assert.equal(server.activeCalls, 0);
  assert.deepEqual(seen, {
    follow: "stopping while signal aborted=false",
    slow: "finished",
    stuck: "cancelled",
  });
  await peer.waitClosed();
  const goaway = peer.goaway;
  assert.equal(goaway?.code, 0, "GOAWAY NO_ERROR");
  const ended = statuses(peer);
  assert.deepEqual(ended.get(ids.follow), { code: 0, message: "" });
  assert.deepEqual(ended.get(ids.slow), { code: 0, message: "" });
  assert.ok((peer.dataBytes.get(ids.slow) ?? 0) > 0, "the slow call's answer came");
  assert.equal(ended.get(ids.stuck), undefined, "the stuck call got no status: it was cancelled");
  assert.ok(lines.some((l) => l.msg === "shutdown deadline reached, cancelling calls"));
  await assert.rejects(Deno.connect({ hostname: "127.0.0.1", port: server.port }), "no longer listening");
});
