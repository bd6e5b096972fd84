/**
 * The HTTP/2 server of src/transport/http2/ doing its job: bodies both ways with flow control and
 * backpressure (Deno's own HTTP/2 client as the peer), trailers-only answers, peer resets reaching the
 * handler, and the two-step GOAWAY of a graceful close. TLS is in http2_interop_test.ts (curl).
 *
 * @module
 */
import assert from "node:assert/strict";
import { StreamAbortedError } from "../src/transport/http2/mod.ts";
import { dataFrame, ERR, FLAG, FRAME, headersFrame, MAX_WINDOW, pingFrame, rstFrame } from "./_h2_frames.ts";
import { H2Peer } from "./_h2_peer.ts";
import { receivedHeaders } from "./_h2_expect.ts";
import { fetchOk, requestBlock, startTestServer, waitUntil } from "./_http2_test_server.ts";

function randomBytes(n: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(n);
  for (let at = 0; at < n; at += 65_536) crypto.getRandomValues(out.subarray(at, Math.min(n, at + 65_536)));
  return out;
}

async function readAll(body: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(body).arrayBuffer());
}

Deno.test("http2 server: echoes 4 concurrent 24 MiB bodies byte for byte (flow control both ways)", async () => {
  await using srv = await startTestServer();
  using client = Deno.createHttpClient({ http1: false, http2: true });
  const bodies = [0, 1, 2, 3].map(() => randomBytes(24 << 20));
  const echoed = await Promise.all(bodies.map(async (body) => {
    const res = await fetch(`http://127.0.0.1:${srv.port}/echo`, { method: "POST", body, client });
    assert.equal(res.status, 200);
    return readAll(res.body!);
  }));
  for (let i = 0; i < bodies.length; i++) assert.deepEqual(echoed[i], bodies[i], `body ${i}`);
});

Deno.test("http2 server: a trailers-only answer is one HEADERS frame with END_STREAM", async () => {
  await using srv = await startTestServer();
  await using peer = await H2Peer.connect(srv.port);
  await peer.write(headersFrame(1, requestBlock("/trailers-only"), { endStream: true }));
  const f = await peer.waitFrame((f) => f.streamId === 1 && f.type === FRAME.HEADERS);
  assert.ok(f.flags & FLAG.END_STREAM);
  assert.deepEqual(receivedHeaders(peer)[0].fields, [[":status", "200"], ["x-only", "1"]]);
});

Deno.test("http2 server: RST_STREAM from the peer aborts the handler's signal and body", async () => {
  await using srv = await startTestServer();
  await using peer = await H2Peer.connect(srv.port);
  await peer.write(headersFrame(1, requestBlock("/hold")), dataFrame(1, new Uint8Array(10)));
  await waitUntil(() => srv.streams.length === 1, "the stream");
  await peer.write(rstFrame(1, ERR.CANCEL));
  const stream = srv.streams[0];
  await waitUntil(() => stream.signal.aborted, "the abort");
  assert.ok(stream.signal.reason instanceof StreamAbortedError);
  assert.equal(stream.signal.reason.code, ERR.CANCEL);
  await assert.rejects(async () => {
    for await (const _ of stream.body) { /* drained */ }
  }, StreamAbortedError);
  assert.equal(srv.server.activeStreams, 0);
  assert.equal(await fetchOk(peer, 3), "200");
});

Deno.test("http2 server: graceful close sends GOAWAY(2^31-1), PING, GOAWAY(last id) and lets streams finish", async () => {
  const srv = await startTestServer();
  await using peer = await H2Peer.connect(srv.port);
  await peer.write(headersFrame(1, requestBlock("/ok")));
  await waitUntil(() => srv.streams.length === 1, "the stream");
  const closing = srv.server.close(5000);
  const ping = await peer.waitFrame((f) => f.type === FRAME.PING && !(f.flags & FLAG.ACK), 5000, "the PING");
  assert.equal(peer.goaway?.lastStreamId, MAX_WINDOW, "first GOAWAY announces 2^31-1");
  await peer.write(pingFrame(ping.payload.slice(), true));
  const goaways = () => peer.frames.filter((f) => f.type === FRAME.GOAWAY);
  await peer.until(() => goaways().length === 2, 5000, "the second GOAWAY");
  const last = new DataView(goaways()[1].payload.buffer, goaways()[1].payload.byteOffset).getUint32(0);
  assert.equal(last, 1, "final GOAWAY names the last stream processed");
  await peer.write(headersFrame(3, requestBlock("/ok"), { endStream: true }));
  await peer.write(dataFrame(1, new Uint8Array(7), true));
  await peer.waitFrame((f) =>
    f.streamId === 1 && f.type === FRAME.HEADERS && (f.flags & FLAG.END_STREAM) !== 0
  );
  assert.equal(peer.resets.get(3), ERR.REFUSED_STREAM, "a stream past the last id is refused");
  await peer.waitClosed();
  await closing;
  assert.equal(srv.server.activeStreams, 0);
});

Deno.test("http2 server: close() aborts streams still open at its deadline", async () => {
  const srv = await startTestServer();
  await using peer = await H2Peer.connect(srv.port);
  await peer.write(headersFrame(1, requestBlock("/hold")));
  await waitUntil(() => srv.streams.length === 1, "the stream");
  await srv.server.close(300);
  assert.ok(srv.streams[0].signal.aborted);
  await peer.waitClosed();
});
