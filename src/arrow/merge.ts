/**
 * Row order by `timestamp_ns`: the only code that reorders rows. Checks order, sorts a chunk's batches,
 * k-way merges sorted streams and cuts sorted batches to a time range. Values are copied bit for bit by
 * the buffer-level gather in `_take.ts`; zero-copy slices are used wherever rows stay in place.
 *
 * Keys are read as two 32-bit words per int64 (high signed, low unsigned): as fast as bigint reads at
 * best, without their occasional deoptimisation. A null `timestamp_ns` (the protocol makes the column
 * NOT NULL, so only a non-conforming writer produces one) orders as the smallest int64.
 *
 * Must not import anything outside `src/arrow/`, `src/model/` and `src/errors.ts`.
 *
 * @module
 */
import { DataType, RecordBatch } from "apache-arrow";
import { CancelledError, InvalidArgumentError } from "../errors.ts";
import type { TimeRange } from "../model/types.ts";
import {
  addRun,
  gatherData,
  type Key,
  type Keys,
  newRuns,
  searchKeys,
  sortOrder,
  splitKey,
} from "./_take.ts";
import { TIMESTAMP_COLUMN } from "./stats.ts";

/** Rows per merged batch unless the caller asks otherwise. */
export const DEFAULT_MERGE_ROWS = 65_536;

const INT64_MIN = -(2n ** 63n);

function keysOf(batch: RecordBatch): Keys {
  const i = batch.schema.fields.findIndex((f) => f.name === TIMESTAMP_COLUMN);
  const type = batch.schema.fields[i]?.type;
  if (!type || !DataType.isInt(type) || type.bitWidth !== 64 || !type.isSigned) {
    throw new InvalidArgumentError(`Cannot order rows: no int64 column "${TIMESTAMP_COLUMN}"`);
  }
  const data = batch.data.children[i];
  let big = (data.values as BigInt64Array).subarray(0, data.length);
  if (data.nullCount > 0) {
    big = big.slice();
    for (let r = 0; r < data.length; r++) if (!data.getValid(r)) big[r] = INT64_MIN;
  }
  const { buffer, byteOffset, length } = big;
  return {
    hi: new Int32Array(buffer, byteOffset, 2 * length),
    lo: new Uint32Array(buffer, byteOffset, 2 * length),
  };
}

/** Whether every row's `timestamp_ns` is ≥ the previous row's, across all `batches`. */
export function isSortedByTimestamp(batches: readonly RecordBatch[]): boolean {
  let prevHi = -(2 ** 31);
  let prevLo = 0;
  for (const batch of batches) {
    const { hi, lo } = keysOf(batch);
    for (let i = 0; i < batch.numRows; i++) {
      const h = hi[2 * i + 1];
      const l = lo[2 * i];
      if (h < prevHi || (h === prevHi && l < prevLo)) return false;
      prevHi = h;
      prevLo = l;
    }
  }
  return true;
}

/**
 * All rows of `batches` (one schema) stably sorted by `timestamp_ns`. Already sorted input comes back
 * as is; otherwise output batch `k` has as many rows as input batch `k`.
 * @throws InvalidArgumentError without an int64 `timestamp_ns` column.
 */
export function sortByTimestamp(batches: readonly RecordBatch[]): RecordBatch[] {
  if (isSortedByTimestamp(batches)) return [...batches];
  const n = batches.reduce((sum, b) => sum + b.numRows, 0);
  const hi = new Int32Array(n);
  const lo = new Uint32Array(n);
  const batchOf = new Int32Array(n);
  const rowOf = new Int32Array(n);
  let g = 0;
  batches.forEach((batch, b) => {
    const keys = keysOf(batch);
    for (let i = 0; i < batch.numRows; i++, g++) {
      hi[g] = keys.hi[2 * i + 1];
      lo[g] = keys.lo[2 * i];
      batchOf[g] = b;
      rowOf[g] = i;
    }
  });
  const order = sortOrder(hi, lo);
  const sources = batches.map((b) => b.data);
  const out: RecordBatch[] = [];
  let at = 0;
  for (const batch of batches) {
    const runs = newRuns(batch.numRows);
    for (let i = at; i < at + batch.numRows; i++) addRun(runs, batchOf[order[i]], rowOf[order[i]], 1);
    out.push(new RecordBatch(batch.schema, gatherData(sources, runs) as RecordBatch["data"]));
    at += batch.numRows;
  }
  return out;
}

/**
 * `batches` sorted by `timestamp_ns` cut to the rows in `range` (inclusive; null bounds are open), as
 * zero-copy slices; batches left empty are dropped.
 */
export function sliceTimeRange(batches: readonly RecordBatch[], range: TimeRange): RecordBatch[] {
  const out: RecordBatch[] = [];
  for (const batch of batches) {
    const keys = keysOf(batch);
    const n = batch.numRows;
    const from = range.startNs === null ? 0 : searchKeys(keys, splitKey(range.startNs), false, 0, n);
    const to = range.endNs === null ? n : searchKeys(keys, splitKey(range.endNs), true, from, n);
    if (to > from) out.push(from === 0 && to === n ? batch : batch.slice(from, to));
  }
  return out;
}

/** Options for {@linkcode mergeSortedStreams}. */
export interface MergeOptions {
  signal?: AbortSignal;
  /** Most rows per output batch. Default {@linkcode DEFAULT_MERGE_ROWS}. */
  targetRows?: number;
  /**
   * Per source, a value ≤ its first `timestamp_ns` (a chunk's `startNs`), or null. A source with a
   * bound is not pulled until the merge reaches that bound, so a long chain of overlapping chunks never
   * has more of them open than overlap at one instant.
   */
  lowerBounds?: readonly (bigint | null)[];
}

/** A source of the merge; `hi`, `lo`: key of its next row, or a bound below it while no batch is loaded. */
interface Cursor extends Key {
  index: number;
  it: AsyncIterator<RecordBatch> | null;
  batch: RecordBatch | null;
  keys: Keys | null;
  pos: number;
  done: boolean;
}

/** Rows waiting to go out together: runs over `batches`. */
class Pending {
  batches: RecordBatch[] = [];
  runs = newRuns(64);

  add(batch: RecordBatch, start: number, len: number): void {
    const last = this.batches.length - 1;
    let src = this.batches[last] === batch ? last : this.batches.lastIndexOf(batch);
    if (src < 0) src = this.batches.push(batch) - 1;
    addRun(this.runs, src, start, len);
  }

  /** One run is a zero-copy slice; several are gathered into a new batch. */
  take(): RecordBatch {
    const { batches, runs } = this;
    this.batches = [];
    this.runs = newRuns(64);
    if (runs.count === 1) {
      const [batch, start, len] = [batches[runs.src[0]], runs.start[0], runs.len[0]];
      return start === 0 && len === batch.numRows ? batch : batch.slice(start, start + len);
    }
    const data = gatherData(batches.map((b) => b.data), runs) as RecordBatch["data"];
    return new RecordBatch(batches[0].schema, data);
  }
}

/**
 * K-way merge of streams each sorted by `timestamp_ns`; equal keys come from the lower source index
 * first. Works in runs: a source keeps the lead for as many rows as sort before every other source's
 * next key (found by galloping search). A run of at least `targetRows / 2` rows goes out as zero-copy
 * slices, so barely overlapping streams pass through uncopied; shorter runs are gathered into batches
 * of more than `targetRows / 2` rows (except at the end or before a long run). Batches hold at most
 * `targetRows` rows and are never empty.
 * @throws CancelledError when `signal` aborts (checked between steps); sources are closed on any exit.
 */
export async function* mergeSortedStreams(
  sources: readonly AsyncIterable<RecordBatch>[],
  opts: MergeOptions = {},
): AsyncGenerator<RecordBatch, void, undefined> {
  const targetRows = opts.targetRows ?? DEFAULT_MERGE_ROWS;
  if (!Number.isSafeInteger(targetRows) || targetRows < 1) {
    throw new InvalidArgumentError(`Cannot merge record batches: invalid batch size ${targetRows}`);
  }
  const heap = new CursorHeap();
  const cursors: Cursor[] = sources.map((_, index) => ({
    index,
    it: null,
    batch: null,
    keys: null,
    pos: 0,
    ...splitKey(opts.lowerBounds?.[index] ?? INT64_MIN),
    done: false,
  }));
  const pending = new Pending();
  let failed = false;
  try {
    for (const c of cursors) heap.push(c);
    while (heap.size > 0) {
      checkAborted(opts.signal);
      const top = heap.top();
      if (top.batch === null) {
        top.it ??= sources[top.index][Symbol.asyncIterator]();
        if (await pull(top)) heap.siftDown();
        else heap.pop();
        continue;
      }
      const keys = top.keys!;
      const next = heap.second();
      const end = next
        ? searchKeys(keys, next, top.index < next.index, top.pos + 1, top.batch.numRows)
        : top.batch.numRows;
      const [batch, start, len] = [top.batch, top.pos, end - top.pos];
      top.pos = end;
      if (end < batch.numRows) [top.hi, top.lo] = [keys.hi[2 * end + 1], keys.lo[2 * end]];
      else [top.batch, top.keys] = [null, null]; // the key (this run's first) bounds the next batch
      heap.siftDown();
      // A long run goes out as zero-copy slices of its own; short ones are gathered together.
      const long = len * 2 >= targetRows;
      if (pending.runs.rows > 0 && (long || pending.runs.rows + len > targetRows)) yield pending.take();
      if (long) yield* evenSlices(batch, start, len, targetRows, opts.signal);
      else pending.add(batch, start, len);
    }
    if (pending.runs.rows > 0) yield pending.take();
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    const closing = cursors.filter((c) => c.it && !c.done).map((c) => c.it!.return?.());
    // After a failure, that error is the one to report; a source failing to close as well adds nothing.
    if (failed) await Promise.allSettled(closing);
    else await Promise.all(closing);
  }
}

/** Loads the cursor's next non-empty batch; false when its source is exhausted. */
async function pull(c: Cursor): Promise<boolean> {
  for (;;) {
    const r = await c.it!.next();
    if (r.done) {
      c.done = true;
      return false;
    }
    if (r.value.numRows === 0) continue;
    c.batch = r.value;
    c.keys = keysOf(r.value);
    c.pos = 0;
    [c.hi, c.lo] = [c.keys.hi[1], c.keys.lo[0]];
    return true;
  }
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw new CancelledError("Cannot merge record batches: cancelled", { cause: signal.reason });
  }
}

/** `len` rows of `batch` from `start` as zero-copy slices of equal size, each at most `targetRows` rows. */
function* evenSlices(
  batch: RecordBatch,
  start: number,
  len: number,
  targetRows: number,
  signal?: AbortSignal,
) {
  const parts = Math.ceil(len / targetRows);
  for (let k = 0; k < parts; k++) {
    checkAborted(signal);
    yield batch.slice(start + Math.floor((len * k) / parts), start + Math.floor((len * (k + 1)) / parts));
  }
}

/** Binary min-heap of cursors by (key, index). */
class CursorHeap {
  readonly #items: Cursor[] = [];
  get size(): number {
    return this.#items.length;
  }
  top(): Cursor {
    return this.#items[0];
  }
  /** The smallest cursor after the top: one of the top's two children. */
  second(): Cursor | undefined {
    const [, a, b] = this.#items;
    return b && before(b, a) ? b : a;
  }
  push(c: Cursor): void {
    const items = this.#items;
    let i = items.push(c) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(items[i], items[parent])) break;
      [items[i], items[parent]] = [items[parent], items[i]];
      i = parent;
    }
  }
  pop(): void {
    const last = this.#items.pop()!;
    if (this.#items.length > 0) {
      this.#items[0] = last;
      this.siftDown();
    }
  }
  /** Restores heap order after the top's key grew. */
  siftDown(): void {
    const items = this.#items;
    for (let i = 0;;) {
      const l = 2 * i + 1;
      const m = l + 1 < items.length && before(items[l + 1], items[l]) ? l + 1 : l;
      if (m >= items.length || !before(items[m], items[i])) return;
      [items[i], items[m]] = [items[m], items[i]];
      i = m;
    }
  }
}

function before(a: Cursor, b: Cursor): boolean {
  if (a.hi !== b.hi) return a.hi < b.hi;
  return a.lo !== b.lo ? a.lo < b.lo : a.index < b.index;
}
