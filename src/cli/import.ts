/**
 * `mosaicod import <file...> --sequence NAME`: ROS 2 MCAP files and ROS 1 bags into a new sequence of a
 * running daemon (the work is `src/toolkit/ros/importer.ts`). This file parses the options, shows
 * progress on a terminal and prints the per-topic report (a table, or JSON lines with `--json`).
 *
 * @module
 */
import { ConfigError } from "../errors.ts";
import type { JsonValue } from "../model/types.ts";
import { ImportError, type ImportReport, importRos } from "../toolkit/ros/importer.ts";
import { formatBytes, plural, table } from "./_format.ts";
import { openClient, parseToolkitArgs, progressLine, TOOLKIT_OPTIONS } from "./_toolkit.ts";
import type { CliEnv, Command } from "./mod.ts";

const USAGE = "mosaicod import <file.mcap|file.bag...> --sequence NAME [--topics glob,!glob] " +
  "[--metadata JSON|FILE] [--unknown keep|skip] [options]";

const OPTIONS = {
  sequence: { type: "string", help: "name of the new sequence (letters, digits, _ and -)" },
  topics: {
    type: "string",
    help: "comma-separated globs applied in order: a pattern adds the topics it matches, !pattern " +
      "removes them (default: every topic; * also crosses /)",
  },
  metadata: { type: "string", help: "sequence user metadata: a JSON object, or the path of a JSON file" },
  unknown: {
    type: "string",
    help: "types the SDK has no adapter for: keep (generic structs from their definitions) or skip",
    default: "keep",
  },
  "ros-distro": {
    type: "string",
    help: "accepted for the SDK's injector; ignored (files embed definitions)",
  },
} as const;

async function parseMetadata(text: string | undefined): Promise<Record<string, JsonValue>> {
  if (text === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    let fileText: string;
    try {
      fileText = await Deno.readTextFile(text);
    } catch (err) {
      throw new ConfigError(`--metadata is neither JSON nor a readable file: ${(err as Error).message}`);
    }
    try {
      value = JSON.parse(fileText);
    } catch (err) {
      throw new ConfigError(`--metadata file "${text}" is not JSON: ${(err as Error).message}`);
    }
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new ConfigError("--metadata must be a JSON object");
  }
  return value as Record<string, JsonValue>;
}

function reportLines(report: ImportReport): string[] {
  const rows = report.topics.map((t) => [
    t.topic,
    t.type,
    t.ontology_tag ?? "-",
    t.status,
    String(t.messages),
    String(t.rows),
    String(t.skipped),
  ]);
  const lines = table(
    ["TOPIC", "TYPE", "TAG", "STATUS", "MESSAGES", "ROWS", "SKIPPED"],
    rows,
    new Set([4, 5, 6]),
  );
  for (const t of report.topics) {
    if (t.reason) lines.push(`${t.topic}: ${t.status}: ${t.reason}`);
    for (const e of t.errors) lines.push(`${t.topic}: ${plural(e.count, "message")} skipped: ${e.reason}`);
  }
  return lines;
}

const BAR = 24;

export const importCommand: Command = {
  name: "import",
  summary: "import ROS 2 MCAP files and ROS 1 bags as a sequence (the SDK injector's topics)",
  help: {
    usage: USAGE,
    summary: "Import ROS recordings into a new sequence: ROS 2 MCAP (CDR messages; zstd or lz4 chunks; " +
      "several files of a split recording merge by log time) and ROS 1 bags (bz2 or lz4 chunks). Each " +
      "type the Python SDK knows becomes the topic its ROS injector would write (tag, schema, envelope " +
      "columns); other types are generic structs. Undecodable messages are skipped and counted; a " +
      "channel that cannot be decoded at all is refused whole. Ends with a per-topic report.",
    options: { ...TOOLKIT_OPTIONS, ...OPTIONS },
    notes: [
      "Examples: mosaicod import run1.mcap --sequence run_01",
      "          mosaicod import a_0.mcap a_1.mcap --sequence walk --topics '/imu,/camera/*,!*/debug'",
      "Exit status: 0 when every selected topic was imported (or skipped by --unknown skip), 1 otherwise.",
    ],
  },
  async run(cli: CliEnv): Promise<number> {
    const args = parseToolkitArgs(cli, OPTIONS, { min: 1, max: Infinity, usage: USAGE });
    const v = args.values;
    if (!v.sequence) throw new ConfigError(`--sequence is required (usage: ${USAGE})`);
    if (v.unknown !== "keep" && v.unknown !== "skip") {
      throw new ConfigError(`--unknown must be keep or skip, got "${v.unknown}"`);
    }
    const metadata = await parseMetadata(v.metadata);
    const topics = v.topics === undefined ? [] : v.topics.split(",").map((p) => p.trim());
    using client = await openClient(v);
    const progress = progressLine(cli, args.quiet);
    let last = 0;
    const started = performance.now();
    let report: ImportReport;
    try {
      report = await importRos(client, {
        sequence: v.sequence,
        files: args.positionals,
        topics,
        metadata,
        unknown: v.unknown,
        onProgress: (done, expected, bytes) => {
          const now = performance.now();
          if (now - last < 100) return;
          last = now;
          const share = expected > 0 ? Math.min(done / expected, 1) : 0;
          const filled = Math.round(share * BAR);
          const rate = bytes / Math.max((now - started) / 1000, 0.001);
          progress.update(
            `[${"#".repeat(filled)}${" ".repeat(BAR - filled)}] ${done}/${expected} messages, ` +
              `${formatBytes(bytes)} (${formatBytes(rate)}/s)`,
          );
        },
      });
    } catch (err) {
      progress.done();
      if (err instanceof ImportError && err.report && !args.json) {
        for (const line of reportLines(err.report)) cli.stderr(line);
      }
      throw err;
    } finally {
      progress.done();
    }
    for (const w of report.warnings) cli.stderr(`mosaicod import: warning: ${w}`);
    if (args.json) {
      for (const t of report.topics) cli.stdout(JSON.stringify({ kind: "topic", ...t }));
      const { topics: _topics, ...summary } = report;
      cli.stdout(JSON.stringify({ kind: "import", ...summary }));
    } else {
      for (const line of reportLines(report)) cli.stdout(line);
      const imported = report.topics.filter((t) => t.status === "imported").length;
      cli.stdout(
        `Imported ${plural(report.rows, "row")} in ${plural(imported, "topic")} into "${report.sequence}" ` +
          `from ${plural(report.messages, "message")} (${formatBytes(report.bytes)}) in ` +
          `${(report.elapsed_ms / 1000).toFixed(1)}s; ${report.skipped} skipped`,
      );
    }
    const missing = report.topics.filter((t) => t.status === "refused" || t.status === "failed");
    if (missing.length > 0) {
      cli.stderr(
        `mosaicod import: ${plural(missing.length, "topic")} not imported: ${
          missing.map((t) => t.topic).join(", ")
        }`,
      );
      return 1;
    }
    return 0;
  },
};
