/**
 * The DoGet read path, without any wire type: topic → catalog (its chunks overlapping the range, in
 * time order) → store and Parquet (one chunk read ahead) → rows in `timestamp_ns` order → batches of
 * about `targetBatchBytes`.
 *
 * Chunks whose time ranges do not overlap are streamed one after the other, row group by row group,
 * with a read-ahead of {@linkcode READ_AHEAD_BATCHES} batches; the batches of a sorted chunk the range
 * does not cut go out as the IPC messages the Parquet worker wrote (`messages`), never decoded on this
 * thread. A group of overlapping chunks is decoded whole and k-way merged, each chunk opened only when
 * the merge reaches its start. Must not import `flight/`.
 *
 * @module
 */
import type { RecordBatch, Schema } from "apache-arrow";
import {
  decodeEncapsulatedSchema,
  decodeRecordBatch,
  type EncodedIpcMessage,
  encodeRecordBatchMessage,
} from "../arrow/ipc.ts";
import { mergeSortedStreams } from "../arrow/merge.ts";
import type { ChunkDecoder } from "../arrow/parquet_pool.ts";
import type { Catalog } from "../catalog/catalog.ts";
import { CancelledError, InvalidArgumentError, NotFoundError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { Chunk, TimeRange, Topic } from "../model/types.ts";
import type { ObjectStore } from "../store/store.ts";
import { sliceToBytes } from "./_batch_bytes.ts";
import { ChunkLoader, type ReadPiece } from "./_chunk_loader.ts";
import { topicStreamSchema } from "./schema_metadata.ts";

/** Batch size the read aims for unless configured: well under gRPC message limits, big enough to amortise. */
export const DEFAULT_TARGET_BATCH_BYTES = 4 * 1024 * 1024;

/**
 * Decoded batches a streamed chunk keeps ready, ahead of the sending: enough for the worker's next
 * step to overlap the sending of these, few enough to keep a read's decoded data at about
 * 4 × `targetBatchBytes` (16 MiB by default) whatever the chunk size.
 */
export const READ_AHEAD_BATCHES = 4;

export interface ReadDeps {
  catalog: Catalog;
  store: ObjectStore;
  log: Logger;
  /** Decodes chunks off the event loop (the daemon's Parquet workers). */
  decoder: ChunkDecoder;
  /** About how many bytes each batch holds (a single larger row goes alone). Default 4 MiB. */
  targetBatchBytes?: number;
}

export interface TopicReadRequest {
  /** Full topic locator `<sequence>/<path>`, normalised. */
  topicName: string;
  /** Only rows with `startNs <= timestamp_ns <= endNs`; null reads everything. */
  range: TimeRange | null;
  /** Aborting stops the read between batches and aborts store reads in flight. */
  signal: AbortSignal;
}

/** One batch of a read as an IPC record batch message of the stream schema, and its row count. */
export interface ReadMessage {
  message: EncodedIpcMessage;
  rows: number;
}

/**
 * An open read: the schema (with the `mosaico:` keys) and the rows, sorted, in non-empty batches, as
 * decoded batches or as IPC messages ready to send. Iterate one of the two, once.
 */
export interface TopicRead {
  topic: Topic;
  schema: Schema;
  /** Lazy: nothing is fetched until iteration starts; stopping early releases everything. */
  batches: AsyncIterable<RecordBatch>;
  /** The same batches as IPC messages: those the workers wrote are passed on without a decode. */
  messages: AsyncIterable<ReadMessage>;
}

/**
 * Opens a read of one topic: looks up the topic, its schema snapshot and the chunks to read.
 * @throws NotFoundError `Cannot find topic "x"`, or `Topic "x" has no data` before its first schema.
 * @throws CancelledError when `signal` is already aborted.
 */
export async function openTopicRead(deps: ReadDeps, req: TopicReadRequest): Promise<TopicRead> {
  const { topicName, range, signal } = req;
  checkAborted(signal, topicName);
  const topic = await deps.catalog.getTopic(topicName);
  if (topic === null) throw new NotFoundError(`Cannot find topic "${topicName}"`);
  if (topic.schemaKey === null) throw new NotFoundError(`Topic "${topicName}" has no data`);
  const schema = topicStreamSchema(await readSnapshot(deps.store, topic, signal), topic);
  const chunks = await deps.catalog.listChunks(topic.id, {
    startNs: range?.startNs ?? undefined,
    endNs: range?.endNs ?? undefined,
  });
  checkAborted(signal, topicName);
  deps.log.debug("topic read opened", { topic: topic.name, chunks: chunks.length, ranged: range !== null });
  const targetBytes = deps.targetBatchBytes ?? DEFAULT_TARGET_BATCH_BYTES;
  const plan: ReadPlan = { topic, schema, range, signal, targetBytes, decoder: deps.decoder };
  return {
    topic,
    schema,
    batches: {
      async *[Symbol.asyncIterator]() {
        for await (const piece of readPieces(deps.store, chunks, plan)) {
          yield piece.kind === "batch"
            ? piece.batch
            : decodeRecordBatch(schema, piece.batch.header, piece.batch.body);
        }
      },
    },
    messages: {
      async *[Symbol.asyncIterator]() {
        for await (const piece of readPieces(deps.store, chunks, plan)) {
          yield piece.kind === "batch"
            ? { message: encodeRecordBatchMessage(piece.batch), rows: piece.batch.numRows }
            : { message: piece.batch.message, rows: piece.batch.rows };
        }
      },
    },
  };
}

async function readSnapshot(store: ObjectStore, topic: Topic, signal: AbortSignal): Promise<Schema> {
  const bytes = await store.get(topic.schemaKey!, { signal });
  try {
    return decodeEncapsulatedSchema(bytes);
  } catch (err) {
    if (!(err instanceof InvalidArgumentError)) throw err;
    // Damage on our side, not a bad request.
    throw new Error(`Cannot read the schema of topic "${topic.name}": ${err.message}`, { cause: err });
  }
}

interface ReadPlan {
  decoder: ChunkDecoder;
  topic: Topic;
  schema: Schema;
  range: TimeRange | null;
  signal: AbortSignal;
  targetBytes: number;
}

async function* readPieces(
  store: ObjectStore,
  chunks: readonly Chunk[],
  plan: ReadPlan,
): AsyncGenerator<ReadPiece, void, undefined> {
  const groups = overlapGroups(chunks);
  const merged = new Set(groups.filter((g) => g.length > 1).flat());
  await using loader = new ChunkLoader(store, chunks, {
    ...plan,
    merged,
    readAheadBytes: READ_AHEAD_BATCHES * plan.targetBytes,
  });
  for (const group of groups) {
    if (group.length === 1) {
      for await (const piece of loader.pieces(group[0])) {
        checkAborted(plan.signal, plan.topic.name);
        yield piece;
      }
      continue;
    }
    const batches = mergeSortedStreams(
      group.map((k) => loader.batches(k)),
      {
        signal: plan.signal,
        targetRows: rowsFor(plan.targetBytes, group.map((k) => chunks[k])),
        lowerBounds: group.map((k) => chunks[k].startNs),
      },
    );
    for await (const batch of batches) {
      for (const part of sliceToBytes(batch, plan.targetBytes)) {
        checkAborted(plan.signal, plan.topic.name);
        yield { kind: "batch", batch: part };
      }
    }
  }
}

/**
 * Positions of `chunks` (ordered by start) in runs whose time ranges overlap. A chunk starting exactly
 * where the previous ones end does not overlap: sending it afterwards keeps the order.
 */
function overlapGroups(chunks: readonly Chunk[]): number[][] {
  const groups: number[][] = [];
  let endNs = 0n;
  chunks.forEach((chunk, k) => {
    if (groups.length > 0 && chunk.startNs < endNs) {
      groups[groups.length - 1].push(k);
      if (chunk.endNs > endNs) endNs = chunk.endNs;
    } else {
      groups.push([k]);
      endNs = chunk.endNs;
    }
  });
  return groups;
}

/**
 * Rows per merged batch for about `targetBytes`, from the chunks' stored bytes per row. Parquet is
 * compressed, so this errs on the large side; `sliceToBytes` then cuts by the real size.
 */
function rowsFor(targetBytes: number, chunks: readonly Chunk[]): number {
  const bytesPerRow = Math.max(1, ...chunks.map((c) => c.sizeBytes / Math.max(1, c.rowCount)));
  return Math.max(1, Math.floor(targetBytes / bytesPerRow));
}

function checkAborted(signal: AbortSignal, topicName: string): void {
  if (signal.aborted) {
    throw new CancelledError(`Cannot read topic "${topicName}": cancelled`, { cause: signal.reason });
  }
}
