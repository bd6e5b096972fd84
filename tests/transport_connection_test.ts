/**
 * Connections the native transport must not keep (issue #16): one that never sends the preface or
 * stops inside it (handshake timeout: closed), an idle one (GOAWAY NO_ERROR, then closed; PINGs do not
 * keep it), a half-open one whose peer has gone with a call open (its keepalive PING unanswered: closed),
 * and connections past the server's cap (GOAWAY ENHANCE_YOUR_CALM). A peer that answers the keepalive
 * PINGs keeps its call. The daemon runs with short timeouts and a small cap through the test-only
 * MOSAICOD_TEST_HTTP2_LIMITS (src/flight/_http2_test_limits.ts); after each case the watch proves it
 * serves on, unchanged, with nothing logged at error level.
 */
import assert from "node:assert/strict";
import { pythonClient } from "./_commands.ts";
import { startDaemon } from "./_daemon.ts";
import { type FlightChannel } from "../src/client/mod.ts";
import { channelTo } from "./_flight_client.ts";
import { ERR, errName, grpcRequestBlock, headersFrame, pingFrame } from "./_h2_frames.ts";
import { H2Peer } from "./_h2_peer.ts";
import { expectGoaway, expectServes } from "./_h2_expect.ts";
import { DaemonWatch } from "./_hostile.ts";

const LIMITS = {
  handshakeTimeoutMs: 1000,
  idleTimeoutMs: 1000,
  keepaliveIntervalMs: 1000,
  keepaliveTimeoutMs: 1000,
  maxConnections: 16,
};
const preface = new TextEncoder().encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Milliseconds until the server closes `peer` (fails past `timeoutMs`). */
async function closedAfter(peer: H2Peer, timeoutMs: number): Promise<number> {
  const started = performance.now();
  await peer.waitClosed(timeoutMs);
  return performance.now() - started;
}

Deno.test("transport connections: handshake, idle and keepalive timeouts, and the connection cap", async (t) => {
  await using daemon = await startDaemon({
    args: ["--transport", "native"],
    env: { MOSAICOD_TEST_HTTP2_LIMITS: JSON.stringify(LIMITS) },
  });
  assert.equal(daemon.logs.find((l) => l.msg === "listening")?.transport, "native");
  await pythonClient("crash_ops.py", daemon.url, "keep");
  // Each check has a grpc-js connection of its own, closed before the next case: one left idle would get
  // the idle GOAWAY, which crashes Deno's node:http2 client (denoland/deno#36788), i.e. this test.
  const watchWith = (client: FlightChannel) => new DaemonWatch(daemon, client, ["keep/imu"]);
  const baseline = await (async () => {
    using client = channelTo(daemon.port, { deadlineMs: 15_000 });
    return await watchWith(client).takeBaseline();
  })();

  const step = (name: string, run: () => Promise<void>) =>
    t.step(name, async () => {
      await run();
      using client = channelTo(daemon.port, { deadlineMs: 15_000 });
      const watch = watchWith(client);
      watch.baseline = baseline;
      await watch.check(name);
    });

  await step("a connection that sends nothing is closed after the handshake timeout", async () => {
    await using peer = await H2Peer.connect(daemon.port, { preface: false });
    const ms = await closedAfter(peer, 5000);
    assert.ok(ms >= LIMITS.handshakeTimeoutMs * 0.8, `closed after ${Math.round(ms)} ms`);
  });

  await step("a connection that stops inside the preface is closed after the handshake timeout", async () => {
    await using peer = await H2Peer.connect(daemon.port, { preface: false });
    await peer.write(preface.subarray(0, 16));
    await closedAfter(peer, 5000);
  });

  await step("a preface without SETTINGS is closed after the handshake timeout", async () => {
    await using peer = await H2Peer.connect(daemon.port, { preface: false });
    await peer.write(preface);
    await closedAfter(peer, 5000);
  });

  await step("an idle connection gets GOAWAY NO_ERROR and is closed", async () => {
    await using peer = await H2Peer.connect(daemon.port);
    await expectServes(peer, 1);
    await expectGoaway(peer, ERR.NO_ERROR, 5000);
    assert.equal(peer.goaway!.lastStreamId, 1, "the last call it served");
  });

  await step("PINGs do not keep an idle connection open", async () => {
    await using peer = await H2Peer.connect(daemon.port);
    const pinger = setInterval(() => void peer.write(pingFrame()), 200);
    try {
      await expectGoaway(peer, ERR.NO_ERROR, 5000);
    } finally {
      clearInterval(pinger);
    }
  });

  await step("a half-open peer (a call open, keepalive PINGs unanswered) is closed", async () => {
    await using peer = await H2Peer.connect(daemon.port);
    await peer.write(headersFrame(1, grpcRequestBlock("DoPut"))); // waits for its messages
    await peer.waitFrame((f) => f.type === 0x6 && (f.flags & 0x1) === 0, 5000, "a keepalive PING");
    await closedAfter(peer, 5000);
  });

  await step("a peer that answers the keepalive PINGs keeps its open call", async () => {
    await using peer = await H2Peer.connect(daemon.port, { ackPings: true });
    await peer.write(headersFrame(1, grpcRequestBlock("DoPut")));
    await sleep(LIMITS.keepaliveIntervalMs + LIMITS.keepaliveTimeoutMs + 1500);
    assert.ok(!peer.closed && peer.goaway === null, peer.describe());
    assert.ok(peer.frames.some((f) => f.type === 0x6 && (f.flags & 0x1) === 0), "it was pinged");
    await expectServes(peer, 3);
  });

  await step(
    "connections past the cap get GOAWAY ENHANCE_YOUR_CALM; the ones before are served",
    async () => {
      const peers: H2Peer[] = [];
      try {
        let refused: H2Peer | null = null;
        for (let i = 0; i < LIMITS.maxConnections + 1 && !refused; i++) {
          // Each keeps a call open and answers PINGs, so that none is closed as idle meanwhile.
          const peer = await H2Peer.connect(daemon.port, { ackPings: true });
          peers.push(peer);
          await peer.write(headersFrame(1, grpcRequestBlock("DoPut")));
          await peer.until(
            () => peer.goaway !== null || peer.frames.length >= 3,
            2000,
            "SETTINGS and its ACK",
          )
            .catch(() => {});
          if (peer.goaway) refused = peer;
        }
        assert.ok(refused, `all ${peers.length} connections accepted (cap ${LIMITS.maxConnections})`);
        assert.equal(errName(refused.goaway!.code), "ENHANCE_YOUR_CALM");
        await refused.waitClosed();
        // The watch's own connection counts too: every connection before the refused one is served.
        assert.ok(peers.length >= LIMITS.maxConnections - 1, `refused the ${peers.length}th`);
        await expectServes(peers.at(-2)!, 3);
      } finally {
        for (const peer of peers) await peer.close();
      }
      await sleep(200);
      await using again = await H2Peer.connect(daemon.port);
      await expectServes(again, 1);
    },
  );
});
