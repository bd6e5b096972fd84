/**
 * `deno task bench`'s comparisons (tasks/bench/): the same-work Arrow C++ server writes the Parquet chunks
 * the daemon writes (same chunking, row groups, codec, encodings, statistics, indexes) and reads them
 * back; the memory section measures a real daemon; the report shows both ratios and reads old results.
 * Small data throughout: the benchmark itself is never run here.
 *
 * @module
 */
import assert from "node:assert/strict";
import { checkRead, checkUpload, runClient } from "../tasks/bench/_client.ts";
import {
  type BenchResults,
  flattenMetrics,
  formatComparison,
  formatMemory,
  formatPhases,
  type PhaseRow,
  phaseRow,
} from "../tasks/bench/_report.ts";
import { DAEMON_CHUNKING, startSameWork } from "../tasks/bench/_servers.ts";
import { benchMemory, IDLE_TARGET_MIB, TRANSFER_TARGET_MIB } from "../tasks/bench/memory.ts";
import { startDaemon } from "./_daemon.ts";
import { buildNative } from "../tasks/build_native.ts";
import { freshDatabase } from "./_postgres.ts";

const MiB = 1024 ** 2;

/** What pyarrow sees of each Parquet file under `dir`, in chunk order; `created_by` left out. */
async function describeParquet(dir: string): Promise<unknown[]> {
  const script = `
import json, pathlib, sys
import pyarrow.parquet as pq
out = []
for path in sorted(pathlib.Path(sys.argv[1]).rglob("*.parquet"), key=lambda p: p.name):
    m = pq.ParquetFile(path).metadata
    columns = []
    for i in range(m.num_columns):
        c = m.row_group(0).column(i)
        columns.append([c.path_in_schema, c.compression, sorted(c.encodings), c.is_stats_set,
                        c.has_dictionary_page, c.has_column_index, c.has_offset_index])
    out.append({"format": m.format_version, "rows": m.num_rows,
                "row_groups": [m.row_group(i).num_rows for i in range(m.num_row_groups)],
                "columns": columns, "metadata": sorted(k.decode() for k in (m.metadata or {})),
                "schema": str(m.schema.to_arrow_schema())})
print(json.dumps(out))
`;
  const out = await new Deno.Command("python3", { args: ["-c", script, dir], stdout: "piped" }).output();
  assert.ok(out.success, `describing the Parquet files under ${dir} failed`);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

Deno.test("bench same-work baseline writes the daemon's Parquet chunks and reads them back", async () => {
  // 4 MiB chunks and 16 MiB of ~6.4 MB batches: three chunks of one batch, each in two row groups.
  const chunking = { ...DAEMON_CHUNKING, chunkBytes: 4 * MiB };
  await using db = await freshDatabase();
  await using daemon = await startDaemon({
    args: [
      "--database-url",
      db.url,
      "--workers",
      "1",
      "--chunk-bytes",
      String(chunking.chunkBytes),
      "--parquet-codec",
      "wasm",
    ],
  });
  // The native Parquet codec must write the same files (its own embedded catalog and store).
  await buildNative({ quiet: true });
  await using native = await startDaemon({
    args: ["--workers", "1", "--chunk-bytes", String(chunking.chunkBytes), "--parquet-codec", "native"],
  });
  await using sameWork = await startSameWork(chunking);
  for (const url of [daemon.url, native.url, sameWork.url]) {
    const sent = await runClient(["put", url, "bench_same_work", String(16 * MiB), "1"]);
    assert.equal(checkUpload(sent), "ok");
    assert.equal(checkRead(await runClient(["get", url, "bench_same_work"]), sent), "ok");
  }
  const [ours, theirs] = [await describeParquet(daemon.cwd), await describeParquet(sameWork.dir)];
  assert.equal(ours.length, 3);
  assert.deepEqual(theirs, ours);
  assert.deepEqual(await describeParquet(native.cwd), ours);
});

Deno.test("bench memory section measures idle, upload and read-back memory of a daemon", async () => {
  await using db = await freshDatabase();
  const memory = await benchMemory({
    bytes: 8 * MiB,
    databaseUrl: db.url,
    workers: 1,
    settleMs: 100,
    log: () => {},
  });
  assert.deepEqual(memory.rows.map((m) => [m.phase, m.targetMib, m.check]), [
    ["idle-first-start", IDLE_TARGET_MIB, "ok"],
    ["idle-restart", IDLE_TARGET_MIB, "ok"],
    ["put", TRANSFER_TARGET_MIB, "ok"],
    ["get", TRANSFER_TARGET_MIB, "ok"],
  ]);
  for (const m of memory.rows) {
    // VmHWM can trail a sampled VmRSS slightly: the kernel updates the high-water mark lazily.
    assert.ok(m.rssMib > 10 && m.hwmMib > 10, `${m.phase}: RSS ${m.rssMib}, VmHWM ${m.hwmMib}`);
    assert.equal(m.met, m.rssMib <= m.targetMib);
    assert.equal(m.mbPerS === null, m.phase.startsWith("idle"));
  }
  assert.match(formatMemory(memory), /^idle-first-start\s+\d+\s+\d+\s+256\s+(yes|NO)\s+ok$/m);
});

const cost = { cpuSeconds: 1, peakRssBytes: 100 * MiB, hwmBytes: 120 * MiB };
const totals = (mbPerS: number) => ({ bytes: mbPerS * 1e6, rows: 1, seconds: 1 });

Deno.test("bench report gives each row its ratios to both baselines and compares with old results", () => {
  const rows: PhaseRow[] = [];
  const add = (server: PhaseRow["server"], mbPerS: number) =>
    rows.push(phaseRow({ section: "put", server, streams: 1 }, {
      result: totals(mbPerS),
      cost,
      base: rows.find((r) => r.server === "baseline"),
      sameWork: rows.find((r) => r.server === "same-work"),
      check: "ok",
    }));
  add("baseline", 400);
  add("same-work", 200);
  add("mosaicod", 100);
  assert.deepEqual(rows.map((r) => [r.ratio, r.ratioSameWork]), [[null, null], [0.5, null], [0.25, 0.5]]);
  assert.match(formatPhases(rows), /^put\s+mosaicod\s+1\s+100\s+0\.25\s+0\.50\s/m);

  // A results file from before the same-work baseline and the memory section: no ratioSameWork, no memory.
  const old: BenchResults = {
    date: "2026-12-01",
    machine: {},
    options: { bytes: 1 },
    phases: [{ ...rows[2], ratioSameWork: undefined }],
    query: null,
    notes: [],
    errors: [],
  };
  const now: BenchResults = {
    ...old,
    date: "2026-12-07",
    phases: rows,
    memory: {
      bytes: 1,
      settleMs: 1,
      rows: [{ phase: "put", rssMib: 300, hwmMib: 310, targetMib: 512, met: true, mbPerS: 1, check: "ok" }],
    },
  };
  assert.equal(flattenMetrics(now).get("memory.put.rssMib"), 300);
  assert.equal(flattenMetrics(now).get("put.mosaicod.ratioSameWork"), 0.5);
  assert.equal(flattenMetrics(old).has("put.mosaicod.ratioSameWork"), false);
  const table = formatComparison(old, now);
  assert.match(table, /^put\.mosaicod\.ratioSameWork\s+-\s+0\.5\s+-$/m);
  assert.match(table, /^put\.mosaicod\.mbPerS\s+100\s+100\s+1\.00$/m);
});
