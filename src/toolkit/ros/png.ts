/**
 * A minimal PNG encoder for the SDK's `image` layout: 8-bit greyscale (colour type 0), no interlace,
 * one filter-0 row per image row, zlib via `node:zlib`. The SDK stores a ROS image's raw buffer as a
 * greyscale PNG `step` bytes wide, whatever the ROS `encoding`.
 *
 * Layer: imports `node:zlib` only.
 *
 * @module
 */
import { crc32, deflateSync } from "node:zlib";

const SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  const name = new TextEncoder().encode(type);
  out.set(name, 4);
  out.set(data, 8);
  // zlib's native CRC-32: a JavaScript table loop took ~10% of an import of camera frames.
  view.setUint32(8 + data.length, crc32(data, crc32(name)));
  return out;
}

/**
 * Encodes `pixels` (`height` rows of `width` bytes) as an 8-bit greyscale PNG.
 * @throws RangeError when the sizes do not match or an image is empty.
 */
export function encodeGreyPng(pixels: Uint8Array, width: number, height: number): Uint8Array {
  if (width <= 0 || height <= 0 || pixels.length !== width * height) {
    throw new RangeError(`Cannot encode a ${width}x${height} PNG from ${pixels.length} bytes`);
  }
  const header = new Uint8Array(13);
  const hv = new DataView(header.buffer);
  hv.setUint32(0, width);
  hv.setUint32(4, height);
  header.set([8, 0, 0, 0, 0], 8); // bit depth 8, greyscale, deflate, filter 0, no interlace
  const filtered = new Uint8Array(height * (width + 1));
  for (let y = 0; y < height; y++) {
    filtered.set(pixels.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  }
  const idat = new Uint8Array(deflateSync(filtered, { level: 1 }));
  const parts = [SIGNATURE, chunk("IHDR", header), chunk("IDAT", idat), chunk("IEND", new Uint8Array())];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
