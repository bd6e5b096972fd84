/**
 * mosaicod entry point: parse argv, run one command from `src/cli/`, set the exit code.
 *
 * @module
 */
import { CLI_ENV_VARS, runCli } from "./src/cli/mod.ts";

if (import.meta.main) {
  const code = await runCli({
    args: Deno.args,
    // Only our own variables: the daemon runs with --allow-env limited to them.
    env: Object.fromEntries(CLI_ENV_VARS.map((name) => [name, Deno.env.get(name)])),
    isTerminal: Deno.stderr.isTerminal(),
    stdout: (line) => console.log(line),
    stderr: (line) => console.error(line),
  });
  Deno.exit(code);
}
