/**
 * Min/max scans straight over Arrow buffers (typed arrays, bitmaps, offsets) for `stats.ts`.
 * No per-row `get()`: these loops run once per leaf column of every ingested batch.
 * Index `i` is the row within the (possibly sliced) Data: apache-arrow has already applied the slice
 * offset to fixed-width values and offsets, but not to bitmaps, which take `bitOffset + i`.
 *
 * @module
 */

/** Row validity, one byte per row (1 = valid, 0 = null), or `null` when every row is valid. */
export type RowMask = Uint8Array | null;

export interface NumberRange {
  /** Non-null, non-NaN values seen; `min`/`max` mean nothing when 0. */
  count: number;
  min: number;
  max: number;
  hasNan: boolean;
}

/** Typed arrays whose elements read as JS numbers (float16 through `Float16Array`). */
export type NumberArray =
  | Float64Array
  | Float32Array
  | Float16Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint32Array
  | Uint16Array
  | Uint8Array;

/** Min and max of the valid values of a number-typed array; NaN is counted, never compared. */
export function scanNumbers(values: NumberArray, n: number, mask: RowMask): NumberRange {
  n = Math.min(n, values.length); // a batch that backfilled a short column with nulls keeps the short buffer
  // Same loop twice: with float64 (most sensor data) alone at its call site V8 keeps the element access
  // monomorphic, about 4× faster than the shared loop that sees nine array types.
  return values instanceof Float64Array ? scanFloat64(values, n, mask) : scanAnyNumbers(values, n, mask);
}

function scanFloat64(values: Float64Array, n: number, mask: RowMask): NumberRange {
  let min = Infinity, max = -Infinity, count = 0, nans = 0;
  for (let i = 0; i < n; i++) {
    if (mask !== null && mask[i] === 0) continue;
    const v = values[i];
    if (v !== v) {
      nans++;
      continue;
    }
    count++;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { count, min, max, hasNan: nans > 0 };
}

function scanAnyNumbers(values: NumberArray, n: number, mask: RowMask): NumberRange {
  let min = Infinity, max = -Infinity, count = 0, nans = 0;
  for (let i = 0; i < n; i++) {
    if (mask !== null && mask[i] === 0) continue;
    const v = values[i];
    if (v !== v) {
      nans++;
      continue;
    }
    count++;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { count, min, max, hasNan: nans > 0 };
}

/** Indices of the smallest and largest valid 64-bit integers (-1 when none), compared exactly. */
export function scanWide(
  values: BigInt64Array | BigUint64Array,
  n: number,
  mask: RowMask,
): { minIndex: number; maxIndex: number } {
  // Compare as (high word, low word) int32 pairs: exact, and far cheaper than BigInt arithmetic.
  // Arrow buffers are little-endian, as is every platform Deno runs on.
  n = Math.min(n, values.length);
  const words = new Int32Array(values.buffer, values.byteOffset, n * 2);
  const signed = values instanceof BigInt64Array;
  let minIndex = -1, maxIndex = -1;
  let minHi = 0, minLo = 0, maxHi = 0, maxLo = 0;
  for (let i = 0; i < n; i++) {
    if (mask !== null && mask[i] === 0) continue;
    const lo = words[2 * i] >>> 0;
    const hi = signed ? words[2 * i + 1] : words[2 * i + 1] >>> 0;
    if (minIndex < 0 || hi < minHi || (hi === minHi && lo < minLo)) {
      minIndex = i, minHi = hi, minLo = lo;
    }
    if (maxIndex < 0 || hi > maxHi || (hi === maxHi && lo > maxLo)) {
      maxIndex = i, maxHi = hi, maxLo = lo;
    }
  }
  return { minIndex, maxIndex };
}

/** Whether any valid row of a boolean bitmap is true, and whether any is false. */
export function scanBools(
  bits: Uint8Array,
  bitOffset: number,
  n: number,
  mask: RowMask,
): { anyTrue: boolean; anyFalse: boolean } {
  let anyTrue = false, anyFalse = false;
  n = Math.min(n, bits.length * 8 - bitOffset);
  for (let i = 0; i < n && !(anyTrue && anyFalse); i++) {
    if (mask !== null && mask[i] === 0) continue;
    const bit = bitOffset + i;
    if ((bits[bit >> 3] >> (bit & 7)) & 1) anyTrue = true;
    else anyFalse = true;
  }
  return { anyTrue, anyFalse };
}

/** Byte ranges of the smallest and largest valid strings (UTF-8 byte order), or null when none. */
export function scanText(
  bytes: Uint8Array,
  offsets: Int32Array | BigInt64Array,
  n: number,
  mask: RowMask,
): { min: Uint8Array; max: Uint8Array } | null {
  const wide = offsets instanceof BigInt64Array;
  let minStart = -1, minEnd = -1, maxStart = -1, maxEnd = -1;
  n = Math.min(n, offsets.length - 1);
  for (let i = 0; i < n; i++) {
    if (mask !== null && mask[i] === 0) continue;
    const start = wide ? Number(offsets[i]) : offsets[i] as number;
    const end = wide ? Number(offsets[i + 1]) : offsets[i + 1] as number;
    if (minStart < 0 || compareBytes(bytes, start, end, minStart, minEnd) < 0) minStart = start, minEnd = end;
    if (maxStart < 0 || compareBytes(bytes, start, end, maxStart, maxEnd) > 0) maxStart = start, maxEnd = end;
  }
  if (minStart < 0) return null;
  return { min: bytes.subarray(minStart, minEnd), max: bytes.subarray(maxStart, maxEnd) };
}

function compareBytes(b: Uint8Array, s1: number, e1: number, s2: number, e2: number): number {
  const len1 = e1 - s1, len2 = e2 - s2;
  const common = len1 < len2 ? len1 : len2;
  for (let k = 0; k < common; k++) {
    const d = b[s1 + k] - b[s2 + k];
    if (d !== 0) return d;
  }
  return len1 - len2;
}

/**
 * Combines a parent's row mask with a validity bitmap: a row is valid only when it and every ancestor
 * struct are. Returns the parent mask unchanged (no allocation) when the bitmap has no nulls.
 */
export function combineMask(
  parent: RowMask,
  bitmap: Uint8Array | null | undefined,
  bitOffset: number,
  nullCount: number,
  n: number,
): RowMask {
  if (nullCount <= 0 || !bitmap || bitmap.length === 0) return parent;
  const mask = parent === null ? new Uint8Array(n).fill(1) : parent.slice(0, n);
  for (let i = 0; i < n; i++) {
    const bit = bitOffset + i;
    if (((bitmap[bit >> 3] >> (bit & 7)) & 1) === 0) mask[i] = 0;
  }
  return mask;
}

/**
 * Orders two strings by their UTF-8 bytes, which is code point order. Plain `<` compares UTF-16 units
 * and puts astral characters (surrogate pairs) before U+E000..U+FFFF.
 */
export function compareUtf8(a: string, b: string): number {
  const common = Math.min(a.length, b.length);
  for (let k = 0; k < common; k++) {
    const x = a.charCodeAt(k), y = b.charCodeAt(k);
    if (x !== y) return codeUnitRank(x) - codeUnitRank(y);
  }
  return a.length - b.length;
}

function codeUnitRank(unit: number): number {
  // Surrogates (astral code points) move above the rest of the BMP.
  if (unit >= 0xe000) return unit - 0x800;
  if (unit >= 0xd800) return unit + 0x2000;
  return unit;
}
