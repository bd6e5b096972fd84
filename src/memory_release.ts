/**
 * Giving freed memory back to the system. The C allocator (glibc's malloc) keeps what the daemon's
 * threads free in per-thread arenas for reuse and returns only the top of each heap: memory freed in
 * the middle (Arrow buffers, Parquet pages, the buffers of a finished worker thread such as the one that
 * runs initdb on a first start) stays resident after the work is done. `malloc_trim(0)` hands every
 * free page of every arena back. Measured on a fresh data directory, 5 s after start: 241-272 MiB
 * resident without it, 227-241 with it; after a restart 218-230 against 203-213.
 *
 * {@linkcode startMemoryRelease} trims once the daemon has started, then again whenever the resident
 * set has grown by `growthBytes` since the last trim, or is still that much above the lowest one a trim
 * left a minute after the last (checked every `intervalMs`): an idle daemon does not walk the arenas
 * again and again, one that has just streamed gigabytes gives back what it no longer uses. Not on Linux
 * with glibc, or without `--allow-ffi`, it does nothing (the daemon's `--malloc-trim false` does not start
 * it).
 *
 * Imports `libc.ts` only (which imports nothing of the project): any layer may use it.
 *
 * @module
 */
import { openLibc } from "./libc.ts";

const SYMBOLS = { malloc_trim: { parameters: ["usize"], result: "i32" } } as const;

type Trim = (pad: bigint) => number;

let trim: Trim | null | undefined;

/** glibc's `malloc_trim`, or null where it is not available here (loaded once). */
function loadTrim(): Trim | null {
  if (trim === undefined) trim = openLibc(SYMBOLS)?.malloc_trim ?? null;
  return trim;
}

/** What one trim did: resident bytes before and after. */
export interface Released {
  rssBefore: number;
  rssAfter: number;
}

/** Trims now; null where trimming is not available. */
export function releaseFreedMemory(): Released | null {
  const fn = loadTrim();
  if (!fn) return null;
  const rssBefore = Deno.memoryUsage().rss;
  fn(0n);
  return { rssBefore, rssAfter: Deno.memoryUsage().rss };
}

/** Options of {@linkcode startMemoryRelease}. */
export interface MemoryReleaseOptions {
  /** Delay of the first trim (default 1 s). */
  firstMs?: number;
  /** How often the resident set is looked at (default 10 s). */
  intervalMs?: number;
  /** Growth of the resident set since the last trim that calls for another (default 32 MiB). */
  growthBytes?: number;
  /**
   * A resident set still `growthBytes` above the lowest one after a trim calls for another this long after
   * the last (default 60 s): what work frees after a trim in its middle goes back once it is over.
   */
  settleMs?: number;
  /** Told each trim's result. */
  onRelease?: (released: Released) => void;
}

/**
 * Trims after `firstMs`, then whenever the resident set grew by `growthBytes` since the last trim. The
 * timers do not keep the process alive; dispose to stop. Does nothing where trimming is not available.
 */
export function startMemoryRelease(opts: MemoryReleaseOptions = {}): Disposable {
  const { firstMs = 1000, intervalMs = 10_000, growthBytes = 32 << 20, settleMs = 60_000, onRelease } = opts;
  if (!loadTrim()) return { [Symbol.dispose]() {} };
  // `floor`: the resident set after the last trim; `base`: the lowest one seen, the idle footprint.
  let floor = Infinity;
  let base = Infinity;
  let last = 0;
  const run = () => {
    const released = releaseFreedMemory();
    if (!released) return;
    floor = released.rssAfter;
    base = Math.min(base, floor);
    last = performance.now();
    onRelease?.(released);
  };
  const first = setTimeout(run, firstMs);
  const every = setInterval(() => {
    const rss = Deno.memoryUsage().rss;
    // Grown since the last trim; or still above the idle footprint a while after it (a trim in the
    // middle of an upload leaves what the upload frees when it ends).
    if (rss >= floor + growthBytes || (rss >= base + growthBytes && performance.now() - last >= settleMs)) {
      run();
    }
  }, intervalMs);
  Deno.unrefTimer(first);
  Deno.unrefTimer(every);
  return {
    [Symbol.dispose]() {
      clearTimeout(first);
      clearInterval(every);
    },
  };
}
