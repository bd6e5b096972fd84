/**
 * `mosaicod import`'s work: ROS 2 MCAP files and ROS 1 bags become one sequence with one session
 * (the SDK injector's layout), streamed through the client. The files' indexes are planned first
 * (`plan.ts`: nothing is created when no topic can be imported); then the messages are read once, in
 * log-time order across the files, and every topic uploads while it is read (one DoPut per topic, at
 * most `maxOpenTopics` at once: more topics take more passes over the files). A message that cannot be
 * decoded or mapped is skipped and counted with its reason; a topic the daemon refuses fails alone; a
 * file that breaks mid-way (corrupt chunk) stops the import and deletes the sequence.
 *
 * Layer: imports `src/client/`, `model/` and this folder. Never the daemon.
 *
 * @module
 */
import { basename } from "node:path";
import type { MosaicoClient } from "../../client/mod.ts";
import type { JsonValue } from "../../model/types.ts";
import type { Msg } from "./_msg.ts";
import { normalizeImageFormat } from "./map_camera.ts";
import { PngPool, startRowPngs } from "./png_pool.ts";
import { planImport, type PlannedTopic, SDK_SEQUENCE } from "./plan.ts";
import { ROS_SEQUENCE_KEYS, rosOriginMetadata } from "./original.ts";
import { mergeByLogTime, openSource, type RosSource } from "./source.ts";
import { TopicUpload } from "./upload.ts";
import type { TopicReport } from "./report.ts";

export type { ImportReport, TopicReport } from "./report.ts";
import type { ImportReport } from "./report.ts";

/** What to import and how. */
export interface ImportOptions {
  sequence: string;
  files: readonly string[];
  /** `--topics` patterns, in order. */
  topics?: readonly string[];
  /** Sequence user metadata (the `rosbag_injection` and `ros:sources` keys are added). */
  metadata?: Record<string, JsonValue>;
  /** Types without an SDK adapter: kept as generic structs (default) or skipped. */
  unknown?: "keep" | "skip";
  /** Target size of a batch, counted in serialized message bytes (default 8 MiB). */
  batchBytes?: number;
  batchRows?: number;
  /** Uploads open at once (default 48; the daemon allows 100 calls per connection). */
  maxOpenTopics?: number;
  /** Called after each message read. */
  onProgress?: (messages: number, expected: number, bytes: number) => void;
}

/** An import that could not start or had to stop; `report` says how far it went. */
export class ImportError extends Error {
  override name = "ImportError";
  report: ImportReport | null;
  constructor(message: string, report: ImportReport | null, options?: ErrorOptions) {
    super(message, options);
    this.report = report;
  }
}

const MAX_REASONS = 5;

interface Live {
  plan: PlannedTopic;
  report: TopicReport;
  upload: TopicUpload | null;
}

function newReport(p: PlannedTopic): TopicReport {
  return {
    topic: p.topic,
    type: p.type,
    locator: p.status === "planned" ? p.locator : null,
    status: p.status === "planned" ? "imported" : p.status,
    ontology_tag: p.layout?.ontologyTag ?? null,
    mapping: p.layout?.mapping ?? null,
    messages: 0,
    rows: 0,
    skipped: 0,
    reason: p.reason,
    errors: [],
  };
}

function skip(r: TopicReport, reason: string): void {
  r.skipped++;
  const known = r.errors.find((e) => e.reason === reason);
  if (known) known.count++;
  else if (r.errors.length < MAX_REASONS) r.errors.push({ reason, count: 1 });
}

const why = (err: unknown) => err instanceof Error ? err.message : String(err);

/** Imports `opts.files` into a new sequence. @throws ImportError, ClientError */
export async function importRos(client: MosaicoClient, opts: ImportOptions): Promise<ImportReport> {
  const started = performance.now();
  if (!SDK_SEQUENCE.test(opts.sequence)) {
    throw new ImportError(
      `Sequence name "${opts.sequence}" is not allowed: a letter or digit first, then letters, digits, _ or -`,
      null,
    );
  }
  if (opts.files.length === 0) throw new ImportError("No file to import", null);
  const sources: RosSource[] = [];
  try {
    for (const f of opts.files) sources.push(await openSource(f));
    return await run(client, sources, opts, started);
  } finally {
    for (const s of sources) await s[Symbol.asyncDispose]();
  }
}

async function run(client: MosaicoClient, sources: RosSource[], opts: ImportOptions, started: number) {
  const sequence = opts.sequence.replace(/^\//, "");
  const planned = planImport(sources, sequence, {
    topics: opts.topics ?? [],
    unknown: opts.unknown ?? "keep",
  });
  const live: Live[] = planned.topics.map((plan) => ({ plan, report: newReport(plan), upload: null }));
  const report: ImportReport = {
    sequence,
    files: sources.map((s) => basename(s.path)),
    topics: live.map((l) => l.report),
    messages: 0,
    rows: 0,
    skipped: 0,
    bytes: 0,
    elapsed_ms: 0,
    warnings: planned.unmatched.map((p) => `--topics pattern "${p}" matches no topic`),
  };
  const total = sources.reduce((n, s) => n + s.channels.reduce((m, c) => m + (c.messageCount ?? 0), 0), 0);
  const empty = sources.every((s) => s.startNs === null);
  if (total === 0 && empty) {
    throw new ImportError(`${report.files.join(", ")}: no messages to import (empty recording)`, report);
  }
  if (live.length === 0) throw new ImportError("--topics selects no topic of the recording", report);
  const todo = live.filter((l) => l.plan.status === "planned");
  if (todo.length === 0) throw new ImportError("No topic of the recording can be imported", report);

  await client.createSequence(sequence, {
    ...(opts.metadata ?? {}),
    [ROS_SEQUENCE_KEYS.injection]: report.files[0],
    [ROS_SEQUENCE_KEYS.sources]: sources.map((s) => ({
      file: basename(s.path),
      container: s.container,
      profile: s.profile,
      library: s.library,
      start_ns: s.startNs === null ? null : String(s.startNs),
      end_ns: s.endNs === null ? null : String(s.endNs),
    })),
  });
  const session = await client.createSession(sequence);
  const expected = todo.reduce((n, l) => n + l.plan.expected, 0);
  const maxOpen = opts.maxOpenTopics ?? 48;
  const limitBytes = Math.floor(client.server.maxDecodeBytes * 0.9);
  const batchBytes = Math.min(opts.batchBytes ?? 8 << 20, Math.floor(limitBytes / 2));
  // Image frames are deflated on worker threads while the file is read (started at the first frame).
  using pngs = new PngPool();
  try {
    for (let i = 0; i < todo.length; i += maxOpen) {
      const group = todo.slice(i, i + maxOpen);
      await pass(client, sources, group, {
        session: session.uuid,
        limitBytes,
        pngs,
        batch: { batchBytes, batchRows: opts.batchRows ?? 65_536 },
        progress: () => opts.onProgress?.(report.messages, expected, report.bytes),
        count: (bytes) => {
          report.messages++;
          report.bytes += bytes;
        },
      });
    }
  } catch (err) {
    await Promise.all(live.map((l) => l.upload?.abort(why(err))));
    await client.deleteSequence(sequence).catch(() => {});
    for (const l of live.filter((l) => l.report.status === "imported")) {
      Object.assign(l.report, { status: "failed", rows: 0, locator: null, reason: "the import stopped" });
    }
    throw new ImportError(`Import stopped, sequence "${sequence}" deleted: ${why(err)}`, report);
  }
  // A topic whose upload failed midway exists unlocked, and a session with one cannot be finalized: remove
  // it (its report says why it failed), so that the other topics are kept.
  for (const l of live) {
    if (l.report.status !== "failed" || l.upload === null) continue;
    await client.deleteTopic(l.plan.locator).catch((err) => {
      l.report.reason = `${l.report.reason}; removing the topic failed too: ${why(err)}`;
    });
  }
  if (!live.some((l) => l.report.status === "imported" && l.upload !== null)) {
    await client.deleteSequence(sequence).catch(() => {});
    throw new ImportError(`No topic could be imported, sequence "${sequence}" deleted`, report);
  }
  await client.finalizeSession(session.uuid);
  for (const l of live) {
    if (l.report.status === "imported" && l.upload === null && l.report.reason === null) {
      l.report.status = "empty";
      l.report.locator = null;
      l.report.reason = l.report.messages === 0 ? "no messages" : "no message could be imported";
    }
    report.rows += l.report.rows;
    report.skipped += l.report.skipped;
  }
  report.elapsed_ms = Math.round(performance.now() - started);
  return report;
}

interface PassContext {
  session: string;
  limitBytes: number;
  pngs: PngPool;
  batch: { batchBytes: number; batchRows: number };
  progress: () => void;
  count: (bytes: number) => void;
}

/** One read of the files for `group`'s topics, uploading them as it goes. */
async function pass(client: MosaicoClient, sources: RosSource[], group: Live[], ctx: PassContext) {
  const byChannel = new Map<string, { live: Live; decode: (d: Uint8Array) => Msg }>();
  for (const l of group) {
    for (const c of l.plan.channels) {
      byChannel.set(`${c.file}:${c.channel.id}`, { live: l, decode: c.decoder.decode });
    }
  }
  const streams = sources.map((s, file) => {
    const ids = new Set(
      group.flatMap((l) => l.plan.channels.filter((c) => c.file === file).map((c) => c.channel.id)),
    );
    return s.messages(ids, file);
  });
  for await (const raw of mergeByLogTime(streams)) {
    const target = byChannel.get(`${raw.file}:${raw.channelId}`);
    ctx.count(raw.data.length);
    ctx.progress();
    if (target === undefined) continue;
    const { live, decode } = target;
    const r = live.report;
    r.messages++;
    if (r.status !== "imported") continue;
    if (raw.data.length > ctx.limitBytes) {
      skip(r, `message of ${raw.data.length} bytes exceeds the daemon's message limit`);
      continue;
    }
    let msg: Msg;
    let row;
    try {
      msg = decode(raw.data);
    } catch (err) {
      skip(r, `cannot decode: ${why(err)}`);
      continue;
    }
    try {
      row = live.plan.layout!.row(msg, raw.logTimeNs);
    } catch (err) {
      skip(r, why(err));
      continue;
    }
    const upload = live.upload ?? await open(client, live, msg, ctx);
    if (upload === null) continue;
    try {
      const pngs = await startRowPngs(row, ctx.pngs);
      await upload.add(row, raw.data.length + 64, pngs?.ready ?? null);
    } catch (err) {
      r.status = "failed";
      r.reason = `Cannot build a record batch: ${why(err)}`;
      await upload.abort(r.reason);
    }
  }
  await Promise.all(group.map(async (l) => {
    if (l.upload === null || l.report.status !== "imported") return;
    const err = await l.upload.finish();
    if (err) {
      l.report.status = "failed";
      l.report.reason = `The daemon refused the upload: ${why(err)}`;
    } else l.report.rows = l.upload.rowsSent;
  }));
}

/** Creates the topic at its first row and starts its DoPut; null (and the topic failed) if refused. */
async function open(
  client: MosaicoClient,
  live: Live,
  first: Msg,
  ctx: PassContext,
): Promise<TopicUpload | null> {
  const { plan, report } = live;
  const layout = plan.layout!;
  let imageFormat: string | null = null;
  if (layout.ontologyTag === "compressed_image" && typeof first.format === "string") {
    imageFormat = normalizeImageFormat(first.format) === first.format ? null : first.format;
  }
  try {
    const uuid = await client.createTopic({
      locator: plan.locator,
      sessionUuid: ctx.session,
      ontologyTag: layout.ontologyTag,
      serializationFormat: layout.serializationFormat,
      userMetadata: rosOriginMetadata({ ...plan.origin!, mapping: layout.mapping, imageFormat }),
    });
    live.upload = new TopicUpload(
      layout.schema,
      (batches) => client.putTopic(plan.locator, uuid, layout.schema, batches),
      ctx.batch,
    );
    return live.upload;
  } catch (err) {
    report.status = "failed";
    report.reason = `The daemon refused the topic: ${why(err)}`;
    return null;
  }
}
