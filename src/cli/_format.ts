/**
 * Human-readable output of the toolkit commands: sizes (`1.5 MiB`), times (ISO 8601 in UTC, to the
 * precision the value has), durations (`1m 2.5s`), aligned tables, and JSON whose integers stay exact
 * (nanosecond times beyond 2^53). Pure: no I/O.
 *
 * @module
 */

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

/** `859 B`, `1.5 KiB`, `12 MiB`: binary units, three significant digits. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${bytes} B`;
  return `${value >= 100 ? Math.round(value) : Number(value.toPrecision(3))} ${UNITS[unit]}`;
}

const NS_PER_MS = 1_000_000n;

/**
 * A nanosecond time as ISO 8601 in UTC, with as many fraction digits as it needs in groups of three:
 * `2023-11-14T22:13:20Z`, `…20.5Z` is written `…20.500Z`, `…20.000009Z`. Outside the years Date can
 * write, the raw integer.
 */
export function formatTime(ns: bigint): string {
  const ms = ns / NS_PER_MS - (ns % NS_PER_MS < 0n ? 1n : 0n);
  const subMs = ns - ms * NS_PER_MS; // 0 … 999_999
  const date = new Date(Number(ms));
  if (Number.isNaN(date.getTime())) return String(ns);
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  const fraction = `${iso.slice(20, 23)}${String(subMs).padStart(6, "0")}`.replace(/(000)+$/, "");
  return `${iso.slice(0, 19)}${fraction ? `.${fraction}` : ""}Z`;
}

/** A nanosecond duration: `0s`, `9µs`, `12.5ms`, `3.25s`, `1m 2.5s`, `2h 3m`, `3d 4h`. */
export function formatDuration(ns: bigint): string {
  if (ns < 0n) return `-${formatDuration(-ns)}`;
  if (ns === 0n) return "0s";
  if (ns < 1_000n) return `${ns}ns`;
  if (ns < 1_000_000n) return `${trim(Number(ns) / 1e3)}µs`;
  if (ns < 1_000_000_000n) return `${trim(Number(ns) / 1e6)}ms`;
  const seconds = Number(ns) / 1e9;
  if (seconds < 60) return `${trim(seconds)}s`;
  const s = Math.floor(seconds);
  const [d, h, m] = [Math.floor(s / 86400), Math.floor(s / 3600) % 24, Math.floor(s / 60) % 60];
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  return `${m}m ${trim(seconds - 60 * Math.floor(seconds / 60))}s`;
}

function trim(n: number): string {
  return String(Number(n.toFixed(n < 10 ? 2 : 1)));
}

/** A time span as `start → end (duration)`, or `-` without one. */
export function formatSpan(span: { startNs: bigint; endNs: bigint } | null): string {
  if (span === null) return "-";
  return `${formatTime(span.startNs)} → ${formatTime(span.endNs)} (${
    formatDuration(span.endNs - span.startNs)
  })`;
}

/** Rows under a header, columns padded to their widest cell; `right` lists right-aligned columns. */
export function table(header: string[], rows: string[][], right: ReadonlySet<number> = new Set()): string[] {
  const widths = header.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ""))));
  const line = (cells: string[]) =>
    cells.map((c, i) => {
      const pad = " ".repeat(Math.max(0, widths[i] - width(c)));
      return right.has(i) ? pad + c : i === cells.length - 1 ? c : c + pad;
    }).join("  ").trimEnd();
  return [line(header), ...rows.map(line)];
}

/** Display width: code points (no East Asian width tables; good enough for names and numbers). */
function width(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

const RawJson = JSON as unknown as { rawJSON(text: string): unknown };

/**
 * JSON text in which bigints are written as exact integers; `map` may replace other values first (as
 * bytes by their base64).
 */
export function exactJson(value: unknown, indent?: number, map?: (v: unknown) => unknown): string {
  return JSON.stringify(value, (_key, v) => {
    const mapped = map ? map(v) : v;
    return typeof mapped === "bigint" ? RawJson.rawJSON(mapped.toString()) : mapped;
  }, indent);
}

/** A count with its noun: `1 topic`, `3 topics`. */
export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
