import assert from "node:assert/strict";
import { assertThrowsError } from "../../../tests/_assert.ts";
import { InvalidArgumentError, ResourceExhaustedError } from "../../errors.ts";
import type { FlightDescriptor } from "../messages.ts";
import {
  encodeRangeTicket,
  encodeWindowTicket,
  parseFlightCommand,
  parseTicket,
  STRUCTURED_TICKET_MARKER,
} from "../ticket.ts";
import { parseInfoCommand, parsePutCommand2026 } from "./commands.ts";
import { inclusiveRange } from "./do_get.ts";

const UUID = "0b5c6a0e-1f7a-4c8e-9a53-3d2f0c7b9e21";
const enc = new TextEncoder();
const dec = new TextDecoder();
const topic = (full: string) => {
  const i = full.indexOf("/");
  return { full, sequence: full.slice(0, i), relative: full.slice(i) };
};
const cmd = (json: string): FlightDescriptor => ({ type: "cmd", cmd: enc.encode(json), path: [] });

Deno.test("parseInfoCommand() reads the locator and both optional bounds exactly", () => {
  assert.deepEqual(parseInfoCommand(enc.encode('{"resource_locator": "run_01"}')), {
    locator: { kind: "sequence", sequence: "run_01" },
    window: { startNs: null, endNs: null },
  });
  const json = '{"resource_locator": "/run_01/front/imu", "timestamp_ns_start": 1700000000260000001, ' +
    '"timestamp_ns_end": -5, "extra": true}';
  assert.deepEqual(parseInfoCommand(enc.encode(json)), {
    locator: { kind: "topic", topic: topic("run_01/front/imu") },
    window: { startNs: 1700000000260000001n, endNs: -5n },
  });
  // start > end is accepted (the stream is then empty, 7.2).
  const inverted = parseInfoCommand(
    enc.encode('{"resource_locator": "s", "timestamp_ns_start": 9, "timestamp_ns_end": 1}'),
  );
  assert.deepEqual(inverted.window, { startNs: 9n, endNs: 1n });
  assert.deepEqual(parseInfoCommand(enc.encode('{"resource_locator": "s:01HZ"}')).locator, {
    kind: "session",
    sequence: "s",
    id: "01HZ",
  });
});

Deno.test("parseInfoCommand() refuses malformed commands", () => {
  const fails = (json: string, message: RegExp) =>
    assertThrowsError(() => parseInfoCommand(enc.encode(json)), InvalidArgumentError, message);
  fails("{}", /field "resource_locator" is missing/);
  fails('{"resource_locator": ""}', /it is empty/);
  fails('{"resource_locator": "s", "timestamp_ns_start": 1.5}', /"timestamp_ns_start" must be an integer/);
  fails('{"resource_locator": "s", "timestamp_ns_end": 9223372036854775808}', /must fit in 64 bits/);
  fails("nope", /not valid JSON/);
  assertThrowsError(
    () => parseInfoCommand(enc.encode(`{"resource_locator": "${"x".repeat(70_000)}"}`)),
    ResourceExhaustedError,
    /exceeds/,
  );
});

Deno.test("parsePutCommand2026() reads the topic and its uuid; checks the descriptor first", () => {
  assert.deepEqual(parsePutCommand2026(cmd(`{"resource_locator": "run_01/imu", "topic_uuid": "${UUID}"}`)), {
    topic: topic("run_01/imu"),
    key: UUID,
  });
  const fails = (d: FlightDescriptor | null, message: RegExp) =>
    assertThrowsError(() => parsePutCommand2026(d), InvalidArgumentError, message);
  fails(null, /has no descriptor/);
  fails({ type: "path", cmd: new Uint8Array(0), path: ["run_01/imu"] }, /must be of type CMD, not PATH/);
  fails(cmd(`{"resource_locator": "run_01", "topic_uuid": "${UUID}"}`), /it names a sequence/);
  fails(
    cmd(`{"resource_locator": "run_01/imu", "topic_uuid": "x"}`),
    /"topic_uuid": malformed topic key "x"/,
  );
  fails(cmd(`{"resource_locator": "run_01/imu"}`), /"topic_uuid" is missing/);
});

Deno.test("window tickets round-trip, keep bounds exact and never look like a plain locator", () => {
  const window = { startNs: 1700000000260000000n, endNs: 1700000000480000001n };
  const ticket = encodeWindowTicket("run_01/front/imu", window);
  assert.equal(ticket[0], STRUCTURED_TICKET_MARKER);
  assert.equal(
    dec.decode(ticket.subarray(1)),
    '{"window":{"name":"run_01/front/imu","start_ns":"1700000000260000000","end_ns":"1700000000480000001"}}',
  );
  assert.deepEqual(parseTicket(ticket), { kind: "window", topic: topic("run_01/front/imu"), window });
  const open = encodeWindowTicket("s/t", { startNs: null, endNs: null });
  assert.deepEqual(parseTicket(open), {
    kind: "window",
    topic: topic("s/t"),
    window: { startNs: null, endNs: null },
  });
  // start >= end is a valid (empty) window, unlike a range ticket.
  const empty = encodeWindowTicket("s/t", { startNs: 5n, endNs: 5n });
  assert.deepEqual(parseTicket(empty), {
    kind: "window",
    topic: topic("s/t"),
    window: { startNs: 5n, endNs: 5n },
  });
  // Range tickets are unchanged.
  assert.equal(parseTicket(encodeRangeTicket("s/t", { startNs: 1n, endNs: 2n })).kind, "topic");
});

Deno.test("window tickets refuse unknown fields, bad bounds and a second kind; commands refuse the kind", () => {
  const withMarker = (json: string) => Uint8Array.of(STRUCTURED_TICKET_MARKER, ...enc.encode(json));
  const fails = (json: string, message: RegExp) =>
    assertThrowsError(() => parseTicket(withMarker(json)), InvalidArgumentError, message);
  fails('{"window":{"name":"s/t","columns":["x"]}}', /field "window.columns" is not supported/);
  fails('{"window":{"name":"s","start_ns":"1"}}', /topic names must look like/);
  fails('{"window":{"name":"s/t","end_ns":"1e3"}}', /must be a decimal integer/);
  fails('{"window":{"name":"s/t"},"events":{}}', /exactly one kind/);
  assertThrowsError(
    () => parseFlightCommand(enc.encode('{"window":{"name":"s/t"}}')),
    InvalidArgumentError,
    'Invalid GetFlightInfo command: unknown kind "window"',
  );
});

Deno.test("inclusiveRange() turns [start, end) into the read layer's inclusive range, or null when empty", () => {
  assert.deepEqual(inclusiveRange({ startNs: null, endNs: null }), { startNs: null, endNs: null });
  assert.deepEqual(inclusiveRange({ startNs: 10n, endNs: 20n }), { startNs: 10n, endNs: 19n });
  assert.deepEqual(inclusiveRange({ startNs: 10n, endNs: 11n }), { startNs: 10n, endNs: 10n });
  assert.deepEqual(inclusiveRange({ startNs: null, endNs: 0n }), { startNs: null, endNs: -1n });
  assert.equal(inclusiveRange({ startNs: 10n, endNs: 10n }), null);
  assert.equal(inclusiveRange({ startNs: 11n, endNs: 10n }), null);
  assert.equal(inclusiveRange({ startNs: null, endNs: -(2n ** 63n) }), null);
});
