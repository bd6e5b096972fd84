/**
 * Crash safety (issue #6): a real daemon is made to die abruptly (`MOSAICOD_TEST_CRASH_AT`, exit 137,
 * no cleanup) at chosen points of an upload, a finalize and a delete; restarted (and, once, with its
 * catalog rebuilt from the store), it must never show a partial upload as committed, never lose a
 * committed topic, leave the unfinished sequence abortable or finalizable, and `verify` must find no
 * drift once the client has done what it would do next.
 */
import assert from "node:assert/strict";
import { startDaemon } from "./_daemon.ts";
import { mosaicod, pythonClient } from "./_commands.ts";
const DAEMON_ARGS = ["--chunk-bytes", String(1 << 20)]; // several chunks per upload

// deno-lint-ignore no-explicit-any
type Json = any;

function client(url: string, ...args: string[]): Promise<Json> {
  return pythonClient("crash_ops.py", url, ...args);
}

/** Runs `step` against a daemon that dies at `point`; returns what the client saw. */
async function crashDuring(cwd: string, point: string, step: (url: string) => Promise<Json>): Promise<Json> {
  await using daemon = await startDaemon({ cwd, args: DAEMON_ARGS, env: { MOSAICOD_TEST_CRASH_AT: point } });
  const seen = await step(daemon.url);
  assert.equal((await daemon.exited).code, 137, `the daemon was to die at ${point}`);
  return seen;
}

async function withDaemon<T>(cwd: string, fn: (url: string) => Promise<T>): Promise<T> {
  await using daemon = await startDaemon({ cwd, args: DAEMON_ARGS });
  const result = await fn(daemon.url);
  assert.equal(await daemon.stop(), 0);
  return result;
}

async function assertNoDrift(cwd: string): Promise<void> {
  const r = await mosaicod(cwd, "verify");
  assert.equal(r.code, 0, `verify found drift:\n${r.stdout}${r.stderr}`);
  assert.match(r.stdout, / 0 drift\(s\)/);
}

interface Scenario {
  point: string;
  /** The operation, when the point alone does not say. */
  during?: string;
  /** Brings the sequence "run" to just before the operation that crashes; returns its keys. */
  prepare: (url: string) => Promise<Json>;
  crash: (url: string, keys: Json) => Promise<Json>;
  /** After the restart: checks what the client sees, then does what the client would do next. */
  after: (url: string, keys: Json, crashed: Json) => Promise<void>;
  rebuild?: boolean;
}

const uploadCutShort = async (url: string, keys: Json) => {
  const state = await client(url, "state", "run");
  assert.deepEqual(state.topic, { data: "ArrowKeyError" }, "no data (NOT_FOUND): nothing was committed");
  assert.equal(state.locked, false);
  assert.equal(
    (await client(url, "abort", "run", keys.key)).outcome,
    "ok",
    "the unfinished sequence is abortable",
  );
  assert.deepEqual((await client(url, "state", "run")).sequences, ["keep"]);
};

const SCENARIOS: Scenario[] = [
  {
    point: "ingest.chunk-written",
    prepare: (url) => client(url, "start", "run"),
    crash: (url, keys) => client(url, "upload", "run", keys.tkey),
    after: uploadCutShort,
  },
  {
    point: "ingest.before-commit",
    prepare: (url) => client(url, "start", "run"),
    crash: (url, keys) => client(url, "upload", "run", keys.tkey),
    after: uploadCutShort,
  },
  {
    point: "ingest.after-commit",
    prepare: (url) => client(url, "start", "run"),
    crash: (url, keys) => client(url, "upload", "run", keys.tkey),
    after: async (url, keys, crashed) => {
      const state = await client(url, "state", "run");
      assert.equal(state.topic.digest, crashed.digest, "the committed upload is whole");
      assert.equal((await client(url, "finalize", "run", keys.key)).outcome, "ok");
    },
  },
  {
    point: "finalize.before-lock",
    prepare: async (url) => {
      const keys = await client(url, "start", "run");
      assert.equal((await client(url, "upload", "run", keys.tkey)).outcome, "ok");
      return keys;
    },
    crash: (url, keys) => client(url, "finalize", "run", keys.key),
    after: async (url, keys) => {
      const state = await client(url, "state", "run");
      assert.equal(state.locked, false);
      assert.equal(state.topic.rows, 48000);
      assert.equal((await client(url, "finalize", "run", keys.key)).outcome, "ok", "finalize can be retried");
    },
  },
  {
    point: "delete.after-catalog",
    prepare: async (url) => {
      const keys = await client(url, "start", "run");
      assert.equal((await client(url, "upload", "run", keys.tkey)).outcome, "ok");
      return keys;
    },
    crash: (url) => client(url, "delete", "run"),
    after: async (url) => {
      assert.deepEqual((await client(url, "state", "run")).sequences, ["keep"], "the deletion took effect");
    },
  },
  {
    point: "delete.after-catalog",
    during: "abort",
    prepare: (url) => client(url, "start", "run"),
    crash: (url, keys) => client(url, "abort", "run", keys.key),
    after: async (url) => {
      assert.deepEqual((await client(url, "state", "run")).sequences, ["keep"], "the abort took effect");
    },
  },
  {
    // The catalog is lost as well: the rebuilt one shows the upload whole (every chunk and manifest was
    // written before the commit point), never in part.
    point: "ingest.before-commit",
    rebuild: true,
    prepare: (url) => client(url, "start", "run"),
    crash: (url, keys) => client(url, "upload", "run", keys.tkey),
    after: async (url, keys, crashed) => {
      const state = await client(url, "state", "run");
      assert.equal(state.topic.digest, crashed.digest);
      assert.equal((await client(url, "finalize", "run", keys.key)).outcome, "ok");
    },
  },
];

for (const s of SCENARIOS) {
  const what = `${s.point}${s.crash.toString().includes('"abort"') ? " (abort)" : ""}${
    s.rebuild ? " with the catalog lost" : ""
  }`;
  Deno.test(`crash: killed at ${what}, nothing is lost or half-visible`, async () => {
    const cwd = await Deno.makeTempDir({ prefix: "mosaicod-crash-" });
    try {
      const { keep, keys } = await withDaemon(cwd, async (url) => ({
        keep: await client(url, "keep"),
        keys: await s.prepare(url),
      }));
      const crashed = await crashDuring(cwd, s.point, (url) => s.crash(url, keys));
      assert.notEqual(crashed.outcome, "ok", "the client saw the call fail");
      if (s.rebuild) {
        await Deno.remove(`${cwd}/data/catalog`, { recursive: true });
        const r = await mosaicod(cwd, "rebuild");
        assert.equal(r.code, 0, r.stdout + r.stderr);
      }
      await withDaemon(cwd, async (url) => {
        assert.equal(
          (await client(url, "state", "run")).keep.digest,
          keep.digest,
          "committed data is intact",
        );
        await s.after(url, keys, crashed);
      });
      await assertNoDrift(cwd);
    } finally {
      await Deno.remove(cwd, { recursive: true }).catch(() => {});
    }
  });
}

Deno.test("crash: SIGKILL in the middle of an upload, repeatedly, leaves no partial upload visible", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "mosaicod-crash-" });
  try {
    const { keep } = await withDaemon(cwd, async (url) => ({ keep: await client(url, "keep") }));
    for (const delayMs of [150, 400, 900]) {
      const keys = await withDaemon(cwd, (url) => client(url, "start", `run${delayMs}`));
      {
        await using daemon = await startDaemon({ cwd, args: DAEMON_ARGS });
        const upload = client(daemon.url, "upload", `run${delayMs}`, keys.tkey);
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        assert.notEqual(await daemon.stop("SIGKILL"), 0);
        await upload; // failed or finished: both are fine, half of it is not
      }
      await withDaemon(cwd, async (url) => {
        const state = await client(url, "state", `run${delayMs}`);
        assert.equal(state.keep.digest, keep.digest, "committed data is intact");
        // Either all of it (the commit happened before the kill) or none of it.
        if (state.topic.data === undefined) assert.equal(state.topic.rows, 48000);
        else assert.deepEqual(state.topic, { data: "ArrowKeyError" });
        assert.equal((await client(url, "abort", `run${delayMs}`, keys.key)).outcome, "ok");
      });
      await assertNoDrift(cwd);
    }
  } finally {
    await Deno.remove(cwd, { recursive: true }).catch(() => {});
  }
});

Deno.test("crash: a daemon killed in the middle of a compaction leaves a job the next daemon completes", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "mosaicod-crash-" });
  // Every finalized topic of more than one chunk is compacted; leases expire after 2 s.
  const jobArgs = [
    "--compact-min-chunks",
    "2",
    "--compact-below-bytes",
    String(1 << 30),
    "--job-lease-ms",
    "2000",
  ];
  try {
    const { keys, before } = await withDaemon(cwd, async (url) => {
      const keys = await client(url, "start", "run");
      assert.equal((await client(url, "upload", "run", keys.tkey)).outcome, "ok");
      return { keys, before: await client(url, "state", "run") };
    });
    {
      await using daemon = await startDaemon({
        cwd,
        args: [...DAEMON_ARGS, ...jobArgs],
        env: { MOSAICOD_TEST_CRASH_AT: "compact.before-switch" },
      });
      await client(daemon.url, "finalize", "run", keys.key); // enqueues the compaction with the lock
      assert.equal((await daemon.exited).code, 137, "the daemon died in the middle of the compaction");
    }
    await using daemon = await startDaemon({ cwd, args: [...DAEMON_ARGS, ...jobArgs] });
    const deadline = Date.now() + 30_000;
    while (!daemon.logs.some((l) => l.msg === "job done" && l.kind === "compact_topic")) {
      assert.ok(Date.now() < deadline, "the compaction job was completed after its lease expired");
      await new Promise((r) => setTimeout(r, 100));
    }
    const after = await client(daemon.url, "state", "run");
    assert.equal(after.locked, true);
    assert.equal(after.topic.digest, before.topic.digest, "the same rows in the same order");
    assert.equal(await daemon.stop(), 0);
    const jobs = await mosaicod(cwd, "jobs", "list", "--all", "--json");
    assert.equal(jobs.code, 0, jobs.stderr);
    const compaction = jobs.stdout.trim().split("\n").map((l) => JSON.parse(l))
      .find((j) => j.kind === "compact_topic");
    assert.deepEqual([compaction.state, compaction.attempts], ["done", 2]);
    await assertNoDrift(cwd);
  } finally {
    await Deno.remove(cwd, { recursive: true }).catch(() => {});
  }
});
