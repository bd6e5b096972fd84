import assert from "node:assert/strict";
import { assertThrowsError } from "../../tests/_assert.ts";
import { InvalidArgumentError, ResourceExhaustedError } from "../errors.ts";
import {
  encodeEventsCommand,
  encodeEventsTicket,
  encodeRangeTicket,
  encodeTicket,
  encodeTopicRangeCommand,
  MAX_TICKET_BYTES,
  parseFlightCommand,
  parseTicket,
  STRUCTURED_TICKET_MARKER,
  type TopicRangeCommand,
  type TopicRead,
} from "./ticket.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function rangeTicket(json: string): Uint8Array {
  return new Uint8Array([STRUCTURED_TICKET_MARKER, ...enc.encode(json)]);
}

function assertFails(
  fn: () => unknown,
  message: string | RegExp,
  cls: typeof InvalidArgumentError | typeof ResourceExhaustedError = InvalidArgumentError,
): void {
  assertThrowsError(fn, cls, message);
}

const imu = { full: "seqA/front/imu", sequence: "seqA", relative: "/front/imu" };

/** The ticket, which must be a topic read. */
function topicRead(bytes: Uint8Array): TopicRead {
  const ticket = parseTicket(bytes);
  assert.equal(ticket.kind, "topic");
  return ticket as TopicRead;
}

/** The command, which must be a topic range. */
function parseTopicRangeCommand(cmd: Uint8Array): TopicRangeCommand {
  const command = parseFlightCommand(cmd);
  assert.equal(command.kind, "topic_range");
  return command as TopicRangeCommand;
}

Deno.test("parseTicket() reads a plain topic locator", () => {
  assert.deepEqual(parseTicket(enc.encode("seqA/front/imu")), { kind: "topic", topic: imu, range: null });
  assert.deepEqual(parseTicket(enc.encode(" /seqA/front/imu ")), { kind: "topic", topic: imu, range: null });
  assert.deepEqual(parseTicket(enc.encode("séq/日本")), {
    kind: "topic",
    topic: { full: "séq/日本", sequence: "séq", relative: "/日本" },
    range: null,
  });
});

Deno.test("encodeTicket() gives the plain UTF-8 locator the SDK splits itself", () => {
  assert.deepEqual(encodeTicket("seqA/front/imu"), enc.encode("seqA/front/imu"));
  assert.equal(dec.decode(encodeTicket("séq/t")), "séq/t");
  assert.deepEqual(topicRead(encodeTicket("seqA/front/imu")).topic, imu);
});

Deno.test("parseTicket() refuses non-UTF-8 bytes", () => {
  assertFails(
    () => parseTicket(new Uint8Array([0x73, 0x2f, 0xc3, 0x28])),
    "Invalid DoGet ticket: ticket is not valid UTF-8",
  );
  assertFails(
    () => parseTicket(new Uint8Array([0x73, 0x2f, 0xed, 0xa0, 0x80])),
    "Invalid DoGet ticket: ticket is not valid UTF-8",
  );
});

Deno.test("parseTicket() refuses what is not a topic locator", () => {
  assertFails(
    () => parseTicket(new Uint8Array(0)),
    'Invalid DoGet ticket: invalid topic name "": the name is empty',
  );
  assertFails(
    () => parseTicket(enc.encode("seqA")),
    'Invalid DoGet ticket: invalid topic name "seqA": topic names must look like "<sequence>/<topic path>"',
  );
  assertFails(
    () => parseTicket(enc.encode("seqA/../x")),
    'Invalid DoGet ticket: invalid topic name "seqA/../x": ".." segments are not allowed',
  );
  assertFails(
    () => parseTicket(enc.encode("seqA/a\u0000")),
    'Invalid DoGet ticket: invalid topic name "seqA/a\\u0000": control character U+0000 is not allowed',
  );
  assertFails(
    () => parseTicket(enc.encode("abc/defg"), { limits: { maxBytes: 100, maxSegmentBytes: 3 } }),
    'Invalid DoGet ticket: invalid topic name "abc/defg": a segment is longer than 3 UTF-8 bytes',
  );
});

Deno.test("parseTicket() refuses oversized tickets before decoding", () => {
  const big = new Uint8Array(MAX_TICKET_BYTES + 1).fill(0x61);
  assertFails(
    () => parseTicket(big),
    `Rejected DoGet ticket: ticket of ${big.length} bytes exceeds the 65536-byte limit`,
    ResourceExhaustedError,
  );
  const bigRange = new Uint8Array(MAX_TICKET_BYTES + 2).fill(0x20);
  bigRange[0] = STRUCTURED_TICKET_MARKER;
  assertFails(
    () => parseTicket(bigRange),
    `Rejected DoGet ticket: ticket of ${MAX_TICKET_BYTES + 1} bytes exceeds the 65536-byte limit`,
    ResourceExhaustedError,
  );
});

Deno.test("range tickets round-trip and can never be mistaken for plain tickets", () => {
  const range = { startNs: 1700000000123456789n, endNs: 1700000000999999999n };
  const ticket = encodeRangeTicket("seqA/front/imu", range);
  assert.equal(ticket[0], 0xff);
  assert.equal(
    dec.decode(ticket.subarray(1)),
    '{"topic_range":{"name":"seqA/front/imu","start_ns":"1700000000123456789","end_ns":"1700000000999999999"}}',
  );
  assert.throws(() => new TextDecoder("utf-8", { fatal: true }).decode(ticket)); // never valid UTF-8
  assert.deepEqual(parseTicket(ticket), { kind: "topic", topic: imu, range });
  assert.deepEqual(parseTicket(encodeRangeTicket("seqA/front/imu", { startNs: null, endNs: -5n })), {
    kind: "topic",
    topic: imu,
    range: { startNs: null, endNs: -5n },
  });
  assert.equal(
    dec.decode(encodeRangeTicket("s/t", { startNs: null, endNs: null }).subarray(1)),
    '{"topic_range":{"name":"s/t"}}',
  );
});

Deno.test("parseTicket() reads range bounds as strings, safe integers or null", () => {
  const read = (fields: string) => topicRead(rangeTicket(`{"topic_range": {"name": "s/t"${fields}}}`)).range;
  assert.deepEqual(read(', "start_ns": 100, "end_ns": 500'), { startNs: 100n, endNs: 500n });
  assert.deepEqual(read(', "start_ns": "-9223372036854775808"'), { startNs: -(2n ** 63n), endNs: null });
  assert.deepEqual(read(', "end_ns": "9223372036854775807"'), { startNs: null, endNs: 2n ** 63n - 1n });
  assert.deepEqual(read(', "start_ns": null, "end_ns": null'), { startNs: null, endNs: null });
  assert.deepEqual(read(""), { startNs: null, endNs: null });
  assert.deepEqual(read(', "start_ns": 7, "end_ns": "7"'), { startNs: 7n, endNs: 7n }); // a single instant
  assert.deepEqual(read(', "start_ns": 9007199254740991'), { startNs: 9007199254740991n, endNs: null });
  assert.deepEqual(read(', "start_ns": 1700000000123456789'), { startNs: 1700000000123456789n, endNs: null });
});

Deno.test("parseTicket() refuses malformed range bounds", () => {
  const fails = (fields: string, message: string) =>
    assertFails(() => parseTicket(rangeTicket(`{"topic_range": {"name": "s/t", ${fields}}}`)), message);
  fails('"end_ns": 1.5', 'Invalid DoGet ticket: field "topic_range.end_ns" must be an integer');
  fails(
    '"end_ns": 9223372036854775808',
    'Invalid DoGet ticket: field "topic_range.end_ns" must fit in 64 bits, not 9223372036854775808',
  );
  for (const bad of ["", "+1", "01", "1.0", "1e3", " 1", "0x10", "-", "١"]) {
    fails(
      `"start_ns": ${JSON.stringify(bad)}`,
      `Invalid DoGet ticket: field "topic_range.start_ns" must be a decimal integer, not ${
        JSON.stringify(bad)
      }`,
    );
  }
  fails(
    '"end_ns": "9223372036854775808"',
    'Invalid DoGet ticket: field "topic_range.end_ns" must fit in 64 bits, not 9223372036854775808',
  );
  fails(
    '"start_ns": "-9223372036854775809"',
    'Invalid DoGet ticket: field "topic_range.start_ns" must fit in 64 bits, not -9223372036854775809',
  );
  // Integral doubles (exponent syntax, or more than 20 digits) used to reach BigInt("1e+308"): INTERNAL.
  fails(
    '"start_ns": 1e308',
    `Invalid DoGet ticket: field "topic_range.start_ns" must fit in 64 bits, not a 309-digit number`,
  );
  fails(
    '"end_ns": 123456789012345678901234567890',
    'Invalid DoGet ticket: field "topic_range.end_ns" must fit in 64 bits, not 123456789012345677877719597056',
  );
  assert.deepEqual(
    parseTicket(rangeTicket('{"topic_range": {"name": "s/t", "start_ns": 1e18}}')),
    {
      kind: "topic",
      topic: { full: "s/t", sequence: "s", relative: "/t" },
      range: { startNs: 10n ** 18n, endNs: null },
    },
  );
  fails(
    '"start_ns": true',
    'Invalid DoGet ticket: field "topic_range.start_ns" must be a decimal string or an integer',
  );
  fails(
    '"end_ns": [1]',
    'Invalid DoGet ticket: field "topic_range.end_ns" must be a decimal string or an integer',
  );
  fails('"start_ns": 501, "end_ns": 500', "Invalid DoGet ticket: start_ns 501 is after end_ns 500");
});

Deno.test("parseTicket() refuses malformed range tickets", () => {
  const fails = (json: string, message: string | RegExp) =>
    assertFails(() => parseTicket(rangeTicket(json)), message);
  fails("", "Invalid DoGet ticket: ticket is empty");
  fails("seqA/imu", /^Invalid DoGet ticket: ticket is not valid JSON: .+/);
  fails("[]", "Invalid DoGet ticket: ticket must be a JSON object");
  fails(
    "{}",
    'Invalid DoGet ticket: ticket must hold exactly one kind, "topic_range" or "events" or "window", not 0',
  );
  fails('{"topic": {"name": "s/t"}}', 'Invalid DoGet ticket: unknown kind "topic"');
  fails('{"topic_range": "s/t"}', 'Invalid DoGet ticket: field "topic_range" must be a JSON object');
  fails('{"topic_range": {}}', 'Invalid DoGet ticket: field "topic_range.name" is missing');
  fails('{"topic_range": {"name": 1}}', 'Invalid DoGet ticket: field "topic_range.name" must be a string');
  fails(
    '{"topic_range": {"name": "s"}}',
    'Invalid DoGet ticket: field "topic_range.name": invalid topic name "s": topic names must look like "<sequence>/<topic path>"',
  );
  fails(
    '{"topic_range": {"name": "s/t", "columns": ["x"]}}',
    'Invalid DoGet ticket: field "topic_range.columns" is not supported',
  );
  assertFails(
    () => parseTicket(new Uint8Array([0xff, 0xc3, 0x28])),
    "Invalid DoGet ticket: ticket is not valid UTF-8",
  );
});

Deno.test("parseFlightCommand() reads the GetFlightInfo range command (no marker byte)", () => {
  const range = { startNs: 100n, endNs: 500n };
  const cmd = encodeTopicRangeCommand("seqA/front/imu", range);
  assert.equal(dec.decode(cmd), '{"topic_range":{"name":"seqA/front/imu","start_ns":"100","end_ns":"500"}}');
  assert.deepEqual(parseFlightCommand(cmd), { kind: "topic_range", topic: imu, range, stripes: 1 });
  assert.deepEqual(
    parseTopicRangeCommand(enc.encode('{"topic_range": {"name": "/seqA/front/imu", "start_ns": 100}}')),
    {
      kind: "topic_range",
      topic: imu,
      range: { startNs: 100n, endNs: null },
      stripes: 1,
    },
  );
  assert.equal(
    parseTopicRangeCommand(enc.encode('{"topic_range": {"name": "s/t", "stripes": 8}}')).stripes,
    8,
  );
  for (const bad of ["0", "65", "2.5", '"4"', "null"]) {
    assertFails(
      () => parseTopicRangeCommand(enc.encode(`{"topic_range": {"name": "s/t", "stripes": ${bad}}}`)),
      /stripes.* must be an integer from 1 to 64/,
    );
  }
  // A ticket is one stripe: it never carries the field.
  assertFails(() => parseTicket(rangeTicket('{"topic_range": {"name": "s/t", "stripes": 2}}')), /stripes/);
  assertFails(
    () =>
      parseTopicRangeCommand(enc.encode('{"topic_range": {"name": "s/t", "start_ns": "2", "end_ns": "1"}}')),
    "Invalid GetFlightInfo command: start_ns 2 is after end_ns 1",
  );
  assertFails(
    () => parseTopicRangeCommand(enc.encode("seqA/imu")),
    /^Invalid GetFlightInfo command: cmd is not valid JSON/,
  );
  assertFails(
    () => parseTopicRangeCommand(rangeTicket('{"topic_range": {"name": "s/t"}}')),
    "Invalid GetFlightInfo command: cmd is not valid UTF-8",
  );
});

// Events (the live-subscription extension)

function eventsTicket(body: string): Uint8Array {
  return rangeTicket(`{"events": ${body}}`);
}

const everything = { afterId: 0, follow: true, kinds: null, log: null };

Deno.test("parseTicket() reads an events ticket with defaults for absent or null fields", () => {
  assert.deepEqual(parseTicket(eventsTicket("{}")), { kind: "events", subscription: everything });
  assert.deepEqual(
    parseTicket(eventsTicket('{"after_id": null, "follow": null, "kinds": null}')),
    { kind: "events", subscription: everything },
  );
  assert.deepEqual(
    parseTicket(eventsTicket('{"after_id": 42, "follow": false, "kinds": ["topic.locked"]}')),
    { kind: "events", subscription: { afterId: 42, follow: false, kinds: ["topic.locked"], log: null } },
  );
  assert.deepEqual(parseTicket(eventsTicket('{"after_id": "9007199254740991"}')), {
    kind: "events",
    subscription: { ...everything, afterId: Number.MAX_SAFE_INTEGER },
  });
});

Deno.test("parseTicket() keeps each events kind once, in the order of the event log's kinds", () => {
  const t = parseTicket(eventsTicket('{"kinds": ["topic.locked", "sequence.created", "topic.locked"]}'));
  assert.deepEqual(t, {
    kind: "events",
    subscription: { ...everything, kinds: ["sequence.created", "topic.locked"] },
  });
});

Deno.test("events tickets and commands round-trip, and the ticket is never valid UTF-8", () => {
  const sub = {
    afterId: 7,
    follow: false,
    kinds: ["chunk.committed", "notification.created"] as const,
    log: null,
  };
  const ticket = encodeEventsTicket(sub);
  assert.equal(ticket[0], STRUCTURED_TICKET_MARKER);
  assert.equal(
    dec.decode(ticket.subarray(1)),
    '{"events":{"after_id":7,"follow":false,"kinds":["chunk.committed","notification.created"]}}',
  );
  assert.throws(() => new TextDecoder("utf-8", { fatal: true }).decode(ticket));
  assert.deepEqual(parseTicket(ticket), { kind: "events", subscription: sub });
  const cmd = encodeEventsCommand(everything);
  assert.equal(dec.decode(cmd), '{"events":{"after_id":0,"follow":true}}');
  assert.deepEqual(parseFlightCommand(cmd), { kind: "events", subscription: everything });
  assert.deepEqual(parseTicket(encodeEventsTicket(everything)), { kind: "events", subscription: everything });
});

Deno.test("parseTicket() refuses malformed events tickets, naming the field", () => {
  const fails = (body: string, message: string) =>
    assertFails(() => parseTicket(eventsTicket(body)), message);
  const range = "must be an integer from 0 to 9007199254740991";
  fails('{"after_id": -1}', `Invalid DoGet ticket: field "events.after_id" ${range}, not -1`);
  fails('{"after_id": 1.5}', `Invalid DoGet ticket: field "events.after_id" ${range}, not 1.5`);
  fails(
    '{"after_id": 9007199254740992}',
    `Invalid DoGet ticket: field "events.after_id" ${range}, not 9007199254740992`,
  );
  fails(
    '{"after_id": "9007199254740992"}',
    `Invalid DoGet ticket: field "events.after_id" ${range}, not 9007199254740992`,
  );
  fails('{"after_id": "-1"}', `Invalid DoGet ticket: field "events.after_id" ${range}, not "-1"`);
  fails('{"after_id": "01"}', `Invalid DoGet ticket: field "events.after_id" ${range}, not "01"`);
  fails('{"after_id": true}', `Invalid DoGet ticket: field "events.after_id" ${range}, not true`);
  fails('{"after_id": [1]}', `Invalid DoGet ticket: field "events.after_id" ${range}, not a list`);
  fails('{"follow": "yes"}', 'Invalid DoGet ticket: field "events.follow" must be true or false, not "yes"');
  fails('{"follow": 1}', 'Invalid DoGet ticket: field "events.follow" must be true or false, not 1');
  fails(
    '{"kinds": "topic.locked"}',
    'Invalid DoGet ticket: field "events.kinds" must be a list of event kinds, not "topic.locked"',
  );
  fails(
    '{"kinds": []}',
    'Invalid DoGet ticket: field "events.kinds" must not be empty (omit it for every kind)',
  );
  fails('{"kinds": [1]}', 'Invalid DoGet ticket: field "events.kinds" must hold strings, not 1');
  assertFails(
    () => parseTicket(eventsTicket('{"kinds": ["topic.locked", "topic.renamed"]}')),
    /^Invalid DoGet ticket: field "events.kinds" holds an unknown kind "topic.renamed": expected "sequence.created", .*"notification.created"$/,
  );
  fails('{"since": 3}', 'Invalid DoGet ticket: field "events.since" is not supported');
  fails('{"after_id": 1, "limit": 10}', 'Invalid DoGet ticket: field "events.limit" is not supported');
  assertFails(
    () => parseTicket(rangeTicket('{"events": []}')),
    'Invalid DoGet ticket: field "events" must be a JSON object',
  );
  assertFails(
    () => parseTicket(rangeTicket('{"events": {}, "topic_range": {"name": "s/t"}}')),
    'Invalid DoGet ticket: ticket must hold exactly one kind, "topic_range" or "events" or "window", not 2',
  );
  assertFails(() => parseTicket(rangeTicket('{"event": {}}')), 'Invalid DoGet ticket: unknown kind "event"');
});

Deno.test("an events ticket may name the event log its position belongs to", () => {
  const log = "0b9c7c0e-5f0e-4a43-9d53-3f5a0e7b1a2c";
  const sub = { afterId: 5, follow: true, kinds: null, log };
  assert.deepEqual(parseTicket(eventsTicket(`{"after_id": 5, "log": "${log.toUpperCase()}"}`)), {
    kind: "events",
    subscription: sub,
  });
  assert.deepEqual(parseTicket(encodeEventsTicket(sub)), { kind: "events", subscription: sub });
  assertFails(
    () => parseTicket(eventsTicket('{"log": "yesterday"}')),
    'Invalid DoGet ticket: field "events.log" must be the uuid of an event log (a stream\'s mosaico:event_log), not "yesterday"',
  );
});

Deno.test("parseFlightCommand() reads the events command and refuses it with its own wording", () => {
  assert.deepEqual(parseFlightCommand(enc.encode('{"events": {"after_id": 3}}')), {
    kind: "events",
    subscription: { ...everything, afterId: 3 },
  });
  assertFails(
    () => parseFlightCommand(enc.encode('{"events": {"follow": "no"}}')),
    'Invalid GetFlightInfo command: field "events.follow" must be true or false, not "no"',
  );
  assertFails(
    () => parseFlightCommand(enc.encode('{"events": {"stripes": 2}}')),
    'Invalid GetFlightInfo command: field "events.stripes" is not supported',
  );
  assertFails(
    () => parseFlightCommand(enc.encode("{}")),
    'Invalid GetFlightInfo command: cmd must hold exactly one kind, "topic_range" or "events", not 0',
  );
  // The command is the JSON without the marker: the marker makes it invalid UTF-8.
  assertFails(
    () => parseFlightCommand(encodeEventsTicket(everything)),
    "Invalid GetFlightInfo command: cmd is not valid UTF-8",
  );
});
