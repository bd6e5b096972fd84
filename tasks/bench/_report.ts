/**
 * The results of `deno task bench`: the JSON file's shape, the terminal table, and the before/after
 * comparison of two result files.
 *
 * @module
 */
import type { PhaseCost } from "./_proc.ts";

/** One transfer phase against one server. */
export interface PhaseRow {
  /**
   * `workers-K`: the workers section with K client connections; `toolkit-put` and `toolkit-get`: the
   * toolkit section's imports and exports next to the daemon's own DoPut and DoGet.
   */
  section:
    | "put"
    | "get"
    | "striped"
    | "sdk"
    | "transport-put"
    | "transport-get"
    | `workers-${number}`
    | "toolkit-put"
    | "toolkit-get";
  /**
   * The transport section runs mosaicod's Flight servers alone, by transport: "grpc-js" and "native"; the
   * workers section, ways of spreading connections across threads: "reuseport", "relay" and "handover".
   * "baseline" is the in-memory Arrow C++ server, "same-work" the Arrow C++ server storing Parquet chunks.
   * The toolkit section: "mosaicod" is the pyarrow client against the daemon, "recording" the same
   * client's DoGet of the imported recording (the data the exports read), "import", "export-parquet" and
   * "export-mcap" the `mosaicod` commands against the same daemon.
   */
  server:
    | "baseline"
    | "same-work"
    | "mosaicod"
    | "grpc-js"
    | "native"
    | "reuseport"
    | "relay"
    | "handover"
    | "recording"
    | "import"
    | "export-parquet"
    | "export-mcap";
  /** Concurrent DoPut/DoGet streams, each on its own connection. */
  streams: number;
  /** Arrow bytes moved (sum of the record batches' buffer sizes). */
  bytes: number;
  rows: number;
  seconds: number;
  /** `bytes` / `seconds`, in 10^6 bytes per second. */
  mbPerS: number;
  /**
   * `mbPerS` over the in-memory baseline's in the same section and run (the workers section: over
   * `reuseport`'s; the toolkit section: over the daemon's pyarrow row); null on baseline rows.
   */
  ratio: number | null;
  /**
   * `mbPerS` over the same-work baseline's in the same section and run; null where there is none (absent
   * from results written before the same-work baseline existed).
   */
  ratioSameWork?: number | null;
  /**
   * Export rows only: `mbPerS` over the pyarrow DoGet of the same recording (row "recording"), the
   * daemon reading the very data the export writes out.
   */
  ratioSameData?: number | null;
  /** The server process's user + system CPU seconds during the phase, per 10^9 bytes moved. */
  cpuSecondsPerGb: number;
  /** The server's largest sampled resident set during the phase, MiB. */
  peakRssMib: number;
  /** The server's resident high-water mark since it started (VmHWM), MiB, after the phase. */
  hwmMib: number;
  /** "ok", or what did not match (row count, checksums, order). */
  check: string;
  /** Workers section only: connections served by each worker thread, e.g. "2+0". */
  spread?: string;
  /** Toolkit rows only: the `mosaicod` command's own user + system CPU seconds per 10^9 bytes moved. */
  clientCpuSecondsPerGb?: number;
  /** Toolkit rows only: the `mosaicod` command's peak resident set (its `ru_maxrss`), MiB. */
  clientPeakRssMib?: number;
}

/** The JSON file written by a run and read by `--compare`. */
export interface BenchResults {
  date: string;
  machine: Record<string, string | number>;
  options: Record<string, string | number | boolean | string[]>;
  phases: PhaseRow[];
  /** What tasks/bench/query.ts reported; null when the section was not run. */
  query: Record<string, number> | null;
  /** The memory section; null or absent when it was not run. */
  memory?: MemoryResults | null;
  notes: string[];
  /** Failed checks and sections that threw; the run exits 1 when there is any. */
  errors: string[];
}

/** Aligns cells into columns: the first left-aligned, the others right-aligned. */
export function formatTable(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => r[c].length)));
  const line = (r: string[]) =>
    r.map((cell, c) => c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]));
  return [line(header), widths.map((w) => "-".repeat(w)), ...rows.map(line)].map((r) => r.join("  ")).join(
    "\n",
  );
}

const fixed = (value: number | null, digits: number) => value === null ? "" : value.toFixed(digits);

/** The terminal table of one run; the spread and client columns only when a row has them. */
export function formatPhases(phases: PhaseRow[]): string {
  const spread = phases.some((p) => p.spread !== undefined);
  const client = phases.some((p) => p.clientCpuSecondsPerGb !== undefined);
  const sameData = phases.some((p) => p.ratioSameData !== undefined);
  return formatTable(
    [
      "section",
      "server",
      "streams",
      "MB/s",
      "x in-memory",
      "x same-work",
      ...(sameData ? ["x same data"] : []),
      "CPU s/GB",
      "peak RSS MiB",
      ...(client ? ["client CPU s/GB", "client RSS MiB"] : []),
      "seconds",
      ...(spread ? ["spread"] : []),
      "check",
    ],
    phases.map((p) => [
      p.section,
      p.server,
      String(p.streams),
      fixed(p.mbPerS, 0),
      fixed(p.ratio, 2),
      fixed(p.ratioSameWork ?? null, 2),
      ...(sameData ? [fixed(p.ratioSameData ?? null, 2)] : []),
      fixed(p.cpuSecondsPerGb, 2),
      fixed(p.peakRssMib, 0),
      ...(client ? [fixed(p.clientCpuSecondsPerGb ?? null, 2), fixed(p.clientPeakRssMib ?? null, 0)] : []),
      fixed(p.seconds, 2),
      ...(spread ? [p.spread ?? ""] : []),
      p.check,
    ]),
  );
}

const COMPARED: (keyof PhaseRow)[] = [
  "mbPerS",
  "ratio",
  "ratioSameWork",
  "ratioSameData",
  "cpuSecondsPerGb",
  "peakRssMib",
  "clientCpuSecondsPerGb",
  "clientPeakRssMib",
];

/** Every comparable number of a run, keyed `section.server.metric` (and `query.name`, `memory.phase.metric`). */
export function flattenMetrics(results: BenchResults): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of results.phases) {
    for (const key of COMPARED) {
      const value = p[key];
      if (typeof value === "number") out.set(`${p.section}.${p.server}.${key}`, value);
    }
  }
  for (const [name, value] of Object.entries(results.query ?? {})) out.set(`query.${name}`, value);
  for (const m of results.memory?.rows ?? []) {
    out.set(`memory.${m.phase}.rssMib`, m.rssMib);
    out.set(`memory.${m.phase}.hwmMib`, m.hwmMib);
  }
  return out;
}

/** A before/after table of two runs: every metric either has, both values and B / A. */
export function formatComparison(a: BenchResults, b: BenchResults): string {
  const before = flattenMetrics(a);
  const after = flattenMetrics(b);
  const cell = (v: number | undefined) => v === undefined ? "-" : String(Number(v.toPrecision(4)));
  const rows = [...new Set([...before.keys(), ...after.keys()])].map((key) => {
    const [x, y] = [before.get(key), after.get(key)];
    return [key, cell(x), cell(y), x && y !== undefined ? (y / x).toFixed(2) : "-"];
  });
  return `A: ${a.date} (${a.options.bytes} bytes)\nB: ${b.date} (${b.options.bytes} bytes)\n\n` +
    formatTable(["metric", "A", "B", "B / A"], rows);
}

/** What one measured transfer reports: its totals as the client saw them. */
export interface TransferTotals {
  bytes: number;
  rows: number;
  seconds: number;
}

/**
 * A table row from one measured transfer, its cost, and the rows of the same section it is compared with:
 * `base` (the in-memory baseline, or the workers section's reference) and `sameWork`.
 */
export function phaseRow(
  phase: Pick<PhaseRow, "section" | "server" | "streams">,
  { result, cost, base, sameWork, check }: {
    result: TransferTotals;
    cost: PhaseCost;
    base?: PhaseRow;
    sameWork?: PhaseRow;
    check: string;
  },
): PhaseRow {
  const mbPerS = result.bytes / result.seconds / 1e6;
  return {
    ...phase,
    bytes: result.bytes,
    rows: result.rows,
    seconds: result.seconds,
    mbPerS,
    ratio: base ? mbPerS / base.mbPerS : null,
    ratioSameWork: sameWork ? mbPerS / sameWork.mbPerS : null,
    cpuSecondsPerGb: cost.cpuSeconds / (result.bytes / 1e9),
    peakRssMib: cost.peakRssBytes / 1024 ** 2,
    hwmMib: cost.hwmBytes / 1024 ** 2,
    check,
  };
}

/** One measurement of the memory section. */
export interface MemoryRow {
  /**
   * `idle-first-start`: a daemon started on a fresh data directory, once startup settled; `idle-restart`:
   * the same after a restart on that directory; `put` and `get`: while one client uploads `bytes`, and
   * while it reads them back (each on a daemon restarted just before).
   */
  phase: "idle-first-start" | "idle-restart" | "put" | "get";
  /** The resident set (VmRSS), MiB: when idle, the value then; for put and get, the largest sampled. */
  rssMib: number;
  /** The resident high-water mark since the daemon started (VmHWM), MiB, at the end of the phase. */
  hwmMib: number;
  /** The target `rssMib` should stay within (issue #17). */
  targetMib: number;
  met: boolean;
  /** put and get: Arrow MB/s (10^6 bytes) as the client saw them; null when idle. */
  mbPerS: number | null;
  /** "ok", or what did not match (as in the transfer sections). */
  check: string;
}

/** What the memory section measured. */
export interface MemoryResults {
  /** Arrow bytes uploaded and read back. */
  bytes: number;
  /** How long the idle measurements waited after startup, ms. */
  settleMs: number;
  rows: MemoryRow[];
}

/** The memory section's terminal table. */
export function formatMemory(memory: MemoryResults): string {
  return formatTable(
    ["memory", "RSS MiB", "VmHWM MiB", "target MiB", "met", "MB/s", "check"],
    memory.rows.map((m) => [
      m.phase,
      fixed(m.rssMib, 0),
      fixed(m.hwmMib, 0),
      String(m.targetMib),
      m.met ? "yes" : "NO",
      fixed(m.mbPerS, 0),
      m.check,
    ]),
  );
}
