/**
 * The worker of `_zstd.ts`: compresses the bytes it is sent with zstd at the level asked, one request at
 * a time, by the rule of `_zstd_chunk.ts`, and sends back the compressed bytes (null: store the input as it
 * is) and the input buffer (both transferred), or the error's message.
 *
 * Imports `_zstd_chunk.ts` only.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { zstdChunk } from "./_zstd_chunk.ts";

/** A request: `length` bytes at the start of `buffer`, at `level`. */
export interface ZstdRequest {
  id: number;
  buffer: ArrayBuffer;
  length: number;
  level: number;
}

/** The answer: the input buffer back, with the compressed bytes (null: stored as is) or why there are none. */
export type ZstdReply =
  | { id: number; buffer: ArrayBuffer; compressed: Uint8Array | null }
  | { id: number; buffer: ArrayBuffer; error: string };

self.onmessage = (event: MessageEvent<ZstdRequest>) => {
  const { id, buffer, length, level } = event.data;
  let reply: ZstdReply;
  try {
    const out = zstdChunk(new Uint8Array(buffer, 0, length), level);
    // A buffer of its own, to be transferred (zlib may hand back a view of a larger one).
    const compressed = out === null || (out.byteOffset === 0 && out.byteLength === out.buffer.byteLength)
      ? out
      : new Uint8Array(out);
    reply = { id, buffer, compressed };
  } catch (err) {
    reply = { id, buffer, error: err instanceof Error ? err.message : String(err) };
  }
  const transfer: ArrayBuffer[] = [buffer];
  if ("compressed" in reply && reply.compressed !== null) {
    transfer.push(reply.compressed.buffer as ArrayBuffer);
  }
  self.postMessage(reply, transfer);
};
