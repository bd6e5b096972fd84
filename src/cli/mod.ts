/**
 * The command line: picks a subcommand and runs it. Each subcommand lives in its own file and
 * returns an exit code; only `main.ts` exits the process.
 *
 * @module
 */
import { describeError } from "../errors.ts";
import { type CommandHelp, renderHelp, wantsHelp } from "./_help.ts";
import { serveCommand } from "./serve.ts";
import { migrateCommand } from "./migrate.ts";
import { rebuildCommand } from "./rebuild.ts";
import { verifyCommand } from "./verify.ts";
import { jobsCommand } from "./jobs.ts";
import { apiKeyCommand } from "./api_key.ts";

/** What a subcommand can see of the process. */
export interface CliEnv {
  args: string[];
  env: Record<string, string | undefined>;
  isTerminal: boolean;
  stdout: (line: string) => void;
  stderr: (line: string) => void;
}

export interface Command {
  name: string;
  summary: string;
  /** Shown for `--help`/`-h` anywhere in the command's arguments. */
  help: CommandHelp;
  run(cli: CliEnv): Promise<number>;
}

const COMMANDS: Command[] = [
  serveCommand,
  migrateCommand,
  rebuildCommand,
  verifyCommand,
  jobsCommand,
  apiKeyCommand,
];

function topHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return [
    "mosaicod: the Mosaico robotics data daemon (Arrow Flight)",
    "",
    "Usage: mosaicod <command> [options]",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    "",
    "Run `mosaicod <command> --help` for the options of one command.",
  ].join("\n");
}

/** Runs the command line; returns the process exit code. */
export async function runCli(cli: CliEnv): Promise<number> {
  const [name, ...rest] = cli.args;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    cli.stdout(topHelp());
    return name === undefined ? 2 : 0;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) {
    cli.stderr(`mosaicod: unknown command "${name}" (run \`mosaicod --help\` for the list)`);
    return 2;
  }
  if (wantsHelp(rest)) {
    cli.stdout(renderHelp(cmd.help));
    return 0;
  }
  try {
    return await cmd.run({ ...cli, args: rest });
  } catch (err) {
    cli.stderr(`mosaicod ${name}: ${describeError(err)}`);
    return 1;
  }
}
