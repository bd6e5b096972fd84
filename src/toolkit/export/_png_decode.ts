/**
 * Decodes the PNGs of the SDK's `image` layout back into the raw buffer they hold: 8-bit greyscale
 * (colour type 0), no interlace, any of the five row filters, zlib via `node:zlib`. That is what
 * `mosaicod import` and the SDK injector write for a ROS `sensor_msgs/Image` (the buffer as `step`-wide
 * grey rows, whatever the ROS encoding); anything else is refused.
 *
 * Imports `node:zlib` and `errors.ts` only.
 *
 * @module
 */
import { inflateSync } from "node:zlib";
import { InvalidArgumentError } from "../../errors.ts";

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * The pixels of an 8-bit greyscale PNG, row after row.
 * @throws InvalidArgumentError for anything else, or a damaged file.
 */
export function decodeGreyPng(png: Uint8Array): { pixels: Uint8Array; width: number; height: number } {
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
  try {
    const joined = new Uint8Array(idat.reduce((n, d) => n + d.length, 0));
    let at = 0;
    for (const d of idat) at += (joined.set(d, at), d.length);
    raw = inflateSync(joined);
  } catch (err) {
    throw bad(`its data does not inflate (${(err as Error).message})`);
  }
  if (raw.length !== (width + 1) * height) throw bad(`${raw.length} bytes for ${width}×${height} pixels`);
  const pixels = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    unfilter(
      raw[y * (width + 1)],
      raw.subarray(y * (width + 1) + 1, (y + 1) * (width + 1)),
      pixels,
      y,
      width,
    );
  }
  return { pixels, width, height };
}

/** Undoes one row's filter (one byte per pixel) into `out`. */
function unfilter(filter: number, row: Uint8Array, out: Uint8Array, y: number, width: number): void {
  const at = y * width;
  if (filter === 0) {
    // What mosaicod import writes: a plain copy, without the per-pixel predictor below.
    out.set(row, at);
    return;
  }
  for (let x = 0; x < width; x++) {
    const a = x > 0 ? out[at + x - 1] : 0;
    const b = y > 0 ? out[at - width + x] : 0;
    const c = x > 0 && y > 0 ? out[at - width + x - 1] : 0;
    let predicted: number;
    if (filter === 0) predicted = 0;
    else if (filter === 1) predicted = a;
    else if (filter === 2) predicted = b;
    else if (filter === 3) predicted = (a + b) >> 1;
    else if (filter === 4) {
      const p = a + b - c;
      const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
      predicted = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    } else throw new InvalidArgumentError(`Cannot decode the image's PNG: unknown row filter ${filter}`);
    out[at + x] = (row[x] + predicted) & 0xff;
  }
}
