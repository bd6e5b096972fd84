/**
 * `mosaicod push <sequence|glob...> --to URL`: copies finalized sequences (metadata, sessions, topics,
 * schemas, rows) from the daemon of `--server` to the daemon of `--to`, skipping what the target holds,
 * clearing and redoing what a cut push left, verifying each copy, within `--limit-rate`. Prints one
 * report line per sequence and a summary (JSON lines with `--json`), progress on a terminal. The work is
 * `toolkit/sync/`; {@link runPass} is shared with `mosaicod sync`.
 *
 * @module
 */
import { globMatcher, parseGlob } from "../model/glob.ts";
import { ConfigError } from "../errors.ts";
import type { OptionValues } from "../config.ts";
import type { MosaicoClient } from "../client/mod.ts";
import { parseRate } from "../toolkit/sync/rate.ts";
import { Pusher, type SequenceReport, type VerifyMode } from "../toolkit/sync/push.ts";
import { formatBytes, formatDuration, plural } from "./_format.ts";
import { PUSH_OPTIONS } from "./_push_options.ts";
import { openClient, parseToolkitArgs, progressLine, TOOLKIT_OPTIONS, type ToolkitArgs } from "./_toolkit.ts";
import type { CliEnv, Command } from "./mod.ts";

const USAGE = "mosaicod push <sequence|glob>... --to grpc://host:port [--limit-rate 10M] [options]";

type PushValues = ToolkitArgs<typeof PUSH_OPTIONS>["values"];

/** The target's connection options, as `openClient` takes them. */
function targetOptions(v: PushValues): OptionValues<typeof TOOLKIT_OPTIONS> {
  if (!v.to) throw new ConfigError("--to (or MOSAICOD_TO) must name the target daemon: grpc://host:port");
  return {
    server: v.to,
    "api-key": v["to-api-key"],
    "tls-ca": v["to-tls-ca"],
    json: v.json,
    quiet: v.quiet,
    "--source": { "tls-ca": v["--source"]["to-tls-ca"] ?? "--to-tls-ca" },
  };
}

/** What a pass needs from the parsed options. @throws ConfigError */
export function passSettings(v: PushValues): { rate: number | null; verify: VerifyMode } {
  let rate: number | null = null;
  if (v["limit-rate"] !== undefined) {
    const parsed = parseRate(v["limit-rate"]);
    if (!parsed.ok) throw new ConfigError(`--limit-rate ${parsed.problem}, got "${v["limit-rate"]}"`);
    rate = parsed.bytesPerS;
  }
  const verify = v.verify === "digest" || v.verify === "rows" ? v.verify : null;
  if (verify === null) throw new ConfigError(`--verify must be digest or rows, got "${v.verify}"`);
  targetOptions(v);
  return { rate, verify };
}

function reportLine(r: SequenceReport): string {
  const s = r.sessions;
  const parts = [
    s.copied > 0 ? `${s.copied} copied` : "",
    s.skipped > 0 ? `${s.skipped} already there` : "",
    s.pending > 0 ? `${s.pending} not finalized` : "",
    s.failed > 0 ? `${s.failed} failed` : "",
  ].filter(Boolean);
  const sessions = `${plural(s.copied + s.skipped + s.pending + s.failed, "session")}` +
    (parts.length > 0 ? ` (${parts.join(", ")})` : "");
  const moved = r.topics > 0
    ? `; ${plural(r.topics, "topic")}, ${r.rows.toLocaleString("en-US")} rows, ${formatBytes(r.bytes)}`
    : "";
  return `${r.sequence}: ${r.status}, ${sessions}${moved} in ${formatMs(r.elapsedMs)}`;
}

function formatMs(ms: number): string {
  return formatDuration(BigInt(Math.round(ms * 1e6)));
}

function jsonReport(r: SequenceReport): string {
  return JSON.stringify({
    sequence: r.sequence,
    status: r.status,
    sessions: r.sessions,
    topics: r.topics,
    rows: r.rows,
    bytes: r.bytes,
    elapsed_ms: Math.round(r.elapsedMs),
    errors: r.errors,
  });
}

/** The totals of a pass. */
export interface PassSummary {
  sequences: number;
  failed: number;
  bytes: number;
}

/**
 * One push of the sequences `names` picks on the source: connects to both daemons, pushes each sequence,
 * prints its report as it ends, then a summary. @throws Error when the push stopped (link, abort).
 */
export async function runPass(
  cli: CliEnv,
  args: ToolkitArgs<typeof PUSH_OPTIONS>,
  names: (source: MosaicoClient) => Promise<string[]>,
  signal?: AbortSignal,
): Promise<PassSummary> {
  const { rate, verify } = passSettings(args.values);
  using source = await openClient(args.values);
  using target = await openClient(targetOptions(args.values));
  const progress = progressLine(cli, args.quiet);
  const pusher = new Pusher(source, target, {
    limitRateBytesPerS: rate,
    verify,
    signal,
    onProgress: (p) => {
      const seconds = Math.max((performance.now() - p.startedMs) / 1000, 0.001);
      progress.update(
        `${p.topic}  ${p.rows.toLocaleString("en-US")}/${p.totalRows.toLocaleString("en-US")} rows  ` +
          `${formatBytes(p.bytes)} sent  ${formatBytes(p.bytes / seconds)}/s`,
      );
    },
  });
  const started = performance.now();
  const counts = { copied: 0, "up-to-date": 0, "not-finalized": 0, failed: 0 };
  let bytes = 0;
  const list = await names(source);
  try {
    for (const name of list) {
      const report = await pusher.push(name);
      progress.done();
      counts[report.status]++;
      bytes += report.bytes;
      cli.stdout(args.json ? jsonReport(report) : reportLine(report));
      if (!args.json) { for (const e of report.errors) cli.stderr(`${report.sequence}: ${e}`); }
    }
  } finally {
    progress.done();
  }
  const elapsedMs = performance.now() - started;
  if (args.json) {
    cli.stdout(JSON.stringify({
      summary: {
        target: target.flight.address.url,
        sequences: list.length,
        ...counts,
        bytes,
        elapsed_ms: Math.round(elapsedMs),
      },
    }));
  } else if (!args.quiet || counts.failed > 0) {
    const rate = bytes > 0 ? ` (${formatBytes(bytes / Math.max(elapsedMs / 1000, 0.001))}/s)` : "";
    cli.stderr(
      `${plural(list.length, "sequence")} to ${target.flight.address.url}: ${counts.copied} copied, ` +
        `${counts["up-to-date"]} up to date, ${
          counts["not-finalized"]
        } not finalized, ${counts.failed} failed; ` +
        `${formatBytes(bytes)} sent in ${formatMs(elapsedMs)}${rate}`,
    );
  }
  return { sequences: list.length, failed: counts.failed, bytes };
}

/** The source's sequences the arguments name: names as given, globs expanded (sorted), each once. */
async function pickSequences(source: MosaicoClient, patterns: string[], cli: CliEnv, quiet: boolean) {
  let all: string[] | null = null;
  const out: string[] = [];
  for (const p of patterns) {
    if (!/[*?#[]/.test(p)) {
      out.push(p);
      continue;
    }
    all ??= (await source.listSequences()).sort();
    let matches;
    try {
      matches = globMatcher(parseGlob(p));
    } catch (err) {
      throw new ConfigError((err as Error).message);
    }
    const found = all.filter(matches);
    if (found.length === 0 && !quiet) cli.stderr(`No sequence matches "${p}"`);
    out.push(...found);
  }
  return [...new Set(out)];
}

export const pushCommand: Command = {
  name: "push",
  summary: "copy finalized sequences to another daemon (idempotent, resumable, verified, rate-limited)",
  help: {
    usage: USAGE,
    summary: "Copy finalized sequences from the daemon of --server to the daemon of --to: user metadata, " +
      "every finalized session with its topics (tag, format, metadata, schema, rows). What the target " +
      "already holds is skipped, what a cut push left is cleared and copied again, and each copied topic " +
      "is checked (rows, schema, digest). Sessions not finalized yet are left for a later push. Pushed " +
      "topics carry the key mosaicod:source in their user metadata, naming the source session.",
    options: { ...TOOLKIT_OPTIONS, ...PUSH_OPTIONS },
    notes: [
      "Examples: mosaicod push run_01 --to grpc://fleet:6726",
      "          mosaicod push 'run_*' --to grpc+tls://fleet:6726 --to-api-key $TOKEN --limit-rate 2M",
      "Exit code 1 when a sequence failed (conflict, failed check) or the push stopped (link, credentials).",
    ],
  },
  async run(cli: CliEnv): Promise<number> {
    const args = parseToolkitArgs(cli, PUSH_OPTIONS, { min: 1, max: Infinity, usage: USAGE });
    passSettings(args.values);
    const summary = await runPass(cli, args, (s) => pickSequences(s, args.positionals, cli, args.quiet));
    return summary.failed > 0 ? 1 : 0;
  },
};
