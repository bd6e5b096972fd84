/**
 * `deno task compile` needs the Deno runtime download host, which our machines cannot reach, so this
 * checks what the binary depends on instead: the entry point runs from another working directory,
 * from the module cache only (--cached-only), with the compile task's permissions, and with file reads
 * limited to its working directory and the npm cache: nothing is read from the source tree at run time.
 */
import assert from "node:assert/strict";
import denoJson from "../deno.json" with { type: "json" };
import { MAIN } from "./_daemon.ts";
import { COMPILE_PERMISSIONS, START_PERMISSIONS } from "./_permissions.ts";
import { channelTo } from "./_flight_client.ts";

async function npmCacheDir(): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), { args: ["info", "--json"], stdout: "piped" }).output();
  return JSON.parse(new TextDecoder().decode(out.stdout)).npmCache;
}

/** Workers load their module at run time: the binary must embed each with `--include`. */
const WORKERS = [
  "src/arrow/_parquet_worker.ts",
  "src/arrow/_encoder_worker.ts",
  "src/_flight_worker.ts",
  "src/catalog/_pglite_init_worker.ts",
  "src/toolkit/ros/_png_worker.ts",
  "src/toolkit/export/_zstd_worker.ts",
];

/** The local files of the worker modules' import graphs. */
async function workerGraphFiles(): Promise<string[]> {
  const files = new Set<string>();
  for (const worker of WORKERS) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", new URL(`../${worker}`, import.meta.url).pathname],
      stdout: "piped",
    }).output();
    const info: { modules: { specifier: string }[] } = JSON.parse(new TextDecoder().decode(out.stdout));
    for (const { specifier } of info.modules) {
      if (specifier.startsWith("file:")) files.add(new URL(specifier).pathname);
    }
  }
  return [...files];
}

Deno.test("compile: the task builds both Linux targets with the start task's permissions and no -A", () => {
  const task = denoJson.tasks.compile;
  const command = typeof task === "string" ? task : task.command;
  assert.match(command, /--target x86_64-unknown-linux-gnu/);
  assert.match(command, /--target aarch64-unknown-linux-gnu/);
  assert.ok(!/\s-A\b|--allow-all/.test(command), "never -A");
  const workers = WORKERS;
  const includes = workers.map((w) => `--include ${w.replaceAll(".", "\\.")}`).join(" ");
  for (const target of ["x86_64", "aarch64"]) {
    assert.match(command, new RegExp(`${includes} --target ${target}`));
  }
  for (const worker of workers) {
    assert.ok(Deno.statSync(new URL(`../${worker}`, import.meta.url)).isFile, worker);
  }
  assert.deepEqual(new Set(COMPILE_PERMISSIONS), new Set(START_PERMISSIONS));
});

Deno.test("compile: the entry point serves from another directory, cached modules only, no source reads", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "mosaicod-bin-" });
  const npmCache = await npmCacheDir();
  // Worker modules are loaded, with their imports, when the worker starts (a fresh catalog starts its
  // initdb worker): those are the source files the binary embeds with `--include`, and may be read.
  const embedded = (await workerGraphFiles()).join(",");
  const perms = COMPILE_PERMISSIONS.map((p) =>
    p === "--allow-read" ? `--allow-read=${cwd},${npmCache},${embedded}` : p
  );
  assert.ok(perms.some((p) => p.startsWith("--allow-read=")), "reads narrowed for this test");
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--cached-only", ...perms, MAIN, "server", "--port", "0", "--log-format", "json"],
    cwd,
    env: {},
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let logs = "";
  try {
    const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    while (!logs.includes('"msg":"listening"')) {
      const { value, done } = await reader.read();
      if (done) break;
      logs += value;
    }
    const port = Number(/"msg":"listening".*?"port":(\d+)/.exec(logs)?.[1]);
    assert.ok(port > 0, `daemon did not start:\n${logs}`);
    {
      using client = channelTo(port);
      assert.deepEqual(await client.serverStream("ListFlights", new Uint8Array(0)).all(), []);
    }
    child.kill("SIGTERM");
    assert.equal((await child.status).code, 0);
    await reader.cancel();
    assert.ok(
      (await Deno.stat(`${cwd}/data/catalog`)).isDirectory,
      "data written under the working directory",
    );
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* exited */ }
    await child.status;
    await Deno.remove(cwd, { recursive: true });
  }
});
