/**
 * `mosaicod cat <topic>`: a topic's rows in `timestamp_ns` order, as a table, CSV or JSON lines, from a
 * running daemon. `--from`/`--to` bound the window `[from, to)` (the daemon reads only the chunks that
 * overlap it), `--columns` picks and orders columns, `--limit` stops after that many rows (and cancels
 * the read).
 *
 * @module
 */
import { ConfigError } from "../errors.ts";
import { ROW_FORMATS, type RowFormat, RowWriter } from "./_rows.ts";
import { openClient, parseTimeBound, parseToolkitArgs, TOOLKIT_OPTIONS } from "./_toolkit.ts";
import type { CliEnv, Command } from "./mod.ts";

const USAGE = "mosaicod cat <sequence/topic> [--from T] [--to T] [--columns a,b] [--limit N] " +
  "[--format table|csv|jsonl] [options]";

const OPTIONS = {
  from: { type: "string", help: "first timestamp_ns to show: nanoseconds, or an ISO 8601 date-time (UTC)" },
  to: { type: "string", help: "end of the window, excluded: nanoseconds, or an ISO 8601 date-time (UTC)" },
  columns: { type: "string", help: "columns to show, comma-separated, in that order (default: all)" },
  limit: { type: "string", help: "show at most this many rows" },
  format: { type: "string", help: `output format: ${ROW_FORMATS.join(", ")}`, default: "table" },
} as const;

function parseLimit(text: string | undefined): number | null {
  if (text === undefined) return null;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n)) {
    throw new ConfigError(`--limit must be a whole number of rows, got "${text}"`);
  }
  return n;
}

function parseFormat(text: string | undefined): RowFormat {
  const format = ROW_FORMATS.find((f) => f === text);
  if (format === undefined) {
    throw new ConfigError(`--format must be one of ${ROW_FORMATS.join(", ")}, got "${text}"`);
  }
  return format;
}

function parseColumns(text: string | undefined): string[] | null {
  if (text === undefined) return null;
  const names = text.split(",").map((c) => c.trim());
  if (names.some((c) => c === "")) throw new ConfigError(`--columns has an empty name: "${text}"`);
  return names;
}

export const catCommand: Command = {
  name: "cat",
  summary: "print a topic's rows (time window, columns, limit; table, csv or jsonl)",
  help: {
    usage: USAGE,
    summary:
      "Print the rows of a topic in timestamp_ns order: all of them, or those in the window [--from, " +
      "--to), as an aligned table, CSV or JSON lines. 64-bit integers are exact; binary values are base64 " +
      "(their size in tables); lists and structs are JSON.",
    options: { ...TOOLKIT_OPTIONS, ...OPTIONS },
    notes: [
      "Examples: mosaicod cat run_01/imu --limit 10",
      "          mosaicod cat run_01/imu --from 2024-05-01T12:00:00Z --to 2024-05-01T12:01:00Z --format csv",
      "--json is the same as --format jsonl.",
    ],
  },
  async run(cli: CliEnv): Promise<number> {
    const args = parseToolkitArgs(cli, OPTIONS, { min: 1, max: 1, usage: USAGE });
    const v = args.values;
    const window = { startNs: parseTimeBound(v.from, "--from"), endNs: parseTimeBound(v.to, "--to") };
    const limit = parseLimit(v.limit);
    const format = args.json ? "jsonl" : parseFormat(v.format);
    const wanted = parseColumns(v.columns);
    using client = await openClient(v);
    const topic = await client.topicInfo(args.positionals[0], window);
    using reader = client.flight.doGet(topic.ticket);
    const schema = await reader.schema();
    if (schema === null) return 0; // nothing uploaded: no schema, no rows
    const available = schema.fields.map((f) => f.name);
    const missing = (wanted ?? []).filter((c) => !available.includes(c));
    if (missing.length > 0) {
      throw new ConfigError(
        `Topic "${topic.locator}" has no column ${missing.map((c) => `"${c}"`).join(", ")} ` +
          `(its columns: ${available.join(", ")})`,
      );
    }
    const writer = new RowWriter(format, wanted ?? available, cli.stdout);
    let left = limit ?? Infinity;
    if (left > 0) {
      for await (const batch of reader) {
        const count = Math.min(batch.numRows, left);
        writer.write(batch, count);
        left -= count;
        if (left === 0) break; // leaving the loop cancels the read
      }
    }
    writer.end();
    return 0;
  },
};
