/**
 * A Parquet worker (see `parquet_pool.ts`). Requests:
 * - `scan`: the conditions of one ontology tag group; decodes only the columns they read, stops at the
 *   first batch with a row satisfying all of them, and answers whether there was one;
 * - `match`: the same conditions over every batch, also reading `timestamp_ns`: whether a row
 *   satisfied them all, and the `timestamp_ns` range of all rows that did;
 * - `intervals`: the same conditions over every batch, also reading `timestamp_ns`: the time clusters
 *   of the rows that satisfied them all (`match_intervals.ts`), flattened to a transferred array;
 * - `decode`: the whole chunk, answered as Arrow IPC buffers (transferred, not copied);
 * - `open`, `next`, `close`: a chunk kept open here between requests and decoded row group by row group,
 *   a few batches per `next` (`_parquet_row_groups.ts`), so that DoGet holds little of it at a time; a
 *   chunk given as a local file is read here range by range (`_chunk_source.ts`). A failed step closes
 *   its stream.
 *
 * Runs in its own JS context with its own parquet-wasm instance, so a panic in the Parquet reader
 * ends this worker, not the daemon.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { DataLossError, InvalidArgumentError } from "../errors.ts";
import type { ValueCondition } from "../model/types.ts";
import type { ChunkSource } from "./_chunk_source.ts";
import { owned, type ParquetAnswer, type ParquetReply, type ParquetRequest } from "./_parquet_protocol.ts";
import { type ChunkStream, RowGroupStream } from "./_parquet_row_groups.ts";
import { NativeRowGroupStream } from "./_parquet_native_stream.ts";
import { matchIntervals } from "./match_intervals.ts";
import { decodeParquetColumns, decodeParquetToIpc } from "./parquet.ts";
import { anyRowMatches, conditionColumns, matchRows, type RowMatch, widenRange } from "./row_filter.ts";
import { TIMESTAMP_COLUMN } from "./stats.ts";

/** Streams open in this worker, by the number the pool gave them. */
const streams = new Map<number, ChunkStream>();

self.onmessage = async (event: MessageEvent<ParquetRequest>) => {
  const req = event.data;
  let answer: ParquetAnswer;
  let transfer: ArrayBuffer[] = [];
  try {
    if (req.kind === "scan") {
      answer = { id: req.id, matched: await scan(req.source, req.conditions) };
    } else if (req.kind === "match") {
      answer = { id: req.id, match: await match(req.source, req.conditions) };
    } else if (req.kind === "intervals") {
      answer = { id: req.id, intervals: await intervals(req.source, req.conditions, req.gapNs) };
      transfer = [answer.intervals.buffer as ArrayBuffer];
    } else if (req.kind === "open") {
      const open = req.codec === "native" ? NativeRowGroupStream.open : RowGroupStream.open;
      const [stream, opened] = await open(req.source, { batchBytes: req.batchBytes });
      streams.set(req.stream, stream);
      opened.schema = owned(opened.schema);
      answer = { id: req.id, opened };
      transfer = [opened.schema.buffer as ArrayBuffer];
    } else if (req.kind === "next") {
      const stream = streams.get(req.stream);
      if (!stream) throw new Error(`No open stream ${req.stream}`);
      try {
        const next = await stream.next(req.maxBytes);
        const step = { ...next, batches: next.batches.map(owned) };
        answer = { id: req.id, step };
        transfer = step.batches.map((b) => b.buffer as ArrayBuffer);
      } catch (err) {
        streams.delete(req.stream);
        await stream.close();
        throw err;
      }
    } else if (req.kind === "close") {
      await streams.get(req.stream)?.close();
      streams.delete(req.stream);
      answer = { id: req.id, closed: true };
    } else {
      const ipc = await decodeParquetToIpc(req.bytes, { batchRows: req.batchRows });
      const decoded = { schema: owned(ipc.schema), batches: ipc.batches.map(owned) };
      answer = { id: req.id, decoded };
      transfer = [decoded.schema, ...decoded.batches].map((b) => b.buffer as ArrayBuffer);
    }
  } catch (err) {
    answer = {
      id: req.id,
      error: err instanceof Error ? err.message : String(err),
      unreadable: err instanceof InvalidArgumentError || err instanceof DataLossError,
    };
  }
  self.postMessage(answer satisfies ParquetReply, transfer);
};

async function scan(source: ChunkSource, conditions: readonly ValueCondition[]): Promise<boolean> {
  // A column the chunk lacks yields no batch: no row matches.
  for await (const batch of decodeParquetColumns(source, conditionColumns(conditions))) {
    if (anyRowMatches(batch, conditions)) return true;
  }
  return false;
}

async function match(source: ChunkSource, conditions: readonly ValueCondition[]): Promise<RowMatch> {
  const columns = [...new Set([...conditionColumns(conditions), TIMESTAMP_COLUMN])];
  const out: RowMatch = { matched: false, timestampRange: null };
  let batches = 0;
  for await (const batch of decodeParquetColumns(source, columns)) {
    batches++;
    const { matched, timestampRange } = matchRows(batch, conditions);
    out.matched ||= matched;
    out.timestampRange = widenRange(out.timestampRange, timestampRange);
  }
  // No batch: an empty chunk, one lacking a condition column, or one without `timestamp_ns` (which
  // ingest never writes): the plain scan still answers whether a row matches.
  if (batches === 0) out.matched = await scan(source, conditions);
  return out;
}

async function intervals(
  source: ChunkSource,
  conditions: readonly ValueCondition[],
  gapNs: bigint | null,
): Promise<BigInt64Array> {
  const columns = [...new Set([...conditionColumns(conditions), TIMESTAMP_COLUMN])];
  // A chunk lacking a column yields no batch: no cluster, as no row can match.
  const clusters = await matchIntervals(decodeParquetColumns(source, columns), conditions, gapNs);
  return BigInt64Array.from(clusters.flat());
}

// Loaded: from now on a crash is the reader failing on a chunk, not a worker that could not start.
self.postMessage({ ready: true } satisfies ParquetReply);
