/**
 * Running the two other programs end-to-end tests drive: a Python client script of `tests/interop/`
 * (printing one JSON value) against a daemon, and a `main.ts` maintenance command (`rebuild`, `verify`)
 * with exactly the start task's permissions.
 *
 * @module
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { MAIN } from "./_daemon.ts";
import { START_PERMISSIONS } from "./_permissions.ts";

const INTEROP = fileURLToPath(new URL("./interop/", import.meta.url));
const decoder = new TextDecoder();

/** Runs `tests/interop/<script> <args>` against `url`; returns the JSON it printed. Fails on a non-zero exit. */
export async function pythonClient(script: string, url: string, ...args: string[]): Promise<unknown> {
  const out = await new Deno.Command("python3", {
    args: [script, ...args],
    cwd: INTEROP,
    env: { MOSAICOD_URL: url, PYTHONDONTWRITEBYTECODE: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, decoder.decode(out.stderr));
  return JSON.parse(decoder.decode(out.stdout));
}

/** Runs `main.ts <command> <args> --log-format json` in `cwd`; returns its exit code and output. */
export function mosaicod(cwd: string, command: string, ...args: string[]) {
  return mosaicodWithEnv(cwd, {}, command, ...args);
}

/** {@link mosaicod} with extra environment variables (an S3 store's settings, say). */
export async function mosaicodWithEnv(
  cwd: string,
  env: Record<string, string>,
  command: string,
  ...args: string[]
) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...START_PERMISSIONS, MAIN, command, ...args, "--log-format", "json"],
    cwd,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}
