/**
 * The gRPC health service and the draining shutdown, on both Flight servers (native and grpc-js), with a
 * handler set of the test's own and no catalog or store: Check and Watch answer SERVING; once shutdown
 * begins, with a Flight call still in progress, Check answers NOT_SERVING, Watch sends NOT_SERVING and new
 * Flight calls are refused with UNAVAILABLE on the still-open connection; when the last Flight call ends
 * the server closes and Watch ends with OK. Watched from a raw HTTP/2 connection (a grpc-js client must
 * not be connected when the server sends GOAWAY: Deno's node:http2 client can abort on it).
 */
import assert from "node:assert/strict";
import { status } from "@grpc/grpc-js";
import { UnimplementedError } from "../src/errors.ts";
import { createLogger } from "../src/log.ts";
import {
  decodeHealthResponse,
  encodeHealthRequest,
  HEALTH_SERVICE_NAME,
  ServingStatus,
} from "../src/flight/health.ts";
import { encodeBytesMessage } from "../src/flight/messages.ts";
import { NativeFlightServer } from "../src/flight/native_server.ts";
import { type FlightHandlers, FlightServer } from "../src/flight/server.ts";
import { FLIGHT_RPCS, FLIGHT_SERVICE_NAME, type FlightRpc } from "../src/flight/service_def.ts";
import { HpackDecoder } from "../src/transport/http2/hpack/mod.ts";
import { dataFrame, FRAME, grpcMessage, headersFrame, hpackLiteral } from "./_h2_frames.ts";
import { H2Peer } from "./_h2_peer.ts";

const utf8 = new TextEncoder();

/** Every RPC UNIMPLEMENTED but DoGet, which answers once `release` resolves. */
function slowHandlers(release: Promise<void>): FlightHandlers {
  const handlers: Record<string, unknown> = {};
  for (const rpc of Object.keys(FLIGHT_RPCS) as FlightRpc[]) {
    handlers[rpc] = FLIGHT_RPCS[rpc][1]
      // deno-lint-ignore require-yield
      ? async function* () {
        throw new UnimplementedError(`${rpc} is not served here`);
      }
      : () => Promise.reject(new UnimplementedError(`${rpc} is not served here`));
  }
  handlers.DoGet = async function* () {
    await release;
    yield utf8.encode("done");
  };
  return handlers as unknown as FlightHandlers;
}

/** Opens a call to `path` on stream `id` with one request message, half-closed. */
function call(peer: H2Peer, id: number, path: string, message: Uint8Array): Promise<unknown> {
  const block = Uint8Array.from([
    0x83, // :method POST
    0x86, // :scheme http
    ...hpackLiteral(":path", path),
    ...hpackLiteral(":authority", "127.0.0.1"),
    ...hpackLiteral("content-type", "application/grpc"),
    ...hpackLiteral("te", "trailers"),
  ]);
  return peer.write(headersFrame(id, block), dataFrame(id, grpcMessage(message), true));
}

/** The gRPC messages received so far on stream `id`. */
function messages(peer: H2Peer, id: number): Uint8Array[] {
  const parts = peer.frames.filter((f) => f.type === FRAME.DATA && f.streamId === id).map((f) => f.payload);
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (bytes.set(p, at), at + p.length), 0);
  const out: Uint8Array[] = [];
  for (let at = 0; at + 5 <= bytes.length;) {
    const length = new DataView(bytes.buffer, at + 1, 4).getUint32(0);
    if (at + 5 + length > bytes.length) break;
    out.push(bytes.subarray(at + 5, at + 5 + length));
    at += 5 + length;
  }
  return out;
}

/** The grpc-status stream `id` ended with, or undefined while it has not ended. */
function statusOf(peer: H2Peer, id: number): number | undefined {
  const hpack = new HpackDecoder({ maxDynamicTableSize: 4096, maxHeaderListSize: 1 << 20 });
  let code: number | undefined;
  for (const f of peer.frames) {
    if (f.type !== FRAME.HEADERS) continue;
    const value = new Map(hpack.decode(f.payload)).get("grpc-status"); // every block, in order
    if (f.streamId === id && value !== undefined) code = Number(value);
  }
  return code;
}

const statuses = (peer: H2Peer, id: number) => messages(peer, id).map(decodeHealthResponse);
const CHECK = `/${HEALTH_SERVICE_NAME}/Check`;
const WATCH = `/${HEALTH_SERVICE_NAME}/Watch`;

const SERVERS = { native: NativeFlightServer, "grpc-js": FlightServer } as const;

for (const [transport, Server] of Object.entries(SERVERS)) {
  Deno.test(`health (${transport}): SERVING, then NOT_SERVING while the drain lasts; Watch ends at close`, async () => {
    const lines: Record<string, unknown>[] = [];
    const log = createLogger({ level: "debug", sink: (l) => lines.push(JSON.parse(l)) });
    const release = Promise.withResolvers<void>();
    const server = await Server.start(slowHandlers(release.promise), {
      host: "127.0.0.1",
      port: 0,
      maxMessageBytes: 4 * 1024 * 1024,
      log,
    });
    await using peer = await H2Peer.connect(server.port, { keepData: true });
    await call(peer, 1, CHECK, encodeHealthRequest(""));
    await call(peer, 3, CHECK, encodeHealthRequest(FLIGHT_SERVICE_NAME));
    await call(peer, 5, CHECK, encodeHealthRequest("no.such.Service"));
    await call(peer, 7, WATCH, encodeHealthRequest(""));
    await call(peer, 9, WATCH, encodeHealthRequest("no.such.Service"));
    await call(peer, 11, `/${FLIGHT_SERVICE_NAME}/DoGet`, encodeBytesMessage(utf8.encode("slow")));
    await peer.until(
      () => statusOf(peer, 5) !== undefined && messages(peer, 9).length === 1,
      5000,
      "answers",
    );
    assert.deepEqual(statuses(peer, 1), [ServingStatus.SERVING]);
    assert.deepEqual(statuses(peer, 3), [ServingStatus.SERVING]);
    assert.equal(statusOf(peer, 5), status.NOT_FOUND, "an unknown service is NOT_FOUND");
    assert.deepEqual(statuses(peer, 7), [ServingStatus.SERVING]);
    assert.deepEqual(statuses(peer, 9), [ServingStatus.SERVICE_UNKNOWN]);
    for (let waited = 0; server.activeCalls < 1; waited += 10) {
      assert.ok(waited < 5000, "the slow DoGet is in progress");
      await new Promise((r) => setTimeout(r, 10));
    }

    // grpc-js on Deno's node:http2 waits for a raw peer until the deadline once it has closed (not so with a
    // real client): a short one, and its warning expected.
    const shutdown = server.shutdown(transport === "grpc-js" ? 3000 : 10_000);
    await peer.until(() => messages(peer, 7).length === 2, 5000, "NOT_SERVING on the watch");
    assert.deepEqual(statuses(peer, 7), [ServingStatus.SERVING, ServingStatus.NOT_SERVING]);
    // The listener and this connection still take calls: health answers, Flight refuses.
    await call(peer, 13, CHECK, encodeHealthRequest(""));
    await call(peer, 15, `/${FLIGHT_SERVICE_NAME}/DoGet`, encodeBytesMessage(utf8.encode("new")));
    await peer.until(
      () => statusOf(peer, 15) !== undefined && statusOf(peer, 13) !== undefined,
      5000,
      "answers",
    );
    assert.deepEqual(statuses(peer, 13), [ServingStatus.NOT_SERVING]);
    assert.equal(statusOf(peer, 15), status.UNAVAILABLE, "a new Flight call is refused while draining");
    const late = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    late.close(); // the port still accepts connections
    assert.equal(statusOf(peer, 7), undefined, "the watch stays open while the drain lasts");

    release.resolve();
    await peer.waitGoaway();
    await peer.until(() => statusOf(peer, 11) !== undefined && statusOf(peer, 7) !== undefined, 5000, "ends");
    if (transport === "grpc-js") await peer.close();
    await shutdown;
    await peer.waitClosed();
    assert.equal(statusOf(peer, 11), status.OK, "the slow call finished");
    assert.equal(statusOf(peer, 7), status.OK, "the watch ended when the server closed");
    assert.equal(statusOf(peer, 9), status.OK);
    const expected = (l: Record<string, unknown>) =>
      transport === "grpc-js" && l.msg === "shutdown deadline reached, cancelling calls" && l.calls === 0;
    const bad = lines.filter((l) => (l.level === "error" || l.level === "warn") && !expected(l));
    assert.deepEqual(bad, []);
    await assert.rejects(Deno.connect({ hostname: "127.0.0.1", port: server.port }), "no longer listening");
  });
}
