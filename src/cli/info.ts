/**
 * `mosaicod info <sequence|topic>`: one sequence (its metadata, sessions, topics, rows, size, time range)
 * or one topic (tag, format, times, rows in chunks, time range, metadata, and its schema as a tree), as
 * text or, with `--json`, one JSON object.
 *
 * @module
 */
import { type Field, type Schema, Type } from "apache-arrow";
import {
  type SequenceInfo,
  sequenceTotals,
  type SessionInfo,
  type TopicInfo,
  type TopicManifest,
} from "../client/mod.ts";
import type { JsonValue } from "../model/types.ts";
import { exactJson, formatBytes, formatSpan, formatTime, plural, table } from "./_format.ts";
import { openClient, parseToolkitArgs, TOOLKIT_OPTIONS } from "./_toolkit.ts";
import type { CliEnv, Command } from "./mod.ts";

const USAGE = "mosaicod info <sequence | sequence/topic | sequence:session> [options]";

/** Label/value lines, labels padded. */
function fields(rows: [string, string][]): string[] {
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  return rows.map(([k, v]) => `${k.padEnd(width)}${v}`);
}

function metadataText(value: JsonValue): string {
  const compact = exactJson(value);
  return compact.length <= 80 ? compact : `\n${exactJson(value, 2)}`.replaceAll("\n", "\n  ");
}

function completion(completedNs: bigint | null, locked: boolean): string {
  if (completedNs === null) return locked ? "locked" : "open";
  return `${formatTime(completedNs)}${locked ? " (locked)" : ""}`;
}

/** The fields of a schema, one line each, children indented under their parent. */
export function schemaTree(schema: Schema): string[] {
  const rows: string[][] = [];
  const walk = (list: readonly Field[], depth: number) => {
    for (const f of list) {
      const children = f.type.children ?? [];
      const type = children.length > 0 ? Type[f.type.typeId] : String(f.type);
      const meta = [...f.metadata].map(([k, v]) => `${k}=${v}`).join(", ");
      rows.push([
        `${"  ".repeat(depth)}${f.name}`,
        type,
        f.nullable ? "" : "not null",
        meta ? `{${meta}}` : "",
      ]);
      walk(children, depth + 1);
    }
  };
  walk(schema.fields, 1);
  const lines = table(["", "", "", ""], rows).slice(1);
  const meta = [...schema.metadata].map(([k, v]) => `  ${k}: ${v}`);
  return meta.length > 0 ? [...lines, "Schema metadata:", ...meta] : lines;
}

function topicText(t: TopicInfo): string[] {
  const lines = fields([
    ["Topic", t.locator],
    ["Ontology tag", t.ontologyTag],
    ["Format", t.serializationFormat],
    ["Created", formatTime(t.createdNs)],
    ["Completed", completion(t.completedNs, t.locked)],
    ["Rows", `${t.rows.toLocaleString("en-US")} in ${plural(t.chunks, "chunk")}, ${formatBytes(t.bytes)}`],
    ["Time range", formatSpan(t.span)],
    ["Metadata", metadataText(t.userMetadata)],
  ]);
  return [
    ...lines,
    "Schema:",
    ...(t.schema === null ? ["  (none: nothing uploaded yet)"] : schemaTree(t.schema)),
  ];
}

function sessionLine(s: SessionInfo): string {
  return `  ${s.locator}  created ${formatTime(s.createdNs)}, ` +
    `${s.completedNs === null ? "open" : `finalized ${formatTime(s.completedNs)}`}, ${
      plural(s.topics.length, "topic")
    }`;
}

function sequenceText(s: SequenceInfo): string[] {
  const { rows, bytes, chunks, span } = sequenceTotals(s);
  const lines = fields([
    ["Sequence", s.locator],
    ["Created", formatTime(s.createdNs)],
    [
      "Rows",
      `${rows.toLocaleString("en-US")} in ${plural(s.topics.length, "topic")}, ${plural(chunks, "chunk")}, ` +
      formatBytes(bytes),
    ],
    ["Time range", formatSpan(span)],
    ["Metadata", metadataText(s.userMetadata)],
  ]);
  lines.push(`Sessions (${s.sessions.length}):`, ...s.sessions.map(sessionLine));
  lines.push(`Topics (${s.topics.length}):`);
  const topicRows = s.topics.map((t) => [
    t.locator,
    t.ontologyTag,
    t.serializationFormat,
    t.rows.toLocaleString("en-US"),
    formatBytes(t.bytes),
    String(t.chunks),
    formatSpan(t.span),
  ]);
  const header = ["TOPIC", "TAG", "FORMAT", "ROWS", "SIZE", "CHUNKS", "TIME RANGE"];
  lines.push(...table(header, topicRows, new Set([3, 4, 5])).map((l) => `  ${l}`));
  return lines;
}

function manifestJson(t: TopicManifest) {
  return {
    topic: t.locator,
    ontology_tag: t.ontologyTag,
    serialization_format: t.serializationFormat,
    created_at_ns: t.createdNs,
    completed_at_ns: t.completedNs,
    locked: t.locked,
    rows: t.rows,
    bytes: t.bytes,
    chunks: t.chunks,
    start_ns: t.span?.startNs ?? null,
    end_ns: t.span?.endNs ?? null,
    user_metadata: t.userMetadata,
  };
}

function fieldJson(f: Field): unknown {
  return {
    name: f.name,
    type: String(f.type),
    nullable: f.nullable,
    metadata: Object.fromEntries(f.metadata),
    children: (f.type.children ?? []).map(fieldJson),
  };
}

export const infoCommand: Command = {
  name: "info",
  summary: "describe a sequence (metadata, sessions, topics) or a topic (schema, chunks, time range)",
  help: {
    usage: USAGE,
    summary: "Describe a sequence (metadata, sessions, topics with rows, size and time range) or a topic " +
      "(ontology tag, format, rows in chunks, time range, metadata, schema as a tree).",
    options: TOOLKIT_OPTIONS,
    notes: ["Example: mosaicod info run_01/sensors/imu"],
  },
  async run(cli: CliEnv): Promise<number> {
    const args = parseToolkitArgs(cli, {}, { min: 1, max: 1, usage: USAGE });
    using client = await openClient(args.values);
    const found = await client.describe(args.positionals[0]);
    if (found.kind === "topic") {
      const t = found.topic;
      if (args.json) {
        cli.stdout(exactJson({
          kind: "topic",
          ...manifestJson(t),
          schema: t.schema === null ? null : {
            fields: t.schema.fields.map(fieldJson),
            metadata: Object.fromEntries(t.schema.metadata),
          },
        }));
      } else for (const line of topicText(t)) cli.stdout(line);
      return 0;
    }
    const s = found.sequence;
    if (args.json) {
      cli.stdout(exactJson({
        kind: "sequence",
        sequence: s.locator,
        created_at_ns: s.createdNs,
        user_metadata: s.userMetadata,
        sessions: s.sessions.map((x) => ({
          locator: x.locator,
          created_at_ns: x.createdNs,
          completed_at_ns: x.completedNs,
          locked: x.locked,
          topics: x.topics,
        })),
        topics: s.topics.map(manifestJson),
      }));
    } else for (const line of sequenceText(s)) cli.stdout(line);
    return 0;
  },
};
