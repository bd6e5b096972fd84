import assert from "node:assert/strict";
import { parseData } from "./data.ts";
import { encodeGoAway, parseGoAway } from "./go_away.ts";
import { encodeFrame, Flag, type FrameHead, FrameType, readFrameHead } from "./head.ts";
import { encodeHeaderBlock, parseHeaders } from "./headers.ts";
import { parsePing } from "./ping.ts";
import { checkPriority } from "./priority.ts";
import { ErrorCode, Http2ConnectionError, Http2StreamError } from "./reason.ts";
import { encodeReset, parseReset } from "./reset.ts";
import { encodeSettings, parseSettings, SettingId } from "./settings.ts";
import { encodeWindowUpdate, parseWindowUpdate } from "./window_update.ts";

const head = (type: number, flags: number, streamId: number, length: number): FrameHead => ({
  type,
  flags,
  streamId,
  length,
});

function assertConnError(fn: () => unknown, code: number) {
  assert.throws(fn, (e) => e instanceof Http2ConnectionError && e.code === code);
}

Deno.test("frame head: encode then read keeps length, type, flags and a 31-bit stream id", () => {
  const bytes = encodeFrame(FrameType.HEADERS, Flag.END_HEADERS, 0x7fffffff, new Uint8Array(300));
  assert.deepEqual(readFrameHead(bytes, 0), head(FrameType.HEADERS, Flag.END_HEADERS, 0x7fffffff, 300));
  bytes[5] |= 0x80; // the reserved bit is ignored
  assert.equal(readFrameHead(bytes, 0).streamId, 0x7fffffff);
});

Deno.test("frame DATA: padding is stripped; padding as long as the payload is PROTOCOL_ERROR", () => {
  const payload = Uint8Array.from([2, 7, 8, 0, 0]);
  assert.deepEqual(parseData(head(0, Flag.PADDED, 1, 5), payload).data, Uint8Array.from([7, 8]));
  assertConnError(
    () => parseData(head(0, Flag.PADDED, 1, 3), Uint8Array.from([3, 0, 0])),
    ErrorCode.PROTOCOL_ERROR,
  );
  assertConnError(() => parseData(head(0, 0, 0, 0), new Uint8Array(0)), ErrorCode.PROTOCOL_ERROR);
});

Deno.test("frame HEADERS: priority fields are skipped and a self-dependency flagged", () => {
  const payload = Uint8Array.from([0, 0, 0, 3, 16, 0x82]);
  const f = parseHeaders(head(1, Flag.PRIORITY | Flag.END_HEADERS, 3, 6), payload);
  assert.deepEqual(f.fragment, Uint8Array.from([0x82]));
  assert.equal(f.selfDependent, true);
  assert.equal(f.endHeaders, true);
  assertConnError(
    () => parseHeaders(head(1, Flag.PRIORITY, 3, 2), Uint8Array.from([0, 0])),
    ErrorCode.FRAME_SIZE_ERROR,
  );
});

Deno.test("frame HEADERS: a long block is split into HEADERS + CONTINUATION at the max frame size", () => {
  const block = new Uint8Array(40_000).map((_, i) => i & 0xff);
  const bytes = encodeHeaderBlock(5, block, { endStream: true, maxFrameSize: 16_384 });
  const heads: FrameHead[] = [];
  const parts: Uint8Array[] = [];
  for (let at = 0; at < bytes.length;) {
    const h = readFrameHead(bytes, at);
    heads.push(h);
    parts.push(bytes.subarray(at + 9, at + 9 + h.length));
    at += 9 + h.length;
  }
  assert.deepEqual(heads.map((h) => [h.type, h.flags, h.length]), [
    [FrameType.HEADERS, Flag.END_STREAM, 16_384],
    [FrameType.CONTINUATION, 0, 16_384],
    [FrameType.CONTINUATION, Flag.END_HEADERS, 7232],
  ]);
  assert.deepEqual(new Uint8Array(parts.flatMap((p) => [...p])), block);
});

Deno.test("frame SETTINGS: values checked as RFC 9113 6.5.2 says, unknown ids kept", () => {
  const parse = (bytes: Uint8Array) => parseSettings(readFrameHead(bytes, 0), bytes.subarray(9));
  assert.deepEqual(parse(encodeSettings([[0xfe03, 1], [SettingId.MAX_FRAME_SIZE, 16_384]])).settings, [
    [0xfe03, 1],
    [SettingId.MAX_FRAME_SIZE, 16_384],
  ]);
  assertConnError(() => parse(encodeSettings([[SettingId.ENABLE_PUSH, 2]])), ErrorCode.PROTOCOL_ERROR);
  assertConnError(
    () => parse(encodeSettings([[SettingId.INITIAL_WINDOW_SIZE, 2 ** 31]])),
    ErrorCode.FLOW_CONTROL_ERROR,
  );
  assertConnError(
    () => parse(encodeSettings([[SettingId.MAX_FRAME_SIZE, 16_383]])),
    ErrorCode.PROTOCOL_ERROR,
  );
  assertConnError(() => parseSettings(head(4, 0, 0, 5), new Uint8Array(5)), ErrorCode.FRAME_SIZE_ERROR);
  assertConnError(
    () => parseSettings(head(4, Flag.ACK, 0, 6), new Uint8Array(6)),
    ErrorCode.FRAME_SIZE_ERROR,
  );
  assertConnError(() => parseSettings(head(4, 0, 1, 0), new Uint8Array(0)), ErrorCode.PROTOCOL_ERROR);
});

Deno.test("frame PING, GOAWAY, RST_STREAM, WINDOW_UPDATE, PRIORITY: sizes and stream ids checked", () => {
  assertConnError(() => parsePing(head(6, 0, 0, 7), new Uint8Array(7)), ErrorCode.FRAME_SIZE_ERROR);
  assertConnError(() => parsePing(head(6, 0, 1, 8), new Uint8Array(8)), ErrorCode.PROTOCOL_ERROR);
  const goAway = encodeGoAway(7, ErrorCode.ENHANCE_YOUR_CALM, "calm");
  assert.deepEqual(parseGoAway(readFrameHead(goAway, 0), goAway.subarray(9)), {
    lastStreamId: 7,
    errorCode: 11,
  });
  const rst = encodeReset(3, ErrorCode.CANCEL);
  assert.equal(parseReset(readFrameHead(rst, 0), rst.subarray(9)), ErrorCode.CANCEL);
  assertConnError(() => parseReset(head(3, 0, 0, 4), new Uint8Array(4)), ErrorCode.PROTOCOL_ERROR);
  const wu = encodeWindowUpdate(0, 2 ** 31 - 1);
  assert.equal(parseWindowUpdate(readFrameHead(wu, 0), wu.subarray(9)), 2 ** 31 - 1);
  assertConnError(() => parseWindowUpdate(head(8, 0, 0, 4), new Uint8Array(4)), ErrorCode.PROTOCOL_ERROR);
  assert.throws(() => parseWindowUpdate(head(8, 0, 1, 4), new Uint8Array(4)), Http2StreamError);
  assert.throws(() => checkPriority(head(2, 0, 1, 4), new Uint8Array(4)), Http2StreamError);
});
