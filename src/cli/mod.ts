/**
 * The command line: picks a subcommand and runs it. Each subcommand lives in its own file and
 * returns an exit code; only `main.ts` exits the process. Commands come in two groups: the daemon and
 * its administration (which open the catalog and the store), and the toolkit (clients of a running
 * daemon, `src/client/`). A command's module is loaded only when it runs, so that a toolkit command
 * never loads the daemon's dependencies (nor needs their permissions: `deno task mosaicod`).
 *
 * @module
 */
import { describeError } from "../errors.ts";
import { type CommandHelp, renderHelp, wantsHelp } from "./_help.ts";
import { ENV_VARS } from "../config.ts";
import { TOOLKIT_ENV_VARS } from "./_toolkit.ts";
import { PUSH_ENV_VARS } from "./_push_options.ts";

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

/** A command as listed, and how to load it. */
interface CommandEntry {
  name: string;
  /** One line for `mosaicod --help`; the command's own `summary` (a test keeps them equal). */
  summary: string;
  load: () => Promise<Command>;
}

/** The daemon and its administration. */
export const DAEMON_COMMANDS: readonly CommandEntry[] = [
  {
    name: "server",
    summary: "run the Flight daemon (what `deno task start` runs)",
    load: async () => (await import("./serve.ts")).serveCommand,
  },
  {
    name: "migrate",
    summary: "apply catalog migrations",
    load: async () => (await import("./migrate.ts")).migrateCommand,
  },
  {
    name: "rebuild",
    summary: "rebuild the catalog from the object store",
    load: async () => (await import("./rebuild.ts")).rebuildCommand,
  },
  {
    name: "verify",
    summary: "compare the catalog with the object store (--repair removes dead uploads)",
    load: async () => (await import("./verify.ts")).verifyCommand,
  },
  {
    name: "jobs",
    summary: "list, retry or cancel background jobs; enqueue a compaction; run due jobs; prune history",
    load: async () => (await import("./jobs.ts")).jobsCommand,
  },
  {
    name: "api-key",
    summary: "create, list, show or revoke API keys",
    load: async () => (await import("./api_key.ts")).apiKeyCommand,
  },
];

/** The toolkit: clients of a running daemon. */
export const TOOLKIT_COMMANDS: readonly CommandEntry[] = [
  {
    name: "ls",
    summary: "list the sequences of a running daemon (topics, rows, size, time span, creation)",
    load: async () => (await import("./ls.ts")).lsCommand,
  },
  {
    name: "info",
    summary: "describe a sequence (metadata, sessions, topics) or a topic (schema, chunks, time range)",
    load: async () => (await import("./info.ts")).infoCommand,
  },
  {
    name: "cat",
    summary: "print a topic's rows (time window, columns, limit; table, csv or jsonl)",
    load: async () => (await import("./cat.ts")).catCommand,
  },
  {
    name: "query",
    summary: "run a query (JSON, inline or @file) and list the matching sequences and topics",
    load: async () => (await import("./query.ts")).queryCommand,
  },
  {
    name: "import",
    summary: "import ROS 2 MCAP files and ROS 1 bags as a sequence (the SDK injector's topics)",
    load: async () => (await import("./import.ts")).importCommand,
  },
  {
    name: "push",
    summary: "copy finalized sequences to another daemon (idempotent, resumable, verified, rate-limited)",
    load: async () => (await import("./push.ts")).pushCommand,
  },
  {
    name: "sync",
    summary: "push every finalized sequence to another daemon, once or --every interval",
    load: async () => (await import("./sync.ts")).syncCommand,
  },
  {
    name: "export",
    summary: "export sequences or topics to Parquet, CSV or MCAP files (time window, topic globs)",
    load: async () => (await import("./export.ts")).exportCommand,
  },
];

/**
 * Every environment variable the command line reads: the daemon's, the toolkit's, and `MOSAICOD_LAUNCHER`
 * (set by the offline bundle's launcher, so that a permission error names the launcher's way to grant it).
 */
export const CLI_ENV_VARS: readonly string[] = [
  ...new Set([...ENV_VARS, ...TOOLKIT_ENV_VARS, ...PUSH_ENV_VARS, "MOSAICOD_LAUNCHER"]),
];

function topHelp(): string {
  const all = [...DAEMON_COMMANDS, ...TOOLKIT_COMMANDS];
  const width = Math.max(...all.map((c) => c.name.length)) + 2;
  const list = (entries: readonly CommandEntry[]) =>
    entries.map((c) => `  ${c.name.padEnd(width)}${c.summary}`);
  return [
    "mosaicod: the Mosaico robotics data daemon (Arrow Flight) and its toolkit",
    "",
    "Usage: mosaicod <command> [options]",
    "",
    "Daemon and administration:",
    ...list(DAEMON_COMMANDS),
    "",
    "Toolkit (talks to a running daemon: --server, env MOSAICOD_SERVER, default grpc://127.0.0.1:6726):",
    ...list(TOOLKIT_COMMANDS),
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
  const entry = [...DAEMON_COMMANDS, ...TOOLKIT_COMMANDS].find((c) => c.name === name);
  if (!entry) {
    cli.stderr(`mosaicod: unknown command "${name}" (run \`mosaicod --help\` for the list)`);
    return 2;
  }
  try {
    const cmd = await entry.load();
    if (wantsHelp(rest)) {
      cli.stdout(renderHelp(cmd.help));
      return 0;
    }
    return await cmd.run({ ...cli, args: rest });
  } catch (err) {
    cli.stderr(`mosaicod ${name}: ${describeError(err)}${permissionHint(err, entry)}`);
    return 1;
  }
}

/** For a daemon or admin command run without the permissions it needs (`deno task mosaicod`). */
function permissionHint(err: unknown, entry: CommandEntry): string {
  if (!(err instanceof Deno.errors.NotCapable) || !DAEMON_COMMANDS.includes(entry)) return "";
  const task = entry.name === "server" ? "start" : entry.name;
  return ` (\`deno task mosaicod\` has the toolkit's permissions only: run \`deno task ${task}\`)`;
}
