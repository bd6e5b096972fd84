/**
 * The table of the hostile-input test (`hostile_input_test.ts`): one request per kind of malformed or
 * hostile input, each with the gRPC code and the message it must get, and the hand-made schemas,
 * batches and IPC headers they use. Every request is refused before it changes anything.
 *
 * @module
 */
import { status } from "@grpc/grpc-js";
import { Dictionary, Field, Float64, Int32, Int64, Schema, Struct, Uint64, Utf8 } from "apache-arrow";
import { SparseUnion } from "apache-arrow/type";
import { rowsOf } from "../src/arrow/_test_batches.ts";
import {
  DictionaryBatch,
  Message,
  RecordBatch as RecordBatchHeader,
} from "apache-arrow/ipc/metadata/message";
import { encodeBytesMessage, encodeDescriptor, type FlightDescriptor } from "../src/flight/messages.ts";
import { type FlightChannel } from "../src/client/mod.ts";
import { type RpcError, rpcError } from "./_flight_client.ts";
import {
  action,
  batchMessage,
  batchParts,
  flightData,
  grpcFrame,
  putDescriptor,
  rawGrpcCall,
  schemaMessage,
} from "./_hostile.ts";

const MiB = 1024 * 1024;
/** The lowered limits the daemon of the test runs with, each exercised by a case. */
export const LIMITS = { metadataBytes: 4096, nameBytes: 128, streams: 4, messageBytes: 17 * MiB };
const RANDOM_KEY = "0b2c7d4e-8f10-4a2b-9c3d-4e5f6a7b8c9d";

const utf8 = new TextEncoder();
const bytes = (s: string) => utf8.encode(s);

// Schemas and batches of the upload cases

const TS = new Field("timestamp_ns", new Int64(), false);
export const SIMPLE = new Schema([TS, new Field("v", new Float64(), true), new Field("s", new Utf8(), true)]);
export const NULLABLE = new Schema([
  new Field("timestamp_ns", new Int64(), true),
  new Field("v", new Float64(), true),
]);

export const GOOD = rowsOf(SIMPLE, [[1n, 2n, 3n], [0.5, 1.5, 2.5], ["a", "bc", "def"]]);

/** A record-batch header whose field-node vector claims 2^28 nodes (it used to exhaust the heap). */
export function hugeVectorHeader(): Uint8Array {
  const header = batchParts(GOOD).header.slice();
  const view = new DataView(header.buffer);
  // The nodes vector: its length (3), then FieldNode {length: 3, null_count: 0} × 3.
  for (let i = 0; i + 28 <= header.length; i += 4) {
    if (
      view.getInt32(i, true) === 3 && view.getInt32(i + 4, true) === 3 && view.getInt32(i + 8, true) === 0
    ) {
      view.setInt32(i, 0x0fffffff, true);
      return header;
    }
  }
  throw new Error("nodes vector not found");
}

export function dictionaryBatchHeader(): Uint8Array {
  const inner = new RecordBatchHeader(1, [], [], null);
  return Message.encode(Message.from(new DictionaryBatch(inner, 0), 0));
}

// The cases

/** One hostile request and the answer it must get. */
export interface Case {
  name: string;
  code: status;
  message: RegExp;
  run: () => Promise<RpcError>;
}

/** What the cases need from the test: the client, and what it created on purpose. */
export interface Setup {
  client: FlightChannel;
  port: number;
  /** Deadline of the raw HTTP/2 calls. */
  deadlineMs: number;
  /** Keys of the topics the test made on purpose. */
  keys: { sequence: string; imu: string; nullable: string; locked: string };
  lockedTopic: string;
  waitUploadable: () => Promise<void>;
}

/** The hostile requests, in order (each after the setup, none changing anything). */
export function hostileCases(s: Setup): Case[] {
  const { client } = s;
  const act = (type: string, body: unknown) =>
    rpcError(client.serverStream("DoAction", action(type, body)).all());
  const put = (messages: Uint8Array[]) => rpcError(client.exchange("DoPut", messages));
  const get = (ticket: Uint8Array) =>
    rpcError(client.serverStream("DoGet", encodeBytesMessage(ticket)).all());
  const info = (d: FlightDescriptor) => rpcError(client.unary("GetFlightInfo", encodeDescriptor(d)));
  const cmd = (json: string): FlightDescriptor => ({ type: "cmd", cmd: bytes(json), path: [] });
  const path = (...p: string[]): FlightDescriptor => ({ type: "path", cmd: new Uint8Array(0), path: p });
  const marked = (json: string) => new Uint8Array([0xff, ...bytes(json)]);
  const imu = putDescriptor("target/imu", s.keys.imu);
  const head = schemaMessage(SIMPLE, imu);
  const raw = async (method: string, chunks: Uint8Array[]): Promise<RpcError> => {
    return await rawGrpcCall(s.port, method, chunks, s.deadlineMs);
  };
  const seqCreate = (name: string, meta: unknown = {}) =>
    act("sequence_create", { name, user_metadata: meta });
  const topicCreate = (name: string, key = s.keys.sequence, more: object = {}) =>
    act("topic_create", {
      name,
      sequence_key: key,
      serialization_format: "default",
      ontology_tag: "imu",
      user_metadata: {},
      ...more,
    });
  const IA = status.INVALID_ARGUMENT;
  const c = (name: string, code: status, message: RegExp, run: () => Promise<RpcError>): Case => ({
    name,
    code,
    message,
    run,
  });
  return [
    // DoAction: bodies
    c("action: body not JSON", IA, /body is not valid JSON/, () => act("sequence_create", bytes("{"))),
    c("action: empty body", IA, /body is empty/, () => act("layer_list", new Uint8Array(0))),
    c(
      "action: body not UTF-8",
      IA,
      /not valid UTF-8/,
      () => act("sequence_create", Uint8Array.of(0xff, 0xfe)),
    ),
    c("action: body an array", IA, /must be a JSON object/, () => act("sequence_create", bytes("[]"))),
    c("action: body null", IA, /must be a JSON object/, () => act("query", bytes("null"))),
    c(
      "action: missing field",
      IA,
      /field "name" is missing/,
      () => act("sequence_create", { user_metadata: {} }),
    ),
    c("action: name a number", IA, /field "name" must be a string/, () => seqCreate(5 as never)),
    c("action: metadata a string", IA, /"user_metadata" must be a JSON object/, () => seqCreate("x", "meta")),
    c(
      "action: metadata missing",
      IA,
      /"user_metadata" is missing/,
      () => act("sequence_create", { name: "x" }),
    ),
    c(
      "action: unknown format",
      IA,
      /must be one of "default", "ragged", "image"/,
      () => topicCreate("target/new", undefined, { serialization_format: "parquet" }),
    ),
    c(
      "action: ontology tag with a dot",
      IA,
      /invalid ontology tag "a\.b": "\." is not allowed/,
      () => topicCreate("target/new", undefined, { ontology_tag: "a.b" }),
    ),
    c("action: unknown action", IA, /Unknown action "sequence_explode"/, () => act("sequence_explode", {})),
    c("action: empty action type", IA, /Unknown action ""/, () => act("", {})),
    c(
      "action: action type with NUL",
      IA,
      /Unknown action "layer_list\\u0000"/,
      () => act("layer_list\u0000", {}),
    ),
    c("action: __proto__ action", IA, /Unknown action "__proto__"/, () => act("__proto__", {})),
    c(
      "action: body over 1 MiB",
      status.RESOURCE_EXHAUSTED,
      /exceeds the 1048576-byte limit/,
      () => seqCreate("big", { blob: "x".repeat(MiB) }),
    ),
    c(
      `action: metadata over ${LIMITS.metadataBytes} bytes`,
      status.RESOURCE_EXHAUSTED,
      /over the 4096-byte limit/,
      () => seqCreate("meta", { blob: "x".repeat(LIMITS.metadataBytes) }),
    ),
    c(
      "action: nesting 100 deep",
      IA,
      /nested deeper than 64 levels/,
      () =>
        act("sequence_create", bytes(`{"name": "n", "user_metadata": ${"[".repeat(100)}${"]".repeat(100)}}`)),
    ),
    c(
      "action: number overflowing a double",
      IA,
      /too large for a double/,
      () => act("sequence_create", bytes(`{"name": "n", "user_metadata": {"x": 1e400}}`)),
    ),
    c(
      "action: unpaired surrogate",
      IA,
      /unpaired surrogate/,
      () => act("sequence_create", bytes(`{"name": "n", "user_metadata": {"x": "\\ud800"}}`)),
    ),
    c(
      "action: NUL inside metadata",
      IA,
      /Cannot store value/,
      () => seqCreate("nul_meta", { x: "a\u0000b" }),
    ),
    // Names
    c("name: ..", IA, /".." segments are not allowed/, () => seqCreate("..")),
    c("name: ../escape", IA, /sequence names must not contain "\/"/, () => seqCreate("../escape")),
    c("name: only a slash", IA, /the name is empty/, () => seqCreate("/")),
    c("name: NUL", IA, /control character U\+0000/, () => seqCreate("a\u0000b")),
    c("name: escape sequence", IA, /control character U\+001B/, () => seqCreate("red\u001b[31m")),
    c("name: C1 control", IA, /control character U\+0085/, () => seqCreate("a\u0085")),
    c("name: backslash", IA, /backslashes are not allowed/, () => seqCreate("..\\..\\windows")),
    c(
      `name: ${LIMITS.nameBytes + 1} bytes`,
      IA,
      /longer than 128 UTF-8 bytes/,
      () => seqCreate("x".repeat(LIMITS.nameBytes + 1)),
    ),
    c("name: multi-byte over the limit", IA, /longer than 128 UTF-8 bytes/, () => seqCreate("é".repeat(65))),
    c("topic: .. inside", IA, /".." segments are not allowed/, () => topicCreate("target/../keep/imu")),
    c("topic: empty segment", IA, /empty segments/, () => topicCreate("target//imu2")),
    c("topic: trailing slash", IA, /empty segments/, () => topicCreate("target/imu/")),
    c("topic: edge spaces", IA, /must not start or end with whitespace/, () => topicCreate("target/ imu")),
    c("topic: no path", IA, /must look like "<sequence>\/<topic path>"/, () => topicCreate("target")),
    c(
      `topic: ${LIMITS.nameBytes + 1} bytes`,
      IA,
      /longer than 128 UTF-8 bytes/,
      () => topicCreate(`target/${"y".repeat(LIMITS.nameBytes - 6)}`),
    ),
    c(
      "topic: NUL in a lookup",
      IA,
      /control character U\+0000/,
      () => act("topic_system_info", { name: "keep/imu\u0000" }),
    ),
    c("sequence: .. in a delete", IA, /".." segments/, () => act("sequence_delete", { name: ".." })),
    c(
      "layer: slash in the name",
      IA,
      /layer names must not contain "\/"/,
      () => act("layer_create", { name: "a/b", description: "" }),
    ),
    // Keys and state
    c("key: malformed", IA, /key/i, () => act("sequence_finalize", { name: "target", key: "not-a-uuid" })),
    c(
      "key: another sequence's",
      status.PERMISSION_DENIED,
      /Wrong key for sequence "target"/,
      () => act("sequence_finalize", { name: "target", key: RANDOM_KEY }),
    ),
    c(
      "key: abort a finalized sequence",
      status.PERMISSION_DENIED,
      /Wrong key for sequence "keep"/,
      () => act("sequence_abort", { name: "keep", key: RANDOM_KEY }),
    ),
    c(
      "key: topic under another sequence",
      status.PERMISSION_DENIED,
      /not under sequence "target"|Wrong sequence key/,
      () => topicCreate("keep/evil"),
    ),
    c(
      "key: unknown sequence key",
      status.NOT_FOUND,
      /Cannot find sequence "nowhere"/,
      () => topicCreate("nowhere/t", RANDOM_KEY),
    ),
    c(
      "state: finalize with unfinished topics",
      status.FAILED_PRECONDITION,
      /have no completed upload/,
      () => act("sequence_finalize", { name: "target", key: s.keys.sequence }),
    ),
    c(
      "state: delete a finalized sequence",
      status.FAILED_PRECONDITION,
      /is finalized/,
      () => act("sequence_delete", { name: "keep" }),
    ),
    c(
      "state: delete a locked topic",
      status.FAILED_PRECONDITION,
      /is locked/,
      () => act("topic_delete", { name: "keep/imu" }),
    ),
    c(
      "state: create an existing sequence",
      status.ALREADY_EXISTS,
      /"keep" already exists/,
      () => seqCreate("keep"),
    ),
    c(
      "state: notify type",
      IA,
      /must be "error"/,
      () => act("sequence_notify_create", { name: "target", notify_type: "warning", msg: "m" }),
    ),
    c(
      "state: notify an unknown sequence",
      status.NOT_FOUND,
      /nowhere/,
      () => act("sequence_notify_create", { name: "nowhere", notify_type: "error", msg: "m" }),
    ),
    c(
      "state: update an unknown layer",
      status.NOT_FOUND,
      /nowhere/,
      () => act("layer_update", { prev_name: "nowhere", curr_name: "x", curr_description: "" }),
    ),
    // Queries
    c("query: unknown section", IA, /"flights": unknown section/, () => act("query", { flights: {} })),
    c(
      "query: empty range",
      IA,
      /empty range/,
      () => act("query", { sequence: { created_timestamp: { $between: [2, 1] } } }),
    ),
    c(
      "query: operator not allowed",
      IA,
      /\$between is not allowed/,
      () => act("query", { sequence: { name: { $between: ["a", "b"] } } }),
    ),
    c(
      "query: ontology key without a field",
      IA,
      /expected "<ontology_tag>.<field>"/,
      () => act("query", { ontology: { imu: { $eq: 1 } } }),
    ),
    c(
      "query: NUL in a value",
      IA,
      /Cannot store value|invalid byte sequence|NUL/,
      () => act("query", { sequence: { name: { $eq: "a\u0000" } } }),
    ),
    // DoPut: schemas
    c(
      "put: no timestamp_ns",
      IA,
      /missing "timestamp_ns" field/,
      () => put([schemaMessage(new Schema([new Field("t", new Int64(), false)]), imu)]),
    ),
    c(
      "put: int32 timestamp_ns",
      IA,
      /"timestamp_ns" must be int64/,
      () => put([schemaMessage(new Schema([new Field("timestamp_ns", new Int32(), false)]), imu)]),
    ),
    c(
      "put: uint64 timestamp_ns",
      IA,
      /"timestamp_ns" must be int64/,
      () => put([schemaMessage(new Schema([new Field("timestamp_ns", new Uint64(), false)]), imu)]),
    ),
    c(
      "put: timestamp_ns only nested",
      IA,
      /missing "timestamp_ns" field/,
      () => put([schemaMessage(new Schema([new Field("h", new Struct([TS]), false)]), imu)]),
    ),
    c("put: null timestamps", IA, /"timestamp_ns" holds 1 null values/, () =>
      put([
        schemaMessage(NULLABLE, putDescriptor("target/nullable", s.keys.nullable)),
        batchMessage(rowsOf(NULLABLE, [[1n, null], [0.5, 1]])),
      ])),
    c(
      "put: dictionary field",
      IA,
      /dictionary-encoded/,
      () =>
        put([
          schemaMessage(
            new Schema([TS, new Field("d", new Dictionary(new Utf8(), new Int32(), 1), true)]),
            imu,
          ),
        ]),
    ),
    c("put: union field", IA, /"u" \(.*\) has a type that is not supported/, () =>
      put([
        schemaMessage(
          new Schema([
            TS,
            new Field(
              "u",
              new SparseUnion([0, 1], [new Field("a", new Int32()), new Field("b", new Utf8())]),
            ),
          ]),
          imu,
        ),
      ])),
    c(
      "put: schema unlike the first upload's",
      IA,
      /differs from the schema of its first upload/,
      () => put([schemaMessage(new Schema([TS, new Field("v", new Int32(), true)]), imu)]),
    ),
    // DoPut: messages
    c(
      "put: garbage IPC header first",
      IA,
      /Cannot decode IPC message header/,
      () => put([flightData({ descriptor: imu, header: bytes("this is not a flatbuffer at all") })]),
    ),
    c(
      "put: garbage IPC header in a batch",
      IA,
      /Cannot decode IPC message header/,
      () => put([head, flightData({ header: new Uint8Array(64).fill(0xff) })]),
    ),
    c(
      "put: a vector of 2^28 field nodes",
      IA,
      /lies outside the \d+-byte header/,
      () => put([head, flightData({ header: hugeVectorHeader(), body: batchParts(GOOD).body })]),
    ),
    c("put: garbage body", IA, /field "s": negative offset -1/, () => {
      const { header, body } = batchParts(GOOD);
      return put([head, flightData({ header, body: new Uint8Array(body.length).fill(0xff) })]);
    }),
    c("put: body shorter than its header says", IA, /body is \d+ bytes, header says \d+/, () => {
      const { header, body } = batchParts(GOOD);
      return put([head, flightData({ header, body: body.subarray(0, body.length - 8) })]);
    }),
    c(
      "put: a batch before the schema",
      IA,
      /the first message has no schema/,
      () => put([flightData({ descriptor: imu, ...batchParts(GOOD) })]),
    ),
    c("put: no descriptor", IA, /the first message has no descriptor/, () => put([schemaMessage(SIMPLE)])),
    c(
      "put: PATH descriptor",
      IA,
      /must be of type CMD, not PATH/,
      () => put([schemaMessage(SIMPLE, path("target/imu"))]),
    ),
    c(
      "put: command not JSON",
      IA,
      /cmd is not valid JSON/,
      () => put([schemaMessage(SIMPLE, cmd("{topic"))]),
    ),
    c(
      "put: unknown command",
      IA,
      /unknown command "sequence"/,
      () =>
        put([
          schemaMessage(SIMPLE, cmd(JSON.stringify({ sequence: { name: "target", key: s.keys.sequence } }))),
        ]),
    ),
    c(
      "put: dictionary batch",
      IA,
      /unexpected dictionary_batch message/,
      () => put([head, flightData({ header: dictionaryBatchHeader() })]),
    ),
    c("put: second schema", IA, /the stream sent a second schema/, () => put([head, schemaMessage(SIMPLE)])),
    c("put: message without IPC header", IA, /carries no IPC header/, () => put([head, flightData({})])),
    c(
      "put: batch of another schema",
      IA,
      /does not match the schema/,
      () =>
        put([head, batchMessage(rowsOf(new Schema([TS, new Field("x", new Int32(), true)]), [[1n], [2]]))]),
    ),
    c(
      "put: wrong topic key",
      status.PERMISSION_DENIED,
      /wrong topic key/,
      () => put([schemaMessage(SIMPLE, putDescriptor("target/imu", RANDOM_KEY)), batchMessage(GOOD)]),
    ),
    c(
      "put: malformed topic key",
      IA,
      /key/i,
      () => put([schemaMessage(SIMPLE, putDescriptor("target/imu", "k"))]),
    ),
    c(
      "put: a locked topic's data",
      status.PERMISSION_DENIED,
      /wrong topic key/,
      () => put([schemaMessage(SIMPLE, putDescriptor("keep/imu", RANDOM_KEY)), batchMessage(GOOD)]),
    ),
    c(
      "put: second upload to a locked topic",
      status.FAILED_PRECONDITION,
      /is locked/,
      () => put([schemaMessage(SIMPLE, putDescriptor(s.lockedTopic, s.keys.locked)), batchMessage(GOOD)]),
    ),
    c(
      "put: unknown topic",
      status.NOT_FOUND,
      /Cannot find topic "target\/nope"/,
      () => put([schemaMessage(SIMPLE, putDescriptor("target/nope", RANDOM_KEY))]),
    ),
    c("put: empty stream", IA, /the DoPut stream is empty/, () => put([])),
    // A cut upload is answered at once; its handler then unwinds (its claim on the topic ends with it):
    // the next case waits for that, as a client retrying would.
    c(
      "put: stream cut inside a batch",
      IA,
      /Truncated request: the stream ended inside a message/,
      async () => {
        const batch = grpcFrame(batchMessage(GOOD));
        const err = await raw("DoPut", [grpcFrame(head), batch.subarray(0, batch.length - 20)]);
        await s.waitUploadable();
        return err;
      },
    ),
    c(
      "put: stream cut inside a prefix",
      IA,
      /ended inside a message \(2 of the 5 prefix bytes\)/,
      async () => {
        const err = await raw("DoPut", [grpcFrame(head), grpcFrame(batchMessage(GOOD)), Uint8Array.of(0, 0)]);
        await s.waitUploadable();
        return err;
      },
    ),
    c("put: client cancels mid-stream", status.CANCELLED, /Cancelled on client/, async () => {
      const call = client.bidi("DoPut");
      const done = rpcError(call.responses.all());
      call.write(head);
      call.write(batchMessage(GOOD));
      await new Promise((r) => setTimeout(r, 200));
      call.cancel();
      const err = await done;
      await s.waitUploadable();
      return err;
    }),
    c(
      `put: message over ${LIMITS.messageBytes} bytes`,
      status.RESOURCE_EXHAUSTED,
      /larger than max/,
      () => put([head, flightData({ header: batchParts(GOOD).header, body: new Uint8Array(18 * MiB) })]),
    ),
    c(
      `action: message over ${LIMITS.messageBytes} bytes`,
      status.RESOURCE_EXHAUSTED,
      /larger than max/,
      () => act("sequence_create", new Uint8Array(18 * MiB).fill(0x20)),
    ),
    c(
      "action: request cut inside a message",
      IA,
      /Truncated request/,
      () => raw("DoAction", [grpcFrame(action("layer_list", {})).subarray(0, 9)]),
    ),
    // DoGet: tickets
    c("get: empty ticket", IA, /the name is empty/, () => get(new Uint8Array(0))),
    c("get: non-UTF-8 ticket", IA, /ticket is not valid UTF-8/, () => get(Uint8Array.of(0xc3, 0x28))),
    c("get: 0xFF + garbage JSON", IA, /ticket is not valid JSON/, () => get(marked("{events"))),
    c("get: unknown structured kind", IA, /unknown kind "sequence"/, () => get(marked(`{"sequence": {}}`))),
    c(
      "get: two structured kinds",
      IA,
      /must hold exactly one kind/,
      () => get(marked(`{"topic_range": {"name": "keep/imu"}, "events": {}}`)),
    ),
    c(
      "get: negative event id",
      IA,
      /after_id" must be an integer from 0/,
      () => get(marked(`{"events": {"after_id": -1}}`)),
    ),
    c(
      "get: unknown event kind",
      IA,
      /unknown kind "nope"/,
      () => get(marked(`{"events": {"kinds": ["nope"]}}`)),
    ),
    c(
      "get: events after the newest",
      status.FAILED_PRECONDITION,
      /Cannot resume events after id 9007199254740991/,
      () => get(marked(`{"events": {"after_id": 9007199254740991, "follow": false}}`)),
    ),
    c(
      "get: range bound 1e308",
      IA,
      /must fit in 64 bits/,
      () => get(marked(`{"topic_range": {"name": "keep/imu", "start_ns": 1e308}}`)),
    ),
    c(
      "get: empty range",
      IA,
      /is after end_ns/,
      () => get(marked(`{"topic_range": {"name": "keep/imu", "start_ns": 5, "end_ns": 4}}`)),
    ),
    c(
      "get: unknown range field",
      IA,
      /"topic_range.columns" is not supported/,
      () => get(marked(`{"topic_range": {"name": "keep/imu", "columns": ["v"]}}`)),
    ),
    c(
      "get: ticket over 64 KiB",
      status.RESOURCE_EXHAUSTED,
      /exceeds the 65536-byte limit/,
      () => get(bytes("keep/" + "x".repeat(70_000))),
    ),
    c("get: a sequence's name", IA, /topic names must look like/, () => get(bytes("keep"))),
    c("get: path escape", IA, /".." segments/, () => get(bytes("keep/../../etc/passwd"))),
    c("get: name over the limit", IA, /longer than 128 UTF-8 bytes/, () => get(bytes(`${s.lockedTopic}z`))),
    c("get: unknown topic", status.NOT_FOUND, /keep\/nope/, () => get(bytes("keep/nope"))),
    // GetFlightInfo: descriptors
    c("info: unknown command kind", IA, /unknown kind "foo"/, () => info(cmd(`{"foo": {}}`))),
    c("info: command not JSON", IA, /cmd is not valid JSON/, () => info(cmd("]["))),
    c("info: empty command", IA, /cmd is empty/, () => info(cmd(""))),
    c(
      "info: stripes 0",
      IA,
      /stripes" must be an integer from 1 to 64/,
      () => info(cmd(`{"topic_range": {"name": "keep/imu", "stripes": 0}}`)),
    ),
    c("info: empty PATH", IA, /exactly one element, got 0/, () => info(path())),
    c("info: two PATH elements", IA, /exactly one element, got 2/, () => info(path("keep", "imu"))),
    c("info: empty PATH element", IA, /the name is empty/, () => info(path(""))),
    c(
      "info: descriptor without a type",
      IA,
      /descriptor has no type/,
      () => info({ type: "unknown", cmd: new Uint8Array(0), path: [] }),
    ),
    c(
      "info: unknown descriptor type",
      IA,
      /Malformed protobuf message: unknown descriptor type 7/,
      () => rpcError(client.unary("GetFlightInfo", Uint8Array.of(0x08, 0x07))),
    ),
    c(
      "info: garbage protobuf",
      IA,
      /Malformed protobuf/,
      () => rpcError(client.unary("GetFlightInfo", Uint8Array.of(0x1a, 0x7f, 0x01))),
    ),
    c("info: unknown topic", status.NOT_FOUND, /keep\/nope/, () => info(path("keep/nope"))),
    c(
      "info: topic without data",
      status.NOT_FOUND,
      /"target\/imu" has no data/,
      () => info(path("target/imu")),
    ),
    // ListFlights
    c(
      "list: criteria",
      IA,
      /criteria "x"/,
      () => rpcError(client.serverStream("ListFlights", encodeBytesMessage(bytes("x"))).all()),
    ),
    c(
      "list: non-UTF-8 criteria",
      IA,
      /not valid UTF-8/,
      () => rpcError(client.serverStream("ListFlights", encodeBytesMessage(Uint8Array.of(0xff))).all()),
    ),
    c(
      "list: garbage protobuf",
      IA,
      /Malformed protobuf/,
      () => rpcError(client.serverStream("ListFlights", Uint8Array.of(0x0a, 0x7f, 0x01)).all()),
    ),
    // Unimplemented
    c(
      "Handshake",
      status.UNIMPLEMENTED,
      /Handshake/,
      () => rpcError(client.exchange("Handshake", [new Uint8Array(0)])),
    ),
    c(
      "DoExchange",
      status.UNIMPLEMENTED,
      /DoExchange/,
      () => rpcError(client.exchange("DoExchange", [head])),
    ),
    c(
      "PollFlightInfo",
      status.UNIMPLEMENTED,
      /PollFlightInfo/,
      () => rpcError(client.unary("PollFlightInfo", encodeDescriptor(path("keep")))),
    ),
    c(
      "GetSchema",
      status.UNIMPLEMENTED,
      /GetSchema/,
      () => rpcError(client.unary("GetSchema", encodeDescriptor(path("keep")))),
    ),
    c(
      "ListActions",
      status.UNIMPLEMENTED,
      /ListActions/,
      () => rpcError(client.serverStream("ListActions", new Uint8Array(0)).all()),
    ),
    c(
      "unknown method",
      status.UNIMPLEMENTED,
      /DoSomething/,
      () => raw("DoSomething", [grpcFrame(new Uint8Array(0))]),
    ),
  ];
}
