/**
 * The permission flags of `deno task start`, read from deno.json, so that tests run the daemon
 * exactly as users do and a missing permission fails a test instead of a user's start.
 *
 * @module
 */
import denoJson from "../deno.json" with { type: "json" };

function permissionFlags(command: string): string[] {
  return command.split(/\s+/).filter((t) => /^--(allow|deny)-/.test(t));
}

const tasks = denoJson.tasks as Record<string, string | { command: string }>;
const taskCommand = (name: string) => {
  const t = tasks[name];
  return typeof t === "string" ? t : t.command;
};

/** Flags of the `start` task (never `-A`). */
export const START_PERMISSIONS: string[] = permissionFlags(taskCommand("start"));
/** Flags of the `compile` task. */
export const COMPILE_PERMISSIONS: string[] = permissionFlags(taskCommand("compile"));

/** Flags of the `mosaicod` task: the toolkit's (network, reading files, its own variables). */
export const TOOLKIT_PERMISSIONS: string[] = permissionFlags(taskCommand("mosaicod"));
