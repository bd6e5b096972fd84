/**
 * `mosaicod export <sequence|topic>... --out PATH --format parquet|csv|mcap`: a running daemon's data
 * to files (`toolkit/export/`), with progress on a terminal and a report per topic at the end (a table,
 * or JSON lines with `--json`). Only parses options, prints and reports.
 *
 * @module
 */
import { ConfigError } from "../errors.ts";
import { parseParquetCodec } from "../config.ts";
import {
  EXPORT_FORMATS,
  exportFormat,
  type ExportFormatName,
  exportTopics,
  type TopicReport,
} from "../toolkit/export/mod.ts";
import { exactJson, formatBytes, plural, table } from "./_format.ts";
import { openClient, parseTimeBound, parseToolkitArgs, progressLine, TOOLKIT_OPTIONS } from "./_toolkit.ts";
import type { CliEnv, Command } from "./mod.ts";

const USAGE = "mosaicod export <sequence|topic>... --out PATH [--format parquet|csv|mcap] " +
  "[--topics GLOB,!GLOB] [--from T] [--to T] [--force] [options]";

const OPTIONS = {
  out: {
    type: "string",
    help:
      "where to write: a folder (created if missing), or for mcap and one sequence a file ending in .mcap",
  },
  format: { type: "string", help: `file format: ${EXPORT_FORMATS.join(", ")}`, default: "parquet" },
  topics: {
    type: "string",
    help: "topic paths to keep, comma-separated globs applied in order (* also crosses /); !GLOB removes " +
      "(default: every topic)",
  },
  from: {
    type: "string",
    help: "first timestamp_ns exported, INCLUDED: nanoseconds, or an ISO 8601 date-time (UTC)",
  },
  to: {
    type: "string",
    help: "last timestamp_ns exported, INCLUDED: nanoseconds, or an ISO 8601 date-time (UTC)",
  },
  force: { type: "boolean", help: "replace files that exist (by default an existing file stops the export)" },
  "parquet-codec": {
    type: "string",
    env: "MOSAICOD_PARQUET_CODEC",
    help:
      "auto | wasm | native: the Parquet writer, parquet-wasm or Arrow C++ (deno task build:native); auto takes native where it loads",
    default: "auto",
  },
} as const;

function parseFormat(text: string | undefined): ExportFormatName {
  const format = EXPORT_FORMATS.find((f) => f === text);
  if (format === undefined) {
    throw new ConfigError(`--format must be one of ${EXPORT_FORMATS.join(", ")}, got "${text}"`);
  }
  return format;
}

function parsePatterns(text: string | undefined): string[] {
  if (text === undefined) return [];
  return text.split(",").map((p) => p.trim());
}

function reportJson(r: TopicReport): string {
  return exactJson({ topic: r.locator, file: r.file, rows: r.rows, bytes: r.bytes, skipped: r.skipped });
}

export const exportCommand: Command = {
  name: "export",
  summary: "export sequences or topics to Parquet, CSV or MCAP files (time window, topic globs)",
  help: {
    usage: USAGE,
    summary: "Write the rows of sequences or topics of a running daemon to files: Parquet (one file per " +
      "topic, the topic's own Arrow schema, read as is by pyarrow, Polars and DuckDB), CSV (one file per " +
      "topic, struct fields flattened as a.b.c, lists as JSON, timestamps in nanoseconds) or MCAP (one file " +
      "per sequence, a channel of JSON messages with a JSON Schema per topic, for Foxglove). Time bounds " +
      "--from and --to are both INCLUDED. Files are written as <name>.partial and renamed when complete.",
    options: { ...TOOLKIT_OPTIONS, ...OPTIONS },
    notes: [
      "Layout: parquet and csv write <out>/<sequence>/<topic path>.<ext>; mcap writes <out>/<sequence>.mcap,",
      "        or <out> itself when it ends in .mcap and one sequence is exported.",
      "Examples: mosaicod export run_01 --out ./exported",
      "          mosaicod export run_01/imu run_01/gps --out ./csv --format csv --from 2024-05-01T12:00:00Z",
      "          mosaicod export run_01 --format mcap --out run_01.mcap --topics 'sensors/*,!sensors/raw*'",
    ],
  },
  async run(cli: CliEnv): Promise<number> {
    const args = parseToolkitArgs(cli, OPTIONS, { min: 1, max: Infinity, usage: USAGE });
    const v = args.values;
    if (!v.out) throw new ConfigError("--out is required: the folder (or .mcap file) to write");
    const format = exportFormat(
      parseFormat(v.format),
      parseParquetCodec(v["parquet-codec"], "--parquet-codec"),
    );
    const fromNs = parseTimeBound(v.from, "--from");
    const toNs = parseTimeBound(v.to, "--to");
    const topics = parsePatterns(v.topics);
    using client = await openClient(v);
    const progress = progressLine(cli, args.quiet);
    const started = performance.now();
    let reports: TopicReport[];
    try {
      reports = await exportTopics(client, {
        targets: args.positionals,
        format,
        out: v.out,
        topics,
        fromNs,
        toNs,
        force: v.force === "true",
        onProgress: (p) =>
          progress.update(
            `export ${p.locator}: ${p.rows}/${p.totalRows} rows${
              p.totalRows > 0 ? ` (${Math.floor((100 * p.rows) / p.totalRows)}%)` : ""
            }, ${formatBytes(p.bytes)}`,
          ),
        onTopic: (r) => {
          if (args.json) {
            progress.done();
            cli.stdout(reportJson(r));
          }
        },
      });
    } finally {
      progress.done();
    }
    const written = reports.filter((r) => r.skipped === null);
    const rows = written.reduce((n, r) => n + r.rows, 0);
    const files = new Set(written.map((r) => r.file)).size;
    const seconds = (performance.now() - started) / 1000;
    if (args.json) {
      cli.stdout(
        exactJson({ total: { topics: written.length, files, rows, seconds: Number(seconds.toFixed(3)) } }),
      );
      return 0;
    }
    const lines = table(
      ["TOPIC", "ROWS", "SIZE", "FILE"],
      reports.map((r) =>
        r.skipped === null
          ? [r.locator, String(r.rows), formatBytes(r.bytes), r.file ?? ""]
          : [r.locator, "-", "-", `skipped: ${r.skipped}`]
      ),
      new Set([1, 2]),
    );
    for (const line of lines) cli.stdout(line);
    cli.stdout(
      `Exported ${plural(written.length, "topic")}, ${plural(rows, "row")} to ${plural(files, "file")} ` +
        `in ${seconds.toFixed(1)} s`,
    );
    return 0;
  },
};
