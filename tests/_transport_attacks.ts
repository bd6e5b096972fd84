/**
 * Frame-level attacks on the native transport (issue #16), one raw connection each: Rapid Reset and its
 * refused-stream twin, SETTINGS/PING/WINDOW_UPDATE/PRIORITY/unknown-frame and empty-DATA floods
 * (CVE-2019-9512/9515/9518), a flood from a peer that never reads, window overflows, stream id rules and
 * frame sizes. Each case asserts the error code RFC 9113 (or, where it leaves the choice, the transport's
 * documented limit) prescribes; `transport_attack_test.ts` runs them against one daemon.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  dataFrame,
  ERR,
  FRAME,
  frame,
  goawayFrame,
  grpcRequestBlock,
  headersFrame,
  MAX_WINDOW,
  pingFrame,
  PREFACE,
  rstFrame,
  SETTING,
  settingsFrame,
  windowUpdateFrame,
} from "./_h2_frames.ts";
import { H2Peer } from "./_h2_peer.ts";
import { type AttackCase, expectGoaway, expectReset, expectServes } from "./_h2_expect.ts";

const FLOOD = 100_000;
const bytes = (...b: number[]) => Uint8Array.from(b);
const opaque = (i: number) => bytes(0, 0, 0, 0, i >>> 24, (i >>> 16) & 255, (i >>> 8) & 255, i & 255);
/** HEADERS opening a call that waits for its request (no END_STREAM): the stream stays open. */
const openCall = (id: number, method = "DoPut") => headersFrame(id, grpcRequestBlock(method));
const priorityFrame = (id: number, length = 5) => frame(FRAME.PRIORITY, 0, id, new Uint8Array(length));

/** Connects, sends `frames` after the preface and SETTINGS, and expects GOAWAY with `code`. */
function goawayCase(name: string, code: number, frames: (peer: H2Peer) => Uint8Array[]): AttackCase {
  return {
    name,
    async run(port) {
      await using peer = await H2Peer.connect(port);
      await peer.write(...frames(peer));
      await expectGoaway(peer, code);
    },
  };
}

/** Floods `count` frames made by `make`; expects GOAWAY ENHANCE_YOUR_CALM well before the end. */
function floodCase(name: string, make: (i: number) => Uint8Array, before: Uint8Array[] = []): AttackCase {
  return {
    name,
    async run(port) {
      await using peer = await H2Peer.connect(port);
      if (before.length) await peer.write(...before);
      const { sent } = await peer.flood(make, FLOOD);
      await expectGoaway(peer, ERR.ENHANCE_YOUR_CALM);
      assert.ok(sent < FLOOD || peer.goaway !== null, `${sent} frames sent`);
    },
  };
}

export const FRAME_ATTACKS: AttackCase[] = [
  floodCase(
    "Rapid Reset (CVE-2023-44487): calls opened and cancelled at once → GOAWAY ENHANCE_YOUR_CALM",
    (i) => i % 2 === 0 ? openCall(i + 1, "ListFlights") : rstFrame(i, ERR.CANCEL),
  ),
  {
    name:
      "streams opened past SETTINGS_MAX_CONCURRENT_STREAMS are refused, and a flood of them is Rapid Reset",
    async run(port) {
      await using peer = await H2Peer.connect(port);
      const max = peer.serverSettings!.get(SETTING.MAX_CONCURRENT_STREAMS)!;
      assert.ok(max > 0 && max < 1000, `SETTINGS_MAX_CONCURRENT_STREAMS ${max}`);
      await peer.write(...Array.from({ length: max + 2 }, (_, i) => openCall(2 * i + 1)));
      const extra = [2 * max + 1, 2 * max + 3];
      for (const id of extra) await expectReset(peer, id, ERR.REFUSED_STREAM);
      assert.deepEqual([...peer.resets.keys()], extra, "only the streams past the limit are refused");
      await peer.write(rstFrame(1, ERR.CANCEL)); // one slot free again: a call is served
      await expectServes(peer, 2 * max + 5);
      const { sent } = await peer.flood((i) => openCall(2 * max + 7 + 2 * i), FLOOD);
      await expectGoaway(peer, ERR.ENHANCE_YOUR_CALM);
      assert.ok(sent < FLOOD, "stopped before the flood ended");
    },
  },
  floodCase("SETTINGS flood (CVE-2019-9515) → GOAWAY ENHANCE_YOUR_CALM", () => settingsFrame([])),
  floodCase("PING flood (CVE-2019-9512) → GOAWAY ENHANCE_YOUR_CALM", (i) => pingFrame(opaque(i))),
  floodCase("WINDOW_UPDATE flood → GOAWAY ENHANCE_YOUR_CALM", () => windowUpdateFrame(0, 1)),
  floodCase("PRIORITY flood → GOAWAY ENHANCE_YOUR_CALM", (i) => priorityFrame(2 * i + 1)),
  floodCase("flood of unknown frame types → GOAWAY ENHANCE_YOUR_CALM", () => frame(0xfa, 0, 0, bytes(1, 2))),
  floodCase(
    "empty DATA flood on an open call (CVE-2019-9518) → GOAWAY ENHANCE_YOUR_CALM",
    () => dataFrame(1, new Uint8Array(0)),
    [openCall(1)],
  ),
  {
    name: "a PING flood from a peer that never reads is cut off (it stops being read, or closed)",
    async run(port) {
      await using peer = await H2Peer.connect(port, { read: false });
      const { sent, outcome } = await peer.flood((i) => pingFrame(opaque(i)), 1_000_000, { stallMs: 2000 });
      assert.notEqual(outcome, "ok", `the server took all ${sent} PINGs (17 MB) without stopping`);
    },
  },
  goawayCase(
    "connection WINDOW_UPDATE past 2^31-1 → GOAWAY FLOW_CONTROL_ERROR",
    ERR.FLOW_CONTROL_ERROR,
    () => [windowUpdateFrame(0, MAX_WINDOW)],
  ),
  {
    name: "stream WINDOW_UPDATE past 2^31-1 → RST_STREAM FLOW_CONTROL_ERROR, the connection serves on",
    async run(port) {
      await using peer = await H2Peer.connect(port);
      await peer.write(openCall(1), windowUpdateFrame(1, MAX_WINDOW));
      await expectReset(peer, 1, ERR.FLOW_CONTROL_ERROR);
      await expectServes(peer, 3);
    },
  },
  {
    name: "SETTINGS_INITIAL_WINDOW_SIZE past 2^31-1 → GOAWAY FLOW_CONTROL_ERROR",
    async run(port) {
      await using peer = await H2Peer.connect(port, { settings: [[SETTING.INITIAL_WINDOW_SIZE, 2 ** 31]] });
      await expectGoaway(peer, ERR.FLOW_CONTROL_ERROR);
    },
  },
  goawayCase(
    "WINDOW_UPDATE of 0 on the connection → GOAWAY PROTOCOL_ERROR",
    ERR.PROTOCOL_ERROR,
    () => [windowUpdateFrame(0, 0)],
  ),
  {
    name: "WINDOW_UPDATE of 0 on a call → RST_STREAM PROTOCOL_ERROR, the connection serves on",
    async run(port) {
      await using peer = await H2Peer.connect(port);
      await peer.write(openCall(1), windowUpdateFrame(1, 0));
      await expectReset(peer, 1, ERR.PROTOCOL_ERROR);
      await expectServes(peer, 3);
    },
  },
  goawayCase(
    "SETTINGS_MAX_FRAME_SIZE below 16384 → GOAWAY PROTOCOL_ERROR",
    ERR.PROTOCOL_ERROR,
    () => [settingsFrame([[SETTING.MAX_FRAME_SIZE, 100]])],
  ),
  goawayCase(
    "SETTINGS_ENABLE_PUSH of 2 → GOAWAY PROTOCOL_ERROR",
    ERR.PROTOCOL_ERROR,
    () => [settingsFrame([[SETTING.ENABLE_PUSH, 2]])],
  ),
  goawayCase(
    "stream ids going backwards (5, then 3) → GOAWAY PROTOCOL_ERROR",
    ERR.PROTOCOL_ERROR,
    () => [openCall(5), openCall(3)],
  ),
  goawayCase("an even (server) stream id → GOAWAY PROTOCOL_ERROR", ERR.PROTOCOL_ERROR, () => [openCall(2)]),
  goawayCase("HEADERS on stream 0 → GOAWAY PROTOCOL_ERROR", ERR.PROTOCOL_ERROR, () => [openCall(0)]),
  goawayCase(
    "DATA on a stream never opened → GOAWAY PROTOCOL_ERROR",
    ERR.PROTOCOL_ERROR,
    () => [dataFrame(7, bytes(0, 0, 0, 0, 0))],
  ),
  goawayCase(
    "RST_STREAM on a stream never opened → GOAWAY PROTOCOL_ERROR",
    ERR.PROTOCOL_ERROR,
    () => [rstFrame(9, ERR.CANCEL)],
  ),
  goawayCase(
    "PUSH_PROMISE from a client → GOAWAY PROTOCOL_ERROR",
    ERR.PROTOCOL_ERROR,
    () => [openCall(1), frame(FRAME.PUSH_PROMISE, 0x4, 1, bytes(0, 0, 0, 2, 0x82))],
  ),
  {
    name: "HEADERS on a call that has ended → GOAWAY STREAM_CLOSED",
    async run(port) {
      await using peer = await H2Peer.connect(port);
      await expectServes(peer, 1);
      await peer.write(openCall(1));
      await expectGoaway(peer, ERR.STREAM_CLOSED);
    },
  },
  {
    name: "a first frame other than SETTINGS → GOAWAY PROTOCOL_ERROR",
    async run(port) {
      await using peer = await H2Peer.connect(port, { preface: false });
      await peer.write(PREFACE, pingFrame());
      await expectGoaway(peer, ERR.PROTOCOL_ERROR);
    },
  },
  {
    name: "an HTTP/1.1 request instead of the preface: the connection is closed",
    async run(port) {
      await using peer = await H2Peer.connect(port, { preface: false });
      await peer.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
      await peer.waitClosed();
    },
  },
  {
    name: "a DATA frame longer than our SETTINGS_MAX_FRAME_SIZE → GOAWAY FRAME_SIZE_ERROR",
    async run(port) {
      await using peer = await H2Peer.connect(port);
      const max = peer.serverSettings!.get(SETTING.MAX_FRAME_SIZE) ?? 16_384;
      assert.ok(max < 2 ** 24 - 1, `SETTINGS_MAX_FRAME_SIZE ${max} leaves no room for a longer frame`);
      // The header announces max + 1 bytes; the server must not wait for them.
      await peer.write(openCall(1), frame(FRAME.DATA, 0, 1, new Uint8Array(1024), max + 1));
      await expectGoaway(peer, ERR.FRAME_SIZE_ERROR);
    },
  },
  goawayCase("a PING of 7 bytes → GOAWAY FRAME_SIZE_ERROR", ERR.FRAME_SIZE_ERROR, () => [
    frame(FRAME.PING, 0, 0, new Uint8Array(7)),
  ]),
  goawayCase("a SETTINGS of 5 bytes → GOAWAY FRAME_SIZE_ERROR", ERR.FRAME_SIZE_ERROR, () => [
    frame(FRAME.SETTINGS, 0, 0, new Uint8Array(5)),
  ]),
  goawayCase("a SETTINGS ACK with a payload → GOAWAY FRAME_SIZE_ERROR", ERR.FRAME_SIZE_ERROR, () => [
    frame(FRAME.SETTINGS, 0x1, 0, new Uint8Array(6)),
  ]),
  goawayCase("a WINDOW_UPDATE of 3 bytes → GOAWAY FRAME_SIZE_ERROR", ERR.FRAME_SIZE_ERROR, () => [
    frame(FRAME.WINDOW_UPDATE, 0, 0, bytes(0, 0, 1)),
  ]),
  goawayCase("an RST_STREAM of 5 bytes → GOAWAY FRAME_SIZE_ERROR", ERR.FRAME_SIZE_ERROR, () => [
    openCall(1),
    frame(FRAME.RST_STREAM, 0, 1, new Uint8Array(5)),
  ]),
  {
    name: "a PRIORITY of 4 bytes → RST_STREAM FRAME_SIZE_ERROR, the connection serves on",
    async run(port) {
      await using peer = await H2Peer.connect(port);
      await peer.write(openCall(1), priorityFrame(1, 4));
      await expectReset(peer, 1, ERR.FRAME_SIZE_ERROR);
      await expectServes(peer, 3);
    },
  },
  {
    name: "a client GOAWAY: the server finishes and closes without an error",
    async run(port) {
      await using peer = await H2Peer.connect(port);
      await expectServes(peer, 1);
      await peer.write(goawayFrame(1, ERR.NO_ERROR));
      await peer.waitClosed();
      assert.ok(peer.goaway === null || peer.goaway.code === ERR.NO_ERROR, peer.describe());
    },
  },
];
