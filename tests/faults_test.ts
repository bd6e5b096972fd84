/**
 * Dependency faults (issue #8), injected for real against a running daemon and a pyarrow client whose
 * every call has a deadline:
 * - the PostgreSQL catalog stopped, then started again: calls fail with UNAVAILABLE meanwhile and succeed
 *   afterwards, without restarting the daemon;
 * - the S3 store refusing connections, then hanging (a proxy in front of a real S3 server): calls are
 *   retried with backoff, then fail with UNAVAILABLE, quickly; nothing half-written becomes visible;
 * - a full disk under the local store (a small tmpfs): the upload fails with UNAVAILABLE naming the cause,
 *   the earlier data stays intact, and space freed by a deletion is usable again.
 * After each, the earlier data reads back unchanged and `verify` finds no drift.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { mosaicodWithEnv, pythonClient } from "./_commands.ts";
import { startDaemon } from "./_daemon.ts";
import { FaultProxy } from "./_fault_proxy.ts";
import { startPrivateCluster } from "./_postgres.ts";
import { startS3 } from "./_s3.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

interface Outcome {
  outcome: string;
  message?: string;
  seconds: number;
  value?: Json;
}

const ops = (url: string, ...args: string[]) => pythonClient("fault_ops.py", url, ...args) as Promise<Json>;

/** Every call of a probe: ok, or UNAVAILABLE within `maxSeconds`; never INTERNAL, never a hang. */
function assertProbe(probe: Record<string, Outcome>, expect: "ok" | "UNAVAILABLE", maxSeconds: number) {
  for (const [call, o] of Object.entries(probe)) {
    if (call === "list" && expect === "UNAVAILABLE" && o.outcome === "ok") continue; // may need no dependency
    assert.equal(o.outcome, expect, `${call}: ${JSON.stringify(o)}`);
    assert.ok(o.seconds <= maxSeconds, `${call} took ${o.seconds} s`);
  }
}

async function assertNoDrift(cwd: string, env: Record<string, string>, ...args: string[]): Promise<void> {
  const r = await mosaicodWithEnv(cwd, env, "verify", ...args);
  assert.equal(r.code, 0, `verify found drift:\n${r.stdout}${r.stderr}`);
}

Deno.test("faults: PostgreSQL stopped and restarted under a running daemon", async () => {
  await using cluster = await startPrivateCluster();
  const cwd = await Deno.makeTempDir({ prefix: "mosaicod-faults-" });
  try {
    const args = ["--database-url", cluster.url];
    await using daemon = await startDaemon({ cwd, args });
    const keep = await ops(daemon.url, "keep", "keep");
    assert.equal(keep.finalize.outcome, "ok", JSON.stringify(keep));

    await cluster.stop();
    assertProbe(await ops(daemon.url, "probe", "keep"), "UNAVAILABLE", 15);
    const during = await ops(daemon.url, "upload", "during");
    assert.equal(during.create.outcome, "UNAVAILABLE", JSON.stringify(during));
    assert.match(during.create.message, /catalog|PostgreSQL/);

    await cluster.start();
    const probe = await ops(daemon.url, "probe", "keep");
    assertProbe(probe, "ok", 15);
    assert.equal(probe.read.value, keep.digest, "the earlier data reads back unchanged");
    assert.deepEqual(probe.list.value, ["keep"], "nothing of the failed calls is visible");
    const after = await ops(daemon.url, "upload", "after");
    assert.equal(after.finalize.outcome, "ok", JSON.stringify(after));
    assert.equal(daemon.logs.filter((l) => l.level === "error" && l.msg === "internal error").length, 0);
    assert.equal(await daemon.stop(), 0);
    await assertNoDrift(cwd, {}, ...args);
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("faults: the S3 store refusing, then hanging, then back", async () => {
  await using s3 = await startS3();
  const endpoint = new URL(s3.endpoint);
  await using proxy = await FaultProxy.start({ host: endpoint.hostname, port: Number(endpoint.port) });
  const cwd = await Deno.makeTempDir({ prefix: "mosaicod-faults-" });
  const args = ["--store", `s3://${s3.bucket}/${s3.prefix}`];
  const env = {
    MOSAICOD_STORE_ENDPOINT: `http://127.0.0.1:${proxy.port}`,
    MOSAICOD_STORE_ACCESS_KEY: s3.accessKeyId,
    MOSAICOD_STORE_SECRET_KEY: s3.secretAccessKey,
    MOSAICOD_STORE_TIMEOUT_MS: "1000",
    MOSAICOD_STORE_MAX_ATTEMPTS: "3",
  };
  try {
    await using daemon = await startDaemon({ cwd, args, env });
    const keep = await ops(daemon.url, "keep", "keep");
    assert.equal(keep.finalize.outcome, "ok", JSON.stringify(keep));

    for (const mode of ["refuse", "stall"] as const) {
      proxy.setMode(mode);
      assertProbe(await ops(daemon.url, "probe", "keep"), "UNAVAILABLE", 20);
      const failed = await ops(daemon.url, "upload", `during-${mode}`);
      assert.equal(failed.create.outcome, "UNAVAILABLE", `${mode}: ${JSON.stringify(failed)}`);
      assert.match(failed.create.message, /object store|Cannot write/);
    }

    proxy.setMode("forward");
    const probe = await ops(daemon.url, "probe", "keep");
    assertProbe(probe, "ok", 15);
    assert.equal(probe.read.value, keep.digest);
    assert.deepEqual(probe.list.value, ["keep"], "nothing of the failed calls is visible");
    // An upload cut by the store going down in the middle: it fails, and nothing half-written is visible.
    proxy.refuseAfter(1 << 20);
    const cut = await ops(daemon.url, "upload", "cut");
    assert.equal(proxy.mode, "refuse", "the store went down during the upload");
    assert.equal(cut.upload.outcome, "UNAVAILABLE", JSON.stringify(cut));
    proxy.setMode("forward");
    const cutProbe = await ops(daemon.url, "probe", "cut");
    assert.equal(cutProbe.info.outcome, "NOT_FOUND", "no data of the cut upload is visible");
    assert.equal(cutProbe.read.outcome, "NOT_FOUND");
    assert.equal((await ops(daemon.url, "probe", "keep")).read.value, keep.digest);
    assert.equal((await pythonClient("crash_ops.py", daemon.url, "delete", "cut") as Json).outcome, "ok");
    const after = await ops(daemon.url, "upload", "after");
    assert.equal(after.finalize.outcome, "ok", JSON.stringify(after));
    assert.equal(await daemon.stop(), 0);
    await assertNoDrift(cwd, env, ...args);
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("faults: a full disk under the local store fails the upload cleanly", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "mosaicod-faults-" });
  const store = join(cwd, "store");
  await Deno.mkdir(store);
  const mount = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", "size=5m", "tmpfs", store],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(
    mount.success,
    `a tmpfs is needed (run the tests as root): ${new TextDecoder().decode(mount.stderr)}`,
  );
  try {
    const args = ["--store", store];
    await using daemon = await startDaemon({ cwd, args });
    const keep = await ops(daemon.url, "keep", "keep");
    assert.equal(keep.finalize.outcome, "ok", JSON.stringify(keep));

    const full = await ops(daemon.url, "upload", "full");
    assert.equal(full.upload.outcome, "UNAVAILABLE", JSON.stringify(full));
    assert.match(full.upload.message, /no space left on device/);
    assert.equal(full.finalize.outcome, "FAILED_PRECONDITION", "the topic has no completed upload");
    const temp: string[] = [];
    for await (const e of Deno.readDir(join(store, ".tmp"))) temp.push(e.name);
    assert.deepEqual(temp, [], "the failed write left no temp file");
    const probe = await ops(daemon.url, "probe", "keep");
    assertProbe(probe, "ok", 15);
    assert.equal(probe.read.value, keep.digest, "the earlier data is intact");

    // The client gives up on "full" (the SDK deletes it); a smaller upload still fits, without a restart.
    const aborted = await pythonClient("crash_ops.py", daemon.url, "delete", "full") as Json;
    assert.equal(aborted.outcome, "ok");
    const deadline = Date.now() + 20_000;
    while (!daemon.logs.some((l) => l.msg === "job done" && l.kind === "delete_objects")) {
      assert.ok(Date.now() < deadline, "the deletion job ran");
      await new Promise((r) => setTimeout(r, 100));
    }
    const again = await ops(daemon.url, "upload", "again", "1");
    assert.equal(again.finalize.outcome, "ok", JSON.stringify(again));
    assert.equal(await daemon.stop(), 0);
    await assertNoDrift(cwd, {}, ...args);
  } finally {
    await new Deno.Command("umount", { args: ["-l", store] }).output();
    await Deno.remove(cwd, { recursive: true });
  }
});
