/**
 * The toolkit section of `deno task bench` (tasks/bench/toolkit.ts) on a tiny recording: the recording
 * holds what it says, and the section's five rows exist, each checked, toolkit rows with their ratio to the
 * daemon's pyarrow row and the toolkit process's own cost. The benchmark itself is never run here.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { McapIndexedReader } from "@mcap/core";
import { formatPhases } from "../tasks/bench/_report.ts";
import { benchToolkit, writeRecording } from "../tasks/bench/toolkit.ts";
import { freshDatabase } from "./_postgres.ts";

const MiB = 1024 ** 2;

Deno.test("bench toolkit recording: 640×480 rgb8 images at 30 Hz and an Imu at 200 Hz, in log-time order", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mosaicod-bench-toolkit-test-" });
  try {
    const recording = await writeRecording(join(dir, "r.mcap"), 3 * 640 * 480 * 3);
    assert.deepEqual([recording.images, recording.imus], [3, 20]);
    const bytes = await Deno.readFile(recording.path);
    assert.equal(bytes.length, recording.fileBytes);
    const reader = await McapIndexedReader.Initialize({
      readable: {
        size: () => Promise.resolve(BigInt(bytes.length)),
        read: (offset, length) => Promise.resolve(bytes.subarray(Number(offset), Number(offset + length))),
      },
    });
    const counts = new Map<string, number>();
    let last = 0n;
    for await (const m of reader.readMessages()) {
      const topic = reader.channelsById.get(m.channelId)!.topic;
      counts.set(topic, (counts.get(topic) ?? 0) + 1);
      assert.ok(m.logTime >= last, "log times go forward");
      last = m.logTime;
      if (topic === "/camera/image_raw") assert.ok(m.data.length > 640 * 480 * 3);
    }
    assert.deepEqual(Object.fromEntries(counts), { "/imu": 20, "/camera/image_raw": 3 });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bench toolkit section: import and exports next to the daemon's DoPut and DoGets, all checked", async () => {
  await using db = await freshDatabase();
  const rows = await benchToolkit({ bytes: 4 * MiB, databaseUrl: db.url, workers: 1, log: () => {} });
  assert.deepEqual(rows.map((r) => `${r.section} ${r.server} ${r.check}`), [
    "toolkit-put mosaicod ok",
    "toolkit-put import ok",
    "toolkit-get mosaicod ok",
    "toolkit-get recording ok",
    "toolkit-get export-parquet ok",
    "toolkit-get export-mcap ok",
  ]);
  const [put, imported, get, recording, parquet, mcap] = rows;
  // 4 MiB: 5 images over 1/6 s, 34 Imu messages; every message a row, every row exported and read back.
  assert.equal(imported.rows, 5 + 34);
  assert.deepEqual([recording.rows, parquet.rows, mcap.rows], [imported.rows, imported.rows, imported.rows]);
  assert.deepEqual([recording.bytes, mcap.bytes], [parquet.bytes, parquet.bytes]);
  assert.equal(recording.ratio, recording.mbPerS / get.mbPerS);
  assert.deepEqual(
    [parquet.ratioSameData, mcap.ratioSameData],
    [parquet.mbPerS / recording.mbPerS, mcap.mbPerS / recording.mbPerS],
  );
  for (const row of [put, get]) {
    assert.equal(row.ratio, null);
    assert.equal(row.clientCpuSecondsPerGb, undefined);
  }
  for (const [row, base] of [[imported, put], [parquet, get], [mcap, get]]) {
    assert.ok(row.mbPerS > 0 && Number.isFinite(row.mbPerS), `${row.server}: ${row.mbPerS} MB/s`);
    assert.equal(row.ratio, row.mbPerS / base.mbPerS);
    assert.ok(row.clientCpuSecondsPerGb! > 0 && row.clientPeakRssMib! > 10, JSON.stringify(row));
    assert.ok(row.cpuSecondsPerGb > 0, `${row.server}: the daemon worked`);
  }
  assert.match(
    formatPhases(rows),
    /^toolkit-put\s+import\s+1\s+\d+\s+\d+\.\d\d\s+\d+\.\d\d\s+\d+\s+\d+\.\d\d\s+\d+\s/m,
  );
});
