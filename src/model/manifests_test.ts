import assert from "node:assert/strict";
import {
  chunkManifest,
  chunkStatsFromManifest,
  encodeManifest,
  MANIFEST_VERSION,
  sequenceManifest,
  sessionManifest,
  topicManifest,
} from "./manifests.ts";
import type { ColumnStats } from "./types.ts";

Deno.test("chunk manifests keep infinite and null statistics bounds through JSON", () => {
  const stats: ColumnStats[] = [
    { column: "x", kind: "numeric", min: -Infinity, max: Infinity, hasNull: false, hasNan: true },
    { column: "y", kind: "numeric", min: null, max: null, hasNull: true, hasNan: false },
    { column: "z", kind: "numeric", min: -0.5, max: 2 ** 60, hasNull: false, hasNan: false },
    { column: "frame", kind: "text", min: "a", max: "z", hasNull: false },
  ];
  const manifest = chunkManifest({
    uuid: "c",
    index: 0,
    key: "k",
    sizeBytes: 1,
    rowCount: 1,
    startNs: -(2n ** 63n),
    endNs: 2n ** 63n - 1n,
    stats,
  }, "t");
  const read = JSON.parse(new TextDecoder().decode(encodeManifest(manifest)));
  assert.deepStrictEqual(chunkStatsFromManifest(read), stats);
  assert.equal(read.start_ns, "-9223372036854775808");
});

Deno.test("session manifests keep nanosecond times beyond 2^53 exact, as decimal strings", () => {
  const session = {
    uuid: "11111111-1111-4111-8111-111111111111",
    ulid: "01JABCDEFGHJKMNPQRSTVWXYZ0",
    sequenceUuid: "22222222-2222-4222-8222-222222222222",
    createdNs: 2n ** 62n + 1n,
    completedNs: null,
  };
  const open = JSON.parse(new TextDecoder().decode(encodeManifest(sessionManifest(session))));
  assert.deepStrictEqual(open, {
    version: MANIFEST_VERSION,
    kind: "session",
    uuid: session.uuid,
    ulid: session.ulid,
    sequence_uuid: session.sequenceUuid,
    created_ns: "4611686018427387905",
    completed_ns: null,
  });
  const done = sessionManifest({ ...session, completedNs: 2n ** 63n - 1n });
  assert.equal(done.completed_ns, "9223372036854775807");
});

Deno.test("version 2 sequence and topic manifests carry ns times and the topic's session", () => {
  assert.equal(MANIFEST_VERSION, 2);
  const seq = sequenceManifest({
    uuid: "s",
    name: "run",
    userMetadata: { a: 1 },
    createdNs: 1_700_000_000_123_456_789n,
    createdMs: 1_700_000_000_123,
  });
  assert.deepStrictEqual(seq, {
    version: 2,
    kind: "sequence",
    uuid: "s",
    name: "run",
    created_ms: 1_700_000_000_123,
    created_ns: "1700000000123456789",
    user_metadata: { a: 1 },
    locked: false, // sessions say whether it is finalized
  });
  const topic = topicManifest({
    uuid: "t",
    sequenceUuid: "s",
    sequenceName: "run",
    sessionUuid: "x",
    name: "run/imu",
    locked: true,
    userMetadata: {},
    serializationFormat: "default",
    ontologyTag: "imu",
    createdNs: 2n ** 60n + 1n,
    createdMs: Number((2n ** 60n + 1n) / 1_000_000n),
    completedNs: 2n ** 60n + 2n,
  }, ["c1"]);
  assert.deepStrictEqual(
    [topic.version, topic.session_uuid, topic.created_ns, topic.completed_ns, topic.chunks],
    [2, "x", "1152921504606846977", "1152921504606846978", ["c1"]],
  );
  assert.equal(topicManifest({ ...topicFields(), completedNs: null }).completed_ns, null);
});

function topicFields() {
  return {
    uuid: "t",
    sequenceUuid: "s",
    sequenceName: "run",
    sessionUuid: "s",
    name: "run/imu",
    locked: false,
    userMetadata: {},
    serializationFormat: "default" as const,
    ontologyTag: "imu",
    createdNs: 1n,
    createdMs: 0,
  };
}
