import assert from "node:assert/strict";
import {
  chunkKey,
  chunkManifestKey,
  layerKey,
  notificationKey,
  parseStoreKey,
  schemaKey,
  sequenceManifestKey,
  sequencePrefix,
  sessionManifestKey,
  sessionPrefix,
  tombstoneKey,
  topicManifestKey,
  topicPrefix,
} from "./store_layout.ts";

const S = "11111111-1111-4111-8111-111111111111";
const T = "22222222-2222-4222-8222-222222222222";
const C = "33333333-3333-4333-8333-333333333333";
const U = "01JABCDEFGHJKMNPQRSTVWXYZ0";

Deno.test("parseStoreKey() reads back every key the layout builds", async () => {
  assert.deepStrictEqual(parseStoreKey(sequenceManifestKey(S)), {
    kind: "sequence-manifest",
    sequence: S,
    topic: null,
  });
  assert.deepStrictEqual(parseStoreKey(topicManifestKey(S, T)), {
    kind: "topic-manifest",
    sequence: S,
    topic: T,
  });
  assert.deepStrictEqual(parseStoreKey(schemaKey(S, T)), { kind: "schema", sequence: S, topic: T });
  assert.deepStrictEqual(parseStoreKey(chunkKey(S, T, 7, C)), {
    kind: "chunk",
    sequence: S,
    topic: T,
    chunk: C,
  });
  assert.deepStrictEqual(
    parseStoreKey(chunkManifestKey(S, T, 7, C)),
    { kind: "chunk-manifest", sequence: S, topic: T, chunk: C },
  );
  assert.deepStrictEqual(
    parseStoreKey(notificationKey(sequencePrefix(S), 5, C)),
    { kind: "notification", sequence: S, topic: null },
  );
  assert.deepStrictEqual(
    parseStoreKey(notificationKey(topicPrefix(S, T), 5, C)),
    { kind: "notification", sequence: S, topic: T },
  );
  assert.equal(sessionManifestKey(S, U), `sequences/${S}/sessions/${U}/session.json`);
  assert.deepStrictEqual(parseStoreKey(sessionManifestKey(S, U)), {
    kind: "session-manifest",
    sequence: S,
    topic: null,
    session: U,
  });
  assert.ok(sessionManifestKey(S, U).startsWith(`${sessionPrefix(S, U)}/`));
  assert.ok(sessionPrefix(S, U).startsWith(`${sequencePrefix(S)}/`), "a session lives under its sequence");
  assert.equal(parseStoreKey(await layerKey("perception")).kind, "layer");
  assert.deepStrictEqual(parseStoreKey(tombstoneKey(T)), {
    kind: "tombstone",
    resource: T,
    sequence: null,
    topic: null,
  });
});

Deno.test("parseStoreKey() tells stray objects from layout objects", () => {
  assert.deepStrictEqual(parseStoreKey(`sequences/${S}/topics/${T}/chunks/x.tmp`), {
    kind: "unknown-in-sequence",
    sequence: S,
    topic: T,
  });
  assert.deepStrictEqual(parseStoreKey(`sequences/${S}/notes.txt`), {
    kind: "unknown-in-sequence",
    sequence: S,
    topic: null,
  });
  for (
    const stray of [
      `sequences/${S}/sessions/${U}/notes.txt`,
      `sequences/${S}/sessions/${U}/x/session.json`,
      `sequences/${S}/sessions/session.json`,
    ]
  ) {
    assert.deepStrictEqual(
      parseStoreKey(stray),
      { kind: "unknown-in-sequence", sequence: S, topic: null },
      stray,
    );
  }
  assert.deepStrictEqual(
    parseStoreKey(`sequences/${S}/topics/${T}/sessions/${U}/session.json`),
    { kind: "unknown-in-sequence", sequence: S, topic: T },
    "a session manifest lives under a sequence, never a topic",
  );
  assert.equal(parseStoreKey("layers/not-a-hash.json").kind, "other");
  assert.equal(parseStoreKey(".tmp/upload-1").kind, "other");
});
