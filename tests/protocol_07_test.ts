/**
 * SDK 0.6/0.7 end to end (0.7 delta), through a real daemon beside SDK 0.4 and 0.1.0 connections on the
 * same port: the 0.7 connection sequence (`info` first, uploads sized from it, sessions by locator, the
 * 0.7 GetFlightInfo keys with exact window counts, GetSchema, DoGet), what each dialect is answered,
 * clustering, and the permissions of the new calls.
 */
import assert from "node:assert/strict";
import { status } from "@grpc/grpc-js";
import {
  Binary,
  Field,
  Float64,
  Int64,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  vectorFromArray,
} from "apache-arrow";
import { decodeEncapsulatedSchema, decodeIpcHeader } from "../src/arrow/ipc.ts";
import { decodeFlightData } from "../src/flight/flight_data.ts";
import { createApiKey } from "../src/auth/key_admin.ts";
import { Catalog } from "../src/catalog/catalog.ts";
import {
  decodeBytesMessage,
  decodeFlightInfo,
  encodeBytesMessage,
  encodeDescriptor,
  type FlightInfo,
} from "../src/flight/messages.ts";
import { silentLogger } from "../src/log.ts";
import type { ApiKeyPermission } from "../src/model/api_keys.ts";
import { startDaemon } from "./_daemon.ts";
import { type FlightChannel } from "../src/client/mod.ts";
import { channelTo, rpcError } from "./_flight_client.ts";
import { action, batchMessage, decodeStream, schemaMessage } from "./_hostile.ts";

const utf8 = new TextEncoder();
const text = new TextDecoder();
const BASE = 1_700_000_000_000_000_000n; // beyond 2^53: any double on the way would round it
const DECODE_LIMIT = 17 * 1024 * 1024; // the smallest --max-message-bytes
const ULID_LOCATOR = /^run_07:[0-9A-HJKMNP-TV-Z]{26}$/;

/** Every Result of an action, parsed: `{"action": name, "response": …}` → the responses. */
async function results(client: FlightChannel, name: string, body: unknown) {
  const out = await client.serverStream("DoAction", action(name, body)).all();
  return out.map((r) => {
    const parsed = JSON.parse(text.decode(decodeBytesMessage(r)));
    assert.equal(parsed.action, name);
    return parsed.response;
  });
}

/** The one Result of an action, parsed. */
async function act(client: FlightChannel, name: string, body: unknown) {
  const all = await results(client, name, body);
  assert.equal(all.length, 1, `${name}: one Result`);
  return all[0];
}

const cmd = (value: unknown) =>
  encodeDescriptor({
    type: "cmd",
    cmd: utf8.encode(typeof value === "string" ? value : JSON.stringify(value)),
    path: [],
  });

async function info(client: FlightChannel, command: unknown): Promise<FlightInfo> {
  return decodeFlightInfo(await client.unary("GetFlightInfo", cmd(command)));
}

const manifest = (bytes: Uint8Array | undefined) => JSON.parse(text.decode(bytes));

function put(
  client: FlightChannel,
  locator: string,
  uuid: string,
  schema: Schema,
  batches: RecordBatch[],
) {
  const descriptor = {
    type: "cmd" as const,
    cmd: utf8.encode(JSON.stringify({ resource_locator: locator, topic_uuid: uuid })),
    path: [],
  };
  return client.exchange("DoPut", [schemaMessage(schema, descriptor), ...batches.map(batchMessage)]);
}

async function doGet(client: FlightChannel, ticket: Uint8Array) {
  const responses = await client.serverStream("DoGet", encodeBytesMessage(ticket)).all();
  const head = decodeIpcHeader(decodeFlightData(responses[0]).header);
  assert.equal(head.kind, "schema");
  const batches = decodeStream(responses);
  return {
    schema: (head as { schema: Schema }).schema,
    rows: batches.reduce((n, b) => n + b.numRows, 0),
    first: batches[0]?.getChild("timestamp_ns")?.get(0) as bigint | undefined,
  };
}

/** A record batch whose fields are `schema`'s (metadata included) from plain column data. */
function batchWith(schema: Schema, columns: Record<string, unknown[]>): RecordBatch {
  const children = schema.fields.map((f) => vectorFromArray(columns[f.name], f.type).data[0]);
  const length = children[0].length;
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length, children }));
}

const IMU = new Schema([new Field("timestamp_ns", new Int64(), false), new Field("x", new Float64(), true)]);
const imuRows = (offsets: number[]) =>
  batchWith(IMU, { timestamp_ns: offsets.map((o) => BASE + BigInt(o)), x: offsets.map((o) => o / 10) });

/** A nested schema with field metadata at every depth, as the 0.7 ontology models declare them. */
const POSE = new Schema([
  new Field("timestamp_ns", new Int64(), false),
  new Field(
    "position",
    new Struct([
      new Field("x", new Float64(), true, new Map([["description", "east"], ["unit", "m"]])),
      new Field("y", new Float64(), false, new Map([["unit", "m"]])),
    ]),
    true,
    new Map([["mosaico:doc", "a point"]]),
  ),
]);

function topicBody(locator: string, sessionUuid: string, tag = "imu") {
  return {
    locator,
    session_uuid: sessionUuid,
    serialization_format: "default",
    ontology_tag: tag,
    user_metadata: {},
  };
}

/** Field names, types, nullability and metadata at every depth, for an exact comparison. */
function describe(fields: readonly Field[]): unknown[] {
  return fields.map((
    f,
  ) => [f.name, String(f.type), f.nullable, Object.fromEntries(f.metadata), describe(f.type.children ?? [])]);
}

Deno.test("protocol 0.7: info, sessions by locator, uploads at the reported size, 0.7 FlightInfo, GetSchema, DoGet", async () => {
  await using daemon = await startDaemon({
    args: [
      "--max-message-bytes",
      String(DECODE_LIMIT),
      "--read-batch-bytes",
      "1048576",
      "--chunk-bytes",
      "1048576",
    ],
  });
  using client = channelTo(daemon.port, { deadlineMs: 60_000 });
  const probe = await act(client, "info", {});
  assert.deepEqual(probe.config, {
    grpc_max_decode_message_size: DECODE_LIMIT,
    grpc_max_encode_message_size: DECODE_LIMIT,
    grpc_target_encode_message_size: 1048576,
    max_grpc_message_size: DECODE_LIMIT,
    target_message_size: 1048576,
  });
  assert.match(probe.version, /^0\.7\./);
  assert.equal(probe.semver.minor, 7);

  await act(client, "sequence_create", { locator: "run_07", user_metadata: { site: "lab" } });
  const session = await act(client, "session_create", { locator: "run_07" });
  assert.deepEqual(Object.keys(session), ["uuid", "locator"]);
  assert.match(session.locator, ULID_LOCATOR);
  const imu = await act(client, "topic_create", {
    ...topicBody("run_07/imu", session.uuid),
    user_metadata: { s: 1 },
  });
  const pose = await act(client, "topic_create", topicBody("run_07/pose", session.uuid, "pose"));
  const empty = await act(client, "topic_create", topicBody("run_07/empty", session.uuid));
  const big = await act(client, "topic_create", topicBody("run_07/big", session.uuid, "blob"));

  // 200 000 rows 10 ns apart in 1 MiB chunks: a window's bounds cut through chunks.
  const offsets = Array.from({ length: 200_000 }, (_, i) => i * 10);
  const batches = Array.from({ length: 5 }, (_, b) => imuRows(offsets.slice(b * 40_000, (b + 1) * 40_000)));
  assert.deepEqual(await put(client, "run_07/imu", imu.uuid, IMU, batches), []);
  const poseRows = batchWith(POSE, { timestamp_ns: [BASE], position: [{ x: 1, y: 2 }] });
  assert.deepEqual(await put(client, "run_07/pose", pose.uuid, POSE, [poseRows]), []);
  assert.deepEqual(await put(client, "run_07/empty", empty.uuid, POSE, []), []);

  // The SDK cuts uploads at 0.9 × the decode limit: one record batch of exactly that body size.
  const blobSchema = new Schema([
    new Field("timestamp_ns", new Int64(), false),
    new Field("data", new Binary(), false),
  ]);
  const bodyBytes = Math.floor((0.9 * DECODE_LIMIT) / 8) * 8;
  const blob = new Uint8Array(bodyBytes - 16).fill(7); // 8 bytes of timestamp, 8 of offsets
  const blobBatch = batchWith(blobSchema, { timestamp_ns: [BASE], data: [blob] });
  const message = batchMessage(blobBatch);
  assert.ok(
    message.length > bodyBytes && message.length < DECODE_LIMIT,
    `message of ${message.length} bytes`,
  );
  assert.deepEqual(await put(client, "run_07/big", big.uuid, blobSchema, [blobBatch]), []);
  await act(client, "session_finalize", { session_uuid: session.uuid });

  // Sequence FlightInfo: user metadata, sessions by locator (never their uuid), no mosaico: keys.
  const seq = await info(client, { resource_locator: "run_07" });
  assert.equal(decodeEncapsulatedSchema(seq.schema).metadata.size, 0);
  const app = manifest(seq.appMetadata);
  assert.deepEqual(app.user_metadata, { site: "lab" });
  assert.deepEqual(app.sessions.map((s: Record<string, unknown>) => [s.locator, s.uuid, s.locked]), [
    [session.locator, undefined, true],
  ]);
  const byName = new Map(
    seq.endpoints.map((e) => [manifest(e.appMetadata).resource_locator, manifest(e.appMetadata)]),
  );
  const imuInfo = byName.get("run_07/imu");
  assert.equal(imuInfo.ontology_tag, "imu");
  assert.equal(imuInfo.serialization_format, "default");
  assert.deepEqual(imuInfo.user_metadata, { s: 1 });
  assert.equal(imuInfo.time_window_info, null);
  assert.equal(imuInfo.data_info.total_row_count, 200_000);
  assert.ok(imuInfo.data_info.total_chunks_count >= 3, `chunks: ${imuInfo.data_info.total_chunks_count}`);
  assert.match(
    text.decode(
      seq.endpoints.find((e) => manifest(e.appMetadata).resource_locator === "run_07/imu")!.appMetadata!,
    ),
    /"data_info":\{"interval":\{"start_ns":1700000000000000000,"end_ns":1700000000001999990\}/,
  );
  assert.deepEqual(byName.get("run_07/empty").data_info, {
    interval: null,
    total_row_count: 0,
    total_bytes: 0,
    total_chunks_count: 0,
  });

  // A topic window [start, end): exact count and range, whole chunks from the catalog, cut ones scanned.
  const windowed = await info(
    client,
    `{"resource_locator": "run_07/imu", "timestamp_ns_start": ${BASE + 100_005n}, "timestamp_ns_end": ${
      BASE + 1_500_003n
    }}`,
  );
  const inside = text.decode(windowed.endpoints[0].appMetadata);
  assert.match(
    inside,
    /"time_window_info":\{"interval":\{"start_ns":1700000000000100010,"end_ns":1700000000001500000\},"row_count":140000\}/,
  );
  const read = await doGet(client, windowed.endpoints[0].ticket);
  assert.equal(read.rows, 140_000);
  assert.equal(read.first, BASE + 100_010n);
  assert.equal(read.schema.metadata.size, 0, "SDK 0.7 gets the stored schema alone");
  const outside = await info(client, {
    resource_locator: "run_07/imu",
    timestamp_ns_start: 5,
    timestamp_ns_end: 9,
  });
  assert.deepEqual(manifest(outside.endpoints[0].appMetadata).time_window_info, {
    interval: null,
    row_count: 0,
  });

  // GetSchema: exactly the schema sent, nested field metadata included, also without rows.
  const later = await act(client, "session_create", { locator: "run_07" });
  await act(client, "topic_create", topicBody("run_07/never", later.uuid));
  const schemaOf = async (locator: string) =>
    decodeEncapsulatedSchema(
      decodeBytesMessage(await client.unary("GetSchema", cmd({ resource_locator: locator }))),
    );
  assert.deepEqual(describe((await schemaOf("run_07/pose")).fields), describe(POSE.fields));
  assert.deepEqual(describe((await schemaOf("/run_07/empty")).fields), describe(POSE.fields));
  assert.deepEqual(describe((await schemaOf("run_07/big")).fields), describe(blobSchema.fields));
  const code = async (p: Promise<unknown>) => (await rpcError(p)).code;
  assert.equal(await code(schemaOf("run_07/never")), status.NOT_FOUND);
  assert.equal(await code(schemaOf("run_07/nope")), status.NOT_FOUND);
  assert.equal(await code(schemaOf("run_07")), status.INVALID_ARGUMENT);
  assert.equal(
    await code(
      client.unary(
        "GetSchema",
        encodeDescriptor({ type: "path", cmd: new Uint8Array(0), path: ["run_07/imu"] }),
      ),
    ),
    status.UNIMPLEMENTED, // GetSchema is the CMD call of SDK 0.6+; the 0.1.0 protocol (PATH) has none
  );

  // Over the decode limit: refused, as the limit says.
  const tooBig = await act(client, "topic_create", topicBody("run_07/too_big", later.uuid, "blob"));
  const over = batchWith(blobSchema, { timestamp_ns: [BASE], data: [new Uint8Array(DECODE_LIMIT)] });
  assert.equal(
    await code(put(client, "run_07/too_big", tooBig.uuid, blobSchema, [over])),
    status.RESOURCE_EXHAUSTED,
  );

  // Sessions by locator: described as FlightInfo, deleted (any case of the ULID).
  const described = await info(client, { resource_locator: later.locator });
  assert.deepEqual(described.endpoints.map((e) => manifest(e.appMetadata).resource_locator), [
    "run_07/never",
    "run_07/too_big",
  ]);
  assert.equal(manifest(described.appMetadata).locator, later.locator);
  assert.equal(await act(client, "session_delete", { locator: later.locator.toLowerCase() }), null);
  assert.equal(await code(info(client, { resource_locator: later.locator })), status.NOT_FOUND);
  assert.equal(await code(act(client, "session_delete", { locator: later.locator })), status.NOT_FOUND);
  assert.equal(
    await code(act(client, "session_delete", { locator: "run_07:nope" })),
    status.INVALID_ARGUMENT,
  );
  assert.equal(manifest((await info(client, { resource_locator: "run_07" })).appMetadata).sessions.length, 1);
});

/** One finalized session holding `imu` (rows at `offsets`); returns the session. */
async function upload(client: FlightChannel, sequence: string, offsets: number[], topic = "imu") {
  await act(client, "sequence_create", { locator: sequence, user_metadata: {} }).catch(() => null);
  const session = await act(client, "session_create", { locator: sequence });
  const created = await act(client, "topic_create", topicBody(`${sequence}/${topic}`, session.uuid));
  await put(client, `${sequence}/${topic}`, created.uuid, IMU, [imuRows(offsets)]);
  await act(client, "session_finalize", { session_uuid: session.uuid });
  return session;
}

Deno.test("protocol 0.7: each connection is answered in its dialect (0.4, 0.6 without info, 0.7, 0.1.0)", async () => {
  await using daemon = await startDaemon();
  const connect = () => channelTo(daemon.port, { deadlineMs: 20_000 });
  using v04 = connect();
  assert.equal((await act(v04, "version", {})).version, (await act(v04, "info", {})).version);
  await act(v04, "version", {}); // back to 0.4: the last proof wins
  await act(v04, "sequence_create", { locator: "mixed", user_metadata: {} });
  const old = await act(v04, "session_create", { locator: "mixed" });
  assert.deepEqual(Object.keys(old), ["uuid"], "SDK 0.4 builds a one-field dataclass");
  await upload(v04, "mixed", [1, 2, 3, 50]);
  const window = { resource_locator: "mixed/imu", timestamp_ns_start: String(BASE + 2n) };
  const seen04 = await info(v04, { resource_locator: "mixed", timestamp_ns_start: String(BASE + 2n) });
  const sessions04 = manifest(seen04.appMetadata).sessions;
  assert.deepEqual(sessions04.map((s: { uuid: string }) => typeof s.uuid), ["string", "string"]);
  assert.match(sessions04[0].locator, /^mixed:[0-9A-Z]{26}$/);
  assert.equal(decodeEncapsulatedSchema(seen04.schema).metadata.get("mosaico:context"), "sequence");
  const imu04 = manifest(seen04.endpoints[0].appMetadata);
  assert.deepEqual(imu04.info.chunks_number, 1, "0.4's keys beside 0.7's");
  assert.deepEqual(imu04.time_window_info.row_count, 3);
  const read04 = await doGet(v04, (await info(v04, window)).endpoints[0].ticket);
  assert.equal(read04.rows, 3);
  assert.equal(
    read04.schema.metadata.get("mosaico:properties"),
    '{"serialization_format":"default","ontology_tag":"imu","msg_count":3,' +
      '"interval":{"start_ns":1700000000000000002,"end_ns":1700000000000000050}}',
    "0.6 reads msg_count; 0.4 tolerates the extra keys",
  );

  // SDK 0.6 never calls info: a 0.6-only call proves it; it keeps the mosaico: keys it reads.
  using v06 = connect();
  const fresh = await act(v06, "session_create", { locator: "mixed" });
  assert.deepEqual(Object.keys(fresh), ["uuid"], "before a revealing call: the 0.4 answer (documented)");
  await v06.unary("GetSchema", cmd({ resource_locator: "mixed/imu" }));
  const next = await act(v06, "session_create", { locator: "mixed" });
  assert.deepEqual(Object.keys(next), ["uuid", "locator"]);
  await act(v06, "session_delete", { locator: next.locator });
  const read06 = await doGet(v06, (await info(v06, window)).endpoints[0].ticket);
  assert.equal(read06.schema.metadata.get("mosaico:context"), "topic");
  assert.equal(JSON.parse(read06.schema.metadata.get("mosaico:properties")!).msg_count, 3);
  const seen06 = manifest((await info(v06, { resource_locator: "mixed" })).appMetadata);
  assert.ok(seen06.sessions.every((s: { uuid?: string }) => s.uuid === undefined), "no write token for 0.6+");

  // A 0.1.0 connection on the same daemon is unaffected.
  using v1 = connect();
  const path = encodeDescriptor({ type: "path", cmd: new Uint8Array(0), path: ["mixed"] });
  const v1Info = decodeFlightInfo(await v1.unary("GetFlightInfo", path));
  assert.deepEqual(v1Info.endpoints.map((e) => text.decode(e.ticket)), ["mixed/imu"]);
  const plain = await doGet(v1, utf8.encode("mixed/imu"));
  assert.deepEqual(JSON.parse(plain.schema.metadata.get("mosaico:properties")!), {
    serialization_format: "default",
    ontology_tag: "imu",
  });
});

const clusters = (list: unknown[]) =>
  list.map((r) => {
    const { id, ts } = r as { id: number; ts: { start_ns: number; end_ns: number } };
    return [id, ts.start_ns, ts.end_ns];
  });

Deno.test("protocol 0.7: topic_filter_clusterize and _intersect answer one Result per cluster", async () => {
  await using daemon = await startDaemon();
  using client = channelTo(daemon.port, { deadlineMs: 20_000 });
  await act(client, "info", {});
  await upload(client, "c", [0, 1, 2, 10, 11, 30]);
  await upload(client, "c", [2, 3, 25, 31, 40], "gps");
  const base = (n: number) => Number(BASE + BigInt(n)); // as pyarrow's JSON reads them
  const clusterize = (body: Record<string, unknown>) =>
    results(client, "topic_filter_clusterize", { locator: "c/imu", ontology: {}, ...body });
  assert.deepEqual(clusters(await clusterize({ clustering_dt_ns: 1 })), [
    [0, base(0), base(2)],
    [1, base(10), base(11)],
    [2, base(30), base(30)],
  ]);
  assert.deepEqual(clusters(await clusterize({ clustering_dt_ns: 0 })), [[0, base(0), base(30)]]);
  const raw = await client.serverStream(
    "DoAction",
    action("topic_filter_clusterize", {
      locator: "c/imu",
      clustering_dt_ns: 1,
      ontology: { "imu.x": { $geq: 1 } },
      timestamp_range: null,
    }),
  ).all();
  assert.deepEqual(raw.map((r) => text.decode(decodeBytesMessage(r))), [
    '{"action":"topic_filter_clusterize","response":{"id":0,"ts":{"start_ns":1700000000000000010,"end_ns":1700000000000000011}}}',
    '{"action":"topic_filter_clusterize","response":{"id":1,"ts":{"start_ns":1700000000000000030,"end_ns":1700000000000000030}}}',
  ]);
  assert.deepEqual(
    await clusterize({ clustering_dt_ns: 1, ontology: { "imu.x": { $gt: 100 } } }),
    [],
    "no cluster",
  );
  const intersect = await results(client, "topic_filter_intersect", {
    topics: [
      { locator: "c/imu", clustering_dt_ns: 1, ontology: {} },
      { locator: "c/gps", clustering_dt_ns: 1, ontology: {} },
    ],
    intersect_dt_ns: 0,
  });
  assert.deepEqual(clusters(intersect).map(([id]) => id), clusters(intersect).map((_, i) => i));
  assert.ok(intersect.length > 0);
  const code = async (p: Promise<unknown>) => (await rpcError(p)).code;
  assert.equal(await code(clusterize({ clustering_dt_ns: -1 })), status.INVALID_ARGUMENT);
  assert.equal(await code(clusterize({ locator: "c/nope", clustering_dt_ns: 1 })), status.NOT_FOUND);
});

Deno.test("protocol 0.7: with API keys, info needs any valid key, GetSchema and clustering need read", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "mosaicod-07-" });
  try {
    const tokens: Record<string, string> = {};
    {
      await using catalog = await Catalog.open({ kind: "pglite", dir: `${cwd}/data/catalog` }, {
        log: silentLogger(),
      });
      const sets: Record<string, ApiKeyPermission[]> = {
        read: ["read"],
        write: ["write"],
        rw: ["read", "write"],
      };
      for (const [name, permissions] of Object.entries(sets)) {
        tokens[name] =
          (await createApiKey(catalog, { permissions, description: name, expiresNs: null })).token;
      }
    }
    await using daemon = await startDaemon({ cwd, args: ["--api-key-enabled"] });
    const as = (name: string | null) =>
      channelTo(daemon.port, {
        deadlineMs: 20_000,
        metadata: name === null ? {} : { "mosaico-api-key-token": tokens[name] },
      });
    using anonymous = as(null);
    using reader = as("read");
    using writer = as("write");
    using both = as("rw");
    const code = async (p: Promise<unknown>) => {
      try {
        await p;
        return "OK";
      } catch (err) {
        return status[(err as { code: number }).code];
      }
    };
    assert.equal(await code(act(anonymous, "info", {})), "UNAUTHENTICATED");
    for (const client of [reader, writer]) assert.equal(await code(act(client, "info", {})), "OK");
    await upload(both, "k", [1, 2]);
    const schema = (client: FlightChannel) => client.unary("GetSchema", cmd({ resource_locator: "k/imu" }));
    assert.equal(await code(schema(writer)), "PERMISSION_DENIED");
    assert.equal(await code(schema(reader)), "OK");
    const cluster = (client: FlightChannel) =>
      results(client, "topic_filter_clusterize", { locator: "k/imu", ontology: {}, clustering_dt_ns: 0 });
    assert.equal(await code(cluster(writer)), "PERMISSION_DENIED");
    assert.equal(await code(cluster(reader)), "OK");
    assert.equal(
      await code(act(writer, "session_delete", { locator: "k:01JABCDEFGHJKMNPQRSTVWXYZ0" })),
      "PERMISSION_DENIED",
    );
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});
