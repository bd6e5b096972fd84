/**
 * The `toolkit` section of `deno task bench` (issue #18): `mosaicod import` and `mosaicod export` next to
 * the daemon's own DoPut and DoGet, against one daemon, in one run.
 *
 * 1. Outside the timed part, a ROS 2 MCAP of about `bytes` is written to a temporary directory with the
 *    test fixture writer (tests/_ros_fixtures.ts), uncompressed chunks: 640×480 `rgb8` Images at 30 Hz
 *    (a noisy gradient, eight distinct frames reused) and an Imu at 200 Hz over the same span.
 * 2. `toolkit-put`: the pyarrow client's DoPut of `bytes` (as the `put` section, row `mosaicod`), then
 *    `mosaicod import` of the file (row `import`); MB/s = file bytes / seconds.
 * 3. `toolkit-get`: the pyarrow client's DoGet of that upload (as the `get` section, row `mosaicod`) and
 *    of the imported sequence (row `recording`), then `mosaicod export` of the imported sequence as Parquet
 *    and as MCAP (rows `export-parquet`, `export-mcap`); MB/s = the stored size of its topics (the
 *    catalog's, what the daemon reads) / seconds. Export rows carry their ratio to both DoGets: `ratio` to
 *    the upload's (the section's yardstick), `ratioSameData` to the recording's (the same data read by
 *    pyarrow instead of exported).
 *
 * Each toolkit command runs as a subprocess with the `mosaicod` task's permissions, timed from spawn to
 * exit (Deno's startup included, as a user sees it); its CPU time and peak RSS come from
 * `getrusage(RUSAGE_CHILDREN)` in a small Python parent, since the process is gone before `/proc` could be
 * read after it. The daemon's cost is read from `/proc` meanwhile (`measure()`). Toolkit rows carry their
 * ratio to the daemon's pyarrow row of the same section.
 *
 * Imports the test fixtures and helpers (`tests/`), `src/client/` and this folder's helpers.
 *
 * @module
 */
import { join } from "node:path";
import { connect } from "../../src/client/mod.ts";
import { MAIN } from "../../tests/_daemon.ts";
import { TOOLKIT_PERMISSIONS } from "../../tests/_permissions.ts";
import { type FixtureMessage, writeMcap } from "../../tests/_ros_fixtures.ts";
import { checkRead, checkUpload, runClient } from "./_client.ts";
import { capture, measure, type PhaseCost } from "./_proc.ts";
import { type PhaseRow, phaseRow } from "./_report.ts";
import { type Server, startMosaicod } from "./_servers.ts";

const WIDTH = 640;
const HEIGHT = 480;
const STEP = WIDTH * 3;
const FRAME_BYTES = STEP * HEIGHT;
const IMAGE_PERIOD_NS = 1_000_000_000n / 30n;
const IMU_PERIOD_NS = 1_000_000_000n / 200n;
const DISTINCT_FRAMES = 8;
const T0_NS = 1_700_000_000_000_000_000n;
const MiB = 1024 ** 2;

/** Runs a command; prints its rusage with its output as one JSON object (Python: the bench needs it). */
const RUSAGE = `
import json, resource, subprocess, sys, time
started = time.monotonic()
run = subprocess.run(sys.argv[1:], stdin=subprocess.DEVNULL, capture_output=True, text=True)
seconds = time.monotonic() - started
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"code": run.returncode, "seconds": seconds, "cpu_seconds": usage.ru_utime + usage.ru_stime,
                  "max_rss_kib": usage.ru_maxrss, "stdout": run.stdout, "stderr": run.stderr}))
`;

/** Options of {@linkcode benchToolkit}. */
export interface ToolkitOptions {
  /** Bytes of the recording and of the daemon's DoPut. */
  bytes: number;
  /** The daemon's catalog: PostgreSQL at this URL, else the embedded one. */
  databaseUrl?: string;
  workers?: number;
  log: (s: string) => void;
}

/** What the recording holds. */
export interface Recording {
  path: string;
  fileBytes: number;
  images: number;
  imus: number;
}

/** One toolkit command's run, as its Python parent saw it. */
interface ToolkitRun {
  code: number;
  seconds: number;
  cpuSeconds: number;
  maxRssBytes: number;
  stdout: string;
  stderr: string;
}

/**
 * Eight distinct frames: a diagonal gradient plus 3 bits of noise. The import's PNG (Deno's deflate at level 1,
 * no row filter) shrinks them by only ~2 %: a hard case, as random floats are for Parquet.
 */
function framePool(): Uint8Array[] {
  let seed = 0x2545f491;
  const frames = [];
  for (let f = 0; f < DISTINCT_FRAMES; f++) {
    const frame = new Uint8Array(FRAME_BYTES);
    for (let y = 0; y < HEIGHT; y++) {
      for (let x = 0; x < STEP; x++) {
        seed ^= seed << 13;
        seed ^= seed >>> 17;
        seed ^= seed << 5;
        frame[y * STEP + x] = ((x >> 3) + (y >> 1) + f * 16 + (seed & 7)) & 255;
      }
    }
    frames.push(frame);
  }
  return frames;
}

const stampOf = (ns: bigint) => ({
  sec: Number(ns / 1_000_000_000n),
  nanosec: Number(ns % 1_000_000_000n),
});

/**
 * Writes a ROS 2 MCAP of about `bytes` (at least one image) to `path`, uncompressed: Images at 30 Hz and an
 * Imu at 200 Hz, in log-time order, each stamped with its log time.
 */
export async function writeRecording(path: string, bytes: number): Promise<Recording> {
  const pool = framePool();
  const images = Math.max(1, Math.round(bytes / FRAME_BYTES));
  const endNs = T0_NS + BigInt(images) * IMAGE_PERIOD_NS;
  const messages: FixtureMessage[] = [];
  let imus = 0;
  let nextImage = 0;
  for (let t = T0_NS; t < endNs; t += IMU_PERIOD_NS) {
    while (nextImage < images && T0_NS + BigInt(nextImage) * IMAGE_PERIOD_NS <= t) {
      const at = T0_NS + BigInt(nextImage) * IMAGE_PERIOD_NS;
      messages.push({
        topic: "/camera/image_raw",
        type: "sensor_msgs/msg/Image",
        logTimeNs: at,
        value: {
          header: { stamp: stampOf(at), frame_id: "camera" },
          height: HEIGHT,
          width: WIDTH,
          encoding: "rgb8",
          is_bigendian: 0,
          step: STEP,
          data: pool[nextImage % DISTINCT_FRAMES],
        },
      });
      nextImage++;
    }
    const k = imus++;
    messages.push({
      topic: "/imu",
      type: "sensor_msgs/msg/Imu",
      logTimeNs: t,
      value: {
        header: { stamp: stampOf(t), frame_id: "imu_link" },
        orientation: { x: 0, y: 0, z: Math.sin(k / 1000), w: Math.cos(k / 1000) },
        orientation_covariance: [0.01, 0, 0, 0, 0.01, 0, 0, 0, 0.01],
        angular_velocity: { x: 0.01 * Math.sin(k), y: 0.02, z: 0.03 },
        angular_velocity_covariance: [0.001, 0, 0, 0, 0.001, 0, 0, 0, 0.001],
        linear_acceleration: { x: 0.1 * Math.cos(k), y: 0.2, z: 9.81 },
        linear_acceleration_covariance: [0.04, 0, 0, 0, 0.04, 0, 0, 0, 0.04],
      },
    });
  }
  await writeMcap(path, messages, { compression: "none", chunkSize: 4 * MiB });
  return { path, fileBytes: (await Deno.stat(path)).size, images, imus };
}

/** Runs `mosaicod <args>` as `deno task mosaicod` does, against `server`, under a Python parent. */
async function runToolkit(server: string, args: string[]): Promise<ToolkitRun> {
  const command = [Deno.execPath(), "run", ...TOOLKIT_PERMISSIONS, MAIN, ...args, "--server", server];
  const out = JSON.parse(await capture("python3", ["-c", RUSAGE, ...command]));
  return {
    code: out.code,
    seconds: out.seconds,
    cpuSeconds: out.cpu_seconds,
    maxRssBytes: out.max_rss_kib * 1024,
    stdout: out.stdout,
    stderr: out.stderr,
  };
}

/** The JSON lines a toolkit command printed with `--json`. */
function jsonLines(run: ToolkitRun): Record<string, unknown>[] {
  return run.stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
}

/** What went wrong with a toolkit run, or null when it exited 0. */
function failure(run: ToolkitRun): string | null {
  if (run.code === 0) return null;
  return `exited with code ${run.code}: ${run.stderr.trim().split("\n").at(-1) ?? ""}`;
}

/** A toolkit row: the daemon's cost in `cost`, the toolkit process's in `run`, compared with `base`. */
function toolkitRow(
  phase: Pick<PhaseRow, "section" | "server">,
  { run, cost, bytes, rows, base, check }: {
    run: ToolkitRun;
    cost: PhaseCost;
    bytes: number;
    rows: number;
    base: PhaseRow;
    check: string;
  },
): PhaseRow {
  const row = phaseRow({ ...phase, streams: 1 }, {
    result: { bytes, rows, seconds: run.seconds },
    cost,
    base,
    check,
  });
  return {
    ...row,
    clientCpuSecondsPerGb: run.cpuSeconds / (bytes / 1e9),
    clientPeakRssMib: run.maxRssBytes / MiB,
  };
}

/**
 * Runs the section on a new daemon and a new temporary directory (both removed at the end); returns the
 * rows in order: `toolkit-put` mosaicod and import, `toolkit-get` mosaicod, recording, export-parquet,
 * export-mcap.
 */
export async function benchToolkit(opts: ToolkitOptions): Promise<PhaseRow[]> {
  const { bytes, log } = opts;
  const dir = await Deno.makeTempDir({ prefix: "mosaicod-bench-toolkit-" });
  try {
    log(`toolkit: writing a ${Math.round(bytes / MiB)} MiB ROS 2 MCAP`);
    const recording = await writeRecording(join(dir, "recording.mcap"), bytes);
    await using daemon = await startMosaicod(opts.databaseUrl, opts.workers);
    return await measureAll(daemon, recording, dir, opts);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function measureAll(
  daemon: Server,
  recording: Recording,
  dir: string,
  { bytes, log }: ToolkitOptions,
): Promise<PhaseRow[]> {
  const runId = Date.now().toString(36);
  const [putSequence, importSequence] = [`bench_${runId}_toolkit_put`, `bench_${runId}_toolkit_import`];
  const rows: PhaseRow[] = [];
  const daemonPhase = async (section: "toolkit-put" | "toolkit-get", args: string[]) => {
    log(`${section} mosaicod (pyarrow)`);
    const { result, cost } = await measure(daemon.pid, () => runClient(args));
    return {
      result,
      row: phaseRow({ section, server: "mosaicod", streams: 1 }, { result, cost, check: "" }),
    };
  };

  const put = await daemonPhase("toolkit-put", ["put", daemon.url, putSequence, String(bytes), "1"]);
  rows.push({ ...put.row, check: checkUpload(put.result) });
  log("toolkit-put import");
  const imported = await measure(
    daemon.pid,
    () =>
      runToolkit(daemon.url, ["import", recording.path, "--sequence", importSequence, "--json", "--quiet"]),
  );
  const summary = jsonLines(imported.result).find((l) => l.kind === "import");
  const messages = recording.images + recording.imus;
  rows.push(toolkitRow({ section: "toolkit-put", server: "import" }, {
    run: imported.result,
    cost: imported.cost,
    bytes: recording.fileBytes,
    rows: Number(summary?.rows ?? 0),
    base: rows[0],
    check: failure(imported.result) ??
      (summary?.rows === messages ? "ok" : `imported ${summary?.rows} rows of ${messages} messages`),
  }));

  const get = await daemonPhase("toolkit-get", ["get", daemon.url, putSequence]);
  rows.push({ ...get.row, check: checkRead(get.result, put.result) });
  using client = await connect(daemon.url);
  const { topics } = await client.sequenceInfo(importSequence);
  const stored = {
    bytes: topics.reduce((n, t) => n + t.bytes, 0),
    rows: topics.reduce((n, t) => n + t.rows, 0),
  };
  log("toolkit-get recording (pyarrow)");
  const recorded = await measure(daemon.pid, () => runClient(["get", daemon.url, importSequence]));
  // Counted as the exports are, in the topics' stored bytes, so that the two rates compare.
  const sameData = phaseRow({ section: "toolkit-get", server: "recording", streams: 1 }, {
    result: { ...recorded.result, bytes: stored.bytes },
    cost: recorded.cost,
    base: rows[2],
    check: recorded.result.rows === stored.rows
      ? "ok"
      : `read ${recorded.result.rows} rows of ${stored.rows}`,
  });
  rows.push(sameData);
  for (const format of ["parquet", "mcap"] as const) {
    const server = `export-${format}` as const;
    log(`toolkit-get ${server}`);
    const out = join(dir, format === "mcap" ? "export.mcap" : "parquet");
    const exported = await measure(
      daemon.pid,
      () =>
        runToolkit(daemon.url, [
          "export",
          importSequence,
          "--format",
          format,
          "--out",
          out,
          "--json",
          "--quiet",
        ]),
    );
    const total = jsonLines(exported.result).find((l) => "total" in l)?.total as
      | { rows?: number }
      | undefined;
    const row = toolkitRow({ section: "toolkit-get", server }, {
      run: exported.result,
      cost: exported.cost,
      bytes: stored.bytes,
      rows: total?.rows ?? 0,
      base: rows[2],
      check: failure(exported.result) ??
        (total?.rows === stored.rows ? "ok" : `exported ${total?.rows} rows of ${stored.rows}`),
    });
    rows.push({ ...row, ratioSameData: row.mbPerS / sameData.mbPerS });
  }
  return rows;
}
