/**
 * CPU time and memory of a server process while a benchmark phase runs, read from /proc through `cat`:
 * Deno refuses /proc reads without broad permissions, and a `cat` subprocess needs only --allow-run.
 *
 * @module
 */

/** What one phase cost the process. */
export interface PhaseCost {
  /** User + system CPU seconds spent during the phase (all threads). */
  cpuSeconds: number;
  /** Largest resident set sampled during the phase (VmRSS, every `intervalMs`). */
  peakRssBytes: number;
  /** The kernel's high-water mark of the resident set since the process started (VmHWM), after the phase. */
  hwmBytes: number;
}

interface ProcSample {
  cpuTicks: number;
  rssBytes: number;
  hwmBytes: number;
}

/** Runs a command and returns its stdout; throws with its stderr if it fails. */
export async function capture(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdin: "null", stdout: "piped", stderr: "piped" })
    .output();
  const dec = new TextDecoder();
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")} failed: ${dec.decode(out.stderr).trim()}`);
  return dec.decode(out.stdout);
}

let ticksPerSecond: Promise<number> | undefined;

async function readProc(pid: number): Promise<ProcSample> {
  const text = await capture("cat", [`/proc/${pid}/stat`, `/proc/${pid}/status`]);
  // stat: "pid (comm) state ..."; comm may hold spaces, so count fields after the last ")".
  // utime and stime are fields 14 and 15, i.e. the 12th and 13th after the ")".
  const stat = text.slice(0, text.indexOf("\n"));
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? NaN) * 1024;
  return {
    cpuTicks: Number(fields[11]) + Number(fields[12]),
    rssBytes: kib("VmRSS"),
    hwmBytes: kib("VmHWM"),
  };
}

/** The process's resident set now (VmRSS) and its high-water mark since it started (VmHWM), in bytes. */
export async function memoryOf(pid: number): Promise<{ rssBytes: number; hwmBytes: number }> {
  const { rssBytes, hwmBytes } = await readProc(pid);
  return { rssBytes, hwmBytes };
}

/** Runs `phase` while sampling process `pid` every `intervalMs`; returns its result and what it cost `pid`. */
export async function measure<T>(
  pid: number,
  phase: () => Promise<T>,
  { intervalMs = 100 } = {},
): Promise<{ result: T; cost: PhaseCost }> {
  ticksPerSecond ??= capture("getconf", ["CLK_TCK"]).then(Number);
  const hz = await ticksPerSecond;
  const before = await readProc(pid);
  let peakRssBytes = before.rssBytes;
  let running = true;
  const sampler = (async () => {
    while (running) {
      await new Promise((r) => setTimeout(r, intervalMs));
      peakRssBytes = Math.max(peakRssBytes, (await readProc(pid)).rssBytes);
    }
  })();
  try {
    const result = await phase();
    running = false;
    await sampler;
    const after = await readProc(pid);
    peakRssBytes = Math.max(peakRssBytes, after.rssBytes);
    return {
      result,
      cost: { cpuSeconds: (after.cpuTicks - before.cpuTicks) / hz, peakRssBytes, hwmBytes: after.hwmBytes },
    };
  } finally {
    running = false;
    await sampler.catch(() => {});
  }
}

/** A child process that printed its port, and how to stop it. */
export interface PortedChild extends AsyncDisposable {
  port: number;
  pid: number;
}

/**
 * Spawns `command` (stdout piped, stdin null) and waits for its first line, which must carry `"port": N`;
 * a child that dies or prints something else first is stopped and reported as `what` did not start.
 * Disposing sends SIGTERM and waits for the exit.
 */
export async function spawnAnnouncingPort(
  cmd: string,
  args: string[],
  what: string,
): Promise<PortedChild> {
  const child = new Deno.Command(cmd, { args, stdin: "null", stdout: "piped", stderr: "inherit" }).spawn();
  // Deno cannot close its own stdout: read up to the first line only, then let go of the stream.
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await lines.read();
    if (done) break;
    text += value;
  }
  await lines.cancel();
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch {
      // already exited
    }
    await child.status;
  };
  const port = Number(/"port":\s*(\d+)/.exec(text)?.[1]);
  if (!port) {
    await stop();
    throw new Error(`The ${what} did not start: ${text || "no output"}`);
  }
  return { port, pid: child.pid, [Symbol.asyncDispose]: stop };
}
