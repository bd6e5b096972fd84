import assert from "node:assert/strict";
import type { Sequence, Session, Topic } from "../../model/types.ts";
import { encodeJson, sequenceAppMetadata, topicManifest } from "./manifests.ts";

const dec = new TextDecoder();
const NS = 1776870000123456789n; // beyond 2^53: a double would round it

const sequence: Sequence = {
  id: 1,
  uuid: "11111111-1111-4111-8111-111111111111",
  name: "run_01",
  locked: false,
  userMetadata: {},
  createdNs: NS,
  createdMs: Number(NS / 1_000_000n),
};

function session(id: number, completedNs: bigint | null): Session {
  return {
    id,
    uuid: `0b5c6a0e-1f7a-4c8e-9a53-3d2f0c7b9e2${id}`,
    ulid: `01HZX3KQ0000000000000000${id}`.slice(0, 26),
    sequenceId: 1,
    sequenceName: "run_01",
    sequenceUuid: sequence.uuid,
    createdNs: NS + BigInt(id),
    completedNs,
  };
}

function topic(id: number, name: string, sessionId: number, completedNs: bigint | null): Topic {
  return {
    id,
    uuid: crypto.randomUUID(),
    sequenceId: 1,
    sequenceName: "run_01",
    sequenceUuid: sequence.uuid,
    sessionId,
    sessionUuid: session(sessionId, null).uuid,
    name,
    locked: completedNs !== null,
    userMetadata: {},
    serializationFormat: "default",
    ontologyTag: "imu",
    createdNs: NS + 10n,
    createdMs: 0,
    completedNs,
    schemaKey: null,
  };
}

Deno.test("topicManifest(): exact ns, info only once locked, whole-topic range or null", () => {
  const usage = {
    chunks: 3,
    sizeBytes: 4096,
    rows: 7,
    startNs: 1700000000000000001n,
    endNs: 1700000000480000000n,
  };
  assert.equal(
    dec.decode(encodeJson(topicManifest(topic(7, "run_01/front/imu", 1, NS + 99n), usage))),
    '{"created_at_ns":1776870000123456799,"completed_at_ns":1776870000123456888,"locked":true,' +
      '"resource_locator":"run_01/front/imu","info":{"chunks_number":3,"total_bytes":4096,' +
      '"timestamp":{"start_ns":1700000000000000001,"end_ns":1700000000480000000}},' +
      '"ontology_tag":"imu","serialization_format":"default","user_metadata":{},' +
      '"data_info":{"interval":{"start_ns":1700000000000000001,"end_ns":1700000000480000000},' +
      '"total_row_count":7,"total_bytes":4096,"total_chunks_count":3},"time_window_info":null}',
  );
  const none = { chunks: 0, sizeBytes: 0, rows: 0, startNs: null, endNs: null };
  assert.deepEqual(
    JSON.parse(dec.decode(encodeJson(topicManifest(topic(7, "run_01/a", 1, NS), none)))).info,
    {
      chunks_number: 0,
      total_bytes: 0,
      timestamp: null,
    },
  );
  const open = JSON.parse(dec.decode(encodeJson(topicManifest(topic(7, "run_01/a", 1, null), usage))));
  assert.equal(open.info, null);
  assert.equal(open.locked, false);
  assert.equal(open.completed_at_ns, null);
});

Deno.test("topicManifest(): the 0.7 keys, user_metadata never null, time_window_info iff a window", () => {
  const none = { chunks: 0, sizeBytes: 0, rows: 0, startNs: null, endNs: null };
  const legacy = {
    ...topic(7, "run_01/a", 1, null),
    userMetadata: null,
    serializationFormat: "image" as const,
  };
  const open = JSON.parse(dec.decode(encodeJson(topicManifest(legacy, none))));
  assert.deepEqual(
    {
      ontology_tag: open.ontology_tag,
      serialization_format: open.serialization_format,
      user_metadata: open.user_metadata,
      data_info: open.data_info,
      time_window_info: open.time_window_info,
    },
    {
      ontology_tag: "imu",
      serialization_format: "image",
      user_metadata: {},
      data_info: { interval: null, total_row_count: 0, total_bytes: 0, total_chunks_count: 0 },
      time_window_info: null,
    },
  );
  const usage = { chunks: 1, sizeBytes: 10, rows: 5, startNs: 1n, endNs: 9n };
  const inside = { rows: 1, startNs: NS, endNs: NS };
  const text = dec.decode(encodeJson(topicManifest(topic(7, "run_01/a", 1, NS), usage, inside)));
  assert.ok(
    text.endsWith(
      '"time_window_info":{"interval":{"start_ns":1776870000123456789,"end_ns":1776870000123456789},"row_count":1}}',
    ),
    text,
  );
  const empty = { rows: 0, startNs: null, endNs: null };
  assert.deepEqual(
    JSON.parse(dec.decode(encodeJson(topicManifest(topic(7, "run_01/a", 1, NS), usage, empty))))
      .time_window_info,
    { interval: null, row_count: 0 },
  );
});

Deno.test("sequenceAppMetadata(): sessions with their topics' full locators, locked when completed", () => {
  const sessions = [session(1, NS + 5n), session(2, null)];
  const topics = [topic(1, "run_01/a", 1, NS), topic(2, "run_01/b/c", 2, null), topic(3, "run_01/d", 1, NS)];
  const text = dec.decode(encodeJson(sequenceAppMetadata(sequence, sessions, topics)));
  assert.ok(text.startsWith('{"created_at_ns":1776870000123456789,"resource_locator":"run_01","sessions":['));
  assert.ok(text.includes('"completed_at_ns":1776870000123456794,"locked":true'));
  const parsed = JSON.parse(text);
  assert.deepEqual(
    parsed.sessions.map((
      s: { uuid: string; locked: boolean; topics: string[] },
    ) => [s.uuid, s.locked, s.topics]),
    [
      [sessions[0].uuid, true, ["run_01/a", "run_01/d"]],
      [sessions[1].uuid, false, ["run_01/b/c"]],
    ],
  );
  assert.equal(parsed.sessions[1].completed_at_ns, null);
  assert.deepEqual(parsed.sessions.map((s: { locator: string }) => s.locator), [
    `run_01:${sessions[0].ulid}`,
    `run_01:${sessions[1].ulid}`,
  ]);
  assert.deepEqual(parsed.user_metadata, {});
  const empty = JSON.parse(dec.decode(encodeJson(sequenceAppMetadata(sequence, [], []))));
  assert.deepEqual(empty.sessions, []);
});

Deno.test("sequenceAppMetadata(): no session uuid (the write token) without withUuid; user metadata", () => {
  const seq = { ...sequence, userMetadata: { site: "lab", n: [1, 2] } };
  const parsed = JSON.parse(
    dec.decode(encodeJson(sequenceAppMetadata(seq, [session(1, null)], [], { withUuid: false }))),
  );
  assert.deepEqual(Object.keys(parsed.sessions[0]), [
    "locator",
    "created_at_ns",
    "completed_at_ns",
    "locked",
    "topics",
  ]);
  assert.deepEqual(parsed.user_metadata, { site: "lab", n: [1, 2] });
  assert.deepEqual(
    JSON.parse(dec.decode(encodeJson(sequenceAppMetadata({ ...seq, userMetadata: null }, [], []))))
      .user_metadata,
    {},
  );
});
