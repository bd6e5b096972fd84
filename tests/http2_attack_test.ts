/**
 * The HTTP/2 server of src/transport/http2/ against misbehaving peers, from a raw socket: each attack
 * gets the GOAWAY or RST_STREAM code RFC 9113 (or the flood budget) calls for, and afterwards another
 * client of the same server is still served.
 *
 * @module
 */
import { concat } from "../src/_test_fuzz.ts";
import assert from "node:assert/strict";
import {
  continuationFrame,
  dataFrame,
  ERR,
  FRAME,
  frame,
  headersFrame,
  hpackIndexed,
  hpackLiteral,
  MAX_WINDOW,
  pingFrame,
  rstFrame,
  SETTING,
  settingsFrame,
  windowUpdateFrame,
} from "./_h2_frames.ts";
import { H2Peer } from "./_h2_peer.ts";
import { expectGoaway, expectReset } from "./_h2_expect.ts";
import { fetchOk, requestBlock, startTestServer, type TestServer } from "./_http2_test_server.ts";

const LIMITS = {
  resetBurst: 50,
  resetsPerSecond: 10,
  controlFrameBurst: 200,
  controlFramesPerSecond: 50,
  maxConcurrentStreams: 4,
  maxHeaderListSize: 8192,
  maxFrameSize: 65_536,
};

/** Runs `attack` on one connection while a second connection stays open, then checks both are fine. */
async function afterAttack(srv: TestServer, attack: (peer: H2Peer) => Promise<void>): Promise<void> {
  await using bystander = await H2Peer.connect(srv.port);
  assert.equal(await fetchOk(bystander, 1), "200");
  {
    await using peer = await H2Peer.connect(srv.port);
    await attack(peer);
  }
  assert.equal(await fetchOk(bystander, 3), "200", "the other connection is undisturbed");
  await using fresh = await H2Peer.connect(srv.port);
  assert.equal(await fetchOk(fresh, 1), "200", "a new connection is served");
}

function attackTest(name: string, attack: (peer: H2Peer, srv: TestServer) => Promise<void>, limits = {}) {
  Deno.test(`http2 server: ${name}`, async () => {
    await using srv = await startTestServer({ ...LIMITS, ...limits });
    await afterAttack(srv, (peer) => attack(peer, srv));
  });
}

attackTest("Rapid Reset (HEADERS + RST_STREAM in a loop) gets GOAWAY ENHANCE_YOUR_CALM", async (peer) => {
  const { outcome } = await peer.flood(
    (i) => concat(headersFrame(2 * i + 1, requestBlock("/hold")), rstFrame(2 * i + 1, ERR.CANCEL)),
    5000,
  );
  assert.notEqual(outcome, "stalled");
  await expectGoaway(peer, ERR.ENHANCE_YOUR_CALM);
});

attackTest("a CONTINUATION flood gets GOAWAY ENHANCE_YOUR_CALM", async (peer) => {
  await peer.write(headersFrame(1, requestBlock("/ok"), { endHeaders: false }));
  await peer.flood(() => continuationFrame(1, new Uint8Array(0)), 100_000);
  await expectGoaway(peer, ERR.ENHANCE_YOUR_CALM);
});

attackTest(
  "a header block larger than the limit across CONTINUATION gets GOAWAY ENHANCE_YOUR_CALM",
  async (peer) => {
    await peer.write(headersFrame(1, requestBlock("/ok"), { endHeaders: false }));
    await peer.flood(() => continuationFrame(1, new Uint8Array(4000).fill(0x40)), 100);
    await expectGoaway(peer, ERR.ENHANCE_YOUR_CALM);
  },
);

attackTest(
  "an HPACK bomb (one big table entry referenced many times) gets GOAWAY ENHANCE_YOUR_CALM",
  async (peer) => {
    const big = [...hpackLiteral("x-big", "b".repeat(3000), "incremental")];
    const refs = Array.from({ length: 2000 }, () => hpackIndexed(62)).flat();
    await peer.write(headersFrame(1, requestBlock("/ok", [...big, ...refs]), { endStream: true }));
    await expectGoaway(peer, ERR.ENHANCE_YOUR_CALM);
  },
);

attackTest("a header list just above the limit gets 431 and the connection lives on", async (peer) => {
  const extra = [...hpackLiteral("x-big", "b".repeat(5000)), ...hpackLiteral("x-big2", "c".repeat(5000))];
  await peer.write(headersFrame(1, requestBlock("/ok", extra), { endStream: true }));
  await peer.waitFrame((f) => f.streamId === 1 && f.type === FRAME.HEADERS, 5000, "the 431 answer");
  assert.equal(peer.goaway, null);
  assert.equal(await fetchOk(peer, 3), "200");
});

for (
  const [what, make] of [
    ["SETTINGS", () => settingsFrame([[SETTING.ENABLE_PUSH, 0]])],
    ["PING", () => pingFrame()],
    ["empty DATA", () => dataFrame(1, new Uint8Array(0))],
    ["WINDOW_UPDATE", () => windowUpdateFrame(0, 1)],
    ["PRIORITY", () => frame(FRAME.PRIORITY, 0, 1, new Uint8Array([0, 0, 0, 0, 16]))],
    ["unknown-type", () => frame(0xfa, 0, 0, new Uint8Array(4))],
  ] as const
) {
  attackTest(`a ${what} flood gets GOAWAY ENHANCE_YOUR_CALM`, async (peer) => {
    if (what === "empty DATA") await peer.write(headersFrame(1, requestBlock("/hold")));
    await peer.flood(make, 50_000);
    await expectGoaway(peer, ERR.ENHANCE_YOUR_CALM);
  });
}

attackTest("a connection window pushed above 2^31-1 gets GOAWAY FLOW_CONTROL_ERROR", async (peer) => {
  await peer.write(windowUpdateFrame(0, MAX_WINDOW));
  await expectGoaway(peer, ERR.FLOW_CONTROL_ERROR);
});

attackTest("a stream window pushed above 2^31-1 gets RST_STREAM FLOW_CONTROL_ERROR", async (peer) => {
  await peer.write(headersFrame(1, requestBlock("/hold")), windowUpdateFrame(1, MAX_WINDOW));
  await expectReset(peer, 1, ERR.FLOW_CONTROL_ERROR);
  assert.equal(await fetchOk(peer, 3), "200");
});

attackTest("SETTINGS_INITIAL_WINDOW_SIZE above 2^31-1 gets GOAWAY FLOW_CONTROL_ERROR", async (peer) => {
  await peer.write(settingsFrame([[SETTING.INITIAL_WINDOW_SIZE, MAX_WINDOW + 1]]));
  await expectGoaway(peer, ERR.FLOW_CONTROL_ERROR);
});

attackTest("DATA beyond the stream window gets RST_STREAM FLOW_CONTROL_ERROR", async (peer) => {
  await peer.write(headersFrame(1, requestBlock("/hold")));
  await peer.flood(() => dataFrame(1, new Uint8Array(60_000)), 2);
  await expectReset(peer, 1, ERR.FLOW_CONTROL_ERROR);
}, { initialStreamWindow: 100_000, connectionWindow: 1 << 20 });

attackTest("stream ids going backwards get GOAWAY PROTOCOL_ERROR", async (peer) => {
  await peer.write(headersFrame(5, requestBlock("/hold")), headersFrame(3, requestBlock("/hold")));
  await expectGoaway(peer, ERR.PROTOCOL_ERROR);
});

attackTest("an even stream id gets GOAWAY PROTOCOL_ERROR", async (peer) => {
  await peer.write(headersFrame(2, requestBlock("/ok"), { endStream: true }));
  await expectGoaway(peer, ERR.PROTOCOL_ERROR);
});

attackTest("a frame above SETTINGS_MAX_FRAME_SIZE gets GOAWAY FRAME_SIZE_ERROR", async (peer) => {
  await peer.write(headersFrame(1, requestBlock("/hold")), dataFrame(1, new Uint8Array(65_537)));
  await expectGoaway(peer, ERR.FRAME_SIZE_ERROR);
});

attackTest("a header field with an empty name is refused", async (peer) => {
  await peer.write(headersFrame(1, requestBlock("/ok", hpackLiteral("", "x")), { endStream: true }));
  await peer.until(() => peer.goaway !== null || peer.resets.has(1), 5000, "a refusal");
  const code = peer.goaway?.code ?? peer.resets.get(1);
  assert.ok(code === ERR.COMPRESSION_ERROR || code === ERR.PROTOCOL_ERROR, peer.describe());
});

attackTest("streams past SETTINGS_MAX_CONCURRENT_STREAMS get RST_STREAM REFUSED_STREAM", async (peer) => {
  for (const id of [1, 3, 5, 7, 9]) await peer.write(headersFrame(id, requestBlock("/hold")));
  await expectReset(peer, 9, ERR.REFUSED_STREAM);
  assert.equal(peer.resets.size, 1, peer.describe());
});

attackTest("the first frame not being SETTINGS gets GOAWAY PROTOCOL_ERROR", async (_peer, srv) => {
  await using raw = await H2Peer.connect(srv.port, { preface: false });
  await raw.write(new TextEncoder().encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), pingFrame());
  await expectGoaway(raw, ERR.PROTOCOL_ERROR);
});

Deno.test("http2 server: a slow reader costs a bounded amount; the handler's sendData waits", async () => {
  await using srv = await startTestServer(LIMITS);
  // A peer that opens a huge window but never reads the socket.
  await using peer = await H2Peer.connect(srv.port, {
    read: false,
    settings: [[SETTING.INITIAL_WINDOW_SIZE, MAX_WINDOW]],
  });
  await peer.write(
    windowUpdateFrame(0, MAX_WINDOW - 65_535),
    headersFrame(1, requestBlock("/stream"), { endStream: true }),
  );
  await new Promise((r) => setTimeout(r, 1500));
  // Socket buffers plus our write queue: a few MiB at most, not the 64 MiB the handler wants to send.
  assert.ok(srv.sentMessages <= 16, `sent ${srv.sentMessages} MiB to a peer that reads nothing`);
  // A peer that reads but never opens its window gets its 64 KiB and no more.
  await using stalled = await H2Peer.connect(srv.port);
  await stalled.write(headersFrame(1, requestBlock("/stream"), { endStream: true }));
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(stalled.dataBytes.get(1), 65_535);
  await using fresh = await H2Peer.connect(srv.port);
  assert.equal(await fetchOk(fresh, 1), "200");
});

Deno.test("http2 server: connections past maxConnections get GOAWAY and are closed", async () => {
  await using srv = await startTestServer({ ...LIMITS, maxConnections: 2 });
  await using a = await H2Peer.connect(srv.port);
  await using b = await H2Peer.connect(srv.port);
  assert.equal(await fetchOk(a, 1), "200");
  assert.equal(await fetchOk(b, 1), "200");
  await using c = await H2Peer.connect(srv.port);
  await expectGoaway(c, ERR.ENHANCE_YOUR_CALM);
  assert.equal(await fetchOk(a, 3), "200");
});

Deno.test("http2 server: an idle connection gets GOAWAY NO_ERROR and is closed", async () => {
  await using srv = await startTestServer({ ...LIMITS, idleTimeoutMs: 300 });
  await using peer = await H2Peer.connect(srv.port);
  assert.equal(await fetchOk(peer, 1), "200");
  await expectGoaway(peer, ERR.NO_ERROR, 3000);
});

Deno.test("http2 server: a connection that never sends its preface is closed", async () => {
  await using srv = await startTestServer({ ...LIMITS, handshakeTimeoutMs: 300 });
  await using peer = await H2Peer.connect(srv.port, { preface: false });
  await peer.waitClosed(3000);
  await using fresh = await H2Peer.connect(srv.port);
  assert.equal(await fetchOk(fresh, 1), "200");
});

Deno.test("http2 server: a half-open peer (no PING answer) is closed", async () => {
  await using srv = await startTestServer({ ...LIMITS, keepaliveIntervalMs: 200, keepaliveTimeoutMs: 300 });
  // A peer that stopped reading: our keepalive PING goes unanswered.
  await using peer = await H2Peer.connect(srv.port, { read: false });
  await peer.write(headersFrame(1, requestBlock("/hold")));
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(srv.server.activeStreams, 1);
  const deadline = Date.now() + 3000;
  while (srv.server.activeStreams > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.equal(srv.server.activeStreams, 0, "the stream was aborted with its connection");
  assert.ok(srv.streams[0].signal.aborted);
});
