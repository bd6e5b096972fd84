/**
 * The messages between `png_pool.ts` and `_png_worker.ts`. Buffers are transferred both ways: a request
 * owns its bytes (a copy the pool made), a reply its result.
 *
 * Imports nothing.
 *
 * @module
 */

/** Deflate `bytes` (scanlines, `png.ts` `filterRows()`) into a PNG, or decode the PNG in `bytes`. */
export type PngRequest =
  | { id: number; op: "encode"; bytes: Uint8Array<ArrayBuffer>; width: number; height: number }
  | { id: number; op: "decode"; bytes: Uint8Array<ArrayBuffer> };

/** The PNG (encode) or the pixels (decode) of request `id`, or why it failed. */
export type PngReply =
  | { id: number; bytes: Uint8Array<ArrayBuffer>; width: number; height: number }
  | { id: number; error: string };
