/**
 * Chunk rows and their column statistics: committed with their topic's lock in one transaction,
 * then read back by time range for the read and query paths.
 *
 * @module
 */
import { FailedPreconditionError } from "../errors.ts";
import { CHUNK_STATS_VERSION } from "../model/manifests.ts";
import type { Chunk, ColumnStats, NewChunk, Topic } from "../model/types.ts";
import {
  CHUNK_COLUMNS,
  type ChunkRow,
  STATS_COLUMNS,
  type StatsRow,
  toChunk,
  toColumnStats,
} from "./_rows.ts";
import type { SqlDriver } from "./driver.ts";
import { appendEvents, type NewEvent, NOW_NS } from "./events.ts";
import { enqueueJob, holdJob, type JobFence, type NewJob } from "./jobs.ts";
import { selectTopicForUpdate } from "./topics.ts";

/** Totals over the chunks of a topic or a sequence. */
export interface Usage {
  chunks: number;
  sizeBytes: number;
  rows: number;
  /** Smallest and largest `timestamp_ns` over the rows (inclusive); null without rows. */
  startNs: bigint | null;
  endNs: bigint | null;
}

export interface ListChunksOptions {
  /** Inclusive range: only chunks whose [startNs, endNs] overlaps it. Either bound may be omitted. */
  startNs?: bigint;
  endNs?: bigint;
  withStats?: boolean;
}

/**
 * Records all chunks of a topic with their statistics and locks the topic, in one transaction.
 * @throws FailedPreconditionError `Topic "x" is locked` (nothing recorded) when already committed.
 */
export function commitTopic(
  db: SqlDriver,
  topicId: number,
  chunks: readonly NewChunk[],
  completedNs?: bigint,
): Promise<Topic> {
  return db.transaction(async (tx) => {
    // The row lock makes a concurrent commit of the same topic wait, then see locked = true.
    const topic = await selectTopicForUpdate(tx, topicId);
    if (topic.locked) throw new FailedPreconditionError(`Topic "${topic.name}" is locked`);
    if (chunks.length > 0) {
      await insertChunks(tx, topicId, chunks);
      await insertStats(tx, topicId, chunks);
    }
    const rows = await tx.query<{ completed_ns: string }>(
      `UPDATE topics SET locked = true, completed_ns = coalesce($2::text::int8, ${NOW_NS}) WHERE id = $1
       RETURNING completed_ns::text AS completed_ns`,
      [topicId, completedNs === undefined ? null : String(completedNs)],
    );
    await appendEvents(tx, [
      ...chunks.map((c) => chunkEvent(topic, c)),
      {
        kind: "topic.locked",
        sequence: topic.sequenceName,
        topic: topic.name,
        resourceUuid: topic.uuid,
        detail: totals(chunks),
      },
    ]);
    return { ...topic, locked: true, completedNs: BigInt(rows[0].completed_ns) };
  });
}

function chunkEvent(topic: Topic, c: NewChunk): NewEvent {
  return {
    kind: "chunk.committed",
    sequence: topic.sequenceName,
    topic: topic.name,
    resourceUuid: topic.uuid,
    detail: {
      index: c.index,
      rows: c.rowCount,
      bytes: c.sizeBytes,
      start_ns: String(c.startNs),
      end_ns: String(c.endNs),
    },
  };
}

function totals(chunks: readonly NewChunk[]): { chunks: number; rows: number; bytes: number } {
  return {
    chunks: chunks.length,
    rows: chunks.reduce((n, c) => n + c.rowCount, 0),
    bytes: chunks.reduce((n, c) => n + c.sizeBytes, 0),
  };
}

/** One statement for all chunks: the rows travel as one JSON array, int8 values as text. */
async function insertChunks(tx: SqlDriver, topicId: number, chunks: readonly NewChunk[]): Promise<void> {
  const rows = chunks.map((c) => ({
    uuid: c.uuid,
    idx: c.index,
    key: c.key,
    size_bytes: String(c.sizeBytes),
    row_count: String(c.rowCount),
    start_ns: String(c.startNs),
    end_ns: String(c.endNs),
    stats_version: c.statsVersion ?? CHUNK_STATS_VERSION,
  }));
  await tx.query(
    `INSERT INTO chunks (uuid, topic_id, chunk_index, key, size_bytes, row_count, start_ns, end_ns, stats_version)
     SELECT r.uuid::uuid, $1, r.idx, r.key, r.size_bytes::int8, r.row_count::int8, r.start_ns::int8,
       r.end_ns::int8, r.stats_version
     FROM jsonb_to_recordset($2::text::jsonb) AS r(uuid text, idx integer, key text, size_bytes text,
       row_count text, start_ns text, end_ns text, stats_version integer)`,
    [topicId, JSON.stringify(rows)],
  );
}

/** One statement for all statistics; floats travel as text so NaN and ±Infinity survive JSON. */
async function insertStats(tx: SqlDriver, topicId: number, chunks: readonly NewChunk[]): Promise<void> {
  const rows = chunks.flatMap((c) => c.stats.map((s, position) => statsParam(c.index, position, s)));
  if (rows.length === 0) return;
  await insertStatsRows(tx, topicId, rows);
}

async function insertStatsRows(
  tx: SqlDriver,
  topicId: number,
  rows: ReturnType<typeof statsParam>[],
): Promise<void> {
  await tx.query(
    `INSERT INTO chunk_stats
       (chunk_id, column_name, position, kind, min_num, max_num, min_text, max_text, has_null, has_nan)
     SELECT c.id, r.col, r.pos, r.kind, r.min_num::float8, r.max_num::float8, r.min_text, r.max_text,
       r.has_null, r.has_nan
     FROM jsonb_to_recordset($2::text::jsonb) AS r(
       idx integer, col text, pos integer, kind text, min_num text, max_num text,
       min_text text, max_text text, has_null boolean, has_nan boolean)
     JOIN chunks c ON c.topic_id = $1 AND c.chunk_index = r.idx`,
    [topicId, JSON.stringify(rows)],
  );
}

function statsParam(index: number, position: number, s: ColumnStats) {
  const base = { idx: index, col: s.column, pos: position, kind: s.kind, has_null: s.hasNull };
  if (s.kind === "numeric") {
    return { ...base, min_num: floatText(s.min), max_num: floatText(s.max), has_nan: s.hasNan };
  }
  return { ...base, min_text: s.min, max_text: s.max, has_nan: false };
}

function floatText(x: number | null): string | null {
  if (x === null) return null;
  return Object.is(x, -0) ? "-0" : String(x);
}

/** Chunks of a topic ordered by start time then index, optionally with their statistics. */
export async function listChunks(
  db: SqlDriver,
  topicId: number,
  opts: ListChunksOptions = {},
): Promise<Chunk[]> {
  const where = `c.topic_id = $1 AND ($2::int8 IS NULL OR c.end_ns >= $2::int8)
    AND ($3::int8 IS NULL OR c.start_ns <= $3::int8)`;
  const params = [topicId, opts.startNs ?? null, opts.endNs ?? null];
  const rows = await db.query<ChunkRow>(
    `SELECT ${CHUNK_COLUMNS} FROM chunks c WHERE ${where} ORDER BY c.start_ns, c.chunk_index`,
    params,
  );
  const stats = new Map<number, ColumnStats[]>();
  if (opts.withStats && rows.length > 0) {
    const statsRows = await db.query<StatsRow>(
      `SELECT ${STATS_COLUMNS} FROM chunk_stats st JOIN chunks c ON c.id = st.chunk_id
       WHERE ${where} ORDER BY st.chunk_id, st.position`,
      params,
    );
    for (const r of statsRows) {
      const list = stats.get(Number(r.chunk_id)) ?? [];
      list.push(toColumnStats(r));
      stats.set(Number(r.chunk_id), list);
    }
  }
  return rows.map((r) => toChunk(r, stats.get(Number(r.id)) ?? []));
}

/** Totals over a topic's chunks; zeros for a topic without chunks (or no such topic). */
export function topicUsage(db: SqlDriver, topicId: number): Promise<Usage> {
  return usage(db, "FROM chunks c WHERE c.topic_id = $1", topicId);
}

/** Totals over the chunks of every topic of a sequence. */
export function sequenceUsage(db: SqlDriver, sequenceId: number): Promise<Usage> {
  return usage(db, "FROM chunks c JOIN topics t ON t.id = c.topic_id WHERE t.sequence_id = $1", sequenceId);
}

const USAGE_COLUMNS = `count(*) AS chunks, coalesce(sum(c.size_bytes), 0)::int8 AS size_bytes,
  coalesce(sum(c.row_count), 0)::int8 AS rows, min(c.start_ns)::text AS start_ns, max(c.end_ns)::text AS end_ns`;

interface UsageRow {
  chunks: number;
  size_bytes: number;
  rows: number;
  start_ns: string | null;
  end_ns: string | null;
}

function toUsage(r: UsageRow): Usage {
  // A chunk has at least one row: chunks exist exactly when rows do, and so does the range.
  return {
    chunks: Number(r.chunks),
    sizeBytes: Number(r.size_bytes),
    rows: Number(r.rows),
    startNs: r.start_ns === null ? null : BigInt(r.start_ns),
    endNs: r.end_ns === null ? null : BigInt(r.end_ns),
  };
}

async function usage(db: SqlDriver, from: string, id: number): Promise<Usage> {
  const rows = await db.query<UsageRow>(`SELECT ${USAGE_COLUMNS} ${from}`, [id]);
  return toUsage(rows[0]);
}

/** The usage of every topic of a sequence, by topic id (topics without chunks are absent). */
export async function topicUsagesOfSequence(db: SqlDriver, sequenceId: number): Promise<Map<number, Usage>> {
  const rows = await db.query<UsageRow & { topic_id: number }>(
    `SELECT c.topic_id, ${USAGE_COLUMNS} FROM chunks c JOIN topics t ON t.id = c.topic_id
     WHERE t.sequence_id = $1 GROUP BY c.topic_id`,
    [sequenceId],
  );
  return new Map(rows.map((r) => [Number(r.topic_id), toUsage(r)]));
}

/** Usage of a topic without chunks. */
export const NO_USAGE: Readonly<Usage> = Object.freeze({
  chunks: 0,
  sizeBytes: 0,
  rows: 0,
  startNs: null,
  endNs: null,
});

/**
 * Replaces all chunks of a locked topic with `next` (compaction), in one transaction, only if its chunks
 * are still exactly `expected` (uuids); enqueues `job` (the removal of the replaced objects) and appends a
 * `topic.compacted` event in the same transaction. Readers see the old chunks or the new ones, never both.
 * @throws FailedPreconditionError when the topic is unlocked or its chunks changed; NotFoundError.
 */
export function replaceTopicChunks(
  db: SqlDriver,
  topicId: number,
  expected: readonly string[],
  next: readonly NewChunk[],
  job: NewJob,
  fence?: JobFence,
): Promise<Topic> {
  return db.transaction(async (tx) => {
    if (fence) await holdJob(tx, fence);
    const topic = await selectTopicForUpdate(tx, topicId);
    if (!topic.locked) throw new FailedPreconditionError(`Topic "${topic.name}" is not locked`);
    const current = await tx.query<{ uuid: string }>("SELECT uuid FROM chunks WHERE topic_id = $1", [
      topicId,
    ]);
    const want = new Set(expected);
    if (current.length !== want.size || current.some((c) => !want.has(c.uuid))) {
      throw new FailedPreconditionError(`The chunks of topic "${topic.name}" changed meanwhile`);
    }
    await tx.query("DELETE FROM chunks WHERE topic_id = $1", [topicId]);
    if (next.length > 0) {
      await insertChunks(tx, topicId, next);
      await insertStats(tx, topicId, next);
    }
    await enqueueJob(tx, job);
    await appendEvents(tx, [{
      kind: "topic.compacted",
      sequence: topic.sequenceName,
      topic: topic.name,
      resourceUuid: topic.uuid,
      detail: { chunks_before: expected.length, ...totals(next) },
    }]);
    return topic;
  });
}

/** Uuids of the topics holding chunks whose statistics are older than `version`. */
export async function topicsWithStatsBefore(db: SqlDriver, version: number): Promise<string[]> {
  const rows = await db.query<{ uuid: string }>(
    `SELECT DISTINCT t.uuid FROM chunks c JOIN topics t ON t.id = c.topic_id WHERE c.stats_version < $1`,
    [version],
  );
  return rows.map((r) => r.uuid);
}

/** Chunks of a topic whose statistics are older than `version`, by index. */
export async function chunksWithStatsBefore(
  db: SqlDriver,
  topicId: number,
  version: number,
): Promise<Chunk[]> {
  const rows = await db.query<ChunkRow>(
    `SELECT ${CHUNK_COLUMNS} FROM chunks c WHERE c.topic_id = $1 AND c.stats_version < $2 ORDER BY c.chunk_index`,
    [topicId, version],
  );
  return rows.map((r) => toChunk(r, []));
}

/** Replaces the statistics of one chunk and records their version, in one transaction. */
export function replaceChunkStats(
  db: SqlDriver,
  chunkId: number,
  stats: readonly ColumnStats[],
  version: number,
): Promise<void> {
  return db.transaction(async (tx) => {
    const rows = await tx.query<{ topic_id: number; chunk_index: number }>(
      "SELECT topic_id, chunk_index FROM chunks WHERE id = $1 FOR UPDATE",
      [chunkId],
    );
    if (rows.length === 0) return; // compacted or deleted meanwhile: nothing to refresh
    await tx.query("DELETE FROM chunk_stats WHERE chunk_id = $1", [chunkId]);
    const { topic_id: topicId, chunk_index: index } = rows[0];
    const params = stats.map((s, position) => statsParam(Number(index), position, s));
    if (params.length > 0) await insertStatsRows(tx, Number(topicId), params);
    await tx.query("UPDATE chunks SET stats_version = $2 WHERE id = $1", [chunkId, version]);
  });
}

/** Which of `keys` are the Parquet files of chunks in the catalog. */
export async function referencedChunkKeys(db: SqlDriver, keys: readonly string[]): Promise<Set<string>> {
  const rows = await db.query<{ key: string }>("SELECT key FROM chunks WHERE key = ANY($1::text[])", [keys]);
  return new Set(rows.map((r) => r.key));
}
