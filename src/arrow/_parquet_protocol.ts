/**
 * The messages between `ParquetPool` and its workers (`_parquet_worker.ts`): one request at a time per
 * worker, one answer per request. Chunk bytes and answers' buffers are transferred, not copied.
 *
 * A streamed read is a sequence of requests to the same worker, which keeps the open chunk between
 * them (`open`, then `next` as the reader wants more, then `close`): the worker serves other requests
 * in between, so a slow reader never holds a worker idle.
 *
 * @module
 */
import type { ValueCondition } from "../model/types.ts";
import type { ChunkSource } from "./_chunk_source.ts";
import type { ChunkStep, OpenedChunk } from "./_parquet_row_groups.ts";
import type { DecodedChunkIpc, ParquetCodec } from "./parquet.ts";
import type { RowMatch } from "./row_filter.ts";

/** Main thread → worker. `bytes` (and a `source` that is bytes) is transferred, not copied. */
export type ParquetRequest =
  | { id: number; kind: "scan"; source: ChunkSource; conditions: readonly ValueCondition[] }
  | { id: number; kind: "match"; source: ChunkSource; conditions: readonly ValueCondition[] }
  | {
    id: number;
    kind: "intervals";
    source: ChunkSource;
    conditions: readonly ValueCondition[];
    gapNs: bigint | null;
  }
  | { id: number; kind: "decode"; bytes: Uint8Array; batchRows?: number }
  /**
   * Opens a chunk as stream `stream` (a number the pool chose), batches aiming at `batchBytes`: its bytes
   * (transferred) or its local file, read range by range in the worker.
   */
  | { id: number; kind: "open"; stream: number; source: ChunkSource; batchBytes: number; codec: ParquetCodec }
  /** The next batches of stream `stream`, at least `maxBytes` of them unless the chunk ends. */
  | { id: number; kind: "next"; stream: number; maxBytes: number }
  | { id: number; kind: "close"; stream: number };

/** The answer to one request (transferred), or why the chunk could not be read. */
export type ParquetAnswer =
  | { id: number; matched: boolean }
  | { id: number; match: RowMatch }
  /** Clusters as `[start0, end0, start1, end1, …]`, transferred. */
  | { id: number; intervals: BigInt64Array }
  | { id: number; decoded: DecodedChunkIpc }
  | { id: number; opened: OpenedChunk }
  | { id: number; step: ChunkStep }
  | { id: number; closed: true }
  /** A failed stream request has closed that stream in the worker. */
  | { id: number; error: string; unreadable: boolean };

/** Worker → main thread: "loaded" once, then one answer per request. */
export type ParquetReply = { ready: true } | ParquetAnswer;

/** `bytes` itself when it owns its whole (non-shared) buffer, so that buffer can be transferred; else a copy. */
export function owned(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength &&
      bytes.buffer instanceof ArrayBuffer
    ? bytes
    : bytes.slice();
}
