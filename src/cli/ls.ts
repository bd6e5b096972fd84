/**
 * `mosaicod ls [glob]`: the sequences of a running daemon, with their topics, rows, stored bytes, time
 * span and creation time; a glob (`run_*`, the 0.7 `$match` grammar) keeps the names it matches in
 * whole. A table, or one JSON object per sequence with `--json`.
 *
 * @module
 */
import {
  ClientError,
  GrpcCode,
  type MosaicoClient,
  type SequenceInfo,
  sequenceTotals,
  type TimeSpan,
} from "../client/mod.ts";
import { globMatcher, parseGlob } from "../model/glob.ts";
import { ConfigError } from "../errors.ts";
import { exactJson, formatBytes, formatDuration, formatTime, table } from "./_format.ts";
import { openClient, parseToolkitArgs, progressLine, TOOLKIT_OPTIONS } from "./_toolkit.ts";
import type { CliEnv, Command } from "./mod.ts";

const USAGE = "mosaicod ls [glob] [options]";

/** Descriptions fetched at once. */
const CONCURRENCY = 8;

/** One sequence, summed over its topics. */
interface Summary {
  sequence: string;
  topics: number;
  sessions: number;
  rows: number;
  bytes: number;
  span: TimeSpan | null;
  createdNs: bigint;
}

function summarize(info: SequenceInfo): Summary {
  const { rows, bytes, span } = sequenceTotals(info);
  const sessions = info.sessions.length;
  return {
    sequence: info.locator,
    topics: info.topics.length,
    sessions,
    rows,
    bytes,
    span,
    createdNs: info.createdNs,
  };
}

/** Describes every sequence, a few at a time, in the order given. */
async function describeAll(
  client: MosaicoClient,
  names: string[],
  onDone: (done: number) => void,
): Promise<SequenceInfo[]> {
  const out: SequenceInfo[] = new Array(names.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < names.length) {
      const i = next++;
      try {
        out[i] = await client.sequenceInfo(names[i]);
      } catch (err) {
        // Deleted since it was listed: not there any more.
        if (!(err instanceof ClientError && err.code === GrpcCode.NOT_FOUND)) throw err;
      }
      onDone(++done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, names.length) }, worker));
  return out.filter((i) => i !== undefined);
}

function jsonLine(s: Summary): string {
  return exactJson({
    sequence: s.sequence,
    topics: s.topics,
    sessions: s.sessions,
    rows: s.rows,
    bytes: s.bytes,
    start_ns: s.span?.startNs ?? null,
    end_ns: s.span?.endNs ?? null,
    created_at_ns: s.createdNs,
    created: formatTime(s.createdNs),
  });
}

export const lsCommand: Command = {
  name: "ls",
  summary: "list the sequences of a running daemon (topics, rows, size, time span, creation)",
  help: {
    usage: USAGE,
    summary: "List the sequences of a running daemon: topics, rows, stored size, time span of the data and " +
      "creation time, by name. A glob keeps the names it matches whole (* any run, ? one character, " +
      "# a digit, [a-z] a set).",
    options: TOOLKIT_OPTIONS,
    notes: ["Example: mosaicod ls 'run_*' --server grpc://robot-lab:6726"],
  },
  async run(cli: CliEnv): Promise<number> {
    const args = parseToolkitArgs(cli, {}, { min: 0, max: 1, usage: USAGE });
    const pattern = args.positionals[0];
    let matches: (name: string) => boolean = () => true;
    if (pattern !== undefined) {
      try {
        matches = globMatcher(parseGlob(pattern));
      } catch (err) {
        throw new ConfigError((err as Error).message);
      }
    }
    using client = await openClient(args.values);
    const names = (await client.listSequences()).filter(matches).sort();
    const progress = progressLine(cli, args.quiet);
    const infos = await describeAll(
      client,
      names,
      (done) => progress.update(`describing sequences: ${done}/${names.length}`),
    );
    progress.done();
    const summaries = infos.map(summarize);
    if (args.json) {
      for (const s of summaries) cli.stdout(jsonLine(s));
      return 0;
    }
    if (summaries.length === 0) {
      if (!args.quiet) {
        cli.stderr(pattern === undefined ? "No sequences" : `No sequence matches "${pattern}"`);
      }
      return 0;
    }
    const rows = summaries.map((s) => [
      s.sequence,
      String(s.topics),
      s.rows.toLocaleString("en-US"),
      formatBytes(s.bytes),
      s.span === null ? "-" : formatTime(s.span.startNs),
      s.span === null ? "-" : formatDuration(s.span.endNs - s.span.startNs),
      formatTime(s.createdNs),
    ]);
    const header = ["SEQUENCE", "TOPICS", "ROWS", "SIZE", "START", "DURATION", "CREATED"];
    for (const line of table(header, rows, new Set([1, 2, 3]))) cli.stdout(line);
    return 0;
  },
};
