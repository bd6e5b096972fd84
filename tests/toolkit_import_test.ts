/**
 * `mosaicod import` against a real daemon, with ROS 2 MCAP files and ROS 1 bags built at test time from
 * the standard definitions (`_ros_fixtures.ts`, `_ros_samples.ts`): every type the SDK injector maps, an
 * unknown type, zstd/lz4 MCAP chunks and bz2/lz4 bag chunks, a split recording, a bad message encoding,
 * a corrupt message, an empty file and corrupt files. Topics are read back with pyarrow
 * (`interop/ros_import_check.py`), which compares each schema with the SDK layout of its tag.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { connect } from "../src/client/mod.ts";
import { type CliRun, mosaicod as runMosaicod } from "./_cli.ts";
import { ONTOLOGY_MAPPINGS } from "../src/toolkit/ros/mapping.ts";
import { readRosOrigin } from "../src/toolkit/ros/original.ts";
import { pythonClient } from "./_commands.ts";
import { MAIN, startDaemon } from "./_daemon.ts";
import { TOOLKIT_PERMISSIONS } from "./_permissions.ts";
import { writeBag, writeMcap } from "./_ros_fixtures.ts";
import { COV36, sampleMessages, STAMP_NS } from "./_ros_samples.ts";

type Row = Record<string, unknown>;
interface Checked {
  locator: string;
  tag: string;
  format: string;
  user_metadata: Record<string, unknown>;
  known: boolean;
  problem: string | null;
  columns: string[];
  rows: Row[];
}

function mosaicod(server: string, ...args: string[]): Promise<CliRun> {
  return runMosaicod({ MOSAICOD_SERVER: server }, ...args);
}

Deno.test("toolkit import: MCAP and ROS 1 bags become the SDK injector's topics", async (t) => {
  await using daemon = await startDaemon();
  const dir = await Deno.makeTempDir({ prefix: "mosaicod-import-" });
  using client = await connect(daemon.url);
  const check = async (sequence: string) => {
    const info = await client.sequenceInfo(sequence);
    const checked = await pythonClient(
      "ros_import_check.py",
      daemon.url,
      ...info.topics.map((x) => x.locator),
    ) as Checked[];
    for (const c of checked) assert.equal(c.problem, null, c.locator);
    return { info, byTopic: new Map(checked.map((c) => [c.locator.slice(sequence.length + 1), c])) };
  };
  const row = (m: Map<string, Checked>, topic: string) => m.get(topic)!.rows[0];

  try {
    await t.step(
      "ROS 2 MCAP (zstd): every mapped type, an unknown type, a bad encoding, a bad message",
      async () => {
        const messages = sampleMessages({ ros1: false });
        const mapped = new Set(messages.map((m) => m.type));
        for (const type of Object.keys(ONTOLOGY_MAPPINGS)) {
          assert.ok(mapped.has(type), `no sample of ${type}`);
        }
        const last = messages.at(-1)!.logTimeNs;
        messages.push(
          { topic: "/bad_encoding", type: "std_msgs/msg/String", logTimeNs: last + 1n, value: { data: "x" } },
          {
            topic: "/imu",
            type: "sensor_msgs/msg/Imu",
            logTimeNs: last + 2n,
            data: Uint8Array.of(0, 1, 0, 0, 7),
          },
        );
        const file = join(dir, "run1.mcap");
        await writeMcap(file, messages, {
          compression: "zstd",
          messageEncoding: { "/bad_encoding": "json" },
        });
        const run = await mosaicod(
          daemon.url,
          "import",
          file,
          "--sequence",
          "ros2_all",
          "--metadata",
          '{"robot":"r1"}',
          "--json",
        );
        assert.equal(run.code, 1, run.err.join("\n"));
        assert.match(run.err.at(-1)!, /1 topic not imported: \/bad_encoding$/);
        const lines = run.out.map((l) => JSON.parse(l));
        const bad = lines.find((l) => l.topic === "/bad_encoding");
        assert.deepEqual([bad.status, bad.reason], ["refused", 'message encoding "json" is not cdr']);
        const imu = lines.find((l) => l.topic === "/imu");
        assert.deepEqual([imu.status, imu.messages, imu.rows, imu.skipped], ["imported", 2, 1, 1]);
        assert.match(imu.errors[0].reason, /^cannot decode: /);
        const summary = lines.at(-1);
        assert.deepEqual([summary.kind, summary.rows, summary.skipped], ["import", 61, 1]);

        const { info, byTopic } = await check("ros2_all");
        assert.equal(info.topics.length, 61);
        assert.deepEqual(info.userMetadata, {
          robot: "r1",
          rosbag_injection: "run1.mcap",
          "ros:sources": [{
            file: "run1.mcap",
            container: "mcap",
            profile: "ros2",
            library: "mosaicod-tests",
            start_ns: String(STAMP_NS + 1_000_000n),
            end_ns: String(last + 2n),
          }],
        });
        const unknown = byTopic.get("temperature")!;
        assert.deepEqual([unknown.known, unknown.tag, unknown.columns.slice(4)], [
          false,
          "ros/sensor_msgs/msg/Temperature",
          ["temperature", "variance"],
        ]);
        assert.equal(readRosOrigin(unknown.user_metadata as never)?.mapping, "generic");
        const origin = readRosOrigin(byTopic.get("imu")!.user_metadata as never)!;
        assert.deepEqual([origin.type, origin.schemaEncoding, origin.messageEncoding, origin.mapping], [
          "sensor_msgs/msg/Imu",
          "ros2msg",
          "cdr",
          "ontology",
        ]);
        assert.match(origin.definition, /^MSG: geometry_msgs\/Quaternion$/m);
        assert.equal(readRosOrigin(byTopic.get("no_slash")!.user_metadata as never)?.topic, "no_slash");

        // Envelope: header stamp vs log time; no header → log time, null frame.
        const imuRow = row(byTopic, "imu");
        assert.deepEqual([imuRow.timestamp_ns, imuRow.frame_id, imuRow.sequence_id], [
          String(STAMP_NS),
          "base_link",
          null,
        ]);
        assert.notEqual(imuRow.recording_timestamp_ns, imuRow.timestamp_ns);
        assert.equal(imuRow.orientation, null);
        const tf = row(byTopic, "tf");
        assert.deepEqual([tf.frame_id, tf.timestamp_ns === tf.recording_timestamp_ns], [null, true]);
        assert.deepEqual((tf.transforms as Row[]).map((x) => x.target_frame_id), ["odom", "base_link"]);
        assert.equal(row(byTopic, "mag_zero_stamp").timestamp_ns, 0);
        assert.equal(row(byTopic, "std/uint64").data, "9223372036854775813");
        // The SDK's rules, and where we do better (docs/toolkit.md, "Import").
        const zero = row(byTopic, "imu_zero");
        assert.equal((zero.acceleration as Row).covariance, null);
        assert.deepEqual((zero.angular_velocity as Row).covariance, [0.001, 0, 0, 0, 0.001, 0, 0, 0, 0.001]);
        assert.deepEqual(row(byTopic, "geo/pose_cov_stamped").covariance, COV36);
        assert.deepEqual(row(byTopic, "geo/inertia").inertia, [1, 0.1, 0.2, 2, 0.3, 3]);
        assert.deepEqual(row(byTopic, "multiscan").ranges, [[1, 1.5], [2]]);
        assert.deepEqual(row(byTopic, "camera/info_uncalibrated").distortion_parameters, []);
        const bgr = byTopic.get("camera/compressed_bgr")!;
        assert.equal(bgr.rows[0].format, "jpeg");
        assert.equal(bgr.user_metadata["ros:image_format"], "rgb8; jpeg compressed bgr8");
        assert.equal(bgr.format, "image");
        const png = row(byTopic, "camera/image_padded");
        assert.deepEqual([png.format, png.stride, png.width], ["png", 8, 2]);
        assert.ok(atob(png.data as string).startsWith("\x89PNG"));
        assert.equal(row(byTopic, "camera/image_short").format, "raw");
        assert.deepEqual(row(byTopic, "scan").ranges, [1, "inf", 2.5]);
      },
    );

    await t.step("ROS 1 bags: bz2 and lz4 chunks, header seq, CameraInfo D K R P", async () => {
      const bz2 = join(dir, "run1.bag");
      await writeBag(bz2, sampleMessages({ ros1: true }), { compression: "bz2" });
      const run = await mosaicod(daemon.url, "import", bz2, "--sequence", "ros1_all");
      assert.equal(run.code, 0, run.err.join("\n"));
      assert.match(
        run.out.at(-1)!,
        /^Imported 61 rows in 61 topics into "ros1_all" from 61 messages .*; 0 skipped$/,
      );
      const { byTopic } = await check("ros1_all");
      const cam = row(byTopic, "camera/info");
      assert.deepEqual(cam.distortion_parameters, [0.1, -0.2, 0.001, 0.002, 0]);
      assert.equal(typeof cam.sequence_id, "number");
      assert.equal(readRosOrigin(byTopic.get("imu")!.user_metadata as never)?.md5sum?.length, 32);
      const lz4 = join(dir, "small.bag");
      await writeBag(lz4, sampleMessages({ ros1: true, repeat: 3 }).filter((m) => m.topic === "/imu"), {
        compression: "lz4",
      });
      const small = await mosaicod(daemon.url, "import", lz4, "--sequence", "ros1_lz4", "--json");
      assert.equal(small.code, 0, small.err.join("\n"));
      assert.equal(JSON.parse(small.out[0]).rows, 3);
    });

    await t.step("a split recording (lz4) merges by log time; --topics and --unknown skip", async () => {
      const all = sampleMessages({ ros1: false, repeat: 6 }).filter((m) =>
        ["/imu", "/temperature", "/odom"].includes(m.topic)
      );
      const a = join(dir, "split_0.mcap");
      const b = join(dir, "split_1.mcap");
      await writeMcap(a, all.filter((_, i) => i % 2 === 0), { compression: "lz4", chunkSize: 256 });
      await writeMcap(b, all.filter((_, i) => i % 2 === 1), { compression: "lz4", chunkSize: 256 });
      const run = await mosaicod(
        daemon.url,
        "import",
        a,
        b,
        "--sequence",
        "split",
        "--topics",
        "/imu,/temp*,/odom,!/odom,!/nothing",
        "--unknown",
        "skip",
        "--json",
      );
      assert.equal(run.code, 0, run.err.join("\n"));
      assert.deepEqual(run.err, ['mosaicod import: warning: --topics pattern "!/nothing" matches no topic']);
      const lines = run.out.map((l) => JSON.parse(l));
      assert.deepEqual(lines.slice(0, -1).map((l) => [l.topic, l.status, l.rows]), [
        ["/imu", "imported", 6],
        ["/temperature", "skipped", 0],
      ]);
      const { info, byTopic } = await check("split");
      assert.deepEqual(info.topics.map((x) => x.locator), ["split/imu"]);
      const expected = all.filter((m) => m.topic === "/imu").map((m) => String(m.logTimeNs));
      assert.deepEqual(byTopic.get("imu")!.rows.map((r) => r.recording_timestamp_ns), expected);
    });

    await t.step("an empty file, corrupt files and bad options create nothing and exit 1", async () => {
      const empty = join(dir, "empty.mcap");
      await writeMcap(empty, []);
      const corrupt = join(dir, "corrupt.mcap");
      await Deno.writeFile(corrupt, Uint8Array.from({ length: 4000 }, (_, i) => (i * 7919) % 251));
      const cut = join(dir, "cut.bag");
      await Deno.writeFile(cut, (await Deno.readFile(join(dir, "run1.bag"))).subarray(0, 5000));
      const cases: [string[], RegExp][] = [
        [[empty], /no messages to import \(empty recording\)$/],
        [[corrupt], /Cannot read "corrupt.mcap": not a readable, indexed MCAP file: Expected MCAP magic/],
        [[cut], /Cannot read "cut.bag": not a readable ROS 1 bag \(v2.0\): /],
        [[join(dir, "notes.txt")], /the file must end in \.mcap or \.bag$/],
        [[empty, "--metadata", "[1]"], /--metadata must be a JSON object$/],
        [[empty, "--unknown", "drop"], /--unknown must be keep or skip, got "drop"$/],
      ];
      const before = await client.listSequences();
      for (const [args, message] of cases) {
        const run = await mosaicod(daemon.url, "import", ...args, "--sequence", "nothing_here");
        assert.equal(run.code, 1, args.join(" "));
        assert.match(run.err.at(-1)!, message);
      }
      // A chunk corrupted in the middle of the file: the import stops and leaves nothing behind.
      const broken = join(dir, "broken.mcap");
      await writeMcap(broken, sampleMessages({ ros1: false, repeat: 4 }), {
        compression: "none",
        chunkSize: 2048,
      });
      const bytes = await Deno.readFile(broken);
      bytes.fill(0x55, bytes.length >> 1, (bytes.length >> 1) + 64);
      await Deno.writeFile(broken, bytes);
      const stopped = await mosaicod(daemon.url, "import", broken, "--sequence", "broken");
      assert.equal(stopped.code, 1);
      assert.match(stopped.err.at(-1)!, /Import stopped, sequence "broken" deleted: /);
      const named = await mosaicod(daemon.url, "import", empty, "--sequence", "bad name");
      assert.match(named.err.at(-1)!, /Sequence name "bad name" is not allowed/);
      assert.deepEqual(await client.listSequences(), before);
    });

    await t.step("`deno task mosaicod import` has the permissions it needs (wasm bz2 included)", async () => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          ...TOOLKIT_PERMISSIONS,
          MAIN,
          "import",
          join(dir, "run1.bag"),
          "--sequence",
          "task_run",
          "--quiet",
        ],
        env: { MOSAICOD_SERVER: daemon.url },
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      assert.equal((await client.sequenceInfo("task_run")).topics.length, 61);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
