/**
 * `mosaicod push` and `mosaicod sync` between two real daemons: a push cut mid-transfer by a TCP proxy
 * fails clearly and leaves no half topic complete on the target; the next push clears what the cut left
 * and completes, verified (the target's rows digest as the source's); a second push moves nothing (its
 * report, the target's commits and the proxy's byte count say so); a sync pass copies what is new and
 * leaves unfinalized sessions; a clash of content is refused; --limit-rate slows a transfer; `sync
 * --every` runs with `deno task mosaicod`'s permissions and stops on SIGTERM.
 */
import assert from "node:assert/strict";
import { Binary, Field, Float64, Int64, List, RecordBatch, Schema, Struct, Utf8 } from "apache-arrow";
import { connect, type MosaicoClient, type TopicManifest } from "../src/client/mod.ts";
import { mosaicod } from "./_cli.ts";
import { readContent, schemaText } from "../src/toolkit/sync/copy.ts";
import { SOURCE_KEY, withoutSource } from "../src/toolkit/sync/plan.ts";
import { rowsOf } from "../src/arrow/_test_batches.ts";
import { MAIN, startDaemon } from "./_daemon.ts";
import { dropProxy } from "./_drop_proxy.ts";
import { TOOLKIT_PERMISSIONS } from "./_permissions.ts";

const BASE = 1_700_000_000_000_000_123n;
const MS = 1_000_000n;
const POSE = new Struct([
  new Field("x", new Float64(), true, new Map([["unit", "m"]])),
  new Field("tags", new List(new Field("item", new Utf8(), true)), true),
]);
const IMU = new Schema([
  new Field("timestamp_ns", new Int64(), false),
  new Field("label", new Utf8(), true),
  new Field("pose", POSE, true),
], new Map([["source", "test"]]));
const CAMERA = new Schema([
  new Field("timestamp_ns", new Int64(), false),
  new Field("frame", new Binary(), true),
]);

const times = (n: number) => Array.from({ length: n }, (_, i) => BASE + BigInt(i) * MS);
function imu(n: number, salt = ""): RecordBatch {
  return rowsOf(IMU, [
    times(n),
    Array.from({ length: n }, (_, i) => i % 7 === 3 ? null : `l${i}${salt}`),
    Array.from(
      { length: n },
      (_, i) => i % 11 === 5 ? null : { x: i / 4, tags: i % 2 ? [`t${i}`, null] : [] },
    ),
  ]);
}
/** `n` frames of `size` bytes: big enough to be cut mid-transfer, or to take time at a rate limit. */
function camera(n: number, size: number): RecordBatch[] {
  const frames = Array.from({ length: n }, (_, i) => i === 2 ? null : new Uint8Array(size).fill(i % 251));
  const whole = rowsOf(CAMERA, [times(n), frames]);
  return [whole.slice(0, n >> 1), whole.slice(n >> 1)];
}

type Upload = [path: string, tag: string, batches: RecordBatch[], metadata?: Record<string, unknown>];

/** Writes one session of `sequence` (created if needed); finalized unless `open`. */
async function session(client: MosaicoClient, sequence: string, topics: Upload[], open = false) {
  if (!(await client.listSequences()).includes(sequence)) {
    await client.createSequence(sequence, { robot: "r1", site: { name: "lab", n: 2 } });
  }
  const s = await client.createSession(sequence);
  for (const [path, tag, batches, metadata] of topics) {
    const locator = `${sequence}/${path}`;
    const uuid = await client.createTopic({
      locator,
      sessionUuid: s.uuid,
      ontologyTag: tag,
      userMetadata: (metadata ?? { path }) as never,
    });
    await client.putTopic(locator, uuid, batches[0].schema, batches);
  }
  if (!open) await client.finalizeSession(s.uuid);
}

/** Each topic of `sequence` on both daemons: same tag, format, metadata (but the source key), schema, rows. */
async function assertSameTopics(a: MosaicoClient, b: MosaicoClient, sequence: string) {
  const [src, dst] = [await a.sequenceInfo(sequence), await b.sequenceInfo(sequence)];
  const finalized = src.sessions.filter((s) => s.locked);
  assert.deepEqual(
    dst.sessions.map((s) => [s.locked, s.topics.sort()]),
    finalized.map((s) => [true, s.topics.sort()]),
  );
  assert.deepEqual(dst.userMetadata, src.userMetadata);
  const held = new Map(dst.topics.map((t) => [t.locator, t]));
  for (const s of finalized) {
    for (const name of s.topics) {
      const mine = src.topics.find((t) => t.locator === name)!;
      const theirs: TopicManifest = held.get(name)!;
      assert.deepEqual(
        [theirs.ontologyTag, theirs.serializationFormat, theirs.rows, theirs.span],
        [mine.ontologyTag, mine.serializationFormat, mine.rows, mine.span],
      );
      assert.deepEqual(withoutSource(theirs.userMetadata), mine.userMetadata);
      assert.deepEqual((theirs.userMetadata as Record<string, unknown>)[SOURCE_KEY], { session: s.locator });
      const [x, y] = [await readContent(a, mine), await readContent(b, theirs)];
      assert.equal(schemaText(y.schema), schemaText(x.schema));
      assert.deepEqual([y.rows, y.digest], [x.rows, x.digest]);
    }
  }
}

const commits = (logs: Record<string, unknown>[]) => logs.filter((l) => l.msg === "topic committed").length;

Deno.test("toolkit: push survives a cut link, a second push moves nothing, sync copies what is new", async (t) => {
  await using a = await startDaemon();
  await using b = await startDaemon();
  using src = await connect(a.url);
  using dst = await connect(b.url);
  await session(src, "run_01", [["imu", "imu", [imu(1500)]], ["camera", "camera", camera(160, 16_384)]]);
  await session(src, "run_01", [["gps", "gps", [imu(40, "g")], { path: "gps", big: 2 ** 60 }]]);
  await session(src, "run_01", [["notes", "notes", [imu(3)]]], true);
  await session(src, "walk_02", [["imu", "imu", [imu(10)]]]);
  await session(src, "draft_03", [["imu", "imu", [imu(5)]]], true);
  const proxy = dropProxy(b.port);
  try {
    const env = { MOSAICOD_SERVER: a.url, MOSAICOD_TO: proxy.url };

    await t.step("a link cut mid-transfer fails the push clearly; no half topic is complete", async () => {
      proxy.state.cutAfter = 1_000_000; // inside the 2.5 MiB camera topic
      const run = await mosaicod(env, "push", "run_01", "--quiet");
      assert.equal(proxy.state.cut, true);
      assert.equal(run.code, 1);
      assert.match(
        run.err.join("\n"),
        /^mosaicod push: Push of "run_01" stopped \(run it again to resume\): UNAVAILABLE: /,
      );
      const held = await dst.sequenceInfo("run_01");
      assert.ok(held.sessions.every((s) => !s.locked), "no session finalized");
      const cam = held.topics.find((t) => t.locator === "run_01/camera");
      assert.ok(cam === undefined || !cam.locked, "the cut topic is not complete");
    });

    await t.step("the next push clears what the cut left, copies, verifies", async () => {
      const run = await mosaicod(env, "push", "run_01", "--json");
      assert.equal(run.code, 0, run.err.join("\n"));
      const report = JSON.parse(run.out[0]);
      assert.deepEqual(
        [report.sequence, report.status, report.sessions, report.topics, report.rows],
        ["run_01", "copied", { copied: 2, skipped: 0, pending: 1, failed: 0 }, 3, 1700],
      );
      assert.ok(report.bytes > 2_500_000, String(report.bytes));
      assert.equal(JSON.parse(run.out[1]).summary.copied, 1);
      await assertSameTopics(src, dst, "run_01");
    });

    await t.step(
      "a second push moves nothing: its report, the target's commits and the bytes say so",
      async () => {
        const before = { commits: commits(b.logs), sent: proxy.state.sent };
        const run = await mosaicod(env, "push", "run_*", "--json");
        assert.equal(run.code, 0, run.err.join("\n"));
        const report = JSON.parse(run.out[0]);
        assert.deepEqual([report.status, report.sessions, report.bytes], ["up-to-date", {
          copied: 0,
          skipped: 2,
          pending: 1,
          failed: 0,
        }, 0]);
        assert.equal(commits(b.logs), before.commits);
        assert.ok(proxy.state.sent - before.sent < 20_000, `${proxy.state.sent - before.sent} bytes sent`);
      },
    );

    await t.step("sync: one pass copies the new sequence, leaves an unfinalized one, says so", async () => {
      const run = await mosaicod(env, "sync");
      assert.equal(run.code, 0, run.err.join("\n"));
      assert.match(run.out[0], /^draft_03: not-finalized, 1 session \(1 not finalized\) in /);
      assert.match(run.out[1], /^run_01: up-to-date, 3 sessions \(2 already there, 1 not finalized\) in /);
      assert.match(run.out[2], /^walk_02: copied, 1 session \(1 copied\); 1 topic, 10 rows, \d+ B in /);
      assert.match(
        run.err.at(-1)!,
        /^3 sequences to grpc:\/\/127\.0\.0\.1:\d+: 1 copied, 1 up to date, 1 not finalized, 0 failed; /,
      );
      assert.deepEqual((await dst.listSequences()).sort(), ["run_01", "walk_02"]);
      await assertSameTopics(src, dst, "walk_02");
    });

    await t.step("the same names with other data on the target are refused, not overwritten", async () => {
      await session(src, "clash_04", [["imu", "imu", [imu(20)]]]);
      await session(dst, "clash_04", [["imu", "imu", [imu(20, "x")], { path: "imu" }]]);
      const run = await mosaicod(env, "push", "clash_04", "walk_02");
      assert.equal(run.code, 1);
      assert.match(run.out[0], /^clash_04: failed, 1 session \(1 failed\) in /);
      assert.match(
        run.err[0],
        /^clash_04: The target already holds "clash_04\/imu" \(session "clash_04:[0-9A-Z]{26}"\) with other data \(digest\)$/,
      );
      assert.match(run.out[1], /^walk_02: up-to-date/);
    });

    await t.step("bad options are one-line errors", async () => {
      const noTarget = await mosaicod({ MOSAICOD_SERVER: a.url }, "push", "run_01");
      assert.deepEqual([noTarget.code, noTarget.err], [1, [
        "mosaicod push: --to (or MOSAICOD_TO) must name the target daemon: grpc://host:port",
      ]]);
      const rate = await mosaicod(env, "push", "run_01", "--limit-rate", "fast");
      assert.match(rate.err[0], /^mosaicod push: --limit-rate must be bytes per second, .*got "fast"$/);
      const every = await mosaicod(env, "sync", "--every", "5x");
      assert.match(every.err[0], /^mosaicod sync: --every must be a duration/);
    });

    await t.step("--limit-rate slows the upload down to the rate", async () => {
      await session(src, "slow_05", [["camera", "camera", camera(40, 16_384)]]);
      const started = performance.now();
      const run = await mosaicod(
        { ...env, MOSAICOD_TO: b.url },
        "push",
        "slow_05",
        "--limit-rate",
        "256K",
        "--json",
      );
      const elapsedS = (performance.now() - started) / 1000;
      assert.equal(run.code, 0, run.err.join("\n"));
      const bytes = JSON.parse(run.out[0]).bytes;
      assert.ok(bytes > 600_000, String(bytes));
      // The bucket lets a quarter second of the rate through at once (64 KiB), then paces.
      const floorS = (bytes - 65_536) / 262_144;
      assert.ok(
        elapsedS >= floorS * 0.95,
        `${elapsedS.toFixed(2)} s for ${bytes} bytes, at least ${floorS.toFixed(2)} s`,
      );
    });

    await t.step("sync --every runs with deno task mosaicod's permissions and stops on SIGTERM", async () => {
      await session(src, "late_06", [["imu", "imu", [imu(5)]]]);
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", ...TOOLKIT_PERMISSIONS, MAIN, "sync", "--every", "1m", "--json"],
        env: { MOSAICOD_SERVER: a.url, MOSAICOD_TO: b.url },
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const lines = child.stdout.pipeThrough(new TextDecoderStream()).values();
      let text = "";
      while (!text.includes('"summary"')) {
        const { value, done } = await lines.next();
        if (done) break;
        text += value;
      }
      child.kill("SIGTERM");
      const [status, err] = [await child.status, await new Response(child.stderr).text()];
      await lines.return?.();
      assert.equal(status.code, 0, err);
      assert.match(text, /"sequence":"late_06","status":"copied"/);
      assert.match(err, /mosaicod sync: stopped/);
    });
  } finally {
    await proxy.close();
  }
});
