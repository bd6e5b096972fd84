/**
 * How many rows of a topic lie inside a `[start, end)` window, and their `timestamp_ns` range (SDK
 * 0.7's `time_window_info`, SDK 0.6's DoGet `msg_count`). Exact, and cheap where the catalog can
 * decide: a chunk whose `[startNs, endNs]` lies wholly inside the window counts its `rowCount`, one
 * wholly outside is never listed; only the chunks a bound cuts through are read, and of those only
 * their `timestamp_ns` values are looked at. Must not import `flight/`.
 *
 * @module
 */
import type { Catalog } from "../catalog/catalog.ts";
import type { ChunkDecoder } from "../arrow/parquet_pool.ts";
import { TIMESTAMP_COLUMN } from "../arrow/stats.ts";
import { CancelledError, DataLossError, InvalidArgumentError } from "../errors.ts";
import type { Chunk, Topic } from "../model/types.ts";
import type { ObjectStore } from "../store/store.ts";

/** A `[startNs, endNs)` window, END EXCLUSIVE; a null bound is open. */
export interface HalfOpenWindow {
  readonly startNs: bigint | null;
  readonly endNs: bigint | null;
}

/** The rows inside a window: how many, and the smallest and largest `timestamp_ns` among them. */
export interface WindowCount {
  rows: number;
  /** Null when no row is inside. */
  startNs: bigint | null;
  endNs: bigint | null;
}

/** What counting needs: the catalog's chunk list, the store, and the Parquet workers. */
export interface WindowCountDeps {
  catalog: Catalog;
  store: ObjectStore;
  decoder: ChunkDecoder;
}

const INT64_MIN = -(2n ** 63n);

/**
 * Counts the rows of `topic` with `start <= timestamp_ns < end`. An empty window (`start >= end`)
 * holds none, and so does a topic without data.
 * @throws DataLossError when a chunk that must be read is not readable; CancelledError on `signal`.
 */
export async function countTopicWindow(
  deps: WindowCountDeps,
  req: { topic: Topic; window: HalfOpenWindow; signal?: AbortSignal },
): Promise<WindowCount> {
  const { startNs } = req.window;
  // Inclusive from here on: the catalog and the chunk bounds are inclusive.
  const lastNs = req.window.endNs === null ? null : req.window.endNs - 1n;
  const out: WindowCount = { rows: 0, startNs: null, endNs: null };
  if (req.window.endNs !== null && req.window.endNs <= INT64_MIN) return out;
  if (startNs !== null && lastNs !== null && startNs > lastNs) return out;
  const chunks = await deps.catalog.listChunks(req.topic.id, {
    startNs: startNs ?? undefined,
    endNs: lastNs ?? undefined,
  });
  for (const chunk of chunks) {
    checkAborted(req.signal, req.topic);
    const inside = (startNs === null || chunk.startNs >= startNs) &&
      (lastNs === null || chunk.endNs <= lastNs);
    if (inside) {
      add(out, chunk.rowCount, chunk.startNs, chunk.endNs);
      continue;
    }
    for (const ts of await chunkTimestamps(deps, chunk, req)) {
      countInside(out, ts, startNs, lastNs);
    }
  }
  return out;
}

function add(out: WindowCount, rows: number, startNs: bigint, endNs: bigint): void {
  if (rows === 0) return;
  out.rows += rows;
  if (out.startNs === null || startNs < out.startNs) out.startNs = startNs;
  if (out.endNs === null || endNs > out.endNs) out.endNs = endNs;
}

/** Adds the values of `ts` inside `[startNs, lastNs]` (inclusive) to `out`. */
function countInside(
  out: WindowCount,
  ts: BigInt64Array,
  startNs: bigint | null,
  lastNs: bigint | null,
): void {
  let rows = 0;
  let lo: bigint | null = null;
  let hi: bigint | null = null;
  for (const t of ts) {
    if ((startNs !== null && t < startNs) || (lastNs !== null && t > lastNs)) continue;
    rows++;
    if (lo === null || t < lo) lo = t;
    if (hi === null || t > hi) hi = t;
  }
  if (lo !== null && hi !== null) add(out, rows, lo, hi);
}

/**
 * Every `timestamp_ns` of one chunk (not null: ingest refuses null timestamps), one array per batch.
 * TODO(#17): decodes the whole chunk in a Parquet worker (at most the two boundary chunks); a `timestamp_ns`-only scan in the pool
 * (the clustering scan) would read one column instead.
 */
async function chunkTimestamps(
  deps: WindowCountDeps,
  chunk: Chunk,
  req: { topic: Topic; signal?: AbortSignal },
): Promise<BigInt64Array[]> {
  const bytes = await deps.store.get(chunk.key, { signal: req.signal });
  let batches;
  try {
    batches = await deps.decoder.decode(bytes);
  } catch (err) {
    if (!(err instanceof InvalidArgumentError || err instanceof DataLossError)) throw err;
    throw new DataLossError(`Cannot read chunk "${chunk.key}" of topic "${req.topic.name}": ${err.message}`, {
      cause: err,
    });
  }
  checkAborted(req.signal, req.topic);
  return batches.map((batch) => {
    const values: unknown = batch.getChild(TIMESTAMP_COLUMN)?.toArray();
    if (!(values instanceof BigInt64Array)) {
      throw new DataLossError(
        `Cannot read chunk "${chunk.key}" of topic "${req.topic.name}": it has no int64 "${TIMESTAMP_COLUMN}"`,
      );
    }
    return values;
  });
}

function checkAborted(signal: AbortSignal | undefined, topic: Topic): void {
  if (signal?.aborted) {
    throw new CancelledError(`Cannot count the rows of topic "${topic.name}": cancelled`, {
      cause: signal.reason,
    });
  }
}
