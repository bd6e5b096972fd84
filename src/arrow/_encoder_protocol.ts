/**
 * The messages between `EncoderPool` (`encoder_pool.ts`) and its workers (`_encoder_worker.ts`): one
 * chunk per `id`, opened, fed batch by batch, ended or aborted; output acknowledged by the bytes taken.
 * Folder-private to `arrow/`; imports nothing but types.
 *
 * @module
 */
import type { SerializationFormat } from "../model/types.ts";
import type { ChunkSummary } from "./chunk_encoder.ts";
import type { ParquetCodec } from "./parquet.ts";

/** Main thread → worker. Bytes are transferred. */
export type EncoderRequest =
  | {
    kind: "open";
    id: number;
    /** The chunk schema as an encapsulated IPC schema message. */
    schema: Uint8Array;
    format: SerializationFormat;
    rowGroupBytes: number;
    codec: ParquetCodec;
    /** Output bytes the worker may send beyond those acknowledged. */
    windowBytes: number;
    /** A chunk of this worker whose writer must finish before this one's starts (the upload's previous). */
    after?: number;
  }
  | { kind: "batch"; id: number; header: Uint8Array; body: Uint8Array }
  | { kind: "end"; id: number }
  | { kind: "abort"; id: number }
  /** The caller took output bytes: the worker may send that many more. */
  | { kind: "ack"; id: number; bytes: number };

/** Worker → main thread. */
export type EncoderReply =
  | { kind: "ready" }
  /** The writer took the chunk's next batch; its buffer comes back (moved) when it was the batch's own. */
  | { kind: "consumed"; id: number; buffer?: ArrayBuffer }
  | { kind: "output"; id: number; bytes: Uint8Array }
  | { kind: "done"; id: number; summary: ChunkSummary }
  | {
    kind: "error";
    id: number;
    name: string;
    message: string;
    cause?: string;
    /** The wasm instance trapped: the worker should not be given more chunks. */
    poisoned: boolean;
  };
