/**
 * Memory and throughput of the write path, end to end: `ingestTopic()` into an FsStore with an
 * embedded PGlite catalog, as the daemon runs by default. Not part of the test suite.
 *
 *   deno run -A tests/ingest_memory_bench.ts [--gib 4] [--chunk-mib 64] [--row-group-mib 2]
 *     [--format default|ragged|image] [--catalog pglite|postgres]
 *
 * The catalog is a PGlite data directory created by a child process first, so that the measured
 * process opens an existing catalog as a restarted daemon does (initdb alone peaks far higher).
 * Batches of 65,536 rows: int64 timestamp_ns, eight float64 columns and a struct {int32, float64}
 * (~86 bytes a row, ~5.6 MB a batch). Prints the process's peak RSS (sampled, and the kernel's VmHWM)
 * and the Arrow MB/s ingested.
 *
 * @module
 */
import { type Data, Field, Float64, Int32, Int64, makeData, RecordBatch, Schema, Struct } from "apache-arrow";
import { parseArgs } from "node:util";
import { loadParquetWasm } from "../src/arrow/_parquet_wasm.ts";
import { ingestTopic, openUpload } from "../src/ingest/mod.ts";
import { silentLogger } from "../src/log.ts";
import type { SerializationFormat } from "../src/model/types.ts";
import { FsStore } from "../src/store/fs_store.ts";
import { Catalog } from "../src/catalog/catalog.ts";
import { freshPostgresCatalog } from "./_postgres.ts";
import { topicIn, zeroOneSequence } from "./_catalog_fixtures.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    gib: { type: "string", default: "4" },
    "row-group-mib": { type: "string", default: "2" },
    "init-pglite": { type: "string" },
    catalog: { type: "string", default: "pglite" },
    "chunk-mib": { type: "string", default: "64" },
    format: { type: "string", default: "default" },
  },
});
const MiB = 1024 * 1024;
const ROWS = 65_536;
const totalBytes = Number(values.gib) * 1024 * MiB;

const structType = new Struct([
  new Field("seq", new Int32(), true),
  new Field("quality", new Float64(), true),
]);
const fields = [
  new Field("timestamp_ns", new Int64(), false),
  ...Array.from({ length: 8 }, (_, i) => new Field(`f${i}`, new Float64(), false)),
  new Field("status", structType, true),
];
const schema = new Schema(fields);

// A pool of random columns, copied into every batch: cheaper than drawing numbers, and each batch
// still owns fresh buffers, as batches decoded from the network do.
let seed = 0x2545f491;
function randomColumn(): Float64Array {
  const v = new Float64Array(ROWS);
  for (let i = 0; i < ROWS; i++) {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    v[i] = (seed >>> 0) / 2 ** 32 * 100 - 50;
  }
  return v;
}
const pool = Array.from({ length: 40 }, randomColumn);
const seqs = Int32Array.from({ length: ROWS }, (_, i) => i);

function batch(n: number): RecordBatch {
  const ts = new BigInt64Array(ROWS);
  const base = BigInt(n * ROWS) * 1_000_000n;
  for (let i = 0; i < ROWS; i++) ts[i] = base + BigInt(i) * 1_000_000n;
  const children: Data[] = [makeData({ type: new Int64(), length: ROWS, data: ts })];
  for (let c = 0; c < 8; c++) {
    children.push(
      makeData({ type: new Float64(), length: ROWS, data: pool[(n * 8 + c) % pool.length].slice() }),
    );
  }
  children.push(makeData({
    type: structType,
    length: ROWS,
    nullCount: 0,
    children: [
      makeData({ type: new Int32(), length: ROWS, data: seqs }),
      makeData({ type: new Float64(), length: ROWS, data: pool[(n * 3) % pool.length].slice() }),
    ],
  }));
  return new RecordBatch(
    schema,
    makeData({ type: new Struct(fields), length: ROWS, nullCount: 0, children }),
  );
}

const batchBytes = batch(0).data.byteLength;
const batchCount = Math.ceil(totalBytes / batchBytes);

async function* generate(): AsyncGenerator<RecordBatch> {
  for (let n = 0; n < batchCount; n++) yield batch(n);
}

function vmHwmMiB(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(Deno.readTextFileSync("/proc/self/status"));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}
const rssMiB = () => Math.round(Deno.memoryUsage().rss / MiB);

const log = silentLogger();
if (values["init-pglite"]) {
  const catalog = await Catalog.open({ kind: "pglite", dir: values["init-pglite"] }, { log });
  await catalog.close();
} else {
  await measure();
}

/** PGlite as a restarted daemon opens it, or a schema on the test PostgreSQL cluster (a separate process). */
async function openCatalog(pgDir: string): Promise<Catalog> {
  if (values.catalog === "postgres") return await freshPostgresCatalog();
  const init = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", import.meta.filename!, "--init-pglite", pgDir],
  }).output();
  if (!init.success) {
    throw new Error(`Cannot create the PGlite catalog: ${new TextDecoder().decode(init.stderr)}`);
  }
  return await Catalog.open({ kind: "pglite", dir: pgDir }, { log });
}

async function measure(): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "mosaicod-ingest-bench-" });
  try {
    await using catalog = await openCatalog(`${dir}/catalog`);
    await using store = await FsStore.open(`${dir}/store`, { log });
    await loadParquetWasm();
    const seq = await zeroOneSequence(catalog, "bench", { createdNs: 0n });
    const topic = await topicIn(catalog, seq, "imu", {
      serializationFormat: values.format as SerializationFormat,
      createdNs: 0n,
    });
    const deps = {
      catalog,
      store,
      log,
      chunkTargetBytes: Number(values["chunk-mib"]) * MiB,
      rowGroupBytes: Number(values["row-group-mib"]) * MiB,
    };
    const before = { rss: rssMiB(), hwm: vmHwmMiB() };
    let peak = before.rss;
    const trace = Deno.env.get("BENCH_TRACE") === "1";
    let ticks = 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssMiB());
      if (trace && ++ticks % 20 === 0) {
        const m = Deno.memoryUsage();
        console.error([m.rss, m.heapTotal, m.heapUsed, m.external].map((x) => Math.round(x / MiB)).join(" "));
      }
    }, 50);
    const started = performance.now();
    const upload = await openUpload(deps, { topicName: topic.name, key: topic.uuid });
    const result = await ingestTopic(deps, upload, { schema, batches: generate() });
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    const pq = await loadParquetWasm();
    console.log(JSON.stringify({
      arrowGiB: +(batchCount * batchBytes / 1024 / MiB).toFixed(2),
      batches: batchCount,
      chunkMiB: Number(values["chunk-mib"]),
      rowGroupMiB: Number(values["row-group-mib"]),
      format: values.format,
      catalog: values.catalog,
      ...result,
      parquetGiB: +(result.bytes / 1024 / MiB).toFixed(2),
      seconds: +seconds.toFixed(1),
      arrowMBps: Math.round(batchCount * batchBytes / MiB / seconds),
      rssBeforeMiB: before.rss,
      peakRssSampledMiB: peak,
      vmHwmBeforeMiB: before.hwm,
      vmHwmMiB: vmHwmMiB(),
      wasmMemoryMiB: Math.round(pq.wasmMemory().buffer.byteLength / MiB),
      v8HeapMiB: Math.round(Deno.memoryUsage().heapTotal / MiB),
    }));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
