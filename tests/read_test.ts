/**
 * The DoGet read path against real components: a PGlite catalog and an FsStore in a temp dir. Chunks
 * are written here the way ingest writes them: Parquet, store.put, statistics, then one catalog commit.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  Field,
  Float64,
  Int64,
  List,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  tableFromArrays,
  Uint32,
  Utf8,
  vectorFromArray,
} from "apache-arrow";
import { encodeEncapsulatedSchema, encodeRecordBatchMessage } from "../src/arrow/ipc.ts";
import { encodeParquetChunk } from "../src/arrow/parquet.ts";
import { computeColumnStats, timeRange } from "../src/arrow/stats.ts";
import type { Catalog } from "../src/catalog/catalog.ts";
import { CancelledError } from "../src/errors.ts";
import { silentLogger } from "../src/log.ts";
import { chunkKey, schemaKey } from "../src/model/store_layout.ts";
import type { NewChunk, TimeRange, Topic } from "../src/model/types.ts";
import { ParquetPool } from "../src/arrow/parquet_pool.ts";
import { openTopicRead, type ReadDeps, sequenceInfoSchema } from "../src/read/mod.ts";
import { FsStore } from "../src/store/fs_store.ts";
import type { ObjectStore } from "../src/store/store.ts";
import { freshPgliteCatalog } from "./_postgres.ts";
import { topicIn, zeroOneSequence } from "./_catalog_fixtures.ts";

interface Fixture extends AsyncDisposable {
  catalog: Catalog;
  store: ObjectStore;
  deps: ReadDeps;
}

async function fixture(targetBatchBytes?: number): Promise<Fixture> {
  const dir = await Deno.makeTempDir({ prefix: "mosaicod-read-" });
  const catalog = await freshPgliteCatalog();
  const store = await FsStore.open(dir, { log: silentLogger() });
  const decoder = new ParquetPool({ size: 1 });
  return {
    catalog,
    store,
    deps: { catalog, store, log: silentLogger(), targetBatchBytes, decoder },
    async [Symbol.asyncDispose]() {
      await decoder[Symbol.asyncDispose]();
      await store[Symbol.asyncDispose]();
      await catalog.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

const header = new Struct([
  new Field("seq", new Uint32(), true),
  new Field(
    "stamp",
    new Struct([new Field("sec", new Int64(), false), new Field("nanosec", new Uint32(), false)]),
    true,
  ),
  new Field("frame_id", new Utf8(), true),
]);
const FIELDS = [
  new Field("timestamp_ns", new Int64(), false),
  new Field("id", new Int64(), false, new Map([["description", "row identity"]])),
  new Field("header", header, true),
  new Field("x", new Float64(), true),
  new Field("covariance", new List(new Field("item", new Float64(), true)), true),
];

/** Rows with the given timestamps; `id` = `firstId + i`; `x` holds raw bits with NaN payloads and -0. */
function batch(timestamps: bigint[], firstId: number): RecordBatch {
  const n = timestamps.length;
  const ids = timestamps.map((_, i) => BigInt(firstId + i));
  const xBits = new BigUint64Array(
    ids.map((id) => [0x7ff8_0000_0000_0001n, 0x8000_0000_0000_0000n][Number(id % 2n)] + id * 3n),
  );
  const children = [
    vectorFromArray(timestamps, new Int64()).data[0],
    vectorFromArray(ids, new Int64()).data[0],
    vectorFromArray(
      ids.map((id) =>
        id % 5n === 0n ? null : {
          seq: Number(id % 1000n),
          stamp: id % 7n === 0n ? null : { sec: id, nanosec: 1 },
          frame_id: `f${id}`,
        }
      ),
      header,
    ).data[0],
    makeData({ type: new Float64(), length: n, data: new Float64Array(xBits.buffer) }),
    vectorFromArray(ids.map((id) => id % 3n === 0n ? null : [Number(id), -0, NaN]), FIELDS[4].type).data[0],
  ];
  return new RecordBatch(new Schema(FIELDS), makeData({ type: new Struct(FIELDS), length: n, children }));
}

const range = (from: number, to: number, step = 1) =>
  Array.from({ length: Math.ceil((to - from) / step) }, (_, i) => BigInt(from + i * step));

async function createTopic(fx: Fixture, name = "seq_a/imu"): Promise<Topic> {
  const [seqName] = name.split("/");
  const seq = await fx.catalog.getSequence(seqName) ?? await zeroOneSequence(fx.catalog, seqName);
  return await topicIn(fx.catalog, seq, name.slice(seqName.length + 1), {
    userMetadata: { mission: "test", "ros:x": 1 },
  });
}

/** Writes the schema snapshot and one Parquet chunk per entry, then commits; returns the chunk keys. */
async function writeTopic(fx: Fixture, topic: Topic, chunks: RecordBatch[][]): Promise<string[]> {
  const key = schemaKey(topic.sequenceUuid, topic.uuid);
  await fx.store.put(key, encodeEncapsulatedSchema(new Schema(FIELDS)));
  await fx.catalog.setTopicSchema(topic.id, key);
  const rows: NewChunk[] = [];
  for (const [index, batches] of chunks.entries()) {
    const uuid = crypto.randomUUID();
    const bytes = await encodeParquetChunk(batches, topic.serializationFormat);
    const ck = chunkKey(topic.sequenceUuid, topic.uuid, index, uuid);
    await fx.store.put(ck, bytes);
    const { startNs, endNs } = timeRange(batches)!;
    const rowCount = batches.reduce((n, b) => n + b.numRows, 0);
    rows.push({
      uuid,
      index,
      key: ck,
      sizeBytes: bytes.length,
      rowCount,
      startNs,
      endNs,
      stats: computeColumnStats(batches),
    });
  }
  await fx.catalog.commitTopic(topic.id, rows);
  return rows.map((r) => r.key);
}

async function read(
  fx: Fixture,
  name: string,
  r: TimeRange | null = null,
  signal = new AbortController().signal,
) {
  const opened = await openTopicRead(fx.deps, { topicName: name, range: r, signal });
  return { ...opened, out: await Array.fromAsync(opened.batches) };
}

/** Each row as plain data, `x` as its raw bits: NaN payloads and -0 compare exactly. */
function rows(batches: RecordBatch[]): unknown[] {
  return batches.flatMap((b) => {
    const x = b.getChild("x")!.data[0];
    const bits = new BigUint64Array(x.values.buffer, x.values.byteOffset, x.length);
    return [...b].map((row, i) => {
      const { covariance, header, ...rest } = row!.toJSON();
      return {
        ...rest,
        x: bits[i],
        header: header?.toJSON() ?? null,
        covariance: covariance && [...covariance],
      };
    });
  });
}

const ts = (batches: RecordBatch[]) => batches.flatMap((b) => [...b.getChild("timestamp_ns")!] as bigint[]);
const ids = (batches: RecordBatch[]) => batches.flatMap((b) => [...b.getChild("id")!] as bigint[]);
const isSorted = (values: bigint[]) => values.every((v, i) => i === 0 || values[i - 1] <= v);

Deno.test("openTopicRead() reads non-overlapping chunks back concatenated and bit-exact", async () => {
  await using fx = await fixture();
  const topic = await createTopic(fx);
  const chunks = [[batch(range(0, 500), 0), batch(range(500, 700), 500)], [batch(range(1000, 1800), 700)], [
    batch(range(2000, 2001), 1500),
  ]];
  await writeTopic(fx, topic, chunks);
  const { out, schema } = await read(fx, topic.name);
  assert.deepStrictEqual(rows(out), rows(chunks.flat()));
  assert.ok(out.every((b) => b.numRows > 0));
  // apache-arrow's RecordBatch constructor copies the schema, so compare its metadata, not its identity.
  assert.ok(out.every((b) => b.schema.metadata.get("mosaico:context") === "topic"));
  assert.deepStrictEqual([...out[0].schema.metadata], [...schema.metadata]);
});

Deno.test("openTopicRead() returns overlapping and internally unsorted chunks globally sorted", async () => {
  await using fx = await fixture();
  const topic = await createTopic(fx);
  const shuffled = range(0, 3000).map((v) => (v * 7919n) % 3000n); // every value once, out of order
  const chunks = [
    [batch(shuffled.slice(0, 1000), 0), batch(shuffled.slice(1000, 2000), 1000)],
    [batch(range(500, 2500, 2), 2000)],
    [batch(shuffled.slice(2000), 3000)],
    [batch(range(5000, 5100), 4000)],
  ];
  await writeTopic(fx, topic, chunks);
  const { out } = await read(fx, topic.name);
  assert.ok(isSorted(ts(out)), "timestamps are not sorted");
  const byId = (rs: unknown[]) =>
    [...rs].sort((a, b) => Number((a as { id: bigint }).id - (b as { id: bigint }).id));
  assert.deepStrictEqual(byId(rows(out)), byId(rows(chunks.flat())));
});

Deno.test("openTopicRead() with a range returns exactly its rows and reads only overlapping chunks", async () => {
  await using fx = await fixture();
  const topic = await createTopic(fx);
  const chunks = [[batch(range(0, 100), 0)], [batch(range(100, 200), 100)], [batch(range(200, 300), 200)]];
  const keys = await writeTopic(fx, topic, chunks);
  const expect = (from: number, to: number) => rows(chunks.flat()).slice(from, to + 1);
  assert.deepStrictEqual(
    rows((await read(fx, topic.name, { startNs: 150n, endNs: 250n })).out),
    expect(150, 250),
  );
  assert.deepStrictEqual(
    rows((await read(fx, topic.name, { startNs: null, endNs: 100n })).out),
    expect(0, 100),
  );
  assert.deepStrictEqual(
    rows((await read(fx, topic.name, { startNs: 299n, endNs: null })).out),
    expect(299, 299),
  );
  assert.deepStrictEqual((await read(fx, topic.name, { startNs: 400n, endNs: 500n })).out, []);

  await fx.store.delete(keys[0]); // only a read that fetches chunk 0 can notice
  assert.deepStrictEqual(
    rows((await read(fx, topic.name, { startNs: 100n, endNs: 250n })).out),
    expect(100, 250),
  );
  // The catalog lists it, the store lost it: damage, named, whether the chunk is streamed or merged.
  const missing = { name: "DataLossError", message: new RegExp(`Cannot read chunk "${keys[0]}".*missing`) };
  await assert.rejects(read(fx, topic.name), missing);
  await assert.rejects(read(fx, topic.name, { startNs: 99n, endNs: 99n }), missing);
});

Deno.test("openTopicRead() yields batches that are never empty and stay within the target size", async () => {
  const target = 64 * 1024;
  await using fx = await fixture(target);
  const topic = await createTopic(fx);
  const chunks = [[batch(range(0, 20_000), 0)], [batch(range(10_000, 30_000, 3), 20_000)], [
    batch(range(40_000, 41_000), 30_000),
  ]];
  await writeTopic(fx, topic, chunks);
  for (const r of [null, { startNs: 5_000n, endNs: 25_000n }]) {
    const { out } = await read(fx, topic.name, r);
    const sizes = out.map((b) => encodeRecordBatchMessage(b).bodyLength);
    assert.ok(out.every((b) => b.numRows > 0), "empty batch");
    assert.ok(sizes.every((s) => s <= target * 1.1), `batch sizes ${sizes}`);
    assert.ok(sizes.slice(0, -1).some((s) => s > target / 4), `batches needlessly small: ${sizes}`);
    assert.ok(isSorted(ts(out)));
    assert.equal(new Set(ids(out)).size, ids(out).length);
  }
});

Deno.test("openTopicRead() schema holds the stored fields and exactly the three mosaico keys", async () => {
  await using fx = await fixture();
  const topic = await createTopic(fx);
  await writeTopic(fx, topic, [[batch(range(0, 3), 0)]]);
  const { schema } = await read(fx, topic.name);
  assert.deepStrictEqual([...schema.metadata.keys()].sort(), [
    "mosaico:context",
    "mosaico:properties",
    "mosaico:user_metadata",
  ]);
  assert.equal(schema.metadata.get("mosaico:context"), "topic");
  assert.deepStrictEqual(JSON.parse(schema.metadata.get("mosaico:user_metadata")!), {
    mission: "test",
    "ros:x": 1,
  });
  const properties = JSON.parse(schema.metadata.get("mosaico:properties")!);
  assert.deepStrictEqual(properties, { serialization_format: "default", ontology_tag: "imu" });
  assert.deepStrictEqual(Object.keys(properties).sort(), ["ontology_tag", "serialization_format"]);
  const describe = (s: Schema) => s.fields.map((f) => [f.name, String(f.type), f.nullable, [...f.metadata]]);
  assert.deepStrictEqual(describe(schema), describe(new Schema(FIELDS)));

  const seq = (await fx.catalog.getSequence("seq_a"))!;
  const info = sequenceInfoSchema({ ...seq, userMetadata: { a: [1] } });
  assert.equal(info.fields.length, 0);
  assert.deepStrictEqual([...info.metadata], [["mosaico:context", "sequence"], [
    "mosaico:user_metadata",
    '{"a":[1]}',
  ]]);
});

Deno.test("openTopicRead() of a topic with a schema and no chunks yields no batch", async () => {
  await using fx = await fixture();
  const topic = await createTopic(fx);
  await writeTopic(fx, topic, []);
  const { out, schema } = await read(fx, topic.name);
  assert.deepStrictEqual(out, []);
  assert.equal(schema.fields[0].name, "timestamp_ns");
});

Deno.test("openTopicRead() refuses an unknown topic and one without a schema with NotFoundError", async () => {
  await using fx = await fixture();
  await createTopic(fx, "seq_a/no_schema");
  await assert.rejects(read(fx, "seq_a/missing"), {
    name: "NotFoundError",
    message: 'Cannot find topic "seq_a/missing"',
  });
  await assert.rejects(read(fx, "seq_a/no_schema"), {
    name: "NotFoundError",
    message: 'Topic "seq_a/no_schema" has no data',
  });
});

Deno.test("openTopicRead() reads one chunk ahead, no more", async () => {
  await using fx = await fixture();
  // Chunk reads: whole objects (get) or local files handed to a worker (localPath).
  const gets: string[] = [];
  const store = fx.store;
  const observed = new Proxy(store, {
    get: (target, prop) => {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      return (key: string, ...rest: unknown[]) => {
        if (prop === "get" || prop === "localPath") gets.push(key);
        return value.call(target, key, ...rest);
      };
    },
  });
  const topic = await createTopic(fx);
  const keys = await writeTopic(
    fx,
    topic,
    [0, 1, 2, 3].map((c) => [batch(range(c * 100, c * 100 + 100), c * 100)]),
  );
  const opened = await openTopicRead({ ...fx.deps, store: observed }, {
    topicName: topic.name,
    range: null,
    signal: new AbortController().signal,
  });
  const it = opened.batches[Symbol.asyncIterator]();
  await it.next(); // chunk 0 taken: chunk 1 loading
  assert.deepStrictEqual(gets.slice(1), keys.slice(0, 2)); // gets[0] is the schema snapshot
  await it.return!();
});

for (const how of ["abort", "break"] as const) {
  Deno.test(`openTopicRead() stops promptly on ${how} and leaves nothing running`, async () => {
    await using fx = await fixture(4096);
    const topic = await createTopic(fx);
    await writeTopic(fx, topic, [0, 1, 2, 3].map((c) => [batch(range(c * 5000, c * 5000 + 5000), c * 5000)]));
    const ac = new AbortController();
    const opened = await openTopicRead(fx.deps, { topicName: topic.name, range: null, signal: ac.signal });
    let seen = 0;
    const consume = async () => {
      for await (const _ of opened.batches) {
        if (++seen === 2) {
          if (how === "break") break;
          ac.abort(new Error("client went away"));
        }
      }
    };
    if (how === "abort") await assert.rejects(consume(), CancelledError);
    else await consume();
    assert.equal(seen, 2);
  });
}

Deno.test("openTopicRead() with an already aborted signal throws CancelledError", async () => {
  await using fx = await fixture();
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(
    openTopicRead(fx.deps, { topicName: "seq_a/imu", range: null, signal: ac.signal }),
    CancelledError,
  );
});

Deno.test("openTopicRead() aborts the store reads in flight", async () => {
  await using fx = await fixture();
  const topic = await createTopic(fx);
  await writeTopic(fx, topic, [0, 1].map((c) => [batch(range(c * 100, c * 100 + 100), c * 100)]));
  const ac = new AbortController();
  const opened = await openTopicRead(fx.deps, { topicName: topic.name, range: null, signal: ac.signal });
  const first = opened.batches[Symbol.asyncIterator]().next(); // chunk 0 fetched, chunk 1 read ahead
  ac.abort(new Error("client went away"));
  await assert.rejects(first, CancelledError);
});

Deno.test("openTopicRead() of a corrupt or misshapen chunk fails with DataLossError naming the chunk", async () => {
  await using fx = await fixture();
  const topic = await createTopic(fx);
  const [first, second] = await writeTopic(fx, topic, [[batch(range(0, 10), 0)], [batch(range(10, 20), 10)]]);
  const good = await fx.store.get(first);
  // Garbage between intact magics, then a valid Parquet file with other columns.
  const garbage = good.slice();
  garbage.fill(0x5a, 4, garbage.length - 4);
  await fx.store.put(second, garbage);
  await assert.rejects(read(fx, topic.name), (err: Error) => {
    assert.equal(err.name, "DataLossError");
    assert.ok(err.message.startsWith(`Cannot read chunk "${second}" of topic "${topic.name}"`), err.message);
    return true;
  });
  const other = tableFromArrays({ timestamp_ns: BigInt64Array.of(10n), y: Float64Array.of(1) });
  await fx.store.put(second, await encodeParquetChunk(other.batches, "default"));
  await assert.rejects(read(fx, topic.name), { name: "DataLossError" });
  await fx.store.put(second, good);
  const { out } = await read(fx, topic.name);
  assert.equal(out.reduce((n, b) => n + b.numRows, 0), 20);
});
