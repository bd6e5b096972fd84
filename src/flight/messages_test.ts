import assert from "node:assert/strict";
import {
  decodeAction,
  decodeBytesMessage,
  decodeDescriptor,
  decodeFlightInfo,
  encodeAction,
  encodeBytesMessage,
  encodeDescriptor,
  encodeFlightInfo,
  type FlightInfo,
  ProtobufError,
} from "./messages.ts";

const utf8 = new TextEncoder();

Deno.test("messages: FlightDescriptor round-trips PATH with unicode and CMD", () => {
  const path = decodeDescriptor(
    encodeDescriptor({ type: "path", cmd: new Uint8Array(0), path: ["séq/前/imu", ""] }),
  );
  assert.deepEqual(path, { type: "path", cmd: new Uint8Array(0), path: ["séq/前/imu", ""] });
  const cmd = decodeDescriptor(encodeDescriptor({ type: "cmd", cmd: utf8.encode('{"topic":1}'), path: [] }));
  assert.equal(cmd.type, "cmd");
  assert.equal(new TextDecoder().decode(cmd.cmd), '{"topic":1}');
});

Deno.test("messages: FlightInfo round-trips negative totals, endpoints and locations", () => {
  const info: FlightInfo = {
    schema: new Uint8Array([1, 2, 3]),
    descriptor: { type: "path", cmd: new Uint8Array(0), path: ["a"] },
    endpoints: [
      { ticket: utf8.encode("a/b"), locations: [] },
      { ticket: utf8.encode("a/c"), locations: ["grpc://h:1", "grpc://h:2"] },
    ],
    totalRecords: -1n,
    totalBytes: 9_007_199_254_740_993n,
    ordered: true,
  };
  const back = decodeFlightInfo(encodeFlightInfo(info));
  assert.deepEqual(back.endpoints.map((e) => [new TextDecoder().decode(e.ticket), e.locations]), [
    ["a/b", []],
    ["a/c", ["grpc://h:1", "grpc://h:2"]],
  ]);
  assert.equal(back.totalRecords, -1n);
  assert.equal(back.totalBytes, 9_007_199_254_740_993n);
  assert.equal(back.ordered, true);
  assert.deepEqual(back.descriptor?.path, ["a"]);
  assert.deepEqual([...back.schema], [1, 2, 3]);
});

Deno.test("messages: Action round-trips and bytes fields are zero-copy views", () => {
  const encoded = encodeAction({ type: "sequence_create", body: utf8.encode('{"name":"s"}') });
  const action = decodeAction(encoded);
  assert.equal(action.type, "sequence_create");
  assert.equal(action.body.buffer, encoded.buffer, "body must be a view of the input");
  assert.equal(new TextDecoder().decode(action.body), '{"name":"s"}');
});

Deno.test("messages: unknown fields of every wire type are skipped", () => {
  // field 9 varint, field 10 fixed64, field 11 len, field 12 fixed32, then ticket field 1
  const bytes = new Uint8Array([
    0x48,
    0x96,
    0x01,
    0x51,
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    0x5a,
    0x02,
    0xaa,
    0xbb,
    0x65,
    1,
    2,
    3,
    4,
    0x0a,
    0x01,
    0x41,
  ]);
  assert.deepEqual([...decodeBytesMessage(bytes)], [0x41]);
});

Deno.test("messages: malformed bytes raise ProtobufError, never another error", () => {
  const cases: [string, Uint8Array][] = [
    ["truncated length", new Uint8Array([0x0a, 0x05, 0x01])],
    ["truncated varint", new Uint8Array([0x08, 0x80])],
    ["field zero", new Uint8Array([0x00, 0x01])],
    ["wire type 7", new Uint8Array([0x0f])],
    ["wrong wire type for ticket", new Uint8Array([0x08, 0x01])],
    ["11-byte varint", new Uint8Array([0x08, ...new Array(10).fill(0xff), 0x01])],
  ];
  for (const [name, bytes] of cases) {
    assert.throws(() => decodeBytesMessage(bytes), ProtobufError, name);
  }
  assert.throws(() => decodeAction(new Uint8Array([0x0a, 0x01, 0xff])), ProtobufError, "invalid UTF-8 type");
  assert.throws(
    () => decodeDescriptor(new Uint8Array([0x08, 0x07])),
    ProtobufError,
    "unknown descriptor type",
  );
});

Deno.test("messages: empty proto3 messages encode to zero bytes", () => {
  assert.equal(encodeBytesMessage(new Uint8Array(0)).length, 0);
  assert.equal(decodeBytesMessage(new Uint8Array(0)).length, 0);
});
