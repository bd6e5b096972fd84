/**
 * Helpers of tests/bundle_test.ts: running tasks/bundle.ts as the `bundle` task does, unpacking a tarball,
 * the qemu-user command line, and the smoke run of a bundle's launcher in an environment with no network
 * and no Deno of this machine (start, pyarrow round trip with tests/interop/bundle_smoke.py, SIGTERM).
 *
 * @module
 */
import assert from "node:assert/strict";
import { basename, join } from "node:path";
import denoJson from "../deno.json" with { type: "json" };
import { taskPermissions } from "../tasks/bundle/launcher.ts";
import { pythonClient } from "./_commands.ts";
import { capture } from "../tasks/bench/_proc.ts";
import { ROOT, startDaemon } from "./_daemon.ts";

const decoder = new TextDecoder();

/** Runs tasks/bundle.ts with the `bundle` task's permissions; fails with its output on a non-zero exit. */
export async function bundleTask(args: string[], env: Record<string, string>): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...taskPermissions(denoJson, "bundle"), "tasks/bundle.ts", ...args],
    cwd: ROOT,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, decoder.decode(out.stderr));
}

/** Unpacks a tarball into a new folder `dir`; returns the bundle's folder in it. */
export async function unpack(tarball: string, dir: string): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  const out = await new Deno.Command("tar", { args: ["-xzf", tarball, "-C", dir], stderr: "piped" }).output();
  assert.equal(out.code, 0, decoder.decode(out.stderr));
  return join(dir, basename(tarball, ".tar.gz"));
}

/** The qemu-user command that runs an aarch64 Linux program here; fails with a hint when it is missing. */
export async function qemu(): Promise<string> {
  const libs = "/usr/aarch64-linux-gnu";
  const missing = [];
  try {
    await new Deno.Command("qemu-aarch64-static", { args: ["--version"], stdout: "null" }).output();
  } catch {
    missing.push("qemu-user-static");
  }
  for (
    const [lib, pkg] of [["ld-linux-aarch64.so.1", "libc6-arm64-cross"], [
      "libgcc_s.so.1",
      "libgcc-s1-arm64-cross",
    ]]
  ) {
    if (!(await Deno.stat(`${libs}/lib/${lib}`).catch(() => null))) missing.push(pkg);
  }
  assert.deepEqual(missing, [], `apt-get install ${missing.join(" ")} (what .ci/run installs)`);
  return `qemu-aarch64-static -L ${libs}`;
}

/**
 * The whole environment a bundle gets in these tests: no way to the network (every proxy is a closed port,
 * and the registry too), HOME and DENO_DIR empty, no Deno on PATH; the data directory outside the working
 * directory (MOSAICOD_DATA_DIR, which the launcher must make writable).
 */
export function bareEnv(work: string): Record<string, string> {
  const dead = "http://127.0.0.1:9";
  return {
    PATH: "/usr/bin:/bin",
    HOME: join(work, "home"),
    DENO_DIR: join(work, "home", "deno"),
    HTTP_PROXY: dead,
    HTTPS_PROXY: dead,
    ALL_PROXY: dead,
    NPM_CONFIG_REGISTRY: `${dead}/`,
    MOSAICOD_DATA_DIR: join(work, "var-lib-mosaicod"),
  };
}

/** Creates the empty folders of {@link bareEnv} (once) and the working directory; returns the latter. */
export async function prepare(work: string): Promise<string> {
  await Deno.mkdir(join(work, "home", "deno"), { recursive: true });
  await Deno.mkdir(join(work, "cwd"), { recursive: true });
  return join(work, "cwd");
}

/** Starts the bundle's launcher in {@link bareEnv}, makes the pyarrow round trip, stops it with SIGTERM. */
export async function smoke(root: string, work: string, env: Record<string, string>, startTimeoutMs: number) {
  const cwd = await prepare(work);
  const base = bareEnv(work);
  const started = performance.now();
  const seconds = () => ((performance.now() - started) / 1000).toFixed(1);
  await using daemon = await startDaemon({
    command: [join(root, "mosaicod")],
    cwd,
    clearEnv: true,
    env: { ...base, ...env },
    startTimeoutMs,
  });
  const listening = seconds();
  if (env.MOSAICOD_EMULATOR) {
    assert.match(
      // Deno wants every permission for /proc/<pid>/exe; readlink(1) needs only --allow-run.
      await capture("readlink", [`/proc/${daemon.pid}/exe`]),
      /qemu-aarch64/,
      "the daemon runs under qemu",
    );
  }
  const result = await pythonClient("bundle_smoke.py", daemon.url) as { rows: number };
  assert.equal(result.rows, 300);
  const served = seconds();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const code = await Promise.race([
    daemon.stop("SIGTERM"),
    new Promise<string>((resolve) => timer = setTimeout(() => resolve("no exit 60 s after SIGTERM"), 60_000)),
  ]);
  clearTimeout(timer);
  assert.equal(code, 0);
  console.error(
    `bundle test: ${basename(root)} listening after ${listening} s, round trip done at ${served} s, ` +
      `stopped at ${seconds()} s`,
  );
  for (const sub of ["catalog", "store"]) {
    assert.ok(
      (await Deno.stat(join(base.MOSAICOD_DATA_DIR, sub))).isDirectory,
      `the data directory holds ${sub}/`,
    );
  }
  assert.deepEqual([...Deno.readDirSync(cwd)], [], "nothing written in the working directory");
  assert.deepEqual([...Deno.readDirSync(base.DENO_DIR)], [], "the DENO_DIR of the environment is unused");
}
