/**
 * Starts the real daemon as a child process (`main.ts server` with the same permissions as
 * `deno task start`) on port 0 and reads its JSON log lines to learn the bound port.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { START_PERMISSIONS } from "./_permissions.ts";

export const ROOT = fileURLToPath(new URL("../", import.meta.url));
export const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));

export interface DaemonOptions {
  /** Extra arguments after `server` (e.g. `--database-url`). `--port 0` and JSON logs are added. */
  args?: string[];
  env?: Record<string, string>;
  /** Working directory; the data dir defaults to `./data` inside it. Defaults to a new temp dir. */
  cwd?: string;
  /** Milliseconds to wait for the "listening" line. */
  startTimeoutMs?: number;
  /** The program and arguments before `server`, instead of `deno run <start permissions> main.ts`. */
  command?: string[];
  /** Start from `env` alone instead of adding it to this process's environment. */
  clearEnv?: boolean;
}

export interface Daemon extends AsyncDisposable {
  pid: number;
  port: number;
  url: string;
  cwd: string;
  /** Every log line written so far, parsed. */
  logs: Record<string, unknown>[];
  /** Sends a signal and waits for the exit code. */
  stop(signal?: Deno.Signal): Promise<number>;
  exited: Promise<Deno.CommandStatus>;
}

/** Starts a daemon; throws with its stderr if it exits or stays silent. */
export async function startDaemon(opts: DaemonOptions = {}): Promise<Daemon> {
  const cwd = opts.cwd ?? await Deno.makeTempDir({ prefix: "mosaicod-e2e-" });
  const ownsCwd = opts.cwd === undefined;
  const [program, ...prefix] = opts.command ?? [Deno.execPath(), "run", ...START_PERMISSIONS, MAIN];
  const child = new Deno.Command(program, {
    args: [
      ...prefix,
      "server",
      "--port",
      "0",
      "--log-format",
      "json",
      ...(opts.args ?? []),
    ],
    cwd,
    env: { ...opts.env },
    clearEnv: opts.clearEnv ?? false,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const logs: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const { promise: portPromise, resolve: resolvePort } = Promise.withResolvers<number>();
  const pump = (async () => {
    const lines = child.stderr.pipeThrough(new TextDecoderStream()).pipeThrough(lineSplitter());
    for await (const line of lines) {
      raw.push(line);
      try {
        const entry = JSON.parse(line);
        logs.push(entry);
        if (entry.msg === "listening") resolvePort(entry.port);
      } catch {
        // not a log line (e.g. a Deno panic); kept in `raw` for the error message
      }
    }
  })();
  const stdoutDone = child.stdout.pipeTo(new WritableStream());
  const exited = child.status;
  const timeoutMs = opts.startTimeoutMs ?? 30_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const outcome = await Promise.race([
    portPromise,
    exited.then((s) => ({ exit: s.code })),
    new Promise<"timeout">((r) => timer = setTimeout(() => r("timeout"), timeoutMs)),
  ]);
  clearTimeout(timer);
  if (typeof outcome !== "number") {
    if (outcome === "timeout") child.kill("SIGKILL");
    await exited;
    await Promise.allSettled([pump, stdoutDone]);
    throw new Error(`daemon did not start (${JSON.stringify(outcome)}):\n${raw.join("\n")}`);
  }
  let stopped: Promise<number> | null = null;
  // A daemon that dies on its own (not a crash point's 137) says why in the test output.
  exited.then(async (s) => {
    if (stopped !== null || s.code === 137) return;
    await Promise.allSettled([pump]);
    console.error(
      `daemon ${child.pid} exited by itself (code ${s.code}); its last lines:\n${raw.slice(-40).join("\n")}`,
    );
  });
  const stop = (signal: Deno.Signal = "SIGTERM") => {
    stopped ??= (async () => {
      try {
        child.kill(signal);
      } catch {
        // already exited
      }
      const s = await exited;
      await Promise.allSettled([pump, stdoutDone]);
      return s.code;
    })();
    return stopped;
  };
  return {
    pid: child.pid,
    port: outcome,
    url: `grpc://127.0.0.1:${outcome}`,
    cwd,
    logs,
    stop,
    exited,
    async [Symbol.asyncDispose]() {
      await stop("SIGKILL");
      if (ownsCwd) await Deno.remove(cwd, { recursive: true }).catch(() => {});
    },
  };
}

function lineSplitter(): TransformStream<string, string> {
  let buf = "";
  return new TransformStream({
    transform(chunk, ctl) {
      buf += chunk;
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        ctl.enqueue(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    },
    flush(ctl) {
      if (buf) ctl.enqueue(buf);
    },
  });
}
