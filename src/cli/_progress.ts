/**
 * Progress of long commands (`rebuild`, `verify`) on stderr: a bar redrawn in place on a terminal, a
 * log line every few seconds (and at the end) otherwise.
 *
 * @module
 */
import type { Logger } from "../log.ts";
import type { CliEnv } from "./mod.ts";

const BAR_WIDTH = 30;
const LOG_EVERY_MS = 2000;

/** An `onProgress(done, total)` callback counting `unit` (e.g. "sequences"). */
export function progressReporter(
  cli: CliEnv,
  log: Logger,
  unit: string,
): (done: number, total: number) => void {
  const encoder = new TextEncoder();
  let lastLog = 0;
  return (done, total) => {
    if (cli.isTerminal) {
      const filled = Math.round((done / Math.max(total, 1)) * BAR_WIDTH);
      const bar = `\r[${"#".repeat(filled)}${" ".repeat(BAR_WIDTH - filled)}] ${done}/${total} ${unit}`;
      Deno.stderr.writeSync(encoder.encode(done === total ? `${bar}\n` : bar));
    } else if (performance.now() - lastLog > LOG_EVERY_MS || done === total) {
      lastLog = performance.now();
      log.info("progress", { [unit]: done, of: total });
    }
  };
}
