/** The command line as users meet it: exit codes, one-line errors, help, task argument pass-through. */
import assert from "node:assert/strict";
import { MAIN, ROOT, startDaemon } from "./_daemon.ts";
import { START_PERMISSIONS } from "./_permissions.ts";
import { pythonClient } from "./_commands.ts";

async function runMain(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}) {
  const cwd = opts.cwd ?? await Deno.makeTempDir({ prefix: "mosaicod-cli-" });
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", ...START_PERMISSIONS, MAIN, ...args],
      cwd,
      env: opts.env ?? {},
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr).trim() };
  } finally {
    if (!opts.cwd) await Deno.remove(cwd, { recursive: true });
  }
}

Deno.test("cli: --help works for the program and every subcommand", async () => {
  const top = await runMain(["--help"]);
  assert.equal(top.code, 0);
  assert.match(top.stdout, /server/);
  assert.match(top.stdout, /migrate/);
  for (const sub of ["server", "migrate"]) {
    const r = await runMain([sub, "--help"]);
    assert.equal(r.code, 0, sub);
    assert.match(r.stdout, new RegExp(`Usage: mosaicod ${sub}`));
    assert.match(r.stdout, /--data-dir/);
    assert.match(r.stdout, /--database-url/);
  }
  const server = await runMain(["server", "--help"]);
  for (const flag of ["--host", "--port", "--store", "--log-level", "--log-format"]) {
    assert.match(server.stdout, new RegExp(flag));
  }
});

Deno.test("cli: bad configuration exits non-zero with one clear line on stderr", async () => {
  const cases: [string[], Record<string, string>, RegExp][] = [
    [["server", "--port", "99999"], {}, /--port must be an integer from 0 to 65535/],
    [["server", "--no-such-flag"], {}, /Unknown option '--no-such-flag'/],
    [["server"], { MOSAICOD_LOG_LEVEL: "chatty" }, /MOSAICOD_LOG_LEVEL must be one of/],
    [["frobnicate"], {}, /unknown command "frobnicate"/],
  ];
  for (const [args, env, re] of cases) {
    const r = await runMain(args, { env });
    assert.notEqual(r.code, 0, args.join(" "));
    assert.match(r.stderr, re);
    assert.equal(r.stderr.split("\n").length, 1, `one line, got: ${r.stderr}`);
  }
});

Deno.test("cli: an unreachable database exits non-zero with one line that hides the password", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close(); // nothing listens there now
  const r = await runMain([
    "server",
    "--port",
    "0",
    "--database-url",
    `postgres://robot:s3cr3t-pw@127.0.0.1:${port}/m`,
  ]);
  assert.notEqual(r.code, 0);
  assert.equal(r.stderr.split("\n").length, 1, r.stderr);
  assert.match(r.stderr, /PostgreSQL/);
  assert.match(r.stderr, new RegExp(`127\\.0\\.0\\.1:${port}`));
  assert.ok(!r.stderr.includes("s3cr3t-pw"), "password leaked");
});

Deno.test("cli: a port already in use exits non-zero with one clear line", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const port = (listener.addr as Deno.NetAddr).port;
    const r = await runMain(["server", "--port", String(port), "--log-level", "warn"]);
    assert.notEqual(r.code, 0);
    assert.equal(r.stderr.split("\n").length, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`Cannot listen on 127\\.0\\.0\\.1:${port}: address already in use`));
  } finally {
    listener.close();
  }
});

Deno.test("cli: migrate applies migrations once, then reports the catalog is up to date", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "mosaicod-cli-" });
  try {
    const first = await runMain(["migrate", "--log-level", "warn"], { cwd });
    assert.equal(first.code, 0, first.stderr);
    assert.match(
      first.stdout,
      /Applied 7 migration\(s\): 0001_init, 0002_events_jobs, 0003_api_keys, 0004_event_log_id, 0005_\w+, 0006_sessions, 0007_\w+/,
    );
    const second = await runMain(["migrate", "--log-level", "warn"], { cwd });
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /Catalog is up to date/);
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("cli: `deno task start` passes extra arguments through (--port, --data-dir)", async () => {
  const dir = `scratch-test-${crypto.randomUUID().slice(0, 8)}`;
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["task", "start", "--port", String(port), "--data-dir", `./${dir}`, "--log-format", "json"],
    cwd: ROOT,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  try {
    const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let seen = "";
    while (!seen.includes('"msg":"listening"')) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += value;
    }
    assert.match(seen, new RegExp(`"port":${port}`), seen);
    assert.ok((await Deno.stat(`${ROOT}/${dir}/catalog`)).isDirectory, "data dir taken from --data-dir");
    child.kill("SIGTERM");
    assert.equal((await child.status).code, 0);
    await reader.cancel();
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* already exited */ }
    await child.status;
    await Deno.remove(`${ROOT}/${dir}`, { recursive: true }).catch(() => {});
  }
});

Deno.test("cli: the daemon starts with only the start task's permissions and an S3 store", async () => {
  const { startS3 } = await import("./_s3.ts");
  await using s3 = await startS3();
  await using daemon = await startDaemon({
    args: ["--store", `s3://${s3.bucket}/${s3.prefix}`],
    env: {
      MOSAICOD_STORE_ENDPOINT: s3.endpoint,
      MOSAICOD_STORE_ACCESS_KEY: s3.accessKeyId,
      MOSAICOD_STORE_SECRET_KEY: s3.secretAccessKey,
    },
  });
  const listening = daemon.logs.find((l) => l.msg === "listening");
  assert.match(String(listening?.store), new RegExp(`^s3://${s3.bucket}/`));
  assert.ok(!JSON.stringify(daemon.logs).includes(s3.secretAccessKey), "secret key logged");
});

Deno.test("cli: jobs list, compact, run, retry and cancel steer the background jobs", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "mosaicod-cli-" });
  try {
    let keep: { digest: string };
    {
      // A daemon that runs no jobs: the compaction waits for `jobs run`.
      await using daemon = await startDaemon({
        cwd,
        args: ["--chunk-bytes", String(1 << 20), "--job-workers", "0"],
      });
      keep = await pythonClient("crash_ops.py", daemon.url, "keep") as { digest: string };
      assert.ok(keep.digest);
      assert.equal(await daemon.stop(), 0);
    }
    const run = (...args: string[]) => runMain(["jobs", ...args, "--log-level", "warn"], { cwd });
    assert.deepEqual((await run("list")).stdout.trim(), "No jobs");
    const compact = await run("compact", "keep/imu");
    assert.equal(compact.code, 0, compact.stderr);
    assert.match(compact.stdout, /^Job (\d+) \(compact_topic of "keep\/imu"\) is pending/);
    const again = await run("compact", "keep/imu");
    assert.equal(again.stdout, compact.stdout, "one active compaction per topic");
    const listed = await run("list");
    assert.match(listed.stdout, /ID\s+KIND\s+STATE/);
    assert.match(listed.stdout, /1\s+compact_topic\s+pending\s+0\/5/);
    const ran = await run("run");
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, /Job 1 \(compact_topic\): done\nNo due job left/);
    const done = (await run("list", "--state", "done", "--json")).stdout.trim().split("\n").map((l) =>
      JSON.parse(l)
    );
    assert.deepEqual(done.map((j) => [j.id, j.kind, j.state, j.attempts]), [[1, "compact_topic", "done", 1]]);
    const retry = await run("retry", "1");
    assert.equal(retry.code, 1);
    assert.match(retry.stderr, /Job 1 is done: only failed, dead or cancelled jobs can be retried/);
    assert.match((await run("cancel", "7")).stderr, /Cannot find job 7/);
    assert.match((await run("compact", "keep/none")).stderr, /Cannot find topic "keep\/none"/);
    assert.match((await run("frobnicate")).stderr, /jobs needs an action/);
    assert.match((await run("list", "--state", "sleeping")).stderr, /--state must list states among/);
    {
      await using daemon = await startDaemon({ cwd });
      const state = await pythonClient("crash_ops.py", daemon.url, "state", "run") as {
        keep: { digest: string };
      };
      assert.equal(state.keep.digest, keep.digest, "the compacted topic reads back the same");
      assert.equal(await daemon.stop(), 0);
    }
    const verify = await runMain(["verify", "--log-level", "warn"], { cwd });
    assert.equal(verify.code, 0, verify.stdout);
    assert.match(verify.stdout, / 0 drift\(s\), 0 removed, 6 awaiting removal by a job/);
    // History past its retention: with the defaults nothing is that old; with 1 ms, every event and the
    // done compaction go, the pending removal job stays.
    assert.match((await run("prune")).stdout, /^Pruned 0 event\(s\) .* and 0 done or cancelled job\(s\)/);
    const pruned = await run("prune", "--event-retention-ms", "1", "--job-retention-ms", "1");
    assert.equal(pruned.code, 0, pruned.stderr);
    const [, events, through] = pruned.stdout.match(
      /^Pruned (\d+) event\(s\) \(older than 1 ms; the log now starts after id (\d+)\) and 1 done or/,
    ) ?? assert.fail(pruned.stdout);
    assert.ok(Number(events) >= 5 && events === through, pruned.stdout);
    const left = (await run("list", "--all", "--json")).stdout.trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(left.map((j) => [j.kind, j.state]), [["delete_objects", "pending"]]);
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});
