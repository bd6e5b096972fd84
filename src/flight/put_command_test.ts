import assert from "node:assert/strict";
import { assertThrowsError } from "../../tests/_assert.ts";
import { InvalidArgumentError, ResourceExhaustedError } from "../errors.ts";
import type { FlightDescriptor } from "./messages.ts";
import { MAX_PUT_COMMAND_BYTES, parsePutCommand } from "./put_command.ts";

const KEY = "d6dfc7a3-951b-4eaa-9f5f-3e7a4a49ebc3";
const enc = new TextEncoder();

function cmd(body: string | Uint8Array): FlightDescriptor {
  return { type: "cmd", cmd: typeof body === "string" ? enc.encode(body) : body, path: [] };
}

function assertFails(
  descriptor: FlightDescriptor | null,
  message: string | RegExp,
  cls: typeof InvalidArgumentError | typeof ResourceExhaustedError = InvalidArgumentError,
  opts = {},
): void {
  assertThrowsError(() => parsePutCommand(descriptor, opts), cls, message);
}

Deno.test("parsePutCommand() parses the SDK's command", () => {
  const body = `{"topic": {"name": "seqA/front/imu", "key": "${KEY}"}}`;
  assert.deepEqual(parsePutCommand(cmd(body)), {
    topic: { full: "seqA/front/imu", sequence: "seqA", relative: "/front/imu" },
    key: KEY,
  });
});

Deno.test("parsePutCommand() normalises the name and canonicalises the key", () => {
  const body = JSON.stringify({ topic: { name: " /séq/caméra ", key: `{${KEY.toUpperCase()}}`, extra: 1 } });
  assert.deepEqual(parsePutCommand(cmd(body)), {
    topic: { full: "séq/caméra", sequence: "séq", relative: "/caméra" },
    key: KEY,
  });
});

Deno.test("parsePutCommand() requires a CMD descriptor", () => {
  assertFails(null, "Invalid DoPut request: the first message has no descriptor");
  assertFails(
    { type: "path", cmd: new Uint8Array(0), path: ["seqA/imu"] },
    "Invalid DoPut request: the descriptor must be of type CMD, not PATH",
  );
  assertFails(
    { type: "unknown", cmd: enc.encode("{}"), path: [] },
    "Invalid DoPut request: the descriptor must be of type CMD, not UNKNOWN",
  );
});

Deno.test("parsePutCommand() refuses a cmd that is not one UTF-8 JSON object", () => {
  assertFails(cmd(""), "Invalid DoPut command: cmd is empty");
  assertFails(cmd(new Uint8Array([0x7b, 0xc3, 0x28, 0x7d])), "Invalid DoPut command: cmd is not valid UTF-8");
  assertFails(cmd("{topic"), /^Invalid DoPut command: cmd is not valid JSON: .+/);
  assertFails(cmd('["topic"]'), "Invalid DoPut command: cmd must be a JSON object");
  assertFails(cmd(`"seqA/imu"`), "Invalid DoPut command: cmd must be a JSON object");
});

Deno.test("parsePutCommand() requires the single command kind topic", () => {
  assertFails(cmd("{}"), 'Invalid DoPut command: field "topic" is missing');
  assertFails(cmd('{"Topic": {}}'), 'Invalid DoPut command: unknown command "Topic"');
  assertFails(
    cmd(`{"topic": {"name": "s/t", "key": "${KEY}"}, "sequence": {}}`),
    'Invalid DoPut command: unknown command "sequence"',
  );
  assertFails(cmd('{"topic": "s/t"}'), 'Invalid DoPut command: field "topic" must be a JSON object');
  assertFails(cmd('{"topic": null}'), 'Invalid DoPut command: field "topic" must be a JSON object');
});

Deno.test("parsePutCommand() checks name and key, naming the nested field", () => {
  assertFails(cmd(`{"topic": {"key": "${KEY}"}}`), 'Invalid DoPut command: field "topic.name" is missing');
  assertFails(cmd('{"topic": {"name": "s/t"}}'), 'Invalid DoPut command: field "topic.key" is missing');
  assertFails(
    cmd(`{"topic": {"name": 7, "key": "${KEY}"}}`),
    'Invalid DoPut command: field "topic.name" must be a string',
  );
  assertFails(
    cmd('{"topic": {"name": "s/t", "key": 7}}'),
    'Invalid DoPut command: field "topic.key" must be a string',
  );
  assertFails(
    cmd(`{"topic": {"name": "seqA", "key": "${KEY}"}}`),
    'Invalid DoPut command: field "topic.name": invalid topic name "seqA": topic names must look like "<sequence>/<topic path>"',
  );
  assertFails(
    cmd(`{"topic": {"name": "s/./t", "key": "${KEY}"}}`),
    'Invalid DoPut command: field "topic.name": invalid topic name "s/./t": "." segments are not allowed',
  );
  assertFails(
    cmd('{"topic": {"name": "s/t", "key": "not-a-key"}}'),
    'Invalid DoPut command: field "topic.key": malformed topic key "not-a-key": not a UUID',
  );
});

Deno.test("parsePutCommand() applies custom locator limits", () => {
  assertFails(
    cmd(`{"topic": {"name": "abc/defg", "key": "${KEY}"}}`),
    'Invalid DoPut command: field "topic.name": invalid topic name "abc/defg": a segment is longer than 3 UTF-8 bytes',
    InvalidArgumentError,
    { limits: { maxBytes: 100, maxSegmentBytes: 3 } },
  );
});

Deno.test("parsePutCommand() bounds the cmd size with ResourceExhaustedError", () => {
  const big = enc.encode(
    JSON.stringify({ topic: { name: "s/t", key: KEY, pad: "x".repeat(MAX_PUT_COMMAND_BYTES) } }),
  );
  assertFails(
    cmd(big),
    `Rejected DoPut command: cmd of ${big.length} bytes exceeds the 65536-byte limit`,
    ResourceExhaustedError,
  );
  const body = enc.encode(`{"topic": {"name": "s/t", "key": "${KEY}"}}`);
  assertFails(
    cmd(body),
    `Rejected DoPut command: cmd of ${body.length} bytes exceeds the 10-byte limit`,
    ResourceExhaustedError,
    { maxCmdBytes: 10 },
  );
});
