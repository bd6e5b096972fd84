/**
 * Ontology (data) filters of the `query` action over real data (protocol 9.4, 9.5, 9.7): topics
 * created and uploaded through the lifecycle and ingest code, chunks in a real store, pruning by the
 * catalog's statistics and scanning in real workers; on both catalog drivers.
 */
import assert from "node:assert/strict";
import {
  Bool,
  Field,
  Float64,
  Int16,
  Int32,
  Int64,
  makeVector,
  RecordBatch,
  Schema,
  Struct,
  Table,
  Uint32,
  Uint64,
  Utf8,
  vectorFromArray,
} from "apache-arrow";
import { ParquetPool } from "../src/arrow/parquet_pool.ts";
import type { Catalog } from "../src/catalog/catalog.ts";
import { DataLossError, InvalidArgumentError } from "../src/errors.ts";
import { createSequence, type LifecycleDeps } from "../src/lifecycle/mod.ts";
import { silentLogger } from "../src/log.ts";
import { parseJsonExact } from "../src/model/json.ts";
import type { JsonValue } from "../src/model/types.ts";
import type { QueryItem } from "../src/catalog/query.ts";
import type { ScanCounters } from "../src/query/ontology.ts";
import { type QueryDeps, runQuery } from "../src/query/run.ts";
import type { JsonObject } from "../src/query/types.ts";
import { FsStore } from "../src/store/fs_store.ts";
import { freshPgliteCatalog, freshPostgresCatalog } from "./_postgres.ts";
import { createTopicWithData } from "./_topics.ts";

// Data: an `imu` and a `gps` type, as the SDK's ontology models lay them out (struct children).

const f64 = new Float64();
const IMU = new Schema([
  new Field("timestamp_ns", new Int64(), false),
  new Field("acceleration", new Struct([new Field("x", f64, true), new Field("y", f64, true)]), true),
  new Field(
    "header",
    new Struct([
      new Field(
        "stamp",
        new Struct([new Field("sec", new Int32(), true), new Field("nanosec", new Uint32(), true)]),
        true,
      ),
      new Field("frame_id", new Utf8(), true),
    ]),
    true,
  ),
]);
const GPS = new Schema([
  new Field("timestamp_ns", new Int64(), false),
  new Field(
    "status",
    new Struct([new Field("status", new Int16(), true), new Field("service", new Int32(), true)]),
    true,
  ),
  new Field("fix", new Bool(), true),
  new Field("count", new Uint64(), true),
]);

interface ImuRow {
  ts: number;
  x: number | null;
  sec?: number;
  nanosec?: number;
  frame?: string;
  /** The whole header struct is null. */
  noHeader?: boolean;
}

function imuBatch(rows: ImuRow[]): RecordBatch {
  const table = new Table(IMU, {
    timestamp_ns: makeVector(BigInt64Array.from(rows, (r) => BigInt(r.ts))),
    acceleration: vectorFromArray(rows.map((r) => ({ x: r.x, y: 0 })), IMU.fields[1].type),
    header: vectorFromArray(
      rows.map((r) =>
        r.noHeader ? null : { stamp: { sec: r.sec ?? 0, nanosec: r.nanosec ?? 0 }, frame_id: r.frame ?? "" }
      ),
      IMU.fields[2].type,
    ),
  });
  return table.batches[0];
}

interface GpsRow {
  ts: number;
  service: number;
  fix: boolean;
  count: bigint;
}

function gpsBatch(rows: GpsRow[]): RecordBatch {
  const table = new Table(GPS, {
    timestamp_ns: makeVector(BigInt64Array.from(rows, (r) => BigInt(r.ts))),
    status: vectorFromArray(rows.map((r) => ({ status: 1, service: r.service })), GPS.fields[1].type),
    fix: vectorFromArray(rows.map((r) => r.fix), new Bool()),
    count: makeVector(BigUint64Array.from(rows, (r) => r.count)),
  });
  return table.batches[0];
}

/** [topic (relative), tag, user metadata, batches: each becomes its own chunk] */
type TopicSpec = [string, string, JsonValue, RecordBatch[]];

const DATA: [sequence: string, topics: TopicSpec[]][] = [
  ["test-sequence-datastream", [
    ["/front/imu", "imu", { sensor_id: "imu_front_01" }, [imuBatch([
      { ts: 100, x: 0.005, sec: 1700000000, nanosec: 100, frame: "front" },
      { ts: 200, x: 0.02, sec: 1700000000, nanosec: 259999990, frame: "front" },
      { ts: 300, x: -1.0, sec: 1700000000, nanosec: 300000000, frame: "front" },
    ])]],
    ["/camera/left/imu", "imu", { sensor_id: "imu_cam" }, [imuBatch([
      { ts: 400, x: 0.5, sec: 1700000001, nanosec: 100, frame: "cam" },
      { ts: 600, x: 2.0, sec: 1700000000, nanosec: 5, frame: "cam" },
    ])]],
    ["/gps", "gps", { interface: { type: "UART" } }, [gpsBatch([
      { ts: 100, service: 0, fix: false, count: 2n ** 64n - 1n },
      { ts: 200, service: 2, fix: true, count: 0n },
    ])]],
    ["/empty/imu", "imu", {}, []],
  ]],
  ["test-query-b", [
    // Three chunks with disjoint timestamp ranges, for pruning.
    [
      "/imu",
      "imu",
      {},
      [1000, 2000, 3000].map((base) =>
        imuBatch(
          Array.from({ length: 100 }, (_, i) => ({ ts: base + i * 10, x: -(base + i) / 1000, frame: "b" })),
        )
      ),
    ],
    ["/gps", "gps", { interface: { type: "SPI" } }, [gpsBatch([
      { ts: 100, service: 1, fix: false, count: 2n ** 53n + 1n },
    ])]],
  ]],
  ["test-query-c", [
    ["/imu", "imu", {}, [imuBatch([
      { ts: 5000, x: 0.1, sec: 1, frame: "rear" },
      { ts: 5001, x: null, sec: 2, frame: "rear" },
      { ts: 5002, x: NaN, noHeader: true },
    ])]],
  ]],
];

interface Env extends AsyncDisposable {
  deps: QueryDeps;
  store: FsStore;
  catalog: Catalog;
}

async function freshEnv(makeCatalog: () => Promise<Catalog>): Promise<Env> {
  const stack = new AsyncDisposableStack();
  const log = silentLogger();
  const catalog = stack.use(await makeCatalog());
  const dir = await Deno.makeTempDir({ prefix: "mosaicod-ontology-" });
  stack.defer(() => Deno.remove(dir, { recursive: true }));
  const store = stack.use(await FsStore.open(dir, { log }));
  const scanner = stack.use(new ParquetPool({ size: 2, idleMs: 1000 }));
  const lifecycle: LifecycleDeps = { catalog, store, log, now: () => Date.now() };
  for (const [name, topics] of DATA) {
    const seq = await createSequence(lifecycle, { name, userMetadata: {} });
    for (const [rest, tag, userMetadata, batches] of topics) {
      // A tiny chunk target: every batch becomes a chunk of its own.
      await createTopicWithData(lifecycle, seq, { rest, tag, userMetadata, batches, chunkTargetBytes: 1 });
    }
  }
  return {
    deps: { catalog, store, scanner, scanConcurrency: 3 },
    store,
    catalog,
    [Symbol.asyncDispose]: () => stack.disposeAsync(),
  };
}

function query(deps: QueryDeps, text: string, counters?: ScanCounters): Promise<QueryItem[]> {
  return runQuery(deps, parseJsonExact(text) as JsonObject, counters);
}

const A = "test-sequence-datastream";
function item(sequence: string, ...rests: string[]): QueryItem {
  return { sequence, topics: rests.map((r) => `${sequence}${r}`) };
}

/** [query, expected answer] */
const CASES: [string, QueryItem[]][] = [
  // The 9.7 examples with an ontology section
  [`{"ontology": {"imu.acceleration.x": {"$geq": 0.01}}}`, [
    item(A, "/front/imu", "/camera/left/imu"),
    item("test-query-c", "/imu"),
  ]],
  [
    `{"ontology": {"imu.header.stamp.sec": {"$eq": 1700000000}, "imu.header.stamp.nanosec": {"$geq": 259999990}}}`,
    [item(A, "/front/imu")],
  ],
  [
    `{"ontology": {"imu.acceleration.x": {"$between": [0.0, 1.0]}}, "topic": {"name": {"$match": "camera/left"}}}`,
    [item(A, "/camera/left/imu")],
  ],
  [
    `{"ontology": {"imu.header.stamp.sec": {"$eq": 1700000000}}, "topic": {"user_metadata": {"sensor_id": {"$eq": "imu_front_01"}}}, "sequence": {"name": {"$eq": "test-sequence-datastream"}}}`,
    [item(A, "/front/imu")],
  ],
  [
    `{"ontology": {"gps.status.service": {"$geq": 1}}, "topic": {"user_metadata": {"interface.type": {"$eq": "UART"}}}}`,
    [item(A, "/gps")],
  ],
  [`{"ontology": {"imu.timestamp_ns": {"$between": [100, 500]}}}`, [
    item(A, "/front/imu", "/camera/left/imu"),
  ]],
  // All conditions of a tag hold on the same row: x >= 1.5 and nanosec = 100 are on different rows
  [`{"ontology": {"imu.acceleration.x": {"$geq": 1.5}, "imu.header.stamp.nanosec": {"$eq": 100}}}`, []],
  [`{"ontology": {"imu.acceleration.x": {"$geq": 1.5}, "imu.header.stamp.nanosec": {"$eq": 5}}}`, [
    item(A, "/camera/left/imu"),
  ]],
  // Groups: sequences intersected, topics unioned
  [`{"ontology": {"imu.acceleration.x": {"$geq": 0.01}, "gps.status.service": {"$geq": 1}}}`, [
    item(A, "/front/imu", "/camera/left/imu", "/gps"),
  ]],
  [`{"ontology": {"gps.status.service": {"$geq": 1}, "imu.acceleration.x": {"$lt": -3}}}`, [
    item("test-query-b", "/gps", "/imu"),
  ]],
  [`{"ontology": {"gps.status.service": {"$geq": 1}, "imu.acceleration.x": {"$gt": 100}}}`, []],
  // Operators on every comparable kind
  [`{"ontology": {"imu.acceleration.x": {"$eq": 0.5}}}`, [item(A, "/camera/left/imu")]],
  [`{"ontology": {"imu.acceleration.x": {"$lt": -2.9}}}`, [item("test-query-b", "/imu")]],
  [`{"ontology": {"imu.acceleration.x": {"$leq": -1}}}`, [
    item(A, "/front/imu"),
    item("test-query-b", "/imu"),
  ]],
  [`{"ontology": {"imu.acceleration.x": {"$gt": 0.5}}}`, [item(A, "/camera/left/imu")]],
  [`{"ontology": {"imu.acceleration.x": {"$eq": 2}}}`, [item(A, "/camera/left/imu")]],
  [`{"ontology": {"imu.header.frame_id": {"$eq": "rear"}}}`, [item("test-query-c", "/imu")]],
  [`{"ontology": {"imu.header.frame_id": {"$between": ["a", "c"]}}}`, [item("test-query-b", "/imu")]],
  [`{"ontology": {"imu.header.frame_id": {"$gt": "front"}}}`, [item("test-query-c", "/imu")]],
  [`{"ontology": {"gps.fix": {"$eq": true}}}`, [item(A, "/gps")]],
  [`{"ontology": {"gps.fix": {"$eq": 0}}}`, [item(A, "/gps"), item("test-query-b", "/gps")]],
  // 64-bit integers compare exactly (the float64 statistics admit 2^53, the scan does not)
  [`{"ontology": {"gps.count": {"$eq": 18446744073709551615}}}`, [item(A, "/gps")]],
  [`{"ontology": {"gps.count": {"$eq": 9007199254740993}}}`, [item("test-query-b", "/gps")]],
  [`{"ontology": {"gps.count": {"$eq": 9007199254740992}}}`, []],
  [`{"ontology": {"gps.count": {"$gt": 9007199254740992.5}}}`, [
    item(A, "/gps"),
    item("test-query-b", "/gps"),
  ]],
  // Nulls, NaN and null parent structs never match
  [`{"ontology": {"imu.acceleration.x": {"$between": [0.09, 0.11]}, "imu.timestamp_ns": {"$gt": 5000}}}`, []],
  [`{"ontology": {"imu.header.stamp.sec": {"$eq": 0}}}`, [item("test-query-b", "/imu")]],
  // Wrong kinds, missing columns, struct (non-leaf) paths, tags without data match nothing
  [`{"ontology": {"imu.acceleration.x": {"$eq": "0.5"}}}`, []],
  [`{"ontology": {"imu.header.frame_id": {"$gt": 1}}}`, []],
  [`{"ontology": {"imu.nope": {"$eq": 1}}}`, []],
  [`{"ontology": {"imu.header": {"$eq": 1}}}`, []],
  [`{"ontology": {"lidar.range": {"$gt": 0}}}`, []],
  // Catalog sections restrict; empty ones do not (9.5.1); one that matches nothing empties the answer
  [`{"sequence": {}, "topic": {"user_metadata": {}}, "ontology": {"imu.acceleration.x": {"$gt": 1}}}`, [
    item(A, "/camera/left/imu"),
  ]],
  [`{"sequence": {"name": {"$eq": "nope"}}, "ontology": {"imu.acceleration.x": {"$gt": 1}}}`, []],
  [`{"sequence": {"name": {"$neq": "test-query-c"}}, "ontology": {"imu.acceleration.x": {"$geq": 0.01}}}`, [
    item(A, "/front/imu", "/camera/left/imu"),
  ]],
];

for (
  const [driver, makeCatalog] of [["pglite", freshPgliteCatalog], ["postgres", freshPostgresCatalog]] as const
) {
  Deno.test(`ontology query (${driver}): answers exactly`, async (t) => {
    await using env = await freshEnv(makeCatalog);
    for (const [text, expected] of CASES) {
      await t.step(text, async () => {
        assert.deepEqual(await query(env.deps, text), expected);
      });
    }
  });

  Deno.test(`ontology query (${driver}): statistics rule chunks out before any is read`, async () => {
    await using env = await freshEnv(makeCatalog);
    const selective: ScanCounters = { candidates: 0, scanned: 0 };
    assert.deepEqual(
      await query(env.deps, `{"ontology": {"imu.timestamp_ns": {"$between": [2100, 2200]}}}`, selective),
      [item("test-query-b", "/imu")],
    );
    assert.deepEqual(selective, { candidates: 1, scanned: 1 });
    const none: ScanCounters = { candidates: 0, scanned: 0 };
    assert.deepEqual(await query(env.deps, `{"ontology": {"imu.acceleration.x": {"$gt": 100}}}`, none), []);
    assert.deepEqual(none, { candidates: 0, scanned: 0 });
    // $eq keeps chunks with min <= v <= max (not only min = max = v): all three, the first matches.
    const broad: ScanCounters = { candidates: 0, scanned: 0 };
    assert.deepEqual(
      await query(env.deps, `{"ontology": {"imu.header.frame_id": {"$eq": "b"}}}`, broad),
      [item("test-query-b", "/imu")],
    );
    assert.deepEqual(broad, { candidates: 3, scanned: 1 });
  });
}

Deno.test("ontology query: a corrupt or missing chunk answers DATA_LOSS and the engine keeps working", async () => {
  await using env = await freshEnv(freshPgliteCatalog);
  const [chunk] = await env.catalog.listChunks((await env.catalog.getTopic("test-query-c/imu"))!.id);
  const original = await env.store.get(chunk.key);
  const text = `{"ontology": {"imu.header.frame_id": {"$eq": "rear"}}}`;
  const garbage = original.slice();
  garbage.fill(0x5a, 4, garbage.length - 4); // keeps the magic; footer and pages are noise
  await env.store.put(chunk.key, garbage);
  await assert.rejects(query(env.deps, text), (err) => {
    assert.ok(err instanceof DataLossError, String(err));
    assert.match(err.message, /chunk 0 of topic "test-query-c\/imu"/);
    return true;
  });
  await env.store.delete(chunk.key);
  await assert.rejects(query(env.deps, text), DataLossError);
  await env.store.put(chunk.key, original);
  assert.deepEqual(await query(env.deps, text), [item("test-query-c", "/imu")]);
});

Deno.test("ontology query: bad ontology keys and operators are refused before any work", async () => {
  await using env = await freshEnv(freshPgliteCatalog);
  for (
    const text of [
      `{"ontology": {"imu": {"$eq": 1}}}`,
      `{"ontology": {"imu..x": {"$eq": 1}}}`,
      `{"ontology": {"imu.acceleration.x": {"$neq": 1}}}`,
      `{"ontology": {"imu.acceleration.x": {"$in": [1]}}}`,
      `{"ontology": {"imu.acceleration.x": {"$between": [2, 1]}}}`,
      `{"ontology": {"imu.acceleration.x": {"$between": [1, "a"]}}}`,
      `{"ontology": {"imu.acceleration.x": {"$eq": null}}}`,
      `{"ontology": {"imu.acceleration.x": "$ex"}}`,
      `{"ontology": []}`,
    ]
  ) {
    await assert.rejects(query(env.deps, text), InvalidArgumentError, text);
  }
});
