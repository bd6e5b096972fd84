/**
 * `exportTopics()`: what `mosaicod export` does. Resolves its targets (sequences and topics) on the
 * daemon with the time window, keeps the topics `--topics` selects, plans every output file and refuses
 * to replace existing ones before writing anything, then streams each topic from DoGet into its
 * format's writer, one topic at a time. A failure removes the files of the sequence being written;
 * those already completed stay.
 *
 * Output layout: Parquet and CSV write `<out>/<sequence>/<topic path>.<ext>` (a topic's folders become
 * folders); MCAP writes `<out>/<sequence>.mcap`, or exactly `out` when it ends in `.mcap` and one
 * sequence is exported.
 *
 * Imports `client/`, `model/` and `errors.ts`; never the daemon.
 *
 * @module
 */
import type { MosaicoClient, TopicManifest, Window } from "../../client/mod.ts";
import { ConfigError, InvalidArgumentError, NotFoundError } from "../../errors.ts";
import type { JsonValue } from "../../model/types.ts";
import { topicPredicate } from "../topic_select.ts";
import { checkWritable, sequenceFilePath, topicFilePath } from "./_output.ts";
import type { ExportFormat, SequenceSource } from "./format.ts";

/** What to export, where, and how. */
export interface ExportOptions {
  /** Sequence names, session locators (`<sequence>:<ULID>`) or topic locators (`<sequence>/<path>`). */
  targets: string[];
  format: ExportFormat;
  /** The output folder, or the `.mcap` file of a single sequence. */
  out: string;
  /**
   * Topic path patterns (globs, `*` crossing `/`), applied in order: a pattern adds the topics it
   * matches, `!pattern` removes them; without any plain pattern every topic is the start.
   */
  topics?: string[];
  /** First `timestamp_ns` exported, included; null for the beginning. */
  fromNs?: bigint | null;
  /** Last `timestamp_ns` exported, included; null for the end. */
  toNs?: bigint | null;
  /** Replace files that exist. */
  force?: boolean;
  /** Progress of the topic being written: its rows and bytes so far, and its rows in the window. */
  onProgress?: (p: { locator: string; rows: number; bytes: number; totalRows: number }) => void;
  /** Called as each topic completes. */
  onTopic?: (report: TopicReport) => void;
}

/** One topic exported. */
export interface TopicReport {
  sequence: string;
  locator: string;
  /** The file it went to; null when skipped. */
  file: string | null;
  rows: number;
  bytes: number;
  /** Why it was skipped (a topic that never received data); null when written. */
  skipped: string | null;
}

/** A sequence and the topics chosen in it, each with its read ticket for the window. */
interface PlannedSequence {
  source: SequenceSource;
  topics: TopicManifest[];
  /** The sequence's file (MCAP), or null. */
  file: string | null;
}

/**
 * Exports the targets; returns a report per topic (in the order written).
 * @throws ConfigError for bad options, NotFoundError when nothing matches, AlreadyExistsError for a file that
 *   exists (without `force`), ClientError for a refused call, Error for a file that cannot be written.
 */
export async function exportTopics(client: MosaicoClient, opts: ExportOptions): Promise<TopicReport[]> {
  const window = windowOf(opts.fromNs ?? null, opts.toNs ?? null);
  const plan = await planSequences(client, opts, window);
  const reports: TopicReport[] = [];
  for (const seq of plan) {
    const writer = await opts.format.open(seq.source, seq.file);
    try {
      for (const topic of seq.topics) {
        const report = await exportTopic(client, seq, topic, writer, opts);
        reports.push(report);
        opts.onTopic?.(report);
      }
      await writer.finish();
    } catch (err) {
      await writer.abort();
      throw err;
    }
  }
  return reports;
}

async function exportTopic(
  client: MosaicoClient,
  seq: PlannedSequence,
  topic: TopicManifest,
  writer: Awaited<ReturnType<ExportFormat["open"]>>,
  opts: ExportOptions,
): Promise<TopicReport> {
  const path = topic.locator.slice(seq.source.name.length + 1);
  using reader = client.flight.doGet(topic.ticket);
  const schema = await reader.schema();
  const base = { sequence: seq.source.name, locator: topic.locator };
  if (schema === null || schema.fields.length === 0) {
    return { ...base, file: null, rows: 0, bytes: 0, skipped: "it holds no data" };
  }
  const totalRows = topic.window?.rows ?? topic.rows;
  const written = await writer.writeTopic({
    locator: topic.locator,
    path,
    ontologyTag: topic.ontologyTag,
    serializationFormat: topic.serializationFormat,
    userMetadata: topic.userMetadata,
    schema,
    batches: reader.received(),
    file: opts.format.layout === "topic"
      ? topicFilePath(opts.out, seq.source.name, path, opts.format.extension)
      : null,
    onProgress: (rows, bytes) => opts.onProgress?.({ locator: topic.locator, rows, bytes, totalRows }),
  });
  return { ...base, ...written, skipped: null };
}

/** The daemon's half-open window of the inclusive bounds. */
function windowOf(fromNs: bigint | null, toNs: bigint | null): Window {
  if (fromNs !== null && toNs !== null && fromNs > toNs) {
    throw new ConfigError(`--from (${fromNs}) is after --to (${toNs})`);
  }
  return { startNs: fromNs, endNs: toNs === null ? null : toNs + 1n };
}

/** A topic path filter of `--topics` patterns (a leading `/` of a pattern is ignored: paths have none). */
export function topicFilter(patterns: readonly string[]): (path: string) => boolean {
  return topicPredicate(patterns.map((p) => p.replace(/^(!?)\//, "$1")));
}

async function planSequences(
  client: MosaicoClient,
  opts: ExportOptions,
  window: Window,
): Promise<PlannedSequence[]> {
  if (opts.targets.length === 0) throw new ConfigError("Name at least one sequence or topic to export");
  const byName = new Map<string, { userMetadata: JsonValue; topics: Map<string, TopicManifest> }>();
  for (const target of opts.targets) {
    const found = await client.describe(target, window);
    const name = found.kind === "sequence" ? found.sequence.locator : sequenceOf(found.topic.locator);
    let entry = byName.get(name);
    if (entry === undefined) {
      const userMetadata = found.kind === "sequence" && !target.includes(":")
        ? found.sequence.userMetadata
        : (await client.sequenceInfo(name)).userMetadata;
      entry = { userMetadata, topics: new Map() };
      byName.set(name, entry);
    }
    const topics = found.kind === "sequence" ? found.sequence.topics : [found.topic];
    for (const t of topics) entry.topics.set(t.locator, t);
  }
  const keep = topicFilter(opts.topics ?? []);
  const plan: PlannedSequence[] = [];
  for (const [name, entry] of byName) {
    const topics = [...entry.topics.values()]
      .filter((t) => keep(t.locator.slice(name.length + 1)))
      .sort((a, b) => a.locator < b.locator ? -1 : a.locator > b.locator ? 1 : 0);
    if (topics.length === 0) continue;
    const source = {
      name,
      userMetadata: entry.userMetadata,
      topicMetadata: topics.map((t) => t.userMetadata),
    };
    plan.push({ source, topics, file: null });
  }
  if (plan.length === 0) {
    throw new NotFoundError(`No topic of ${opts.targets.map((t) => `"${t}"`).join(", ")} matches --topics`);
  }
  await planFiles(plan, opts);
  return plan;
}

/** Gives each sequence its file (sequence layout) and checks that no planned file exists. */
async function planFiles(plan: PlannedSequence[], opts: ExportOptions): Promise<void> {
  const { format, out } = opts;
  const files: string[] = [];
  if (format.layout === "sequence") {
    const single = out.endsWith(`.${format.extension}`);
    if (single && plan.length > 1) {
      throw new ConfigError(
        `--out "${out}" names one file but ${plan.length} sequences are exported: give a folder instead`,
      );
    }
    for (const seq of plan) {
      seq.file = single ? out : sequenceFilePath(out, seq.source.name, format.extension);
      files.push(seq.file);
    }
  } else {
    for (const seq of plan) {
      for (const t of seq.topics) {
        files.push(
          topicFilePath(out, seq.source.name, t.locator.slice(seq.source.name.length + 1), format.extension),
        );
      }
    }
  }
  for (const file of files) await checkWritable(file, opts.force ?? false);
}

function sequenceOf(topicLocator: string): string {
  const slash = topicLocator.indexOf("/");
  if (slash <= 0) throw new InvalidArgumentError(`Cannot tell the sequence of topic "${topicLocator}"`);
  return topicLocator.slice(0, slash);
}
