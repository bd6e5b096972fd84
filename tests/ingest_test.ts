import assert from "node:assert/strict";
import {
  type Data,
  DataType,
  Dictionary,
  Field,
  Float64,
  Int32,
  Int64,
  makeData,
  makeVector,
  RecordBatch,
  Schema,
  Struct,
  Uint32,
  Uint64,
  Utf8,
  vectorFromArray,
} from "apache-arrow";
import { decodeParquetChunk } from "../src/arrow/parquet.ts";
import { computeColumnStats, timeRange } from "../src/arrow/stats.ts";
import type { Catalog } from "../src/catalog/catalog.ts";
import {
  CancelledError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  PermissionDeniedError,
} from "../src/errors.ts";
import { type IngestDeps, ingestTopic, openUpload } from "../src/ingest/mod.ts";
import { silentLogger } from "../src/log.ts";
import { chunkManifest, encodeManifest, topicManifest } from "../src/model/manifests.ts";
import { schemaKey, topicManifestKey, topicPrefix } from "../src/model/store_layout.ts";
import type { SerializationFormat, Topic } from "../src/model/types.ts";
import { FsStore } from "../src/store/fs_store.ts";
import { S3Store } from "../src/store/s3_store.ts";
import type { ObjectStore } from "../src/store/store.ts";
import { freshPgliteCatalog, freshPostgresCatalog } from "./_postgres.ts";
import { startS3 } from "./_s3.ts";
import { topicIn, zeroOneSequence } from "./_catalog_fixtures.ts";

// Fixture: a catalog, a store and one unlocked topic whose manifest exists, as topic_create leaves it.

interface Env extends AsyncDisposable {
  deps: IngestDeps;
  catalog: Catalog;
  store: ObjectStore;
  topic: Topic;
}

interface EnvOptions {
  remote?: boolean;
  chunkTargetBytes?: number;
  rowGroupBytes?: number;
  format?: SerializationFormat;
}

async function freshEnv(opts: EnvOptions = {}): Promise<Env> {
  const stack = new AsyncDisposableStack();
  try {
    const log = silentLogger();
    let catalog: Catalog;
    let store: ObjectStore;
    if (opts.remote) {
      catalog = stack.use(await freshPostgresCatalog());
      const s3 = stack.use(await startS3());
      store = stack.use(S3Store.open(s3.storeConfig(), { log }));
    } else {
      catalog = stack.use(await freshPgliteCatalog());
      const dir = await Deno.makeTempDir({ prefix: "mosaicod-ingest-" });
      stack.defer(() => Deno.remove(dir, { recursive: true }));
      store = stack.use(await FsStore.open(dir, { log }));
    }
    const seq = await zeroOneSequence(catalog, "run");
    const topic = await topicIn(catalog, seq, "front/imu", {
      serializationFormat: opts.format ?? "default",
      userMetadata: { mounted: "front" },
    });
    await store.put(topicManifestKey(seq.uuid, topic.uuid), encodeManifest(topicManifest(topic)));
    const deps = {
      catalog,
      store,
      log,
      chunkTargetBytes: opts.chunkTargetBytes,
      rowGroupBytes: opts.rowGroupBytes,
    };
    const moved = stack.move();
    return { deps, catalog, store, topic, [Symbol.asyncDispose]: () => moved.disposeAsync() };
  } catch (err) {
    await stack.disposeAsync();
    throw err;
  }
}

// Data

const headerType = new Struct([
  new Field("seq", new Uint32(), true),
  new Field("frame_id", new Utf8(), true),
]);
const SCHEMA = new Schema([
  new Field("timestamp_ns", new Int64(), false, new Map([["description", "capture time"]])),
  new Field("x", new Float64(), true, new Map([["description", "value"], ["unit", "m"]])),
  new Field("header", headerType, true),
]);

/** `rows` rows whose timestamps are `base + 0..rows-1` µs in shuffled order; awkward floats and nulls. */
function makeBatch(base: number, rows: number, schema = SCHEMA): RecordBatch {
  const ts = Array.from({ length: rows }, (_, i) => BigInt(base + (i * 7919) % rows) * 1000n);
  const specials = [NaN, -0, Infinity, -Infinity, 5e-324, null];
  const x = Array.from(
    { length: rows },
    (_, i) => i % 50 < specials.length ? specials[i % 50] : base + i / 3,
  );
  const header = Array.from(
    { length: rows },
    (_, i) => i % 17 === 3 ? null : { seq: i, frame_id: `f${i % 11}` },
  );
  const columns = [
    vectorFromArray(ts, new Int64()),
    vectorFromArray(x, new Float64()),
    vectorFromArray(header, headerType),
  ];
  const children = columns.map((v) => v.data[0]);
  return new RecordBatch(
    schema,
    makeData({ type: new Struct(schema.fields), length: rows, nullCount: 0, children }),
  );
}

async function* yieldAll(batches: RecordBatch[]): AsyncGenerator<RecordBatch> {
  for (const b of batches) yield b;
}

/** Every leaf value as text, row by row; floats by their bits, values under a null struct as null. */
function leafValues(batches: RecordBatch[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const visit = (path: string, data: Data, parentValid: (i: number) => boolean) => {
    const valid = (i: number) => parentValid(i) && data.getValid(i);
    if (DataType.isStruct(data.type)) {
      data.type.children.forEach((f, k) => visit(`${path}.${f.name}`, data.children[k], valid));
      return;
    }
    const list = out.get(path) ?? [];
    const vector = makeVector(data);
    const floats = DataType.isFloat(data.type)
      ? new BigInt64Array(data.values.buffer, data.values.byteOffset, data.values.length)
      : null;
    for (let i = 0; i < data.length; i++) {
      list.push(!valid(i) ? "null" : floats ? `f${floats[i]}` : String(vector.get(i)));
    }
    out.set(path, list);
  };
  for (const b of batches) b.schema.fields.forEach((f, k) => visit(f.name, b.data.children[k], () => true));
  return out;
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function keysUnder(store: ObjectStore, topic: Topic): Promise<string[]> {
  const prefix = topicPrefix(topic.sequenceUuid, topic.uuid);
  return (await collect(store.list(prefix))).map((o) => o.key.slice(prefix.length + 1));
}

async function readJson(store: ObjectStore, key: string): Promise<unknown> {
  return JSON.parse(new TextDecoder().decode(await store.get(key)));
}

/** The state a failed upload must leave: snapshot and the untouched manifest only, nothing in the catalog. */
async function assertNothingCommitted(env: Env): Promise<void> {
  const { store, catalog, topic } = env;
  assert.deepEqual(await keysUnder(store, topic), ["schema.arrow", "topic.json"]);
  assert.deepEqual(
    await readJson(store, topicManifestKey(topic.sequenceUuid, topic.uuid)),
    topicManifest(topic),
  );
  const now = await catalog.getTopic(topic.name);
  assert.equal(now?.locked, false);
  assert.equal(now?.schemaKey, schemaKey(topic.sequenceUuid, topic.uuid));
  assert.deepEqual(await catalog.listChunks(topic.id), []);
}

async function ingest(
  env: Env,
  batches: AsyncIterable<RecordBatch>,
  opts: { schema?: Schema; signal?: AbortSignal } = {},
) {
  const upload = await openUpload(env.deps, { topicName: env.topic.name, key: env.topic.uuid });
  return await ingestTopic(env.deps, upload, { schema: opts.schema ?? SCHEMA, batches, signal: opts.signal });
}

// Tests

async function multiChunkUpload(env: Env): Promise<void> {
  const { store, catalog, topic } = env;
  const input = [
    makeBatch(0, 1500),
    makeBatch(10_000, 0),
    ...Array.from({ length: 9 }, (_, i) => makeBatch(20_000 + i * 5000, 1200 + i * 100)),
  ];
  // Expected cut: a chunk is sealed once it holds at least chunkTargetBytes of Arrow data.
  const expectedRows: number[] = [];
  let bytes = 0;
  for (const b of input.filter((b) => b.numRows > 0)) {
    if (bytes === 0) expectedRows.push(0);
    expectedRows[expectedRows.length - 1] += b.numRows;
    bytes += b.data.byteLength;
    if (bytes >= env.deps.chunkTargetBytes!) bytes = 0;
  }
  const result = await ingest(env, yieldAll(input));
  const chunks = (await catalog.listChunks(topic.id, { withStats: true })).sort((a, b) => a.index - b.index);
  assert.ok(chunks.length >= 3, `expected several chunks, got ${chunks.length}`);
  assert.deepEqual(chunks.map((c) => c.rowCount), expectedRows);
  assert.deepEqual(chunks.map((c) => c.index), chunks.map((_, i) => i));
  assert.deepEqual(result, {
    chunks: chunks.length,
    rows: expectedRows.reduce((a, b) => a + b),
    bytes: chunks.reduce((n, c) => n + c.sizeBytes, 0),
  });
  const decoded: RecordBatch[] = [];
  for (const c of chunks) {
    const file = await store.get(c.key);
    assert.equal(c.sizeBytes, file.length);
    const own = await collect(decodeParquetChunk(file, { batchRows: 700 }));
    assert.deepEqual(own[0].schema.fields.map(String), SCHEMA.fields.map(String));
    assert.deepEqual(
      own[0].schema.fields.map((f) => [...f.metadata]),
      SCHEMA.fields.map((f) => [...f.metadata]),
    );
    assert.deepEqual(c.stats, computeColumnStats(own));
    assert.deepEqual({ startNs: c.startNs, endNs: c.endNs }, timeRange(own));
    decoded.push(...own);
  }
  assert.deepEqual(leafValues(decoded), leafValues(input)); // bit-exact and in the order sent
  // The store describes the same commit.
  const locked = (await catalog.getTopic(topic.name))!;
  assert.equal(locked.locked, true);
  assert.deepEqual(
    await readJson(store, topicManifestKey(topic.sequenceUuid, topic.uuid)),
    topicManifest(locked, chunks.map((c) => c.uuid)),
  );
  for (const c of chunks) {
    const key = c.key.replace(/\.parquet$/, ".json");
    assert.deepEqual(await readJson(store, key), JSON.parse(JSON.stringify(chunkManifest(c, topic.uuid))));
  }
  const files = chunks.flatMap((c) =>
    [c.key, c.key.replace(/\.parquet$/, ".json")].map((k) => k.split("/").slice(-2).join("/"))
  );
  assert.deepEqual(await keysUnder(store, topic), [...files.sort(), "schema.arrow", "topic.json"]);
}

Deno.test("ingestTopic() cuts a multi-chunk upload into Parquet chunks with exact rows, ranges and stats", async () => {
  await using env = await freshEnv({ chunkTargetBytes: 100_000, rowGroupBytes: 16_000 });
  await multiChunkUpload(env);
});

Deno.test("ingestTopic() stores a multi-chunk upload on PostgreSQL and S3", async () => {
  await using env = await freshEnv({
    remote: true,
    chunkTargetBytes: 100_000,
    rowGroupBytes: 16_000,
    format: "ragged",
  });
  await multiChunkUpload(env);
});

Deno.test("ingestTopic() locks a schema-only upload without writing a chunk", async () => {
  await using env = await freshEnv();
  const result = await ingest(env, yieldAll([makeBatch(0, 0)]));
  assert.deepEqual(result, { chunks: 0, rows: 0, bytes: 0 });
  const topic = (await env.catalog.getTopic(env.topic.name))!;
  assert.equal(topic.locked, true);
  assert.deepEqual(await env.catalog.listChunks(topic.id), []);
  assert.deepEqual(await keysUnder(env.store, topic), ["schema.arrow", "topic.json"]);
  assert.deepEqual(
    await readJson(env.store, topicManifestKey(topic.sequenceUuid, topic.uuid)),
    topicManifest(topic, []),
  );
});

Deno.test("openUpload() refuses an unknown topic, a wrong key, a locked topic and a second upload", async () => {
  await using env = await freshEnv();
  const { deps, topic } = env;
  await assert.rejects(openUpload(deps, { topicName: "run/nope", key: topic.uuid }), (err: Error) => {
    assert.ok(err instanceof NotFoundError);
    assert.equal(err.message, `Cannot find topic "run/nope"`);
    return true;
  });
  await assert.rejects(
    openUpload(deps, { topicName: topic.name, key: crypto.randomUUID() }),
    PermissionDeniedError,
  );
  const first = await openUpload(deps, { topicName: topic.name, key: topic.uuid });
  await assert.rejects(openUpload(deps, { topicName: topic.name, key: topic.uuid }), FailedPreconditionError);
  assert.deepEqual(await keysUnder(env.store, topic), ["topic.json"]);
  await ingestTopic(deps, first, { schema: SCHEMA, batches: yieldAll([makeBatch(0, 10)]) });
  await assert.rejects(openUpload(deps, { topicName: topic.name, key: topic.uuid }), (err: Error) => {
    assert.ok(err instanceof FailedPreconditionError);
    assert.equal(err.message, `Topic "run/front/imu" is locked: its data was already uploaded`);
    return true;
  });
});

Deno.test("ingestTopic() rejects a schema without a signed int64 timestamp_ns or with a dictionary", async () => {
  await using env = await freshEnv();
  const cases: [Field[], string][] = [
    [[new Field("x", new Float64())], `missing "timestamp_ns" field`],
    [[new Field("timestamp_ns", new Int32())], `"timestamp_ns" must be int64, got Int32`],
    [[new Field("timestamp_ns", new Uint64())], `"timestamp_ns" must be int64, got Uint64`],
    [
      [SCHEMA.fields[0], new Field("tag", new Dictionary(new Utf8(), new Int32()))],
      `field "tag" is dictionary-encoded`,
    ],
  ];
  for (const [fields, message] of cases) {
    await assert.rejects(ingest(env, yieldAll([]), { schema: new Schema(fields) }), (err: Error) => {
      assert.ok(err instanceof InvalidArgumentError, String(err));
      assert.ok(err.message.startsWith(`Invalid schema for topic "run/front/imu": ${message}`), err.message);
      return true;
    });
  }
  assert.deepEqual(await keysUnder(env.store, env.topic), ["topic.json"]);
  assert.equal((await env.catalog.getTopic(env.topic.name))?.schemaKey, null);
});

Deno.test("a failed upload leaves only its schema snapshot; later uploads must match it, then succeed", async () => {
  await using env = await freshEnv({ chunkTargetBytes: 50_000 });
  const boom = new Error("client stream broke");
  async function* failing() {
    for (let i = 0; i < 6; i++) yield makeBatch(i * 2000, 1500);
    throw boom;
  }
  await assert.rejects(ingest(env, failing()), (err) => err === boom);
  await assertNothingCommitted(env);
  const nullable = new Schema([SCHEMA.fields[0].clone({ nullable: true }), ...SCHEMA.fields.slice(1)]);
  const unitless = new Schema([
    SCHEMA.fields[0],
    SCHEMA.fields[1].clone({ metadata: new Map() }),
    SCHEMA.fields[2],
  ]);
  for (const schema of [nullable, unitless, new Schema(SCHEMA.fields.slice(0, 2))]) {
    await assert.rejects(ingest(env, yieldAll([makeBatch(0, 5, schema)]), { schema }), (err: Error) => {
      assert.ok(err instanceof InvalidArgumentError, String(err));
      assert.match(err.message, /differs from the schema of its first upload/);
      return true;
    });
    await assertNothingCommitted(env);
  }
  // Field metadata in another order and schema-level metadata are not differences.
  const reordered = new Schema(
    [
      SCHEMA.fields[0],
      SCHEMA.fields[1].clone({ metadata: new Map([["unit", "m"], ["description", "value"]]) }),
      SCHEMA.fields[2],
    ],
    new Map([["origin", "sdk"]]),
  );
  const result = await ingest(env, yieldAll([makeBatch(0, 3000, reordered)]), { schema: reordered });
  assert.equal(result.rows, 3000);
});

Deno.test("ingestTopic() rejects bad batches (null timestamps, another schema, invalid UTF-8), leaving only the snapshot", async () => {
  await using env = await freshEnv();
  const rows = (length: number, children: Data[], schema: Schema) =>
    new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length, nullCount: 0, children }));
  const nullable = new Schema([SCHEMA.fields[0].clone({ nullable: true }), SCHEMA.fields[1]]);
  const nullTs = rows(3, [
    vectorFromArray([1n, null, 3n], new Int64()).data[0],
    vectorFromArray([1, 2, 3], new Float64()).data[0],
  ], nullable);
  const badText = makeData({
    type: new Utf8(),
    length: 1,
    valueOffsets: new Int32Array([0, 2]),
    data: new Uint8Array([0xff, 0xfe]),
  });
  const withText = new Schema([SCHEMA.fields[0], new Field("label", new Utf8(), false)]);
  const cases: [Schema, RecordBatch[], string | RegExp][] = [
    [
      nullable,
      [makeBatch(0, 5, nullable), nullTs],
      `Invalid data for topic "run/front/imu": "timestamp_ns" holds 1 null values`,
    ],
    [
      SCHEMA,
      [makeBatch(0, 5), makeBatch(5, 5, nullable)],
      `Invalid data for topic "run/front/imu": a record batch does not have the upload's schema`,
    ],
    [
      withText,
      [rows(1, [vectorFromArray([1n], new Int64()).data[0], badText], withText)],
      /^Cannot write Parquet chunk: the writer rejected the data$/,
    ],
  ];
  for (const [schema, batches, message] of cases) {
    await env.catalog.driver.query("UPDATE topics SET schema_key = NULL WHERE id = $1", [env.topic.id]);
    await env.store.delete(schemaKey(env.topic.sequenceUuid, env.topic.uuid));
    await assert.rejects(ingest(env, yieldAll(batches), { schema }), (err: Error) => {
      assert.ok(err instanceof InvalidArgumentError, String(err));
      if (typeof message === "string") assert.equal(err.message, message);
      else assert.match(err.message, message);
      return true;
    });
    await assertNothingCommitted(env);
  }
});

Deno.test("an aborted upload fails with CancelledError, mid-stream or while waiting for a batch", async () => {
  await using env = await freshEnv({ chunkTargetBytes: 50_000 });
  const ac = new AbortController();
  async function* abortingMidStream() {
    for (let i = 0; i < 8; i++) {
      if (i === 5) ac.abort();
      yield makeBatch(i * 2000, 1500);
    }
  }
  await assert.rejects(ingest(env, abortingMidStream(), { signal: ac.signal }), CancelledError);
  await assertNothingCommitted(env);
  const stalled = new AbortController();
  async function* stalling() {
    for (let i = 0; i < 4; i++) yield makeBatch(i * 2000, 1500);
    setTimeout(() => stalled.abort(), 20);
    await new Promise(() => {}); // the client never sends its next batch
  }
  await assert.rejects(ingest(env, stalling(), { signal: stalled.signal }), CancelledError);
  await assertNothingCommitted(env);
  assert.equal((await ingest(env, yieldAll([makeBatch(0, 100)]))).rows, 100);
});

Deno.test("an upload whose topic another upload locked first removes its objects and keeps the winner's manifest", async () => {
  await using env = await freshEnv({ chunkTargetBytes: 50_000 });
  const { catalog, store, topic } = env;
  async function* racing() {
    for (let i = 0; i < 5; i++) yield makeBatch(i * 2000, 1500);
    await catalog.commitTopic(topic.id, []); // another daemon's upload commits meanwhile
  }
  const upload = await openUpload(env.deps, { topicName: topic.name, key: topic.uuid });
  const second = openUpload(env.deps, { topicName: topic.name, key: topic.uuid });
  await assert.rejects(second, FailedPreconditionError); // in this process, the claim refuses it at once
  await assert.rejects(
    ingestTopic(env.deps, upload, { schema: SCHEMA, batches: racing() }),
    FailedPreconditionError,
  );
  assert.deepEqual(await keysUnder(store, topic), ["schema.arrow", "topic.json"]);
  const locked = (await catalog.getTopic(topic.name))!;
  assert.deepEqual(
    await readJson(store, topicManifestKey(topic.sequenceUuid, topic.uuid)),
    topicManifest(locked, []),
  );
});
