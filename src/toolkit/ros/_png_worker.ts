/**
 * A worker of `png_pool.ts`: deflates scanlines into a PNG, or decodes a PNG into its pixels, one
 * request at a time, and sends the result back with its buffer transferred. A PNG that does not decode
 * is answered with the decoder's message, which the pool rethrows as the same error.
 *
 * Imports this folder's `png.ts` and `_png_protocol.ts` only.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { decodeGreyPng, pngOfFiltered } from "./png.ts";
import type { PngReply, PngRequest } from "./_png_protocol.ts";

function answer(request: PngRequest): PngReply {
  try {
    if (request.op === "encode") {
      const png = pngOfFiltered(request.bytes, request.width, request.height);
      return { id: request.id, bytes: png, width: request.width, height: request.height };
    }
    const image = decodeGreyPng(request.bytes);
    return { id: request.id, bytes: image.pixels, width: image.width, height: image.height };
  } catch (err) {
    return { id: request.id, error: err instanceof Error ? err.message : String(err) };
  }
}

self.onmessage = (event: MessageEvent<PngRequest>) => {
  const reply = answer(event.data);
  self.postMessage(reply, "bytes" in reply ? [reply.bytes.buffer] : []);
};
