/**
 * `deno task bench`: Flight throughput of mosaicod next to two Arrow C++ Flight servers (pyarrow), one
 * keeping uploads in memory (issue #5) and one doing mosaicod's work, Parquet chunks on disk written and
 * read back with mosaicod's settings (issue #17), driven by the same pyarrow client with the same data in
 * the same run. A benchmark, not a test: nothing here runs under `deno task test`.
 *
 * Sections (`--sections`, all by default):
 * - `put`: one DoPut stream of `--bytes` into one topic, then `sequence_finalize`; committed rows checked.
 * - `get`: GetFlightInfo of that sequence and DoGet of every endpoint; rows, order and checksums checked
 *   against what `put` sent (so `get` implies `put`).
 * - `striped`: the `get` read as four stripes fetched in parallel (the striped-read extension; mosaicod
 *   only, compared with the baseline's single-stream `get`); implies `put`.
 * - `sdk`: the SDK's shape, four topics uploaded at once, each on its own connection, `--bytes` in all.
 * - `query`: `benchQuery()` of tasks/bench/query.ts, when that file exists.
 * - `transport`: the Flight transport alone (tasks/bench/transport.ts): a DoPut the server reads and drops,
 *   and a DoGet of pre-encoded messages, against the baseline and mosaicod's grpc-js and native transports
 *   serving fake-work handlers (no catalog, no store).
 * - `workers`: raw bytes on K = 2 and 4 connections spread across `--workers` threads (2 by default) by
 *   SO_REUSEPORT, by one acceptor relaying the bytes, or by one acceptor handing the sockets over
 *   (tasks/bench/workers.ts); 256 MiB per connection with `--quick`, 1 GiB otherwise, or `--bytes`.
 * - `memory`: the daemon's resident memory idle after a first start and after a restart, and while one
 *   client uploads and reads back 512 MiB (`--quick`), 4 GiB, or `--bytes` (tasks/bench/memory.ts).
 * - `toolkit`: `mosaicod import` of a ROS 2 MCAP of `--bytes` and `mosaicod export` of it (Parquet, MCAP),
 *   each next to the pyarrow client's DoPut and DoGet of `--bytes`, on one daemon (tasks/bench/toolkit.ts).
 *
 * Each transfer phase runs against the in-memory baseline, the same-work baseline, then the daemon, which
 * runs as a child process with exactly the `start` task's permissions in a fresh temporary directory. The
 * servers' CPU time and resident memory are read from /proc through `cat` (tasks/bench/_proc.ts).
 *
 * @module
 */
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import { buildNative } from "./build_native.ts";
import { resolveParquetCodec } from "../src/arrow/parquet.ts";
import { parseParquetCodec } from "../src/config.ts";
import { checkRead, checkUpload, CLIENT, type ClientResult, runClient } from "./bench/_client.ts";
import { capture, measure } from "./bench/_proc.ts";
import {
  type BenchResults,
  formatComparison,
  formatMemory,
  formatPhases,
  type PhaseRow,
  phaseRow,
} from "./bench/_report.ts";
import { startBaseline, startMosaicod, startSameWork } from "./bench/_servers.ts";
import { benchMemory } from "./bench/memory.ts";
import { benchToolkit } from "./bench/toolkit.ts";
import { benchTransport } from "./bench/transport.ts";
import { benchWorkers } from "./bench/workers.ts";

const HELP = `Usage: deno task bench [options]
       deno task bench --compare A.json B.json

  --quick               128 MiB per transfer phase instead of 1 GiB (for development); memory: 512 MiB
                        instead of 4 GiB
  --bytes N             bytes per transfer phase and of the memory section, e.g. 268435456, 512MiB, 2GiB
                        (overrides --quick)
  --sections LIST       any of put,get,striped,sdk,query,transport,workers,memory,toolkit (default: all;
                        get and striped imply put)
  --database-url URL    run the daemon on this PostgreSQL catalog instead of the embedded one
  --parquet-codec C     auto (default), wasm or native: the daemons' and toolkit commands' Parquet codec
                        (native is built first; auto runs it where it builds and loads, else wasm; the
                        results record the one that ran; MOSAICOD_PARQUET_CODEC also sets it)
  --workers N           the daemon's Flight worker threads (its default: 1 embedded, one per core PostgreSQL);
                        the workers section's threads (default 2)
  --out FILE            results file (default: bench-results/<date>.json)
  --compare A B         print a before/after table of two results files; runs nothing`;

const MiB = 1024 ** 2;
const QUERY_MODULE = new URL("./bench/query.ts", import.meta.url);
const SECTIONS = [
  "put",
  "get",
  "striped",
  "sdk",
  "query",
  "transport",
  "workers",
  "memory",
  "toolkit",
] as const;
const STRIPES = 4;
const SDK_STREAMS = 4;

type Section = typeof SECTIONS[number];
type TransferSection = Exclude<Section, "query" | "transport" | "workers" | "memory" | "toolkit">;

interface Options {
  quick: boolean;
  bytes: number;
  /** Bytes per connection of the workers section. */
  connectionBytes: number;
  /** Bytes uploaded and read back by the memory section. */
  memoryBytes: number;
  sections: Section[];
  databaseUrl?: string;
  workers?: number;
  out: string;
}

interface QueryModule {
  benchQuery(opts: { quick: boolean; log: (s: string) => void }): Promise<Record<string, number>>;
}

const log = (s: string) => console.error(`bench: ${s}`);

function parseBytes(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]i?b?)?$/i.exec(text.trim());
  const bytes = m ? Math.round(Number(m[1]) * 1024 ** " kmg".indexOf((m[2]?.[0] ?? " ").toLowerCase())) : 0;
  if (bytes <= 0) throw new Error(`Cannot read --bytes "${text}": expected e.g. 268435456, 512MiB or 2GiB`);
  return bytes;
}

function parseSections(text: string): Section[] {
  const names = text.split(",").map((s) => s.trim()).filter(Boolean);
  if (!names.length) throw new Error(`Cannot run no section: expected some of ${SECTIONS.join(",")}`);
  for (const name of names) {
    if (!(SECTIONS as readonly string[]).includes(name)) {
      throw new Error(`Cannot run section "${name}": expected some of ${SECTIONS.join(",")}`);
    }
  }
  return names as Section[];
}

/** Runs the transfer sections against every server, the two baselines first in each section. */
async function runTransfers(sections: TransferSection[], opts: Options): Promise<PhaseRow[]> {
  await using baseline = await startBaseline();
  await using sameWork = await startSameWork();
  await using daemon = await startMosaicod(opts.databaseUrl, opts.workers);
  const runId = Date.now().toString(36);
  const uploads = new Map<string, ClientResult>(); // put results by server, for the get check
  const rows: PhaseRow[] = [];
  for (const section of sections) {
    const streams = section === "sdk" ? SDK_STREAMS : section === "striped" ? STRIPES : 1;
    const sequence = `bench_${runId}_${section === "sdk" ? "sdk" : "put"}`;
    const reads = section === "get" || section === "striped";
    // The baselines have no stripes: the striped read is compared with their single-stream get.
    for (const server of section === "striped" ? [daemon] : [baseline, sameWork, daemon]) {
      log(`${section} ${server.name} (${streams} stream${streams > 1 ? "s" : ""})`);
      const args = section === "get"
        ? ["get", server.url, sequence]
        : section === "striped"
        ? ["get", server.url, sequence, String(STRIPES)]
        : ["put", server.url, sequence, String(opts.bytes), String(streams)];
      const { result, cost } = await measure(server.pid, () => runClient(args));
      if (section === "put") uploads.set(server.name, result);
      const baseSection = section === "striped" ? "get" : section;
      const baseRow = (name: PhaseRow["server"]) =>
        server.name === name ? undefined : rows.find((r) => r.section === baseSection && r.server === name);
      rows.push(phaseRow({ section, server: server.name, streams }, {
        result,
        cost,
        base: baseRow("baseline"),
        sameWork: baseRow("same-work"),
        check: reads ? checkRead(result, uploads.get(server.name)) : checkUpload(result),
      }));
    }
  }
  return rows;
}

async function runQuery(quick: boolean, results: Pick<BenchResults, "notes" | "errors">) {
  try {
    await Deno.stat(QUERY_MODULE);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
    results.notes.push("query: skipped, tasks/bench/query.ts does not exist yet");
    return null;
  }
  try {
    // A computed specifier, so that type checking does not require the file to exist.
    const mod: QueryModule = await import(QUERY_MODULE.href);
    return await mod.benchQuery({ quick, log });
  } catch (err) {
    // Reported with the transfer results instead of discarding them.
    results.errors.push(`query: ${err instanceof Error ? err.stack ?? err.message : err}`);
    return null;
  }
}

async function machineInfo(): Promise<Record<string, string | number>> {
  const proc = await capture("cat", ["/proc/cpuinfo", "/proc/meminfo"]);
  const python = JSON.parse(await capture("python3", [CLIENT, "info"]));
  return {
    nproc: navigator.hardwareConcurrency,
    cpu: /^model name\s*:\s*(.*)$/m.exec(proc)?.[1] ?? "unknown",
    memTotalMib: Math.round(Number(/^MemTotal:\s+(\d+) kB/m.exec(proc)?.[1]) / 1024),
    os: `${Deno.build.os} ${Deno.osRelease()} ${Deno.build.arch}`,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    ...python,
  };
}

async function run(opts: Options): Promise<BenchResults> {
  const date = new Date().toISOString();
  const outcome = { notes: [] as string[], errors: [] as string[] };
  const machine = await machineInfo();
  const readsBack = opts.sections.includes("get") || opts.sections.includes("striped");
  const transfers = (["put", "get", "striped", "sdk"] as const).filter((s) =>
    opts.sections.includes(s) || (s === "put" && readsBack) ||
    (s === "get" && opts.sections.includes("striped"))
  );
  if (transfers.includes("put") && !opts.sections.includes("put")) {
    outcome.notes.push("put: run because get reads its data");
  }
  const phases = transfers.length ? await runTransfers(transfers, opts) : [];
  if (opts.sections.includes("transport")) phases.push(...await benchTransport(opts.bytes, log));
  if (opts.sections.includes("workers")) {
    const { connectionBytes, workers: threads = 2 } = opts;
    phases.push(...await benchWorkers({ connectionBytes, threads, log }));
  }
  if (opts.sections.includes("toolkit")) {
    const { bytes, databaseUrl, workers } = opts;
    phases.push(...await benchToolkit({ bytes, databaseUrl, workers, log }));
  }
  for (const p of phases.filter((p) => p.check !== "ok")) {
    outcome.errors.push(`${p.section} ${p.server}: ${p.check}`);
  }
  const memory = opts.sections.includes("memory")
    ? await benchMemory({
      bytes: opts.memoryBytes,
      databaseUrl: opts.databaseUrl,
      workers: opts.workers,
      log,
    })
    : null;
  for (const m of memory?.rows.filter((m) => m.check !== "ok") ?? []) {
    outcome.errors.push(`memory ${m.phase}: ${m.check}`);
  }
  const query = opts.sections.includes("query") ? await runQuery(opts.quick, outcome) : null;
  const options = {
    quick: opts.quick,
    bytes: opts.bytes,
    connectionBytes: opts.connectionBytes,
    memoryBytes: opts.memoryBytes,
    sections: opts.sections,
    catalog: opts.databaseUrl ? "postgres" : "pglite",
    workers: opts.workers ?? "default",
    parquetCodec: Deno.env.get("MOSAICOD_PARQUET_CODEC") ?? "auto",
    sdkStreams: SDK_STREAMS,
  };
  return { date, machine, options, phases, query, memory, ...outcome };
}

function parseWorkers(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    throw new Error(`--workers must be an integer from 1 to 64, got "${text}"`);
  }
  return n;
}

async function readResults(path: string): Promise<BenchResults> {
  return JSON.parse(await Deno.readTextFile(path));
}

async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      quick: { type: "boolean", default: false },
      bytes: { type: "string" },
      sections: { type: "string", default: SECTIONS.join(",") },
      "database-url": { type: "string" },
      workers: { type: "string" },
      "parquet-codec": { type: "string" },
      out: { type: "string" },
      compare: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (values.compare) {
    if (positionals.length !== 2) {
      throw new Error("--compare takes two results files: --compare A.json B.json");
    }
    const [a, b] = await Promise.all(positionals.map(readResults));
    console.log(formatComparison(a, b));
    return 0;
  }
  if (positionals.length) throw new Error(`Unexpected argument "${positionals[0]}" (see --help)`);
  const choice = parseParquetCodec(
    values["parquet-codec"] ?? Deno.env.get("MOSAICOD_PARQUET_CODEC") ?? "auto",
    "--parquet-codec",
  );
  if (choice === "native") await buildNative({ quiet: true });
  if (choice === "auto") {
    await buildNative({ quiet: true }).catch((err) =>
      console.error(`bench: native codec not built: ${err.message}`)
    );
  }
  const { codec, fallback } = resolveParquetCodec(choice);
  if (fallback !== null) console.error(`bench: the native codec cannot be used (${fallback}): parquet-wasm`);
  console.error(`bench: Parquet codec ${codec}`);
  // Every daemon and toolkit command the bench starts inherits the codec resolved here.
  Deno.env.set("MOSAICOD_PARQUET_CODEC", codec);
  const opts: Options = {
    quick: values.quick,
    bytes: values.bytes ? parseBytes(values.bytes) : (values.quick ? 128 : 1024) * MiB,
    connectionBytes: values.bytes ? parseBytes(values.bytes) : (values.quick ? 256 : 1024) * MiB,
    memoryBytes: values.bytes ? parseBytes(values.bytes) : (values.quick ? 512 : 4096) * MiB,
    sections: parseSections(values.sections),
    databaseUrl: values["database-url"],
    workers: values.workers === undefined ? undefined : parseWorkers(values.workers),
    out: values.out ?? `bench-results/${new Date().toISOString().replace(/[:.]/g, "-")}.json`,
  };
  const results = await run(opts);
  if (results.phases.length) console.log(formatPhases(results.phases));
  if (results.memory) console.log(formatMemory(results.memory));
  if (results.query) console.log(`query: ${Object.keys(results.query).length} numbers, in the results file`);
  for (const note of results.notes) console.log(`note: ${note}`);
  for (const error of results.errors) console.log(`FAILED ${error}`);
  await Deno.mkdir(dirname(opts.out), { recursive: true });
  await Deno.writeTextFile(opts.out, JSON.stringify(results, null, 2) + "\n");
  console.log(`results: ${opts.out}`);
  return results.errors.length ? 1 : 0;
}

if (import.meta.main) {
  let code: number;
  try {
    code = await main(Deno.args);
  } catch (err) {
    console.error(`bench: ${err instanceof Error ? err.message : err}`);
    code = 1;
  }
  Deno.exit(code);
}
