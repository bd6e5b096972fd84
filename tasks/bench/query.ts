/**
 * The query section of `deno task bench`: a catalog of 1,000 sequences × 10 topics (100 × 10 with
 * `--quick`) with varied metadata, and 100 chunks of `imu` data (20,000 rows each) over 20 topics; each query kind runs
 * repeatedly through the real query engine (`runQuery`: parser, catalog SQL, statistics pruning and scan
 * workers) on the embedded catalog and a local store, in this process (no Flight hop: that adds a
 * constant ~1 ms and is measured by the put/get sections). Reports p50/p95 latency per query and, for
 * data filters, the share of the chunks that were actually read.
 *
 * @module
 */
import {
  Field,
  Float64,
  Int64,
  makeVector,
  RecordBatch,
  Schema,
  Struct,
  Table,
  vectorFromArray,
} from "apache-arrow";
import { ParquetPool } from "../../src/arrow/parquet_pool.ts";
import { Catalog } from "../../src/catalog/catalog.ts";
import { createSequence, type LifecycleDeps } from "../../src/lifecycle/mod.ts";
import { silentLogger } from "../../src/log.ts";
import type { ScanCounters } from "../../src/query/ontology.ts";
import { type QueryDeps, runQuery } from "../../src/query/run.ts";
import type { JsonObject } from "../../src/query/types.ts";
import { FsStore } from "../../src/store/fs_store.ts";
import { createTopicWithData } from "../../tests/_topics.ts";
import { topicIn, zeroOneSequence } from "../../tests/_catalog_fixtures.ts";

const TAGS = ["imu", "gps", "camera", "lidar", "odom", "imu", "joint", "battery", "radar", "imu"];
const DATA_TOPICS = 20;
const CHUNKS_PER_TOPIC = 5;
const ROWS_PER_CHUNK = 20_000;
/** Just under one batch of Arrow data (3 × 8 bytes a row): every batch becomes one chunk. */
const CHUNK_BYTES = ROWS_PER_CHUNK * 24 * 0.9;

const IMU = new Schema([
  new Field("timestamp_ns", new Int64(), false),
  new Field(
    "acceleration",
    new Struct([new Field("x", new Float64(), true), new Field("y", new Float64(), true)]),
    true,
  ),
]);

/** Chunk `c` (0..99) holds acceleration.x in [c, c+1) and timestamps c·10⁹ + row. */
function imuChunk(c: number): RecordBatch {
  const xs = Array.from({ length: ROWS_PER_CHUNK }, (_, i) => ({ x: c + i / ROWS_PER_CHUNK, y: -c }));
  return new Table(IMU, {
    timestamp_ns: makeVector(
      BigInt64Array.from({ length: ROWS_PER_CHUNK }, (_, i) => BigInt(c) * 10n ** 9n + BigInt(i)),
    ),
    acceleration: vectorFromArray(xs, IMU.fields[1].type),
  }).batches[0];
}

const seqName = (n: number) => `bench-${String(n).padStart(4, "0")}`;

async function populate(catalog: Catalog, store: FsStore, sequences: number, log: (s: string) => void) {
  const quiet = silentLogger();
  const lifecycle: LifecycleDeps = { catalog, store, log: quiet, now: () => Date.now() };
  let chunk = 0;
  const started = performance.now();
  for (let n = 0; n < sequences; n++) {
    const meta = {
      robot: `r${n % 10}`,
      site: ["lab", "field", "road"][n % 3],
      run: n,
      weather: { rain: n % 7 === 0 },
    };
    const topicMeta = (k: number) => ({
      sensor_id: `s${n}_${k}`,
      rate: k * 10,
      vendor: ["acme", "orbit"][k % 2],
    });
    // Sequences that carry data go through the lifecycle (manifests in the store); the rest straight
    // into the catalog, which is all a metadata query reads.
    if (n < DATA_TOPICS) {
      const seq = await createSequence(lifecycle, { name: seqName(n), userMetadata: meta });
      for (let k = 0; k < TAGS.length; k++) {
        const batches = k === 0 ? Array.from({ length: CHUNKS_PER_TOPIC }, () => imuChunk(chunk++)) : [];
        await createTopicWithData(lifecycle, seq, {
          rest: `/sensor_${k}`,
          tag: TAGS[k],
          userMetadata: topicMeta(k),
          batches,
          chunkTargetBytes: CHUNK_BYTES,
        });
      }
    } else {
      const seq = await zeroOneSequence(catalog, seqName(n), {
        userMetadata: meta,
        createdNs: BigInt(1_765_000_000_000 + n) * 1_000_000n,
      });
      for (let k = 0; k < TAGS.length; k++) {
        await topicIn(catalog, seq, `sensor_${k}`, {
          ontologyTag: TAGS[k],
          userMetadata: topicMeta(k),
          createdNs: BigInt(1_765_000_000_000 + n) * 1_000_000n,
        });
      }
    }
    if ((n + 1) % 250 === 0) log(`  query: ${n + 1}/${sequences} sequences created`);
  }
  log(
    `  query: catalog of ${sequences * TAGS.length} topics, ${chunk} chunks in ${
      fmtMs(performance.now() - started)
    }`,
  );
  return chunk;
}

function fmtMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(1)} ms`;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

/** Runs the query section; returns flat figures (`<kind>.p50_ms`, `<kind>.chunks_read_pct`, …). */
export async function benchQuery(
  opts: { quick: boolean; log: (s: string) => void },
): Promise<Record<string, number>> {
  const sequences = opts.quick ? 100 : 1_000;
  const iterations = opts.quick ? 20 : 50;
  const dir = await Deno.makeTempDir({ prefix: "mosaicod-bench-query-" });
  const quiet = silentLogger();
  try {
    await using catalog = await Catalog.open({ kind: "pglite", dir: `${dir}/catalog` }, { log: quiet });
    await using store = await FsStore.open(`${dir}/store`, { log: quiet });
    const workers = Math.min(4, navigator.hardwareConcurrency || 1);
    await using scanner = new ParquetPool({ size: workers });
    const deps: QueryDeps = { catalog, store, scanner, scanConcurrency: workers + 1 };
    const chunks = await populate(catalog, store, sequences, opts.log);
    const last = seqName(sequences - 1);
    const queries: [string, object][] = [
      ["meta.sequence_name", { sequence: { name: { $eq: seqName(Math.floor(sequences / 2)) } } }],
      ["meta.sequence_metadata", {
        sequence: { user_metadata: { robot: { $eq: "r3" }, run: { $gt: Math.floor(sequences * 0.9) } } },
      }],
      ["meta.topic_tag_metadata", {
        topic: {
          ontology_tag: { $eq: "gps" },
          user_metadata: { rate: { $geq: 10 }, vendor: { $eq: "orbit" } },
        },
        sequence: { name: { $match: "bench-00" } },
      }],
      ["meta.topic_name_match_all", { topic: { name: { $match: "sensor_3" } } }],
      ["meta.sequence_in", { sequence: { name: { $in: [seqName(1), seqName(7), last] } } }],
      ["data.selective_value", { ontology: { "imu.acceleration.x": { $between: [42.2, 42.3] } } }],
      ["data.selective_time", {
        ontology: { "imu.timestamp_ns": { $between: [77n * 10n ** 9n, 77n * 10n ** 9n + 10n] } },
      }],
      ["data.same_row_two_fields", {
        ontology: { "imu.acceleration.x": { $geq: 13.5 }, "imu.acceleration.y": { $eq: -13 } },
      }],
      ["data.broad_first_chunk_hits", { ontology: { "imu.acceleration.x": { $geq: 0 } } }],
      ["data.no_match", { ontology: { "imu.acceleration.x": { $lt: -1 } } }],
      ["data.with_sequence_filter", {
        ontology: { "imu.acceleration.x": { $gt: 50 } },
        sequence: { user_metadata: { site: { $eq: "field" } } },
      }],
    ];
    const out: Record<string, number> = {
      "catalog.topics": sequences * TAGS.length,
      "catalog.chunks": chunks,
    };
    opts.log(
      `  ${"query".padEnd(30)} ${"p50".padStart(9)} ${"p95".padStart(9)} ${"items".padStart(6)} chunks read`,
    );
    for (const [name, body] of queries) {
      const json = JSON.parse(
        JSON.stringify(body, (_k, v) => typeof v === "bigint" ? Number(v) : v),
      ) as JsonObject;
      const times: number[] = [];
      let counters: ScanCounters = { candidates: 0, scanned: 0 };
      let items = 0;
      for (let i = 0; i < iterations + 2; i++) {
        counters = { candidates: 0, scanned: 0 };
        const t0 = performance.now();
        const answer = await runQuery(deps, json, { counters });
        const ms = performance.now() - t0;
        if (i >= 2) times.push(ms); // two warm-up runs (worker start, plan caches)
        items = answer.items.length;
      }
      times.sort((a, b) => a - b);
      const p50 = percentile(times, 0.5), p95 = percentile(times, 0.95);
      out[`${name}.p50_ms`] = round(p50);
      out[`${name}.p95_ms`] = round(p95);
      out[`${name}.items`] = items;
      let read = "";
      if (name.startsWith("data.")) {
        const pct = 100 * counters.scanned / chunks;
        out[`${name}.chunks_read_pct`] = round(pct);
        read = `${counters.scanned}/${chunks} (${pct.toFixed(0)}%; ${counters.candidates} after statistics)`;
      }
      opts.log(
        `  ${name.padEnd(30)} ${fmtMs(p50).padStart(9)} ${fmtMs(p95).padStart(9)} ${
          String(items).padStart(6)
        } ${read}`,
      );
    }
    return out;
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

if (import.meta.main) {
  const quick = Deno.args.includes("--quick");
  console.log(JSON.stringify(await benchQuery({ quick, log: (s) => console.error(s) })));
}
