/**
 * The `memory` section of `deno task bench` (issue #17): the daemon's resident memory against its targets,
 * on one data directory, each step on its own daemon process so that each VmHWM covers one step:
 *
 * 1. `idle-first-start`: a daemon started on a fresh data directory (the embedded catalog runs initdb),
 *    once startup has settled for `settleMs`; target 256 MiB.
 * 2. `idle-restart`: the same after a restart on that directory; target 256 MiB. This daemon then takes
 * 3. `put`: one client uploading `bytes` to one topic (client.py, as the `put` section); target 512 MiB
 *    for the largest resident set sampled every 50 ms meanwhile.
 * 4. `get`: on a restarted daemon, the client reading it back (as the `get` section); target 512 MiB.
 *
 * Targets are reported as met or not; a miss does not fail the run, a failed check does.
 *
 * @module
 */
import { startDaemon } from "../../tests/_daemon.ts";
import { checkRead, checkUpload, type ClientResult, runClient } from "./_client.ts";
import { measure, memoryOf } from "./_proc.ts";
import type { MemoryResults, MemoryRow } from "./_report.ts";
import { daemonArgs } from "./_servers.ts";

const MiB = 1024 ** 2;
/** Issue #17's targets: idle after a start, and while one client uploads or reads back. */
export const IDLE_TARGET_MIB = 256;
export const TRANSFER_TARGET_MIB = 512;
const SAMPLE_MS = 50;

/** Options of {@linkcode benchMemory}. */
export interface MemoryOptions {
  /** Arrow bytes uploaded, then read back. */
  bytes: number;
  /** The daemon's catalog: PostgreSQL at this URL, else the embedded one in the data directory. */
  databaseUrl?: string;
  workers?: number;
  /** How long to let a fresh daemon settle before reading its idle memory (default 5 s). */
  settleMs?: number;
  log: (s: string) => void;
}

/** Runs the four steps on a new temporary directory (removed at the end) and returns their rows. */
export async function benchMemory(opts: MemoryOptions): Promise<MemoryResults> {
  const { bytes, settleMs = 5000, log } = opts;
  const cwd = await Deno.makeTempDir({ prefix: "mosaicod-bench-memory-" });
  const start = () => startDaemon({ cwd, args: daemonArgs(opts.databaseUrl, opts.workers) });
  const rows: MemoryRow[] = [];
  try {
    for (const phase of ["idle-first-start", "idle-restart"] as const) {
      log(`memory ${phase} (${settleMs} ms to settle)`);
      await using daemon = await start();
      await new Promise((r) => setTimeout(r, settleMs));
      const now = await memoryOf(daemon.pid);
      const check = await stopped(daemon);
      rows.push(row(phase, { ...now, targetMib: IDLE_TARGET_MIB, mbPerS: null, check }));
    }
    const sequence = `bench_memory_${Date.now().toString(36)}`;
    let sent: ClientResult | undefined;
    for (const phase of ["put", "get"] as const) {
      log(`memory ${phase} (${Math.round(bytes / MiB)} MiB, one client)`);
      await using daemon = await start();
      const args = phase === "put"
        ? ["put", daemon.url, sequence, String(bytes), "1"]
        : ["get", daemon.url, sequence];
      const { result, cost } = await measure(daemon.pid, () => runClient(args), { intervalMs: SAMPLE_MS });
      if (phase === "put") sent = result;
      const check = [phase === "put" ? checkUpload(result) : checkRead(result, sent), await stopped(daemon)]
        .filter((c) => c !== "ok").join("; ") || "ok";
      const mbPerS = result.bytes / result.seconds / 1e6;
      const rssBytes = cost.peakRssBytes;
      rows.push(
        row(phase, { rssBytes, hwmBytes: cost.hwmBytes, targetMib: TRANSFER_TARGET_MIB, mbPerS, check }),
      );
    }
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
  return { bytes, settleMs, rows };
}

/** Stops the daemon; "ok" when it exited 0. */
async function stopped(daemon: { stop(): Promise<number> }): Promise<string> {
  const code = await daemon.stop();
  return code === 0 ? "ok" : `the daemon exited with code ${code}`;
}

function row(
  phase: MemoryRow["phase"],
  { rssBytes, hwmBytes, targetMib, mbPerS, check }: {
    rssBytes: number;
    hwmBytes: number;
    targetMib: number;
    mbPerS: number | null;
    check: string;
  },
): MemoryRow {
  const rssMib = rssBytes / MiB;
  return { phase, rssMib, hwmMib: hwmBytes / MiB, targetMib, met: rssMib <= targetMib, mbPerS, check };
}
