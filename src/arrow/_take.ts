/**
 * Kernels for `merge.ts`: search and stable sort order over int64 keys, and a gather that builds one
 * Arrow `Data` from runs of rows taken out of several source `Data` of the same type. apache-arrow JS
 * has no take kernel, and going through `get(i)` and builders would round values through JS (float16
 * → float64, NaN payloads, bigint boxing). The gather works on buffers only: every value is copied bit
 * for bit.
 *
 * Offsets follow apache-arrow's slice conventions: fixed-width values and variable-width offsets are
 * already sliced (index `i` is row `i`), validity and bool bits are read at `data.offset + i`, struct
 * and fixed-size-list children are sliced with their parent, list children are not.
 *
 * @module
 */
import { type Data, type DataType, makeData, Type } from "apache-arrow";
import { InvalidArgumentError } from "../errors.ts";

/** Rows to copy, in output order: run `r` is `len[r]` rows of `sources[src[r]]` from row `start[r]`. */
export interface Runs {
  src: Int32Array;
  start: Int32Array;
  len: Int32Array;
  count: number;
  /** Sum of `len`. */
  rows: number;
}

/** A batch's int64 keys as 32-bit words: row `i` is `hi[2i + 1]` (signed) and `lo[2i]` (unsigned). */
export interface Keys {
  hi: Int32Array;
  lo: Uint32Array;
}

/** One int64 key as its high (signed) and low (unsigned) 32-bit words; compared without bigints. */
export interface Key {
  hi: number;
  lo: number;
}

export function splitKey(value: bigint): Key {
  return { hi: Number(BigInt.asIntN(32, value >> 32n)), lo: Number(BigInt.asUintN(32, value)) };
}

/**
 * First row in `[from, to)` whose key is > `limit` (`inclusive`) or ≥ `limit`, or `to` when none is.
 * Gallops from `from`, so a short answer costs few probes: runs in a merge are often short.
 */
export function searchKeys(keys: Keys, limit: Key, inclusive: boolean, from: number, to: number): number {
  const { hi: limHi, lo: limLo } = limit;
  const { hi, lo } = keys;
  const past = (i: number) => {
    const h = hi[2 * i + 1];
    if (h !== limHi) return h > limHi;
    return inclusive ? lo[2 * i] > limLo : lo[2 * i] >= limLo;
  };
  let low = from;
  let step = 1;
  while (low + step < to && !past(low + step - 1)) {
    low += step;
    step *= 2;
  }
  let high = Math.min(to, low + step);
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (past(mid)) high = mid;
    else low = mid + 1;
  }
  return low;
}

/**
 * Row numbers in stable ascending order of int64 keys given as high (signed) and low words: an LSD
 * radix sort, 16 bits a pass, skipping passes where every key has the same digit.
 */
export function sortOrder(hi: Int32Array, lo: Uint32Array): Uint32Array {
  const n = hi.length;
  let order = new Uint32Array(n).map((_, i) => i);
  let spare = new Uint32Array(n);
  const counts = new Int32Array(65_536);
  for (let pass = 0; pass < 4; pass++) {
    const words = pass < 2 ? lo : new Uint32Array(hi.buffer, hi.byteOffset, n);
    const shift = pass % 2 === 0 ? 0 : 16;
    const flip = pass === 3 ? 0x8000 : 0; // the sign bit: negative keys first
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[((words[i] >>> shift) & 0xffff) ^ flip]++;
    if (counts[((words[0] >>> shift) & 0xffff) ^ flip] === n) continue; // one digit: nothing would move
    for (let v = 0, sum = 0; v < 65_536; v++) {
      const c = counts[v];
      counts[v] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const row = order[i];
      spare[counts[((words[row] >>> shift) & 0xffff) ^ flip]++] = row;
    }
    [order, spare] = [spare, order];
  }
  return order;
}

/** Empty runs with room for `capacity` of them. */
export function newRuns(capacity: number): Runs {
  const ints = () => new Int32Array(capacity);
  return { src: ints(), start: ints(), len: ints(), count: 0, rows: 0 };
}

/** Appends `len` rows of source `src` from `start`, extending the last run when they continue it. */
export function addRun(runs: Runs, src: number, start: number, len: number): void {
  const last = runs.count - 1;
  if (last >= 0 && runs.src[last] === src && runs.start[last] + runs.len[last] === start) {
    runs.len[last] += len;
  } else {
    if (runs.count === runs.src.length) grow(runs);
    runs.src[runs.count] = src;
    runs.start[runs.count] = start;
    runs.len[runs.count++] = len;
  }
  runs.rows += len;
}

function grow(runs: Runs): void {
  for (const name of ["src", "start", "len"] as const) {
    const bigger = new Int32Array(Math.max(16, 2 * runs[name].length));
    bigger.set(runs[name]);
    runs[name] = bigger;
  }
}

/** makeData() with props checked by the switch in gatherData() rather than by its per-type overloads. */
function make(props: { type: DataType; length: number } & Record<string, unknown>): Data {
  return makeData(props as never);
}

/** Copying a run shorter than this element by element beats allocating a subarray for `set()`. */
const SHORT_RUN = 32;
const INT32_MAX = 2 ** 31 - 1;

/**
 * The rows named by `runs`, as a new `Data` of the sources' type (taken from `sources[0]`).
 * @throws InvalidArgumentError for a type without a gather (unions, views) or sources with different
 *   dictionaries.
 */
export function gatherData(sources: readonly Data[], runs: Runs): Data {
  const type = sources[0].type;
  const length = runs.rows;
  const validity = () => gatherValidity(sources, runs);
  switch (type.typeId) {
    case Type.Null:
      return make({ type, length });
    case Type.Bool:
      return make({ type, length, ...validity(), data: gatherBits(sources, runs, "values") });
    case Type.Int:
    case Type.Float:
    case Type.Date:
    case Type.Time:
    case Type.Timestamp:
    case Type.Interval:
    case Type.Duration:
    case Type.Decimal:
    case Type.FixedSizeBinary:
      return make({ type, length, ...validity(), data: gatherFixed(sources, runs) });
    case Type.Dictionary:
      return gatherDictionary(sources, runs);
    case Type.Utf8:
    case Type.Binary:
    case Type.LargeUtf8:
    case Type.LargeBinary:
      return gatherVariable(sources, runs);
    case Type.List:
    case Type.LargeList:
    case Type.Map:
      return gatherList(sources, runs);
    case Type.FixedSizeList: {
      const size = sources[0].stride;
      const childRuns = {
        ...runs,
        start: runs.start.map((s) => s * size),
        len: runs.len.map((l) => l * size),
      };
      childRuns.rows = runs.rows * size;
      const child = gatherData(sources.map((s) => s.children[0]), childRuns);
      return make({ type, length, ...validity(), child });
    }
    case Type.Struct: {
      const children = type.children.map((_, i) => gatherData(sources.map((s) => s.children[i]), runs));
      return make({ type, length, ...validity(), children });
    }
    default:
      throw new InvalidArgumentError(`Cannot reorder rows: column type ${type} is not supported`);
  }
}

function gatherValidity(
  sources: readonly Data[],
  runs: Runs,
): { nullBitmap?: Uint8Array; nullCount: number } {
  if (sources.every((s) => s.nullCount === 0)) return { nullCount: 0 };
  // nullCount -1: apache-arrow counts the bitmap when first asked.
  return { nullBitmap: gatherBits(sources, runs, "nullBitmap"), nullCount: -1 };
}

/** Gathers a bitmap (validity or bool values); a source without a validity bitmap counts as all valid. */
function gatherBits(sources: readonly Data[], runs: Runs, which: "values" | "nullBitmap"): Uint8Array {
  const out = new Uint8Array(((runs.rows + 63) & ~63) >> 3);
  let pos = 0;
  for (let r = 0; r < runs.count; r++) {
    const source = sources[runs.src[r]];
    const bits: Uint8Array | undefined = source[which];
    const len = runs.len[r];
    if (which === "nullBitmap" && (source.nullCount === 0 || !bits || bits.length === 0)) {
      for (let i = 0; i < len; i++, pos++) out[pos >> 3] |= 1 << (pos & 7);
      continue;
    }
    for (let i = 0, at = source.offset + runs.start[r]; i < len; i++, at++, pos++) {
      if (bits![at >> 3] & (1 << (at & 7))) out[pos >> 3] |= 1 << (pos & 7);
    }
  }
  return out;
}

/** Fixed-width values, copied as 32-bit words or bytes: never through a float or a bigint. */
function gatherFixed(sources: readonly Data[], runs: Runs): DataType["TArray"] {
  const views: ArrayBufferView[] = sources.map((s) => s.values);
  // The sources' own array class: it is right for dictionary indices and float16 (uint16) too.
  const Values = views[0].constructor as { new (b: ArrayBuffer): ArrayBufferView; BYTES_PER_ELEMENT: number };
  const rowBytes = sources[0].stride * Values.BYTES_PER_ELEMENT;
  const buffer = new ArrayBuffer(runs.rows * rowBytes);
  const view = <T>(Word: new (b: ArrayBuffer, offset: number, length: number) => T, size: number) =>
    views.map((v) => new Word(v.buffer as ArrayBuffer, v.byteOffset, v.byteLength / size));
  if (rowBytes % 4 === 0 && views.every((v) => v.byteOffset % 4 === 0)) {
    copyRuns32(new Uint32Array(buffer), view(Uint32Array, 4), runs, rowBytes / 4);
  } else {
    copyRuns8(new Uint8Array(buffer), view(Uint8Array, 1), runs, rowBytes);
  }
  return new Values(buffer);
}

// Two copies of one loop, each seeing a single array class, so V8 keeps both monomorphic and fast.

/** Copies the runs' rows of `w` words each from `sources` into `out`. */
function copyRuns32(out: Uint32Array, sources: Uint32Array[], runs: Runs, w: number): void {
  for (let r = 0, pos = 0; r < runs.count; r++) {
    const src = sources[runs.src[r]];
    const from = runs.start[r] * w;
    const n = runs.len[r] * w;
    if (n >= SHORT_RUN) out.set(src.subarray(from, from + n), pos);
    else for (let i = 0; i < n; i++) out[pos + i] = src[from + i];
    pos += n;
  }
}

/** Copies the runs' rows of `w` bytes each from `sources` into `out`. */
function copyRuns8(out: Uint8Array, sources: Uint8Array[], runs: Runs, w: number): void {
  for (let r = 0, pos = 0; r < runs.count; r++) {
    const src = sources[runs.src[r]];
    const from = runs.start[r] * w;
    const n = runs.len[r] * w;
    if (n >= SHORT_RUN) out.set(src.subarray(from, from + n), pos);
    else for (let i = 0; i < n; i++) out[pos + i] = src[from + i];
    pos += n;
  }
}

function gatherDictionary(sources: readonly Data[], runs: Runs): Data {
  const dictionary = sources[0].dictionary;
  if (sources.some((s) => s.dictionary !== dictionary)) {
    throw new InvalidArgumentError("Cannot reorder rows: dictionary columns with different dictionaries");
  }
  const type = sources[0].type;
  const data = gatherFixed(sources, runs);
  return make({ type, length: runs.rows, ...gatherValidity(sources, runs), data, dictionary });
}

/** New offsets (from 0) for the runs, and the runs of child rows (lists) or bytes (binary) they cover. */
function gatherOffsets(sources: readonly Data[], runs: Runs, large: boolean) {
  const offsets = sources.map((s) => s.valueOffsets as Int32Array | BigInt64Array);
  const out = large ? new BigInt64Array(runs.rows + 1) : new Int32Array(runs.rows + 1);
  const inner: Runs = {
    ...runs,
    start: new Int32Array(runs.count),
    len: new Int32Array(runs.count),
    rows: 0,
  };
  let pos = 0;
  let total = 0;
  for (let r = 0; r < runs.count; r++) {
    const off = offsets[runs.src[r]];
    const start = runs.start[r];
    const len = runs.len[r];
    const base = Number(off[start]);
    const span = Number(off[start + len]) - base;
    if (!large && total + span > INT32_MAX) {
      throw new InvalidArgumentError("Cannot reorder rows: more than 2 GiB of values in one batch");
    }
    if (large) {
      const o = off as BigInt64Array;
      const shift = BigInt(total) - o[start];
      for (let i = 1; i <= len; i++) (out as BigInt64Array)[pos + i] = o[start + i] + shift;
    } else {
      const o = off as Int32Array;
      const shift = total - base;
      for (let i = 1; i <= len; i++) (out as Int32Array)[pos + i] = o[start + i] + shift;
    }
    inner.start[r] = base;
    inner.len[r] = span;
    total += span;
    pos += len;
  }
  inner.rows = total;
  return { valueOffsets: out, inner };
}

function gatherVariable(sources: readonly Data[], runs: Runs): Data {
  const type = sources[0].type;
  const large = type.typeId === Type.LargeUtf8 || type.typeId === Type.LargeBinary;
  const { valueOffsets, inner } = gatherOffsets(sources, runs, large);
  const data = new Uint8Array(inner.rows);
  copyRuns8(data, sources.map((s) => s.values as Uint8Array), inner, 1);
  return make({ type, length: runs.rows, ...gatherValidity(sources, runs), valueOffsets, data });
}

function gatherList(sources: readonly Data[], runs: Runs): Data {
  const type = sources[0].type;
  const { valueOffsets, inner } = gatherOffsets(sources, runs, type.typeId === Type.LargeList);
  const child = gatherData(sources.map((s) => s.children[0]), inner);
  return make({ type, length: runs.rows, ...gatherValidity(sources, runs), valueOffsets, child });
}
