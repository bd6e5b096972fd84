/**
 * The servers `deno task bench` compares, each a child process stopped on dispose: the in-memory Arrow C++
 * Flight server (baseline_server.py), the same-work Arrow C++ server that stores uploads as Parquet chunks
 * on disk as mosaicod does (baseline_parquet.py), and the real daemon.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { SERVER_OPTIONS } from "../../src/config.ts";
import { DEFAULT_ROW_GROUP_BYTES } from "../../src/ingest/mod.ts";
import { startDaemon } from "../../tests/_daemon.ts";
import type { PhaseRow } from "./_report.ts";

const BASELINE = fileURLToPath(new URL("./baseline_server.py", import.meta.url));
const SAME_WORK = fileURLToPath(new URL("./baseline_parquet.py", import.meta.url));

/** A server under test, stopped (and its files removed) on dispose. */
export interface Server extends AsyncDisposable {
  name: PhaseRow["server"];
  url: string;
  pid: number;
}

/** Starts a Python Flight server that prints `{"port": N}` and closes its stdout once it listens. */
async function startPython(name: Server["name"], script: string, args: string[]): Promise<Server> {
  const child = new Deno.Command("python3", { args: [script, ...args], stdin: "null", stdout: "piped" })
    .spawn();
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
    throw new Error(`The ${name} server did not start: ${text || "no output"}`);
  }
  return { name, url: `grpc://127.0.0.1:${port}`, pid: child.pid, [Symbol.asyncDispose]: stop };
}

/** Starts baseline_server.py (in memory) on a free port of 127.0.0.1. */
export function startBaseline(): Promise<Server> {
  return startPython("baseline", BASELINE, []);
}

/**
 * The daemon's defaults that decide the shape of its chunks and reads: chunk and row group size in Arrow
 * bytes, and the size of the batches DoGet sends. The same-work server gets these.
 */
export const DAEMON_CHUNKING = {
  chunkBytes: Number(SERVER_OPTIONS["chunk-bytes"].default),
  rowGroupBytes: DEFAULT_ROW_GROUP_BYTES,
  batchBytes: Number(SERVER_OPTIONS["read-batch-bytes"].default),
};

/**
 * Starts baseline_parquet.py, which writes uploads as Parquet chunks in a new temporary directory `dir`
 * (removed on dispose) with the daemon's settings, `chunking` (default {@linkcode DAEMON_CHUNKING}).
 */
export async function startSameWork(chunking = DAEMON_CHUNKING): Promise<Server & { dir: string }> {
  const dir = await Deno.makeTempDir({ prefix: "mosaicod-bench-same-work-" });
  try {
    const server = await startPython("same-work", SAME_WORK, [
      "--dir",
      dir,
      "--chunk-bytes",
      String(chunking.chunkBytes),
      "--row-group-bytes",
      String(chunking.rowGroupBytes),
      "--batch-bytes",
      String(chunking.batchBytes),
    ]);
    return {
      ...server,
      dir,
      async [Symbol.asyncDispose]() {
        await server[Symbol.asyncDispose]();
        await Deno.remove(dir, { recursive: true });
      },
    };
  } catch (err) {
    await Deno.remove(dir, { recursive: true });
    throw err;
  }
}

/**
 * Starts the daemon with the `start` task's permissions in a new temporary directory (removed on dispose):
 * the embedded catalog, or PostgreSQL at `databaseUrl`.
 */
export async function startMosaicod(databaseUrl: string | undefined, workers?: number): Promise<Server> {
  const cwd = await Deno.makeTempDir({ prefix: "mosaicod-bench-" });
  const args = daemonArgs(databaseUrl, workers);
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

/** The daemon's arguments for a catalog (the embedded one without `databaseUrl`) and worker count. */
export function daemonArgs(databaseUrl: string | undefined, workers?: number): string[] {
  return [
    ...(databaseUrl ? ["--database-url", databaseUrl] : []),
    ...(workers ? ["--workers", String(workers)] : []),
  ];
}
