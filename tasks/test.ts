/**
 * `deno task test`: provisions what the suite needs once (a throwaway PostgreSQL cluster, unless
 * TEST_DATABASE_URL is set; a check that pyarrow is importable; the native Parquet codec, built against
 * that pyarrow), then runs `deno test` over src/ and tests/ with the services' addresses in the
 * environment. A missing service fails the run with a hint;
 * nothing is skipped. Extra arguments go to `deno test` (e.g. a file, or `--filter name`).
 *
 * @module
 */
import { testDatabaseUrl } from "../tests/_postgres.ts";
import { buildNative } from "./build_native.ts";

const TEST_PERMISSIONS = [
  "--allow-run",
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-sys",
  // DuckDB's native addon (tests/toolkit_export_test.ts opens exported Parquet with it).
  "--allow-ffi",
];

async function checkPyarrow(): Promise<void> {
  let out;
  try {
    out = await new Deno.Command("python3", {
      args: ["-c", "import numpy, pyarrow, pyarrow.flight; print(pyarrow.__version__)"],
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (err) {
    throw new Error(`python3 is needed for the interop tests and was not found (${err})`);
  }
  if (!out.success) {
    throw new Error(
      "pyarrow and numpy are needed for the interop tests: run `python3 -m pip install pyarrow numpy`",
    );
  }
  console.error(`test: pyarrow ${new TextDecoder().decode(out.stdout).trim()}`);
}

async function main(args: string[]): Promise<number> {
  const started = performance.now();
  await checkPyarrow();
  // Once, before the test files that use it start at the same time (each would otherwise compile it).
  await buildNative({ quiet: true });
  const databaseUrl = await testDatabaseUrl();
  console.error(
    `test: native Parquet codec and PostgreSQL ready in ${
      ((performance.now() - started) / 1000).toFixed(1)
    } s`,
  );
  const targets = args.some((a) => !a.startsWith("-")) ? [] : ["src/", "tests/"];
  const child = new Deno.Command(Deno.execPath(), {
    args: ["test", ...TEST_PERMISSIONS, "--parallel", ...args, ...targets],
    env: { TEST_DATABASE_URL: databaseUrl },
    stdin: "null",
  }).spawn();
  const status = await child.status;
  console.error(`test: finished in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return status.code;
}

if (import.meta.main) {
  let code: number;
  try {
    code = await main(Deno.args);
  } catch (err) {
    console.error(`test: ${err instanceof Error ? err.message : err}`);
    code = 1;
  }
  Deno.exit(code);
}
