/**
 * Runs the pyarrow client of `deno task bench` (client.py) for one phase and checks what it reports:
 * shared by the transfer sections (tasks/bench.ts) and the memory section (memory.ts).
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { capture } from "./_proc.ts";

/** tasks/bench/client.py. */
export const CLIENT = fileURLToPath(new URL("./client.py", import.meta.url));

/** The JSON line client.py prints for `put` and `get`. */
export interface ClientResult {
  rows: number;
  bytes: number;
  seconds: number;
  ts_sum: string;
  f0_sum: string;
  committed_rows?: number;
  ordered?: boolean;
}

/** Runs client.py with `args` (a phase and its arguments) and returns its last JSON line. */
export async function runClient(args: string[]): Promise<ClientResult> {
  const out = await capture("python3", [CLIENT, ...args]);
  return JSON.parse(out.trim().split("\n").at(-1)!);
}

/** "ok" when the server committed every row sent, else what it committed. */
export function checkUpload(result: ClientResult): string {
  return result.committed_rows === result.rows
    ? "ok"
    : `committed ${result.committed_rows} of ${result.rows} rows`;
}

/** "ok" when a read returned the rows `sent` held, with the same checksums, in timestamp order. */
export function checkRead(result: ClientResult, sent: ClientResult | undefined): string {
  const problems = [];
  if (result.rows !== sent?.rows) problems.push(`${result.rows} rows, sent ${sent?.rows}`);
  if (result.ts_sum !== sent?.ts_sum || result.f0_sum !== sent?.f0_sum) problems.push("checksums differ");
  if (!result.ordered) problems.push("out of timestamp order");
  return problems.join("; ") || "ok";
}
