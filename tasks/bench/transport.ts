/**
 * The transport section of `deno task bench`: the same pyarrow client (transport_client.py) against the
 * Arrow C++ baseline (baseline_server.py) and against mosaicod's two Flight transports serving fake-work
 * handlers (transport_server.ts), in one run: `transport-put`, one DoPut whose messages the server reads
 * and drops, and `transport-get`, one DoGet of pre-encoded messages. Each server is a child process whose
 * CPU time and memory are read from /proc (`_proc.ts`); ratios are against the baseline of the same run.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { START_PERMISSIONS } from "../../tests/_permissions.ts";
import { capture, measure, spawnAnnouncingPort } from "./_proc.ts";
import { type PhaseRow, phaseRow } from "./_report.ts";
import { type Server, startBaseline } from "./_servers.ts";

const CLIENT = fileURLToPath(new URL("./transport_client.py", import.meta.url));
const SERVER = fileURLToPath(new URL("./transport_server.ts", import.meta.url));

/** The JSON line of transport_client.py. */
interface TransportResult {
  rows: number;
  bytes: number;
  seconds: number;
  ok: boolean;
  server_rows?: number;
  expected_rows?: number;
}

/** Starts transport_server.ts with the daemon's permissions; `transport` is grpc-js or native. */
async function startTransportServer(transport: "grpc-js" | "native"): Promise<Server> {
  const child = await spawnAnnouncingPort(
    Deno.execPath(),
    ["run", ...START_PERMISSIONS, SERVER, "--transport", transport],
    `${transport} transport server`,
  );
  return {
    name: transport,
    url: `grpc://127.0.0.1:${child.port}`,
    pid: child.pid,
    [Symbol.asyncDispose]: () => child[Symbol.asyncDispose](),
  };
}

/** Runs `transport-put` then `transport-get` of `bytes` against the baseline, grpc-js and native. */
export async function benchTransport(
  bytes: number,
  log: (s: string) => void,
): Promise<PhaseRow[]> {
  const rows: PhaseRow[] = [];
  const starts = [
    () => startBaseline(),
    () => startTransportServer("grpc-js"),
    () => startTransportServer("native"),
  ];
  for (const start of starts) {
    await using server = await start();
    for (const [section, phase] of [["transport-put", "sink"], ["transport-get", "source"]] as const) {
      log(`${section} ${server.name}`);
      const { result, cost } = await measure(server.pid, async () => {
        const out = await capture("python3", [CLIENT, phase, server.url, String(bytes)]);
        return JSON.parse(out.trim().split("\n").at(-1)!) as TransportResult;
      });
      rows.push(phaseRow({ section, server: server.name, streams: 1 }, {
        result,
        cost,
        base: rows.find((r) => r.section === section && r.server === "baseline"),
        check: result.ok
          ? "ok"
          : `server saw ${result.server_rows ?? result.rows} rows, expected ${
            result.expected_rows ?? result.rows
          }`,
      }));
    }
  }
  return rows;
}
