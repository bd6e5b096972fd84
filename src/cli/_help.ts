/**
 * Help text for subcommands, rendered from the same option specs that `config.ts` parses,
 * so flags, environment variables and defaults in `--help` can never drift from the code.
 *
 * @module
 */
import type { OptionSpec } from "../config.ts";
import { DURATION_SYNTAX, naturalDuration } from "../model/duration.ts";

export interface CommandHelp {
  usage: string;
  summary: string;
  options: Record<string, OptionSpec>;
  /** Extra lines after the options (environment-only settings, examples). */
  notes?: string[];
}

/** Renders a command's help. */
export function renderHelp(cmd: CommandHelp): string {
  const rows = Object.entries(cmd.options).map(([name, spec]) => {
    const flag = spec.type === "boolean" ? `--${name}` : `--${name} <value>`;
    const extra = [
      spec.env ? `env ${spec.env}` : "",
      spec.default !== undefined ? `default ${spec.default}${durationHint(name, spec.default)}` : "",
    ]
      .filter(Boolean).join("; ");
    return [flag, spec.help + (extra ? ` (${extra})` : "")];
  });
  rows.push(["-h, --help", "show this help"]);
  const width = Math.max(...rows.map(([f]) => f.length)) + 2;
  const lines = [`Usage: ${cmd.usage}`, "", cmd.summary, "", "Options:"];
  for (const [flag, text] of rows) lines.push(`  ${flag.padEnd(width)}${text}`);
  if (Object.keys(cmd.options).some((name) => name.endsWith("-ms"))) {
    lines.push("", `Options ending in -ms, and their variables, take ${DURATION_SYNTAX}.`);
  }
  if (cmd.notes?.length) lines.push("", ...cmd.notes);
  return lines.join("\n");
}

/** ` = 10m` after the default of a `*-ms` option, when a unit reads better than milliseconds. */
function durationHint(name: string, value: string): string {
  if (!name.endsWith("-ms") || !/^\d+$/.test(value) || Number(value) < 1000) return "";
  return ` = ${naturalDuration(Number(value))}`;
}

/** True when the arguments ask for help. */
export function wantsHelp(args: string[]): boolean {
  return args.includes("--help") || args.includes("-h");
}
