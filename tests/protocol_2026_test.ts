/**
 * The 2026 protocol end to end, through a real daemon beside 0.1.0 calls on the same port: actions,
 * CMD GetFlightInfo with `app_metadata`, window tickets, DoPut, the per-connection dialect of `query`,
 * and the API-key check order (parse, then permission, then existence).
 */
import assert from "node:assert/strict";
import { status } from "@grpc/grpc-js";
import { Float64, Int64, type RecordBatch, type Schema } from "apache-arrow";
import { decodeEncapsulatedSchema, decodeIpcHeader } from "../src/arrow/ipc.ts";
import { createApiKey } from "../src/auth/key_admin.ts";
import { Catalog } from "../src/catalog/catalog.ts";
import { decodeFlightData } from "../src/flight/flight_data.ts";
import {
  decodeBytesMessage,
  decodeFlightInfo,
  encodeBytesMessage,
  encodeDescriptor,
  type FlightInfo,
} from "../src/flight/messages.ts";
import { silentLogger } from "../src/log.ts";
import { expandHierarchical } from "../src/model/api_keys.ts";
import { batchOf, vec } from "../src/arrow/_test_batches.ts";
import { startDaemon } from "./_daemon.ts";
import { type FlightChannel } from "../src/client/mod.ts";
import { channelTo, rpcError } from "./_flight_client.ts";
import { action, batchMessage, decodeStream, putDescriptor, schemaMessage } from "./_hostile.ts";

const utf8 = new TextEncoder();
const text = new TextDecoder();
const BASE = 1_700_000_000_000_000_000n; // ns beyond 2^53: any double on the way would round them

/** Runs an action; returns the raw Result text (exactly one Result). */
async function actText(client: FlightChannel, name: string, body: unknown): Promise<string> {
  const results = await client.serverStream("DoAction", action(name, body)).all();
  assert.equal(results.length, 1, `${name}: one Result`);
  return text.decode(decodeBytesMessage(results[0]));
}

async function act(client: FlightChannel, name: string, body: unknown) {
  const parsed = JSON.parse(await actText(client, name, body));
  if (parsed.action === "empty") return null; // a 0.1.0 answer without a response
  assert.equal(parsed.action, name);
  return parsed.response;
}

/** GetFlightInfo with a 2026 CMD (`cmd` is JSON text, so that bounds stay exact). */
async function info(client: FlightChannel, cmd: string): Promise<FlightInfo> {
  const descriptor = encodeDescriptor({ type: "cmd", cmd: utf8.encode(cmd), path: [] });
  return decodeFlightInfo(await client.unary("GetFlightInfo", descriptor));
}

const appMetadata = (bytes: Uint8Array | undefined) => JSON.parse(text.decode(bytes));
const schemaOf = (i: FlightInfo): Schema => decodeEncapsulatedSchema(i.schema);

function imuBatch(offsets: number[]): RecordBatch {
  return batchOf({
    timestamp_ns: vec(new Int64(), offsets.map((o) => BASE + BigInt(o))),
    x: vec(new Float64(), offsets.map((o) => o / 10)),
  });
}

function put2026(
  client: FlightChannel,
  locator: string,
  uuid: string,
  batches: RecordBatch[],
  schema?: Schema,
) {
  const descriptor = {
    type: "cmd" as const,
    cmd: utf8.encode(JSON.stringify({ resource_locator: locator, topic_uuid: uuid })),
    path: [],
  };
  const head = schemaMessage(schema ?? imuBatch([0]).schema, descriptor);
  return client.exchange("DoPut", [head, ...batches.map(batchMessage)]);
}

async function doGet(client: FlightChannel, ticket: Uint8Array) {
  const responses = await client.serverStream("DoGet", encodeBytesMessage(ticket)).all();
  const head = decodeIpcHeader(decodeFlightData(responses[0]).header);
  assert.equal(head.kind, "schema");
  const rows = decodeStream(responses).flatMap((b) => [...b.getChild("timestamp_ns")!.toArray()] as bigint[]);
  return { schema: (head as { schema: Schema }).schema, rows: rows.map((t) => Number(t - BASE)) };
}

function topicBody(locator: string, sessionUuid: string) {
  return {
    locator,
    session_uuid: sessionUuid,
    serialization_format: "default",
    ontology_tag: "imu",
    user_metadata: {},
  };
}

Deno.test("protocol 2026: upload in a session, describe, read windows, notify, query, delete", async () => {
  await using daemon = await startDaemon();
  using client = channelTo(daemon.port, { deadlineMs: 20_000 });
  assert.equal(
    await actText(client, "version", {}),
    '{"action":"version","response":{"version":"0.7.0","semver":{"major":0,"minor":7,"patch":0,"pre":""}}}',
  );
  assert.equal(
    await actText(client, "sequence_create", {
      locator: "/run_01",
      user_metadata: { visibility: "team-01" },
    }),
    '{"action":"sequence_create","response":null}',
  );
  const session = await act(client, "session_create", { locator: "run_01" });
  assert.deepEqual(Object.keys(session), ["uuid"]);
  const imu = await act(client, "topic_create", topicBody("run_01/front/imu", session.uuid));
  assert.deepEqual(Object.keys(imu), ["uuid"]);
  const empty = await act(client, "topic_create", topicBody("run_01/empty", session.uuid));

  // Before its upload ends a topic is listed, unlocked, without info.
  let seq = await info(client, '{"resource_locator": "run_01"}');
  assert.deepEqual(appMetadata(seq.endpoints[0].appMetadata).info, null);

  assert.deepEqual(
    await put2026(client, "run_01/front/imu", imu.uuid, [imuBatch([3, 1, 2]), imuBatch([5, 4])]),
    [],
  );
  assert.deepEqual(await put2026(client, "/run_01/empty", empty.uuid.toUpperCase(), []), []);
  const locked = await rpcError(put2026(client, "run_01/front/imu", imu.uuid, [imuBatch([9])]));
  assert.equal(locked.code, status.FAILED_PRECONDITION, locked.details);
  assert.equal(
    await actText(client, "session_finalize", { session_uuid: session.uuid }),
    '{"action":"session_finalize","response":null}',
  );

  seq = await info(client, '{"resource_locator": "run_01", "timestamp_ns_start": 1700000000000000002}');
  const seqSchema = schemaOf(seq);
  assert.equal(seqSchema.fields.length, 0);
  assert.equal(seqSchema.metadata.get("mosaico:context"), "sequence");
  assert.deepEqual(JSON.parse(seqSchema.metadata.get("mosaico:user_metadata")!), { visibility: "team-01" });
  const seqMeta = text.decode(seq.appMetadata);
  assert.match(seqMeta, /^\{"created_at_ns":\d{19},"resource_locator":"run_01","sessions":\[/);
  const sessions = JSON.parse(seqMeta).sessions;
  assert.equal(sessions.length, 1);
  assert.equal(sessions[0].uuid, session.uuid);
  assert.equal(sessions[0].locked, true);
  assert.deepEqual(sessions[0].topics, ["run_01/front/imu", "run_01/empty"]);
  assert.equal(seq.endpoints.length, 2);
  const byLocator = new Map(seq.endpoints.map((e) => [appMetadata(e.appMetadata).resource_locator, e]));
  const imuManifest = text.decode(byLocator.get("run_01/front/imu")!.appMetadata);
  assert.match(imuManifest, /"timestamp":\{"start_ns":1700000000000000001,"end_ns":1700000000000000005\}/);
  assert.equal(JSON.parse(imuManifest).info.chunks_number > 0, true);
  assert.deepEqual(appMetadata(byLocator.get("run_01/empty")!.appMetadata).info, {
    chunks_number: 0,
    total_bytes: 0,
    timestamp: null,
  });
  // The sequence's tickets carry its window: from offset 2, open end.
  assert.deepEqual((await doGet(client, byLocator.get("run_01/front/imu")!.ticket)).rows, [2, 3, 4, 5]);

  // Topic FlightInfo: its schema with the three keys, exactly one endpoint; [start, end) end exclusive.
  const topic = await info(
    client,
    '{"resource_locator": "run_01/front/imu", "timestamp_ns_start": 1700000000000000002, "timestamp_ns_end": 1700000000000000005}',
  );
  assert.equal(topic.endpoints.length, 1);
  assert.equal(topic.appMetadata, undefined);
  assert.deepEqual(schemaOf(topic).fields.map((f) => f.name), ["timestamp_ns", "x"]);
  const read = await doGet(client, topic.endpoints[0].ticket);
  assert.deepEqual(read.rows, [2, 3, 4]);
  assert.equal(read.schema.metadata.get("mosaico:context"), "topic");
  // With the count SDK 0.6 reads (0.7 delta, B8); SDK 0.4 tolerates extra keys here.
  assert.equal(
    read.schema.metadata.get("mosaico:properties"),
    '{"serialization_format":"default","ontology_tag":"imu","msg_count":3,' +
      '"interval":{"start_ns":1700000000000000002,"end_ns":1700000000000000004}}',
  );
  const inverted = await info(
    client,
    '{"resource_locator": "run_01/front/imu", "timestamp_ns_start": 9, "timestamp_ns_end": 1}',
  );
  assert.deepEqual((await doGet(client, inverted.endpoints[0].ticket)).rows, []);

  // A session topic that never got a schema: no fields, the three keys, and DoGet answers the schema alone.
  const later = await act(client, "session_create", { locator: "run_01" });
  await act(client, "topic_create", topicBody("run_01/later", later.uuid));
  const bare = await info(client, '{"resource_locator": "run_01/later"}');
  assert.equal(schemaOf(bare).fields.length, 0);
  assert.equal(schemaOf(bare).metadata.get("mosaico:context"), "topic");
  assert.deepEqual((await doGet(client, bare.endpoints[0].ticket)).rows, []);

  // Notifications: stored verbatim, listed with the full locator, purged.
  const msg = "Session failed\nInner err: '__exception_in_test__'";
  await act(client, "sequence_notification_create", { locator: "run_01", notification_type: "error", msg });
  await act(client, "topic_notification_create", {
    locator: "run_01/front/imu",
    notification_type: "error",
    msg: "x",
  });
  const listed = await act(client, "sequence_notification_list", { locator: "run_01" });
  assert.equal(listed.notifications.length, 1);
  assert.equal(listed.notifications[0].name, "run_01");
  assert.equal(listed.notifications[0].msg, msg);
  assert.match(listed.notifications[0].created_datetime, /^\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d(\.\d{3})?)? UTC$/);
  const topicList = await act(client, "topic_notification_list", { locator: "run_01/front/imu" });
  assert.equal(topicList.notifications[0].name, "run_01/front/imu");
  await act(client, "sequence_notification_purge", { locator: "run_01" });
  assert.deepEqual(await act(client, "sequence_notification_list", { locator: "run_01" }), {
    notifications: [],
  });

  // Query, 2026 shape: full locators as objects, exact ranges of the matching rows.
  const found = await actText(client, "query", {
    ontology: { "imu.x": { $geq: 0.3 }, include_timestamp_range: true },
  });
  assert.match(found, /"locator":"run_01\/front\/imu"/);
  assert.match(found, /"timestamp_range":\[1700000000000000003,1700000000000000005\]/);

  // Errors: unknown resources NOT_FOUND, duplicates ALREADY_EXISTS, wrong sequence PERMISSION_DENIED.
  const codes = async (name: string, body: unknown) => (await rpcError(act(client, name, body))).code;
  assert.equal(await codes("session_create", { locator: "nope" }), status.NOT_FOUND);
  assert.equal(
    await codes("sequence_create", { locator: "run_01", user_metadata: {} }),
    status.ALREADY_EXISTS,
  );
  assert.equal(await codes("topic_create", topicBody("run_01/front/imu", later.uuid)), status.ALREADY_EXISTS);
  assert.equal(await codes("topic_create", topicBody("run_01x/a", later.uuid)), status.PERMISSION_DENIED);
  assert.equal(await codes("topic_create", topicBody("run_01/b", session.uuid)), status.FAILED_PRECONDITION);
  assert.equal(await codes("session_finalize", { session_uuid: crypto.randomUUID() }), status.NOT_FOUND);
  assert.equal(await codes("session_finalize", { session_uuid: later.uuid }), status.FAILED_PRECONDITION);
  assert.equal(await codes("sequence_notification_list", { locator: "nope" }), status.NOT_FOUND);
  assert.equal(await codes("topic_create", { session_uuid: later.uuid }), status.INVALID_ARGUMENT);
  assert.equal(await codes("session_create", { locator: "run_01/x" }), status.INVALID_ARGUMENT);
  const wrongKey = await rpcError(put2026(client, "run_01/later", crypto.randomUUID(), []));
  assert.equal(wrongKey.code, status.PERMISSION_DENIED);
  const session3 = await rpcError(info(client, '{"resource_locator": "run_01:01HZX3"}'));
  assert.equal(session3.code, status.INVALID_ARGUMENT, "a session id is a ULID");

  // Deletes ignore locks: a finalized session, then the sequence with its finalized sessions.
  await act(client, "session_delete", { session_uuid: session.uuid });
  seq = await info(client, '{"resource_locator": "run_01"}');
  assert.deepEqual(appMetadata(seq.appMetadata).sessions.map((s: { topics: string[] }) => s.topics), [[
    "run_01/later",
  ]]);
  await act(client, "sequence_delete", { locator: "run_01" });
  assert.equal((await rpcError(info(client, '{"resource_locator": "run_01"}'))).code, status.NOT_FOUND);
  assert.deepEqual(await client.serverStream("ListFlights", new Uint8Array(0)).all(), []);
});

/** A 2026 sequence with one finalized session holding `topic` (tag imu, rows at offsets 1..3). */
async function upload2026(client: FlightChannel, sequence: string, topic: string): Promise<string> {
  await act(client, "sequence_create", { locator: sequence, user_metadata: {} });
  const session = await act(client, "session_create", { locator: sequence });
  const created = await act(client, "topic_create", topicBody(`${sequence}/${topic}`, session.uuid));
  await put2026(client, `${sequence}/${topic}`, created.uuid, [imuBatch([1, 2, 3])]);
  await act(client, "session_finalize", { session_uuid: session.uuid });
  return session.uuid;
}

/** The shape of a query answer's topics: "v1" (locator strings) or "v2026" (objects). */
async function queryShape(client: FlightChannel, body: unknown): Promise<string> {
  const response = await act(client, "query", body);
  assert.ok(response.items.length > 0, "the query matches something");
  return typeof response.items[0].topics[0] === "string" ? "v1" : "v2026";
}

const NEUTRAL = { ontology: { "imu.x": { $geq: 0 } } };

Deno.test("protocol 2026: 0.1.0 and 2026 calls share the port; a neutral query follows its connection", async () => {
  await using daemon = await startDaemon();
  using writer = channelTo(daemon.port, { deadlineMs: 20_000 });
  // A 0.1.0 upload: sequence key, topic key, DoPut {"topic": …}, sequence_finalize.
  const { key } = await act(writer, "sequence_create", { name: "legacy", user_metadata: {} });
  const topic = await act(writer, "topic_create", {
    name: "legacy/imu",
    sequence_key: key,
    serialization_format: "default",
    ontology_tag: "imu",
    user_metadata: {},
  });
  await writer.exchange("DoPut", [
    schemaMessage(imuBatch([0]).schema, putDescriptor("legacy/imu", topic.key)),
    batchMessage(imuBatch([1, 2])),
  ]);
  await act(writer, "sequence_finalize", { name: "legacy", key });
  await upload2026(writer, "modern", "imu");

  // The 2026 view of the 0.1.0 sequence: its implicit session, whose uuid is the sequence key.
  using fresh = channelTo(daemon.port, { deadlineMs: 20_000 });
  assert.equal(await queryShape(fresh, NEUTRAL), "v2026", "a fresh connection gets the default, 2026");
  const legacy = appMetadata((await info(fresh, '{"resource_locator": "legacy"}')).appMetadata);
  assert.deepEqual(
    legacy.sessions.map((
      s: { uuid: string; locked: boolean; topics: string[] },
    ) => [s.uuid, s.locked, s.topics]),
    [[key, true, ["legacy/imu"]]],
  );
  // The 0.1.0 view of the 2026 sequence: a PATH FlightInfo with plain tickets.
  const path = encodeDescriptor({ type: "path", cmd: new Uint8Array(0), path: ["modern"] });
  const v1Info = decodeFlightInfo(await fresh.unary("GetFlightInfo", path));
  assert.deepEqual(v1Info.endpoints.map((e) => text.decode(e.ticket)), ["modern/imu"]);
  assert.equal(await queryShape(fresh, NEUTRAL), "v1", "the PATH call proved 0.1.0");
  assert.deepEqual((await doGet(fresh, utf8.encode("legacy/imu"))).rows, [1, 2]);
  assert.equal(
    await queryShape(fresh, { sequence: { locator: { $eq: "legacy" } } }),
    "v2026",
    "the body decides",
  );
  assert.equal(await queryShape(fresh, NEUTRAL), "v2026", "and is remembered");
  // `name` is 0.1.0's and SDK 0.6/0.7's (0.7 delta, Q1): with `created_timestamp` it is 0.1.0; alone, on a
  // connection of the 2026 line, SDK 0.6/0.7 (answered in the 2026 shape).
  assert.equal(
    await queryShape(fresh, { sequence: { name: { $eq: "legacy" }, created_timestamp: { $gt: 0 } } }),
    "v1",
  );
  assert.equal(await queryShape(fresh, NEUTRAL), "v1", "and is remembered");
  await act(fresh, "version", {});
  assert.equal(await queryShape(fresh, NEUTRAL), "v2026", "a 2026-only action proves 2026");
  assert.equal(await queryShape(writer, NEUTRAL), "v2026", "the writer's last proof was session_finalize");

  // Shared names route by body key; the 0.1.0 lock rules apply to 0.1.0 calls only.
  const both = await rpcError(act(fresh, "sequence_delete", { name: "legacy", locator: "legacy" }));
  assert.equal(both.code, status.INVALID_ARGUMENT);
  assert.match(both.details, /holds both "name" \(0.1.0 protocol\) and "locator"/);
  assert.equal(
    (await rpcError(act(fresh, "sequence_delete", { name: "legacy" }))).code,
    status.FAILED_PRECONDITION,
  );
  assert.equal(await act(fresh, "sequence_delete", { locator: "legacy" }), null);
  assert.deepEqual(
    (await fresh.serverStream("ListFlights", new Uint8Array(0)).all()).map((f) =>
      decodeFlightInfo(f).descriptor!.path
    ),
    [["modern"]],
  );
});

Deno.test("protocol 2026: --query-default-dialect v1 answers a fresh connection's neutral query in 0.1.0 shape", async () => {
  await using daemon = await startDaemon({ args: ["--query-default-dialect", "v1"] });
  {
    using writer = channelTo(daemon.port, { deadlineMs: 20_000 });
    await upload2026(writer, "s", "imu");
    assert.equal(await queryShape(writer, NEUTRAL), "v2026", "the writer proved 2026");
  }
  using fresh = channelTo(daemon.port, { deadlineMs: 20_000 });
  assert.equal(await queryShape(fresh, NEUTRAL), "v1");
  await info(fresh, '{"resource_locator": "s"}');
  assert.equal(await queryShape(fresh, NEUTRAL), "v2026");
});

Deno.test("protocol 2026: with API keys, a body is parsed before the permission, the permission before existence", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "mosaicod-2026-" });
  try {
    const tokens: Record<string, string> = {};
    {
      await using catalog = await Catalog.open({ kind: "pglite", dir: `${cwd}/data/catalog` }, {
        log: silentLogger(),
      });
      for (const level of ["read", "write", "manage"] as const) {
        const permissions = expandHierarchical(level);
        tokens[level] =
          (await createApiKey(catalog, { permissions, description: level, expiresNs: null })).token;
      }
    }
    await using daemon = await startDaemon({ cwd, args: ["--api-key-enabled"] });
    const as = (level: string) =>
      channelTo(daemon.port, {
        deadlineMs: 20_000,
        metadata: { "mosaico-api-key-token": tokens[level] },
      });
    using reader = as("read");
    using writer = as("write");
    using manager = as("manage");
    using anonymous = channelTo(daemon.port, { deadlineMs: 20_000 });
    const code = async (client: FlightChannel, name: string, body: unknown) => {
      try {
        await act(client, name, body);
        return "OK";
      } catch (err) {
        return status[(err as { code: number }).code];
      }
    };
    assert.equal(
      await code(anonymous, "sequence_create", { nope: 1 }),
      "UNAUTHENTICATED",
      "the key comes first",
    );
    assert.equal(await code(reader, "version", {}), "OK", "version needs any valid key");
    assert.equal(
      await code(reader, "sequence_create", { locator: "s" }),
      "INVALID_ARGUMENT",
      "then the body",
    );
    assert.equal(await code(reader, "no_such_action", {}), "INVALID_ARGUMENT");
    assert.equal(
      await code(reader, "sequence_create", { locator: "s", user_metadata: {} }),
      "PERMISSION_DENIED",
    );
    assert.equal(await code(reader, "session_create", { locator: "missing" }), "PERMISSION_DENIED");
    assert.equal(await code(writer, "session_create", { locator: "missing" }), "NOT_FOUND", "then existence");
    assert.equal(
      await code(writer, "api_key_status", { api_key_fingerprint: "0000abcd" }),
      "PERMISSION_DENIED",
    );
    assert.equal(await code(manager, "api_key_status", { api_key_fingerprint: "0000abcd" }), "NOT_FOUND");
    assert.equal(await code(writer, "sequence_delete", { locator: "missing" }), "PERMISSION_DENIED");
    assert.equal(await code(reader, "sequence_notification_list", { locator: "missing" }), "NOT_FOUND");

    const created = await act(manager, "api_key_create", { permissions: "write", description: "ci" });
    const fingerprint = created.api_key_token.slice(-8);
    const statusText = await actText(manager, "api_key_status", { api_key_fingerprint: fingerprint });
    assert.match(statusText, /"created_at_ns":\d{19},"expires_at_ns":null\}\}$/);
    assert.equal(JSON.parse(statusText).response.description, "ci");
    assert.equal(await act(manager, "api_key_revoke", { api_key_fingerprint: fingerprint }), null);
    assert.equal(await code(manager, "api_key_status", { api_key_fingerprint: fingerprint }), "NOT_FOUND");
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});
