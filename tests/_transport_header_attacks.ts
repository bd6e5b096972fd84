/**
 * Header-block attacks on the native transport (issue #16), one raw connection each: CONTINUATION floods,
 * HPACK bombs and malformed HPACK (COMPRESSION_ERROR), a header list over SETTINGS_MAX_HEADER_LIST_SIZE
 * (431, with the HPACK state kept in step), and malformed requests (RFC 9113 section 8.2: a stream error,
 * the connection serving on). `transport_attack_test.ts` runs them against one daemon.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  continuationFrame,
  ERR,
  errName,
  grpcRequestBlock,
  headersFrame,
  hpackIndexed,
  hpackInt,
  hpackLiteral,
  hpackSizeUpdate,
  pingFrame,
  SETTING,
} from "./_h2_frames.ts";
import { H2Peer } from "./_h2_peer.ts";
import { type AttackCase, expectGoaway, expectReset, expectServes, receivedHeaders } from "./_h2_expect.ts";

const FLOOD = 100_000;
const METHOD = "/arrow.flight.protocol.FlightService/ListFlights";
const block = (...parts: number[][]) => Uint8Array.from(parts.flat());
/** The gRPC request fields but `content-type`, for blocks that carry it some other way. */
const requestWithout = (...extra: number[][]) =>
  block(
    [0x83, 0x86],
    hpackLiteral(":path", METHOD),
    hpackLiteral(":authority", "127.0.0.1"),
    hpackLiteral("te", "trailers"),
    ...extra,
  );

/** Sends one header block on stream 1 and expects GOAWAY with `code`. */
function blockCase(name: string, code: number, fields: () => Uint8Array): AttackCase {
  return {
    name,
    async run(port) {
      await using peer = await H2Peer.connect(port);
      await peer.write(headersFrame(1, fields()));
      await expectGoaway(peer, code);
    },
  };
}

/** Sends one malformed request on stream 1: RST_STREAM PROTOCOL_ERROR, then a call on stream 3 is served. */
function malformedCase(name: string, fields: () => Uint8Array): AttackCase {
  return {
    name: `${name} → RST_STREAM PROTOCOL_ERROR, the connection serves on`,
    async run(port) {
      await using peer = await H2Peer.connect(port);
      await peer.write(headersFrame(1, fields(), { endStream: true }));
      await expectReset(peer, 1, ERR.PROTOCOL_ERROR);
      await expectServes(peer, 3);
    },
  };
}

/** A flood of CONTINUATION frames after an unfinished HEADERS; GOAWAY ENHANCE_YOUR_CALM. */
function continuationCase(name: string, fragment: Uint8Array): AttackCase {
  return {
    name,
    async run(port) {
      await using peer = await H2Peer.connect(port);
      await peer.write(headersFrame(1, grpcRequestBlock("ListFlights"), { endHeaders: false }));
      const { sent } = await peer.flood(() => continuationFrame(1, fragment), FLOOD);
      await expectGoaway(peer, ERR.ENHANCE_YOUR_CALM);
      assert.ok(sent < FLOOD, "cut off before the flood ended");
    },
  };
}

export const HEADER_ATTACKS: AttackCase[] = [
  continuationCase(
    "CONTINUATION flood: endless small fragments → GOAWAY ENHANCE_YOUR_CALM",
    block(hpackLiteral("x-flood", "v".repeat(64))),
  ),
  continuationCase("CONTINUATION flood of empty frames → GOAWAY ENHANCE_YOUR_CALM", new Uint8Array(0)),
  continuationCase(
    "CONTINUATION frames of 256 KiB: a header block past its limit → GOAWAY ENHANCE_YOUR_CALM",
    block(hpackLiteral("x-flood", "v".repeat(256 * 1024 - 16))),
  ),
  {
    name: "a frame inside a header block → GOAWAY PROTOCOL_ERROR",
    async run(port) {
      await using peer = await H2Peer.connect(port);
      await peer.write(headersFrame(1, grpcRequestBlock("ListFlights"), { endHeaders: false }), pingFrame());
      await expectGoaway(peer, ERR.PROTOCOL_ERROR);
    },
  },
  {
    name: "CONTINUATION without HEADERS → GOAWAY PROTOCOL_ERROR",
    async run(port) {
      await using peer = await H2Peer.connect(port);
      await peer.write(continuationFrame(1, grpcRequestBlock("ListFlights"), true));
      await expectGoaway(peer, ERR.PROTOCOL_ERROR);
    },
  },
  {
    name: "HPACK table size update above our SETTINGS_HEADER_TABLE_SIZE → GOAWAY COMPRESSION_ERROR",
    async run(port) {
      await using peer = await H2Peer.connect(port);
      const size = peer.serverSettings!.get(SETTING.HEADER_TABLE_SIZE) ?? 4096;
      await peer.write(
        headersFrame(1, block(hpackSizeUpdate(size + 1), [...grpcRequestBlock("ListFlights")])),
      );
      await expectGoaway(peer, ERR.COMPRESSION_ERROR);
    },
  },
  blockCase(
    "HPACK table size update after a field → GOAWAY COMPRESSION_ERROR",
    ERR.COMPRESSION_ERROR,
    () => block([0x83], hpackSizeUpdate(0), [...grpcRequestBlock("ListFlights")].slice(1)),
  ),
  blockCase(
    "HPACK index past the tables → GOAWAY COMPRESSION_ERROR",
    ERR.COMPRESSION_ERROR,
    () => block([...grpcRequestBlock("ListFlights")], hpackIndexed(62 + 500)),
  ),
  blockCase(
    "HPACK integer of 2^40 → GOAWAY COMPRESSION_ERROR",
    ERR.COMPRESSION_ERROR,
    () => block([...grpcRequestBlock("ListFlights")], hpackInt(2 ** 40, 7, 0x80)),
  ),
  blockCase(
    "HPACK Huffman string holding EOS → GOAWAY COMPRESSION_ERROR",
    ERR.COMPRESSION_ERROR,
    () => block([...grpcRequestBlock("ListFlights")], [0x00, 0x84, 0xff, 0xff, 0xff, 0xff, 0x01, 0x61]),
  ),
  blockCase(
    "HPACK string longer than the block → GOAWAY COMPRESSION_ERROR",
    ERR.COMPRESSION_ERROR,
    () => block([...grpcRequestBlock("ListFlights")], [0x00, 0x7f, 0x80, 0x08, 0x61]),
  ),
  blockCase(
    "header-list bomb: a 4 KB entry referenced 4,000 times (16 MB from 8 KB) → GOAWAY ENHANCE_YOUR_CALM",
    ERR.ENHANCE_YOUR_CALM,
    () =>
      block(
        [...grpcRequestBlock("ListFlights")],
        hpackLiteral("x-bomb", "b".repeat(4000), "incremental"),
        ...Array.from({ length: 4000 }, () => hpackIndexed(62)),
      ),
  ),
  {
    name:
      "a header list over SETTINGS_MAX_HEADER_LIST_SIZE → 431; HPACK stays in step, the connection serves on",
    async run(port) {
      await using peer = await H2Peer.connect(port);
      const limit = peer.serverSettings!.get(SETTING.MAX_HEADER_LIST_SIZE);
      assert.ok(limit !== undefined && limit < 1 << 20, `SETTINGS_MAX_HEADER_LIST_SIZE ${limit}`);
      // Refused, but its table insertion counts: the next call finds content-type at index 62.
      await peer.write(headersFrame(
        1,
        requestWithout(
          hpackLiteral("x-pad", "p".repeat(limit + 100)),
          hpackLiteral("content-type", "application/grpc", "incremental"),
        ),
        { endStream: true },
      ));
      await peer.waitFrame((f) => f.streamId === 1 && f.type === 0x1, 5000, "the answer to call 1");
      const [answer] = receivedHeaders(peer).filter((b) => b.streamId === 1);
      assert.deepEqual(answer.fields.find(([n]) => n === ":status"), [":status", "431"]);
      await expectServes(peer, 3, requestWithout(hpackIndexed(62)));
      assert.equal(peer.goaway, null);
    },
  },
  {
    name: "a header field with an empty name → GOAWAY COMPRESSION_ERROR (or RST_STREAM PROTOCOL_ERROR)",
    async run(port) {
      await using peer = await H2Peer.connect(port);
      await peer.write(headersFrame(1, block([...grpcRequestBlock("ListFlights")], hpackLiteral("", "x"))));
      await peer.until(() => peer.goaway !== null || peer.resets.has(1), 5000, "GOAWAY or RST_STREAM");
      if (peer.goaway) return await expectGoaway(peer, ERR.COMPRESSION_ERROR);
      assert.equal(errName(peer.resets.get(1)), "PROTOCOL_ERROR");
      await expectServes(peer, 3);
    },
  },
  malformedCase(
    "an uppercase header name",
    () => block([...grpcRequestBlock("ListFlights")], hpackLiteral("X-Up", "1")),
  ),
  malformedCase(
    "a connection-specific header",
    () => block([...grpcRequestBlock("ListFlights")], hpackLiteral("connection", "keep-alive")),
  ),
  malformedCase(
    "a pseudo-header after a regular header",
    () => block([...grpcRequestBlock("ListFlights")], hpackLiteral(":status", "200")),
  ),
  malformedCase(
    "an unknown pseudo-header",
    () => block(hpackLiteral(":bogus", "1"), [...grpcRequestBlock("ListFlights")]),
  ),
  malformedCase(
    "a request without :path",
    () => block([0x83, 0x86], hpackLiteral("content-type", "application/grpc")),
  ),
  malformedCase("te other than trailers", () => requestWithout(hpackLiteral("te", "gzip"))),
  malformedCase(
    "a NUL in a header value",
    () => block([...grpcRequestBlock("ListFlights")], hpackLiteral("x-nul", "a\0b")),
  ),
];
