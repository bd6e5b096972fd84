/**
 * The data the ontology query tests run on (tests/ontology_query_test.ts, ontology_query_2026_test.ts):
 * `imu` and `gps` topics uploaded through the lifecycle and ingest code into a real store, several
 * chunks per topic where pruning and time ranges need them, and helpers to run queries.
 *
 * @module
 */
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
import { createSequence, type LifecycleDeps } from "../src/lifecycle/mod.ts";
import { silentLogger } from "../src/log.ts";
import { parseJsonExact } from "../src/model/json.ts";
import type { JsonValue } from "../src/model/types.ts";
import type { ScanCounters } from "../src/query/ontology.ts";
import { type QueryDeps, runQuery } from "../src/query/run.ts";
import type { JsonObject, QueryResult } from "../src/query/types.ts";
import { FsStore } from "../src/store/fs_store.ts";
import { createTopicWithData } from "./_topics.ts";

// Data: an `imu` and a `gps` type, as the SDK's ontology models lay them out (struct children).

const f64 = new Float64();
/** An `imu` row: timestamp, acceleration {x, y}, header {stamp {sec, nanosec}, frame_id}. */
export const IMU = new Schema([
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
/** A `gps` row: timestamp, status {status, service}, fix, a uint64 count. */
export const GPS = new Schema([
  new Field("timestamp_ns", new Int64(), false),
  new Field(
    "status",
    new Struct([new Field("status", new Int16(), true), new Field("service", new Int32(), true)]),
    true,
  ),
  new Field("fix", new Bool(), true),
  new Field("count", new Uint64(), true),
]);

export interface ImuRow {
  ts: number | bigint;
  x: number | null;
  sec?: number;
  nanosec?: number;
  frame?: string;
  /** The whole header struct is null. */
  noHeader?: boolean;
}

/** One IMU record batch from plain rows. */
export function imuBatch(rows: ImuRow[]): RecordBatch {
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

export interface GpsRow {
  ts: number | bigint;
  service: number;
  fix: boolean;
  count: bigint;
}

/** One GPS record batch from plain rows. */
export function gpsBatch(rows: GpsRow[]): RecordBatch {
  const table = new Table(GPS, {
    timestamp_ns: makeVector(BigInt64Array.from(rows, (r) => BigInt(r.ts))),
    status: vectorFromArray(rows.map((r) => ({ status: 1, service: r.service })), GPS.fields[1].type),
    fix: vectorFromArray(rows.map((r) => r.fix), new Bool()),
    count: makeVector(BigUint64Array.from(rows, (r) => r.count)),
  });
  return table.batches[0];
}

/** [topic (relative), tag, user metadata, batches: each becomes its own chunk] */
export type TopicSpec = [string, string, JsonValue, RecordBatch[]];

/** The sequences every ontology test starts from (sequence name, its topics). */
export const DATA: [sequence: string, topics: TopicSpec[]][] = [
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

export interface Env extends AsyncDisposable {
  deps: QueryDeps;
  store: FsStore;
  catalog: Catalog;
}

/** A fresh catalog (of the given driver) and store holding `data`, with a scan pool. */
export async function freshEnv(makeCatalog: () => Promise<Catalog>, data = DATA): Promise<Env> {
  const stack = new AsyncDisposableStack();
  const log = silentLogger();
  const catalog = stack.use(await makeCatalog());
  const dir = await Deno.makeTempDir({ prefix: "mosaicod-ontology-" });
  stack.defer(() => Deno.remove(dir, { recursive: true }));
  const store = stack.use(await FsStore.open(dir, { log }));
  const scanner = stack.use(new ParquetPool({ size: 2, idleMs: 1000 }));
  const lifecycle: LifecycleDeps = { catalog, store, log, now: () => Date.now() };
  for (const [name, topics] of data) {
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

/** An answer reduced to topic names: what the 0.1.0 answer shows. */
export interface NamedItem {
  sequence: string;
  topics: string[];
}

/** Runs one query (JSON text). */
export function run(deps: QueryDeps, text: string, counters?: ScanCounters): Promise<QueryResult> {
  return runQuery(deps, parseJsonExact(text) as JsonObject, { counters });
}

/** Runs one query (JSON text); its answer reduced to topic names. */
export async function query(deps: QueryDeps, text: string, counters?: ScanCounters): Promise<NamedItem[]> {
  const { items } = await run(deps, text, counters);
  return items.map((i) => ({ sequence: i.sequence, topics: i.topics.map((t) => t.name) }));
}

export const A = "test-sequence-datastream";
/** The listed topics of one sequence, as an expected answer item. */
export function item(sequence: string, ...rests: string[]): NamedItem {
  return { sequence, topics: rests.map((r) => `${sequence}${r}`) };
}
