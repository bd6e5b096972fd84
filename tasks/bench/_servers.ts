/**
 * The two servers `deno task bench` compares: the in-memory Arrow C++ Flight server (baseline_server.py)
 * and the real daemon, each a child process, stopped on dispose.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { startDaemon } from "../../tests/_daemon.ts";
import type { PhaseRow } from "./_report.ts";

const BASELINE = fileURLToPath(new URL("./baseline_server.py", import.meta.url));

/** A server under test, stopped (and its files removed) on dispose. */
export interface Server extends AsyncDisposable {
  name: PhaseRow["server"];
  url: string;
  pid: number;
}

/** Starts baseline_server.py on a free port of 127.0.0.1. */
export async function startBaseline(): Promise<Server> {
  const child = new Deno.Command("python3", { args: [BASELINE], stdin: "null", stdout: "piped" }).spawn();
  // The server closes its stdout after printing the port, so this returns once it listens (or has died).
  const text = await new Response(child.stdout).text();
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch {
      // already exited
    }
    await child.status;
  };
  const port = /"port": (\d+)/.exec(text)?.[1];
  if (!port) {
    await stop();
    throw new Error(`The baseline server did not start: ${text || "no output"}`);
  }
  return { name: "baseline", url: `grpc://127.0.0.1:${port}`, pid: child.pid, [Symbol.asyncDispose]: stop };
}

/**
 * Starts the daemon with the `start` task's permissions in a new temporary directory (removed on dispose):
 * the embedded catalog, or PostgreSQL at `databaseUrl`.
 */
export async function startMosaicod(databaseUrl: string | undefined, workers?: number): Promise<Server> {
  const cwd = await Deno.makeTempDir({ prefix: "mosaicod-bench-" });
  const args = [
    ...(databaseUrl ? ["--database-url", databaseUrl] : []),
    ...(workers ? ["--workers", String(workers)] : []),
  ];
  try {
    if (!databaseUrl) {
      // The first start of an embedded catalog runs initdb, which alone peaks near 600 MiB: measure a
      // restarted daemon, as on a robot after its first boot (as tests/large_upload_test.ts does).
      await (await startDaemon({ cwd, args })).stop();
    }
    const daemon = await startDaemon({ cwd, args });
    return {
      name: "mosaicod",
      url: daemon.url,
      pid: daemon.pid,
      async [Symbol.asyncDispose]() {
        const code = await daemon.stop();
        if (code !== 0) console.error(`bench: the daemon exited with code ${code}`);
        await Deno.remove(cwd, { recursive: true });
      },
    };
  } catch (err) {
    await Deno.remove(cwd, { recursive: true });
    throw err;
  }
}
