/**
 * What the toolkit commands (`ls`, `info`, `cat`, `query`) share: the connection options (`--server`,
 * `--api-key`, `--tls-ca`, with their `MOSAICOD_*` variables), `--json` and `--quiet`, the split of
 * positional arguments from flags, opening a client, time bounds, and progress on a terminal.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { connect, DEFAULT_SERVER_URL, type MosaicoClient } from "../client/mod.ts";
import { type OptionSpec, type OptionValues, readOptions } from "../config.ts";
import { ConfigError } from "../errors.ts";
import { parseTemporalOperand } from "../model/temporal_operand.ts";
import type { CliEnv } from "./mod.ts";

/** The options of every toolkit command. */
export const TOOLKIT_OPTIONS = {
  server: {
    type: "string",
    env: "MOSAICOD_SERVER",
    help: "daemon to talk to: grpc://host:port, or grpc+tls://host:port",
    default: DEFAULT_SERVER_URL,
  },
  "api-key": {
    type: "string",
    env: "MOSAICOD_API_KEY",
    help: "API key token, for a daemon started with --api-key-enabled",
  },
  "tls-ca": {
    type: "string",
    env: "MOSAICOD_TLS_CA",
    help: "PEM file of the certificates to trust for grpc+tls://, instead of the system's",
  },
  json: { type: "boolean", help: "output for scripts: JSON (one object per line)" },
  quiet: { type: "boolean", help: "no progress on stderr" },
} as const satisfies Record<string, OptionSpec>;

/** The environment variables only the toolkit reads. */
export const TOOLKIT_ENV_VARS: readonly string[] = Object.values(
  TOOLKIT_OPTIONS as Record<string, OptionSpec>,
)
  .flatMap((o) => o.env === undefined ? [] : [o.env]);

/** Parsed arguments: option values (flag, else variable, else default) and the positionals. */
export interface ToolkitArgs<T extends Record<string, OptionSpec>> {
  values: OptionValues<typeof TOOLKIT_OPTIONS & T>;
  positionals: string[];
  json: boolean;
  quiet: boolean;
}

/**
 * Splits `cli.args` into the command's options and `min`…`max` positional arguments.
 * @throws ConfigError for an unknown flag, a missing value, or a wrong number of positionals.
 */
export function parseToolkitArgs<T extends Record<string, OptionSpec>>(
  cli: CliEnv,
  options: T,
  positional: { min: number; max: number; usage: string },
): ToolkitArgs<T> {
  const specs = { ...TOOLKIT_OPTIONS, ...options };
  const types: Record<string, { type: "string" | "boolean" }> = {};
  for (const [name, spec] of Object.entries(specs)) types[name] = { type: spec.type };
  let tokens;
  try {
    ({ tokens } = parseArgs({
      args: cli.args,
      options: types,
      allowPositionals: true,
      strict: true,
      tokens: true,
    }));
  } catch (err) {
    throw new ConfigError(err instanceof Error ? err.message.split("\n")[0] : String(err));
  }
  const positionals = tokens.filter((t) => t.kind === "positional").map((t) => t.value);
  const used = new Set(tokens.filter((t) => t.kind === "positional").map((t) => t.index));
  const flags = cli.args.filter((a, i) => !used.has(i) && a !== "--");
  if (positionals.length < positional.min || positionals.length > positional.max) {
    throw new ConfigError(`Usage: ${positional.usage}`);
  }
  const values = readOptions(specs, { args: flags, env: cli.env });
  return { values, positionals, json: values.json === "true", quiet: values.quiet === "true" };
}

/** Connects to the daemon the options name (reading the TLS CA file if one is given). */
export async function openClient(values: OptionValues<typeof TOOLKIT_OPTIONS>): Promise<MosaicoClient> {
  const caPath = values["tls-ca"];
  let tlsCa: Uint8Array | undefined;
  if (caPath) {
    try {
      tlsCa = await Deno.readFile(caPath);
    } catch (err) {
      throw new ConfigError(
        `Cannot read ${values["--source"]["tls-ca"]} "${caPath}": ${(err as Error).message}`,
      );
    }
  }
  return await connect(values.server!, { apiKey: values["api-key"] || undefined, tlsCa });
}

/**
 * A time bound: nanoseconds since the epoch (`1700000000000000000`) or an ISO 8601 date or date-time
 * (`2023-11-14T22:13:20.5Z`; UTC without an offset).
 * @throws ConfigError naming the flag.
 */
export function parseTimeBound(text: string | undefined, flag: string): bigint | null {
  if (text === undefined) return null;
  const parsed = parseTemporalOperand(text.trim());
  if (parsed?.kind === "integer") return parsed.value;
  if (parsed?.kind === "instant") return parsed.ns;
  throw new ConfigError(
    `${flag} must be nanoseconds since the epoch or an ISO 8601 date-time, got "${text}"`,
  );
}

/** A progress line redrawn in place on stderr; silent unless stderr is a terminal and not `--quiet`. */
export function progressLine(cli: CliEnv, quiet: boolean): { update(text: string): void; done(): void } {
  const active = cli.isTerminal && !quiet;
  const encoder = new TextEncoder();
  let shown = false;
  const write = (text: string) => Deno.stderr.writeSync(encoder.encode(text));
  return {
    update(text) {
      if (!active) return;
      write(`\r\x1b[K${text}`);
      shown = true;
    },
    done() {
      if (shown) write("\r\x1b[K");
      shown = false;
    },
  };
}
