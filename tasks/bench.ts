/**
 * `deno task bench`: Flight throughput of mosaicod next to an in-memory Arrow C++ Flight server (pyarrow),
 * driven by the same pyarrow client with the same data in the same run (issue #5). A benchmark, not a test:
 * nothing here runs under `deno task test`.
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
 *
 * Each transfer phase runs against the baseline server, then against the daemon, which runs as a child
 * process with exactly the `start` task's permissions in a fresh temporary directory. The servers' CPU
 * time and resident memory are read from /proc through `cat` (tasks/bench/_proc.ts).
 *
 * @module
 */
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { capture, measure } from "./bench/_proc.ts";
import {
  type BenchResults,
  formatComparison,
  formatPhases,
  type PhaseRow,
  phaseRow,
} from "./bench/_report.ts";
import { startBaseline, startMosaicod } from "./bench/_servers.ts";
import { benchTransport } from "./bench/transport.ts";

const HELP = `Usage: deno task bench [options]
       deno task bench --compare A.json B.json

  --quick               128 MiB per transfer phase instead of 1 GiB (for development)
  --bytes N             bytes per transfer phase, e.g. 268435456, 512MiB, 2GiB (overrides --quick)
  --sections LIST       any of put,get,striped,sdk,query,transport (default: all; get and striped imply put)
  --database-url URL    run the daemon on this PostgreSQL catalog instead of the embedded one
  --workers N           the daemon's Flight worker threads (its default: 1 embedded, one per core PostgreSQL)
  --out FILE            results file (default: bench-results/<date>.json)
  --compare A B         print a before/after table of two results files; runs nothing`;

const MiB = 1024 ** 2;
const CLIENT = fileURLToPath(new URL("./bench/client.py", import.meta.url));
const QUERY_MODULE = new URL("./bench/query.ts", import.meta.url);
const SECTIONS = ["put", "get", "striped", "sdk", "query", "transport"] as const;
const STRIPES = 4;
const SDK_STREAMS = 4;

type Section = typeof SECTIONS[number];
type TransferSection = Exclude<Section, "query" | "transport">;

interface Options {
  quick: boolean;
  bytes: number;
  sections: Section[];
  databaseUrl?: string;
  workers?: number;
  out: string;
}

/** The JSON line tasks/bench/client.py prints for `put` and `get`. */
interface ClientResult {
  rows: number;
  bytes: number;
  seconds: number;
  ts_sum: string;
  f0_sum: string;
  committed_rows?: number;
  ordered?: boolean;
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

async function runClient(args: string[]): Promise<ClientResult> {
  const out = await capture("python3", [CLIENT, ...args]);
  return JSON.parse(out.trim().split("\n").at(-1)!);
}

function checkUpload(result: ClientResult): string {
  return result.committed_rows === result.rows
    ? "ok"
    : `committed ${result.committed_rows} of ${result.rows} rows`;
}

function checkRead(result: ClientResult, sent: ClientResult | undefined): string {
  const problems = [];
  if (result.rows !== sent?.rows) problems.push(`${result.rows} rows, sent ${sent?.rows}`);
  if (result.ts_sum !== sent?.ts_sum || result.f0_sum !== sent?.f0_sum) problems.push("checksums differ");
  if (!result.ordered) problems.push("out of timestamp order");
  return problems.join("; ") || "ok";
}

/** Runs the transfer sections against both servers, baseline first in each section. */
async function runTransfers(sections: TransferSection[], opts: Options): Promise<PhaseRow[]> {
  await using baseline = await startBaseline();
  await using daemon = await startMosaicod(opts.databaseUrl, opts.workers);
  const runId = Date.now().toString(36);
  const uploads = new Map<string, ClientResult>(); // put results by server, for the get check
  const rows: PhaseRow[] = [];
  for (const section of sections) {
    const streams = section === "sdk" ? SDK_STREAMS : section === "striped" ? STRIPES : 1;
    const sequence = `bench_${runId}_${section === "sdk" ? "sdk" : "put"}`;
    const reads = section === "get" || section === "striped";
    // The baseline has no stripes: the striped read is compared with its single-stream get.
    for (const server of section === "striped" ? [daemon] : [baseline, daemon]) {
      log(`${section} ${server.name} (${streams} stream${streams > 1 ? "s" : ""})`);
      const args = section === "get"
        ? ["get", server.url, sequence]
        : section === "striped"
        ? ["get", server.url, sequence, String(STRIPES)]
        : ["put", server.url, sequence, String(opts.bytes), String(streams)];
      const { result, cost } = await measure(server.pid, () => runClient(args));
      if (section === "put") uploads.set(server.name, result);
      const baseSection = section === "striped" ? "get" : section;
      rows.push(phaseRow({ section, server: server.name, streams }, {
        result,
        cost,
        base: rows.find((r) => r.section === baseSection && r.server === "baseline"),
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
  for (const p of phases.filter((p) => p.check !== "ok")) {
    outcome.errors.push(`${p.section} ${p.server}: ${p.check}`);
  }
  const query = opts.sections.includes("query") ? await runQuery(opts.quick, outcome) : null;
  const options = {
    quick: opts.quick,
    bytes: opts.bytes,
    sections: opts.sections,
    catalog: opts.databaseUrl ? "postgres" : "pglite",
    workers: opts.workers ?? "default",
    sdkStreams: SDK_STREAMS,
  };
  return { date, machine, options, phases, query, ...outcome };
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
  const opts: Options = {
    quick: values.quick,
    bytes: values.bytes ? parseBytes(values.bytes) : (values.quick ? 128 : 1024) * MiB,
    sections: parseSections(values.sections),
    databaseUrl: values["database-url"],
    workers: values.workers === undefined ? undefined : parseWorkers(values.workers),
    out: values.out ?? `bench-results/${new Date().toISOString().replace(/[:.]/g, "-")}.json`,
  };
  const results = await run(opts);
  if (results.phases.length) console.log(formatPhases(results.phases));
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
