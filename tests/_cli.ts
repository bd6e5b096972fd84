/**
 * The mosaicod command line run inside a test process, as `main.ts` runs it: arguments, only the given
 * environment variables, no terminal, and the lines it printed on stdout and stderr kept apart. Imports only
 * `src/cli/mod.ts`.
 *
 * @module
 */
import { runCli } from "../src/cli/mod.ts";

/** What one command printed, and its exit code. */
export interface CliRun {
  code: number;
  out: string[];
  err: string[];
}

/** Runs `mosaicod <args>` with `env` as the only variables. */
export async function mosaicod(env: Record<string, string>, ...args: string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli({
    args,
    env,
    isTerminal: false,
    stdout: (l) => out.push(l),
    stderr: (l) => err.push(l),
  });
  return { code, out, err };
}
