/**
 * The image layout's PNG codec (`png.ts`) and its worker pool (`png_pool.ts`): round trips, the pool's
 * bytes identical to the in-thread encoder, errors, the bound on work in flight, and closing.
 *
 * @module
 */
import assert from "node:assert/strict";
import { deflateSync } from "node:zlib";
import { InvalidArgumentError } from "../../errors.ts";
import { decodeGreyPng, encodeGreyPng, PendingPng } from "./png.ts";
import { PngPool, startRowPngs } from "./png_pool.ts";

function image(width: number, height: number, seed: number): Uint8Array {
  const pixels = new Uint8Array(width * height);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7 + seed * 13 + (i >> 5)) & 255;
  return pixels;
}

/** A greyscale PNG whose rows use `filter` (2: each byte minus the one above), made by hand. */
function filteredPng(pixels: Uint8Array, width: number, height: number, filter: number): Uint8Array {
  const reference = encodeGreyPng(pixels, width, height);
  const raw = new Uint8Array(height * (width + 1));
  for (let y = 0; y < height; y++) {
    raw[y * (width + 1)] = filter;
    for (let x = 0; x < width; x++) {
      const up = y > 0 ? pixels[(y - 1) * width + x] : 0;
      raw[y * (width + 1) + 1 + x] = (pixels[y * width + x] - up) & 255;
    }
  }
  return withData(reference, raw);
}

/** `reference` (a PNG) with its IDAT replaced by `raw` deflated: same IHDR (its CRC is not checked), IEND. */
function withData(reference: Uint8Array, raw: Uint8Array): Uint8Array {
  const idat = deflateSync(raw);
  const head = reference.subarray(0, 33);
  const out = new Uint8Array(head.length + 12 + idat.length + 12);
  out.set(head);
  new DataView(out.buffer).setUint32(33, idat.length);
  out.set(new TextEncoder().encode("IDAT"), 37);
  out.set(idat, 41);
  out.set(reference.subarray(reference.length - 12), 41 + idat.length + 4);
  return out;
}

Deno.test("png: encode → decode round trip, filters other than 0, refusals", () => {
  const pixels = image(37, 11, 1);
  const png = encodeGreyPng(pixels, 37, 11);
  assert.deepEqual(decodeGreyPng(png), { pixels, width: 37, height: 11 });
  assert.deepEqual(decodeGreyPng(filteredPng(pixels, 37, 11, 2)).pixels, pixels);
  assert.throws(() => encodeGreyPng(pixels, 36, 11), RangeError);
  assert.throws(() => decodeGreyPng(png.subarray(1)), InvalidArgumentError);
  assert.throws(() => decodeGreyPng(filteredPng(pixels, 37, 11, 9)), /unknown row filter 9/);
  // Data that inflates to more than the header's pixels (64 MiB of zeros: a deflate bomb) stops at the
  // expected size; data that inflates to less is refused too.
  const started = performance.now();
  assert.throws(
    () => decodeGreyPng(withData(png, new Uint8Array(64 * 1024 * 1024))),
    (err) => err instanceof InvalidArgumentError && /does not inflate to 37×11 pixels/.test(err.message),
  );
  assert.ok(performance.now() - started < 1000, "stops early, does not inflate it all");
  assert.throws(() => decodeGreyPng(withData(png, new Uint8Array(10))), /10 bytes for 37×11 pixels/);
});

Deno.test("png: a large image deflates when that pays and is stored when it would barely shrink", () => {
  const [width, height] = [1920, 480]; // 900 KiB of scanlines: sampled
  const smooth = new Uint8Array(width * height).map((_, i) => (i % width) >> 3);
  let seed = 0x2545f491;
  const noisy = new Uint8Array(width * height).map(() => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return seed & 255;
  });
  // Half smooth, half noise: the middle strip straddles both and shrinks enough to deflate.
  const mixed = smooth.map((v, i) => i < smooth.length / 2 ? v : noisy[i]);
  const sizes = [smooth, noisy, mixed].map((pixels) => {
    const png = encodeGreyPng(pixels, width, height);
    assert.deepEqual(decodeGreyPng(png).pixels, pixels);
    return png.length / pixels.length;
  });
  assert.ok(sizes[0] < 0.1, `smooth image stored at ${sizes[0]}`);
  // Stored: deflate's 5 bytes per 64 KiB block, the row filter bytes and the PNG chunks above the pixels.
  assert.ok(sizes[1] > 1 && sizes[1] < 1.003, `noise at ${sizes[1]}`);
  assert.ok(sizes[2] < 0.6, `half-smooth image stored at ${sizes[2]}`);
});

Deno.test("png pool: same bytes as the thread's encoder, decodes, errors as the decoder's", async () => {
  using pool = new PngPool({ workers: 2 });
  const frames = [1, 2, 3, 4, 5].map((s) => image(64, 48, s));
  const jobs = [];
  for (const f of frames) jobs.push(await pool.encode(f, 64, 48));
  const pngs = await Promise.all(jobs.map((j) => j.result));
  pngs.forEach((png, i) => assert.deepEqual(png, encodeGreyPng(frames[i], 64, 48)));
  const decoded = await (await pool.decode(pngs[2])).result;
  assert.deepEqual(decoded, { pixels: frames[2], width: 64, height: 48 });
  await assert.rejects((await pool.decode(pngs[0].subarray(0, 60))).result, InvalidArgumentError);
  await assert.rejects(pool.encode(frames[0], 63, 48), RangeError);
  assert.equal(pool.bytesInFlight, 0);
});

Deno.test("png pool: admission keeps the bytes in flight within maxBytes; close rejects the rest", async () => {
  const frame = image(100, 100, 3); // 20,000 bytes of work per job
  const pool = new PngPool({ workers: 1, maxBytes: 50_000 });
  let peak = 0;
  const results = [];
  for (let i = 0; i < 6; i++) {
    results.push((await pool.encode(frame, 100, 100)).result);
    peak = Math.max(peak, pool.bytesInFlight);
  }
  assert.equal(peak, 40_000);
  await Promise.all(results);
  const pending = (await pool.encode(frame, 100, 100)).result;
  pool.close();
  await assert.rejects(pending, /stopped/);
  await assert.rejects(pool.encode(frame, 100, 100), /stopped/);
});

Deno.test("png pool: startRowPngs replaces pending cells by their PNG once ready", async () => {
  using pool = new PngPool({ workers: 1 });
  const pixels = image(8, 4, 5);
  const row: Record<string, unknown> = { data: new PendingPng(pixels, 8, 4), width: 8 };
  const started = await startRowPngs(row, pool);
  assert.ok(started !== null);
  await started.ready;
  assert.deepEqual(row.data, encodeGreyPng(pixels, 8, 4));
  assert.equal(await startRowPngs({ width: 1 }, pool), null);
});
