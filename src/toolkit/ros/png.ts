/**
 * The PNG codec of the SDK's `image` layout: 8-bit greyscale (colour type 0), no interlace, zlib via
 * `node:zlib`. The SDK stores a ROS image's raw buffer as a greyscale PNG `step` bytes wide, whatever the
 * ROS `encoding`. Encoding writes one filter-0 row per image row (deflate level 1, or stored when a sample
 * shows deflating would barely shrink it); decoding takes any of the five row filters. Each direction is split in two so that `png_pool.ts` can do the cheap half (a copy)
 * on the caller's thread and the zlib half on a worker: {@link filterRows} + {@link pngOfFiltered}, and
 * {@link decodeGreyPng}.
 *
 * Layer: imports `node:zlib` and `errors.ts` only.
 *
 * @module
 */
import { crc32, deflateSync, inflateSync } from "node:zlib";
import { InvalidArgumentError } from "../../errors.ts";

const SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);
const NAMES = new Map(["IHDR", "IDAT", "IEND"].map((n) => [n, new TextEncoder().encode(n)]));

/** An image as rows of `width` bytes. */
export interface GreyImage {
  pixels: Uint8Array;
  width: number;
  height: number;
}

/** Writes chunk `type` holding `data` at `at` of `out`; returns the offset after it. */
function putChunk(out: Uint8Array, at: number, type: string, data: Uint8Array): number {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const name = NAMES.get(type)!;
  view.setUint32(at, data.length);
  out.set(name, at + 4);
  out.set(data, at + 8);
  // zlib's native CRC-32: a JavaScript table loop took ~10% of an import of camera frames.
  view.setUint32(at + 8 + data.length, crc32(data, crc32(name)));
  return at + 12 + data.length;
}

/**
 * `pixels` (`height` rows of `width` bytes) laid out as PNG scanlines: a filter byte 0 before each row.
 * @throws RangeError when the sizes do not match or the image is empty.
 */
export function filterRows(pixels: Uint8Array, width: number, height: number): Uint8Array<ArrayBuffer> {
  if (width <= 0 || height <= 0 || pixels.length !== width * height) {
    throw new RangeError(`Cannot encode a ${width}x${height} PNG from ${pixels.length} bytes`);
  }
  const filtered = new Uint8Array(height * (width + 1));
  for (let y = 0; y < height; y++) {
    filtered.set(pixels.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  }
  return filtered;
}

/** Scanline bytes at or under which an image is deflated without first sampling it. */
const SAMPLE_ALL_BYTES = 256 * 1024;
/** The share of a larger image's scanlines deflated first, to tell whether deflating pays. */
const SAMPLE_SHARE = 1 / 8;
/** Below this saving on the sample (compressed / raw above 0.9), the image is stored, not deflated. */
const STORE_ABOVE_RATIO = 0.9;

/**
 * The PNG of scanlines from {@link filterRows}, then the chunks around it. Deflate level 1, unless a
 * strip from the middle of the image (an eighth of it) shrinks by less than 10% at that level: then
 * the image is stored in deflate's uncompressed blocks, about 8× faster, for at most a few percent more
 * bytes (sensor noise without a row filter leaves deflate little to find). A smooth image compresses.
 */
export function pngOfFiltered(filtered: Uint8Array, width: number, height: number): Uint8Array<ArrayBuffer> {
  const header = new Uint8Array(13);
  const hv = new DataView(header.buffer);
  hv.setUint32(0, width);
  hv.setUint32(4, height);
  header.set([8, 0, 0, 0, 0], 8); // bit depth 8, greyscale, deflate, filter 0, no interlace
  const idat = deflateSync(filtered, { level: deflatePays(filtered) ? 1 : 0 });
  const out = new Uint8Array(SIGNATURE.length + 3 * 12 + header.length + idat.length);
  out.set(SIGNATURE);
  let at = putChunk(out, SIGNATURE.length, "IHDR", header);
  at = putChunk(out, at, "IDAT", idat);
  putChunk(out, at, "IEND", new Uint8Array());
  return out;
}

/** Whether deflate level 1 shrinks a middle strip of `filtered` by at least 10% (always yes when small). */
function deflatePays(filtered: Uint8Array): boolean {
  if (filtered.length <= SAMPLE_ALL_BYTES) return true;
  const size = Math.ceil(filtered.length * SAMPLE_SHARE);
  const from = Math.floor((filtered.length - size) / 2);
  const sample = filtered.subarray(from, from + size);
  return deflateSync(sample, { level: 1 }).length <= sample.length * STORE_ABOVE_RATIO;
}

/**
 * A cell of the `image` layout whose PNG is still to be made: the importer encodes it on worker threads
 * (`png_pool.ts` `startRowPngs()`) before its row is sent. `pixels` may be a view into the message read.
 */
export class PendingPng implements GreyImage {
  constructor(readonly pixels: Uint8Array, readonly width: number, readonly height: number) {}

  /** The PNG, made on this thread. */
  encode(): Uint8Array {
    return encodeGreyPng(this.pixels, this.width, this.height);
  }
}

/**
 * Encodes `pixels` (`height` rows of `width` bytes) as an 8-bit greyscale PNG.
 * @throws RangeError when the sizes do not match or an image is empty.
 */
export function encodeGreyPng(pixels: Uint8Array, width: number, height: number): Uint8Array<ArrayBuffer> {
  return pngOfFiltered(filterRows(pixels, width, height), width, height);
}

/**
 * The pixels of an 8-bit greyscale PNG, row after row.
 * @throws InvalidArgumentError for anything else, or a damaged file.
 */
export function decodeGreyPng(png: Uint8Array): GreyImage & { pixels: Uint8Array<ArrayBuffer> } {
  const bad = (why: string) => new InvalidArgumentError(`Cannot decode the image's PNG: ${why}`);
  if (png.length < 8 || SIGNATURE.some((b, i) => png[i] !== b)) throw bad("not a PNG");
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let width = 0;
  let height = 0;
  const idat: Uint8Array[] = [];
  for (let at = 8; at + 12 <= png.length;) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    const data = png.subarray(at + 8, at + 8 + length);
    if (data.length !== length) throw bad(`chunk ${type} is truncated`);
    if (type === "IHDR") {
      width = view.getUint32(at + 8);
      height = view.getUint32(at + 12);
      const [depth, colour, , , interlace] = data.subarray(8, 13);
      if (depth !== 8 || colour !== 0 || interlace !== 0) {
        throw bad(`bit depth ${depth}, colour type ${colour}, interlace ${interlace} (8-bit greyscale only)`);
      }
    } else if (type === "IDAT") idat.push(data);
    else if (type === "IEND") break;
    at += 12 + length;
  }
  let raw: Uint8Array;
  // Each row's filter byte, then its pixels: inflated into one buffer of that size (node:zlib's default
  // 16 KiB pieces joined afterwards cost a third of the decode), and never more than that.
  const expected = (width + 1) * height;
  try {
    raw = inflateSync(idat.length === 1 ? idat[0] : joined(idat), {
      chunkSize: Math.max(64, expected),
      maxOutputLength: Math.max(1, expected),
    });
  } catch (err) {
    throw bad(`its data does not inflate to ${width}×${height} pixels (${(err as Error).message})`);
  }
  if (raw.length !== expected) throw bad(`${raw.length} bytes for ${width}×${height} pixels`);
  const pixels = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const row = raw.subarray(y * (width + 1) + 1, (y + 1) * (width + 1));
    unfilter(raw[y * (width + 1)], row, pixels, y, width);
  }
  return { pixels, width, height };
}

function joined(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, d) => n + d.length, 0));
  let at = 0;
  for (const d of parts) at += (out.set(d, at), d.length);
  return out;
}

/** Undoes one row's filter (one byte per pixel) into `out`. */
function unfilter(filter: number, row: Uint8Array, out: Uint8Array, y: number, width: number): void {
  const at = y * width;
  if (filter === 0) {
    // What mosaicod import writes: a plain copy, without the per-pixel predictor below.
    out.set(row, at);
    return;
  }
  if (filter > 4) {
    throw new InvalidArgumentError(`Cannot decode the image's PNG: unknown row filter ${filter}`);
  }
  for (let x = 0; x < width; x++) {
    const a = x > 0 ? out[at + x - 1] : 0;
    const b = y > 0 ? out[at - width + x] : 0;
    const c = x > 0 && y > 0 ? out[at - width + x - 1] : 0;
    let predicted: number;
    if (filter === 1) predicted = a;
    else if (filter === 2) predicted = b;
    else if (filter === 3) predicted = (a + b) >> 1;
    else {
      const p = a + b - c;
      const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
      predicted = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
    out[at + x] = (row[x] + predicted) & 0xff;
  }
}
