/**
 * The results of `deno task bench`: the JSON file's shape, the terminal table, and the before/after
 * comparison of two result files.
 *
 * @module
 */
import type { PhaseCost } from "./_proc.ts";

/** One transfer phase against one server. */
export interface PhaseRow {
  section: "put" | "get" | "striped" | "sdk" | "transport-put" | "transport-get";
  /** The transport section runs mosaicod's Flight servers alone, by transport: "grpc-js" and "native". */
  server: "baseline" | "mosaicod" | "grpc-js" | "native";
  /** Concurrent DoPut/DoGet streams, each on its own connection. */
  streams: number;
  /** Arrow bytes moved (sum of the record batches' buffer sizes). */
  bytes: number;
  rows: number;
  seconds: number;
  /** `bytes` / `seconds`, in 10^6 bytes per second. */
  mbPerS: number;
  /** `mbPerS` over the baseline's `mbPerS` in the same section and run; null on baseline rows. */
  ratio: number | null;
  /** The server process's user + system CPU seconds during the phase, per 10^9 bytes moved. */
  cpuSecondsPerGb: number;
  /** The server's largest sampled resident set during the phase, MiB. */
  peakRssMib: number;
  /** The server's resident high-water mark since it started (VmHWM), MiB, after the phase. */
  hwmMib: number;
  /** "ok", or what did not match (row count, checksums, order). */
  check: string;
}

/** The JSON file written by a run and read by `--compare`. */
export interface BenchResults {
  date: string;
  machine: Record<string, string | number>;
  options: Record<string, string | number | boolean | string[]>;
  phases: PhaseRow[];
  /** What tasks/bench/query.ts reported; null when the section was not run. */
  query: Record<string, number> | null;
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

/** The terminal table of one run. */
export function formatPhases(phases: PhaseRow[]): string {
  return formatTable(
    ["section", "server", "streams", "MB/s", "x baseline", "CPU s/GB", "peak RSS MiB", "seconds", "check"],
    phases.map((p) => [
      p.section,
      p.server,
      String(p.streams),
      fixed(p.mbPerS, 0),
      fixed(p.ratio, 2),
      fixed(p.cpuSecondsPerGb, 2),
      fixed(p.peakRssMib, 0),
      fixed(p.seconds, 2),
      p.check,
    ]),
  );
}

const COMPARED: (keyof PhaseRow)[] = ["mbPerS", "ratio", "cpuSecondsPerGb", "peakRssMib"];

/** Every comparable number of a run, keyed `section.server.metric` (and `query.name`). */
export function flattenMetrics(results: BenchResults): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of results.phases) {
    for (const key of COMPARED) {
      const value = p[key];
      if (typeof value === "number") out.set(`${p.section}.${p.server}.${key}`, value);
    }
  }
  for (const [name, value] of Object.entries(results.query ?? {})) out.set(`query.${name}`, value);
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

/** A table row from one measured transfer, its cost, and the baseline row of the same section. */
export function phaseRow(
  phase: Pick<PhaseRow, "section" | "server" | "streams">,
  { result, cost, base, check }: { result: TransferTotals; cost: PhaseCost; base?: PhaseRow; check: string },
): PhaseRow {
  const mbPerS = result.bytes / result.seconds / 1e6;
  return {
    ...phase,
    bytes: result.bytes,
    rows: result.rows,
    seconds: result.seconds,
    mbPerS,
    ratio: base ? mbPerS / base.mbPerS : null,
    cpuSecondsPerGb: cost.cpuSeconds / (result.bytes / 1e9),
    peakRssMib: cost.peakRssBytes / 1024 ** 2,
    hwmMib: cost.hwmBytes / 1024 ** 2,
    check,
  };
}
