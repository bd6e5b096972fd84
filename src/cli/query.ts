/**
 * `mosaicod query '<json>' | @file.json | -`: runs a query on a running daemon (the SDK 0.7 grammar:
 * `sequence`, `topic`, ontology and user-metadata conditions; see the README's Queries) and prints the
 * matching sequences with their topics, or the daemon's answer as JSON with `--json`.
 *
 * @module
 */
import type { JsonValue } from "../model/types.ts";
import { parseJsonExact } from "../model/json.ts";
import { ConfigError } from "../errors.ts";
import { exactJson, formatTime, plural } from "./_format.ts";
import { openClient, parseToolkitArgs, TOOLKIT_OPTIONS } from "./_toolkit.ts";
import type { CliEnv, Command } from "./mod.ts";

const USAGE = "mosaicod query '<json>' | @file.json | - [options]";

/** The query text: inline, from a file (`@path`) or from stdin (`-`). */
async function queryText(arg: string): Promise<string> {
  if (arg === "-") return await new Response(Deno.stdin.readable).text();
  if (!arg.startsWith("@")) return arg;
  try {
    return await Deno.readTextFile(arg.slice(1));
  } catch (err) {
    throw new ConfigError(`Cannot read the query file "${arg.slice(1)}": ${(err as Error).message}`);
  }
}

function parseQuery(text: string): JsonValue {
  let value: JsonValue;
  try {
    value = parseJsonExact(text);
  } catch (err) {
    throw new ConfigError(`The query is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ConfigError(
      'The query must be a JSON object, e.g. \'{"sequence": {"name": {"$match": "run_*"}}}\'',
    );
  }
  return value;
}

interface Item {
  sequence: string;
  topics: { locator: string; ontology_tag?: string; timestamp_range?: [JsonValue, JsonValue] }[];
}

function items(response: JsonValue): Item[] {
  const list = (response as { items?: unknown } | null)?.items;
  return Array.isArray(list) ? list as Item[] : [];
}

function rangeText(range: [JsonValue, JsonValue] | undefined): string {
  if (!Array.isArray(range)) return "";
  const [a, b] = range.map((v) => BigInt(String(exactJson(v))));
  return `  ${formatTime(a)} → ${formatTime(b)}`;
}

export const queryCommand: Command = {
  name: "query",
  summary: "run a query (JSON, inline or @file) and list the matching sequences and topics",
  help: {
    usage: USAGE,
    summary: "Run a query on a running daemon and print the sequences and topics it matches. The query is " +
      "JSON in the grammar of the Mosaico SDK 0.7 (sequence, topic, user-metadata and ontology conditions), " +
      "given inline, from a file (@file.json) or on stdin (-).",
    options: TOOLKIT_OPTIONS,
    notes: [
      `Example: mosaicod query '{"topic": {"ontology_tag": {"$eq": "imu"}}}'`,
      '--json prints the daemon\'s answer ({"items": [...]}) as it came, integers exact.',
    ],
  },
  async run(cli: CliEnv): Promise<number> {
    const args = parseToolkitArgs(cli, {}, { min: 1, max: 1, usage: USAGE });
    const query = parseQuery(await queryText(args.positionals[0]));
    using client = await openClient(args.values);
    const response = await client.query(query);
    if (args.json) {
      cli.stdout(exactJson(response));
      return 0;
    }
    const found = items(response);
    if (found.length === 0 && !args.quiet) cli.stderr("No sequence matches");
    for (const item of found) {
      cli.stdout(`${item.sequence}  (${plural(item.topics.length, "topic")})`);
      for (const t of item.topics) {
        cli.stdout(
          `  ${t.locator}${t.ontology_tag ? `  [${t.ontology_tag}]` : ""}${rangeText(t.timestamp_range)}`,
        );
      }
    }
    return 0;
  },
};
