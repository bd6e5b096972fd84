/**
 * Interop: the independent Flight client our users run (pyarrow, Arrow C++) against the real daemon,
 * on both catalog drivers and both object stores. Python tests live in tests/interop/.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { startDaemon } from "./_daemon.ts";
import { buildNative } from "../tasks/build_native.ts";
import { freshDatabase } from "./_postgres.ts";
import { startS3 } from "./_s3.ts";
import { mosaicod } from "./_commands.ts";
import { selfSignedCertificate, tlsEnv } from "./_tls.ts";

const INTEROP_DIR = fileURLToPath(new URL("./interop/", import.meta.url));

async function runPython(args: string[], env: Record<string, string>) {
  const out = await new Deno.Command("python3", {
    args,
    env: { ...env, PYTHONDONTWRITEBYTECODE: "1" },
    cwd: INTEROP_DIR,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, output: dec.decode(out.stdout) + dec.decode(out.stderr) };
}

/**
 * Runs the pyarrow suite against `url`; `unskipped` names modules none of whose tests may be skipped (a
 * configuration made for them, whose skip would hide that they did not run).
 */
async function runSuite(
  url: string,
  env: Record<string, string> = {},
  pattern = "test*.py",
  unskipped: string[] = [],
): Promise<void> {
  const r = await runPython(["-m", "unittest", "discover", "-s", INTEROP_DIR, "-p", pattern, "-v"], {
    ...env,
    MOSAICOD_URL: url,
  });
  assert.equal(r.code, 0, r.output);
  const ran = /Ran (\d+) tests?/.exec(r.output);
  assert.ok(ran && Number(ran[1]) > 0, `no Python test ran:\n${r.output}`);
  for (const module of unskipped) {
    const lines = r.output.split("\n").filter((l) => l.includes(`(${module}.`));
    assert.ok(lines.length > 0, `no test of ${module} ran:\n${r.output}`);
    const skipped = lines.filter((l) => /\.\.\. skipped/.test(l));
    assert.deepEqual(skipped, [], `${module} must run in this configuration`);
  }
}

Deno.test("interop: pyarrow suite against the embedded catalog and the local store", async () => {
  await buildNative({ quiet: true });
  await using daemon = await startDaemon();
  // The default codec, auto, runs the native one where it is built (the test task builds it).
  const listening = daemon.logs.find((line) => line.msg === "listening");
  assert.match(String(listening?.parquet), /^Arrow C\+\+ /);
  await runSuite(daemon.url);
});

Deno.test("interop: pyarrow suite with the parquet-wasm codec (embedded catalog, local store)", async () => {
  await using daemon = await startDaemon({ args: ["--parquet-codec", "wasm"] });
  const listening = daemon.logs.find((line) => line.msg === "listening");
  assert.equal(listening?.parquet, "parquet-wasm");
  await runSuite(daemon.url);
});

Deno.test("interop: pyarrow suite against PostgreSQL and S3, on the grpc-js transport", async () => {
  await using db = await freshDatabase();
  await using s3 = await startS3();
  // Small chunks here, so every topic of the suite over 1 MiB is read back from several chunks.
  const chunkBytes = String(1 << 20);
  await using daemon = await startDaemon({
    args: [
      "--database-url",
      db.url,
      "--store",
      `s3://${s3.bucket}/${s3.prefix}`,
      "--chunk-bytes",
      chunkBytes,
      // The fallback transport stays covered: this configuration runs on grpc-js.
      "--transport",
      "grpc-js",
    ],
    env: {
      MOSAICOD_STORE_ENDPOINT: s3.endpoint,
      MOSAICOD_STORE_ACCESS_KEY: s3.accessKeyId,
      MOSAICOD_STORE_SECRET_KEY: s3.secretAccessKey,
    },
  });
  const listening = daemon.logs.find((l) => l.msg === "listening");
  assert.equal(listening?.catalog, "postgres");
  assert.equal(listening?.transport, "grpc-js");
  assert.equal(listening?.workers, 2);
  await runSuite(daemon.url, { MOSAICOD_CHUNK_BYTES: chunkBytes });
});

Deno.test("interop: SIGTERM with a connected pyarrow client still exits 0", async () => {
  await using daemon = await startDaemon({ args: ["--shutdown-timeout-ms", "3000"] });
  const holder = new Deno.Command("python3", {
    args: [
      "-c",
      [
        "import sys, time, pyarrow.flight as fl",
        `c = fl.FlightClient("${daemon.url}")`,
        "print(len(list(c.list_flights())), flush=True)",
        "time.sleep(30)",
      ].join("\n"),
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  try {
    const reader = holder.stdout.pipeThrough(new TextDecoderStream()).getReader();
    assert.equal((await reader.read()).value?.trim(), "0");
    await reader.cancel();
    const started = performance.now();
    assert.equal(await daemon.stop("SIGTERM"), 0);
    assert.ok(performance.now() - started < 8000, "shutdown must respect its deadline");
  } finally {
    try {
      holder.kill("SIGKILL");
    } catch (_) {
      // Already gone (its client may exit once the daemon closes the connection): nothing to stop.
    }
    await holder.status;
  }
});

Deno.test("interop: two Flight worker threads on the embedded catalog serve the suite, then stop cleanly", async () => {
  await using daemon = await startDaemon({ args: ["--workers", "2"] });
  assert.equal(daemon.logs.filter((l) => l.msg === "worker listening").length, 2);
  await runSuite(daemon.url);
  assert.equal(await daemon.stop("SIGTERM"), 0);
  assert.ok(!daemon.logs.some((l) => l.level === "error"), "no error logged");
});

Deno.test("interop: the SDK 0.4 and 0.7 suites with API keys, TLS and gzip both ways (PostgreSQL, local store)", async () => {
  await using db = await freshDatabase();
  await using cert = await selfSignedCertificate();
  const cwd = await Deno.makeTempDir({ prefix: "mosaicod-interop-" });
  try {
    const storage = ["--database-url", db.url];
    // The first key is minted offline, as an operator would: a 2026 "manage" key (every permission).
    const mint = async (...how: string[]) => {
      const minted = await mosaicod(cwd, "api-key", "create", ...storage, ...how);
      assert.equal(minted.code, 0, minted.stderr);
      return minted.stdout.trim();
    };
    const token = await mint("--level", "manage");
    // SDK 0.6+ keys: independent permissions, made with the CLI (0.7 delta K2).
    const keys07 = {
      MOSAICOD_KEY_READ: await mint("--permissions", "read"),
      MOSAICOD_KEY_WRITE: await mint("--permissions", "write"),
      MOSAICOD_KEY_DELETE: await mint("--permissions", "delete"),
      MOSAICOD_KEY_RW: await mint("--permissions", "read,write"),
    };
    await using daemon = await startDaemon({
      cwd,
      args: [...storage, "--api-key-enabled", "--grpc-compression", "gzip"],
      env: tlsEnv(cert),
    });
    // 0.1.0 clients send no key: with keys on, only the 2026-line modules apply (test_v2026_*, test_v07_*).
    await runSuite(
      `grpc+tls://localhost:${daemon.port}`,
      {
        MOSAICOD_API_KEY: token,
        MOSAICOD_TLS_CA: cert.cert,
        MOSAICOD_GZIP: "1",
        ...keys07,
      },
      "test_v*.py",
      ["test_v2026_keys", "test_v07_keys"],
    );
    assert.equal(await daemon.stop("SIGTERM"), 0);
  } finally {
    await Deno.remove(cwd, { recursive: true }).catch(() => {});
  }
});
