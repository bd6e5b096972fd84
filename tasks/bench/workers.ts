/**
 * The `workers` section of `deno task bench` (issue #16): raw-bytes throughput of the ways N worker
 * threads can share the connections of one port, in one process each (tasks/bench/workers_server.ts):
 * `reuseport` (every thread listens, SO_REUSEPORT: what `--workers N` does), `relay` (one acceptor thread
 * reads and transfers the bytes to the threads) and `handover` (one acceptor hands each socket's file
 * descriptor to a thread). No HTTP/2, no gRPC: each thread reads its connections to the end and answers
 * how many bytes it read. The client (workers_client.py) sends the same bytes on K = 2 then K = 4
 * connections at once; rows report MB/s, the server's CPU seconds per GB, the ratio to `reuseport` at the
 * same K, and the spread: connections per thread, as the threads' answers say.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { capture, measure, type PortedChild, spawnAnnouncingPort } from "./_proc.ts";
import { type PhaseRow, phaseRow } from "./_report.ts";
import { type Design, DESIGNS } from "./workers_server.ts";

const SERVER = fileURLToPath(new URL("./workers_server.ts", import.meta.url));
const CLIENT = fileURLToPath(new URL("./workers_client.py", import.meta.url));
/** Parallel client connections of each phase. */
const CONNECTIONS = [2, 4] as const;

/** The JSON line of workers_client.py. */
interface ClientResult {
  bytes: number;
  seconds: number;
  answers: ({ worker: number; bytes: number } | { error: string })[];
}

/** Starts workers_server.ts with `design` and `threads` worker threads; stopped on dispose. */
function startServer(design: Design, threads: number): Promise<PortedChild> {
  return spawnAnnouncingPort(Deno.execPath(), [
    "run",
    "--unstable-net",
    "--allow-net=127.0.0.1",
    "--allow-read",
    SERVER,
    "--design",
    design,
    "--workers",
    String(threads),
  ], `${design} workers server`);
}

/** "ok", or which connections were not fully read. */
function checkAnswers(result: ClientResult, connectionBytes: number): string {
  const problems = result.answers.flatMap((a, i) =>
    "error" in a
      ? [`connection ${i}: ${a.error}`]
      : a.bytes !== connectionBytes
      ? [`connection ${i}: server read ${a.bytes} of ${connectionBytes} bytes`]
      : []
  );
  return problems.join("; ") || "ok";
}

/** Connections per thread, e.g. "2+0" when both of two landed on thread 0. */
export function formatSpread(answers: ClientResult["answers"], threads: number): string {
  const counts = new Array<number>(threads).fill(0);
  for (const a of answers) if ("worker" in a) counts[a.worker]++;
  return counts.join("+");
}

/**
 * Runs every design with `threads` worker threads, each with K = 2 then 4 connections sending
 * `connectionBytes` each.
 */
export async function benchWorkers(
  { connectionBytes, threads, log }: { connectionBytes: number; threads: number; log: (s: string) => void },
): Promise<PhaseRow[]> {
  const rows: PhaseRow[] = [];
  for (const design of DESIGNS) {
    await using server = await startServer(design, threads);
    for (const connections of CONNECTIONS) {
      const section = `workers-${connections}` as const;
      log(`${section} ${design} (${threads} threads)`);
      const { result, cost } = await measure(server.pid, async () => {
        const args = [CLIENT, String(server.port), String(connections), String(connectionBytes)];
        const out = await capture("python3", args);
        return JSON.parse(out.trim().split("\n").at(-1)!) as ClientResult;
      });
      rows.push({
        ...phaseRow({ section, server: design, streams: connections }, {
          result: { bytes: result.bytes, rows: 0, seconds: result.seconds },
          cost,
          base: rows.find((r) => r.section === section && r.server === "reuseport"),
          check: checkAnswers(result, connectionBytes),
        }),
        spread: formatSpread(result.answers, threads),
      });
    }
  }
  return rows;
}
