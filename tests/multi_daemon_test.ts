/**
 * Several daemons on one PostgreSQL database and one S3 store (issue #8), as two real processes: how
 * users grow past one machine. Concurrent creates of one name on both give exactly one winner; what is
 * uploaded through one is readable and queryable through the other; a deletion made on one is seen by
 * the other and its objects are removed by whichever daemon's job runner takes the job; the event log
 * is one log.
 */
import assert from "node:assert/strict";
import { mosaicodWithEnv, pythonClient } from "./_commands.ts";
import { startDaemon } from "./_daemon.ts";
import { freshDatabase } from "./_postgres.ts";
import { startS3 } from "./_s3.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

const ops = (url: string, ...args: string[]) => pythonClient("fault_ops.py", url, ...args) as Promise<Json>;

Deno.test("multi-daemon: two daemons on one PostgreSQL and one S3 store", async () => {
  await using db = await freshDatabase();
  await using s3 = await startS3();
  const args = ["--database-url", db.url, "--store", `s3://${s3.bucket}/${s3.prefix}`];
  const env = {
    MOSAICOD_STORE_ENDPOINT: s3.endpoint,
    MOSAICOD_STORE_ACCESS_KEY: s3.accessKeyId,
    MOSAICOD_STORE_SECRET_KEY: s3.secretAccessKey,
  };
  const cwdA = await Deno.makeTempDir({ prefix: "mosaicod-multi-a-" });
  const cwdB = await Deno.makeTempDir({ prefix: "mosaicod-multi-b-" });
  try {
    await using a = await startDaemon({ cwd: cwdA, args: [...args, "--workers", "1"], env });
    await using b = await startDaemon({ cwd: cwdB, args: [...args, "--workers", "1"], env });

    for (let i = 0; i < 8; i++) {
      const race = await ops(a.url, "race", `race_${i}`, b.url);
      const outcomes = (r: Record<string, { outcome: string }>) =>
        Object.values(r).map((o) => o.outcome).sort();
      assert.deepEqual(outcomes(race.sequence), ["ALREADY_EXISTS", "ok"], JSON.stringify(race));
      assert.deepEqual(outcomes(race.topic), ["ALREADY_EXISTS", "ok"], JSON.stringify(race));
    }

    const keep = await ops(a.url, "keep", "keep");
    assert.equal(keep.finalize.outcome, "ok", JSON.stringify(keep));
    const seen = await ops(b.url, "probe", "keep");
    assert.equal(seen.read.value, keep.digest, "uploaded through A, read through B");
    assert.equal(seen.info.value, 48000);
    assert.deepEqual(await ops(b.url, "query", "keep"), [{ sequence: "keep", topics: ["keep/imu"] }]);

    // Deleted through B: gone for A at once; one of the two daemons removes the objects.
    const gone = await ops(a.url, "upload", "gone", "1");
    assert.equal(gone.finalize.outcome, "ok");
    const other = await pythonClient("crash_ops.py", a.url, "start", "open") as Json;
    assert.ok(other.key);
    assert.equal((await pythonClient("crash_ops.py", b.url, "delete", "open") as Json).outcome, "ok");
    const listed = (await ops(a.url, "probe", "keep")).list.value as string[];
    assert.ok(!listed.includes("open") && listed.includes("gone"), JSON.stringify(listed));
    // Three deletions so far: "open", and the scratch sequence of each probe. Each job ran on one daemon.
    const deadline = Date.now() + 20_000;
    const logs = (msg: string) =>
      [...a.logs, ...b.logs].filter((l) => l.msg === msg && l.kind === "delete_objects").map((l) => l.job);
    while (logs("job done").length < 3) {
      assert.ok(Date.now() < deadline, "the daemons ran the deletion jobs");
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(logs("job started").sort(), [1, 2, 3], "no job was started twice");

    // One event log: B streams what A did, in order.
    const events = await ops(b.url, "events") as [string, string][];
    const keepEvents = events.filter(([, s]) => s === "keep").map(([k]) => k);
    assert.deepEqual(keepEvents, [
      "sequence.created",
      "topic.created",
      ...keepEvents.filter((k) => k === "chunk.committed"),
      "topic.locked",
      "sequence.finalized",
    ]);
    assert.ok(keepEvents.includes("chunk.committed"));
    assert.deepEqual(events.filter(([, s]) => s === "open").map(([k]) => k), [
      "sequence.created",
      "topic.created",
      "sequence.deleted",
    ]);

    assert.equal(await a.stop(), 0);
    assert.equal(await b.stop(), 0);
    const verify = await mosaicodWithEnv(cwdA, env, "verify", ...args);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  } finally {
    await Deno.remove(cwdA, { recursive: true });
    await Deno.remove(cwdB, { recursive: true });
  }
});
