/**
 * `mosaicod export --format mcap` of topics imported from ROS: a ROS 2 recording (mapped types with lossy
 * layouts, a generic type, a PNG image) imported, exported and imported again gives identical topics
 * (tags, schemas, rows, `ros:*` metadata), and the exported file has the recorded channels as CDR.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { McapTypes } from "@mcap/core";
import { connect, type MosaicoClient } from "../src/client/mod.ts";
import { importRos } from "../src/toolkit/ros/importer.ts";
import { startDaemon } from "./_daemon.ts";
import { canonical, mosaicod, readMcap } from "./_export_check.ts";
import { type FixtureMessage, writeMcap } from "./_ros_fixtures.ts";

/** ROS 2 messages of mapped types (lossy layouts included), a generic type and a PNG image. */
function rosMessages(): FixtureMessage[] {
  const t0 = 1_700_000_000_500_000_000n;
  const stamp = (k: number) => ({ sec: 1_700_000_000, nanosec: 500_000_000 + k });
  const header = (k: number, frame: string) => ({ stamp: stamp(k), frame_id: frame });
  const v3 = (x: number, y: number, z: number) => ({ x, y, z });
  const q = { x: 0, y: 0, z: 0.38268343236508984, w: 0.9238795325112867 };
  const cov36 = Array.from({ length: 36 }, (_, i) => i / 10);
  const out: FixtureMessage[] = [];
  for (let k = 0; k < 3; k++) {
    const logTimeNs = t0 + BigInt(k) * 1_000_000n + 7n;
    const at = (topic: string, type: string, value: Record<string, unknown>) =>
      out.push({ topic, type, logTimeNs, value });
    at("/imu", "sensor_msgs/msg/Imu", {
      header: header(k, "imu_link"),
      orientation: q,
      orientation_covariance: k === 1 ? [-1, 0, 0, 0, 0, 0, 0, 0, 0] : [0.1, 0, 0, 0, 0.1, 0, 0, 0, 0.1],
      angular_velocity: v3(0.01, 0.02, k),
      angular_velocity_covariance: Array(9).fill(0),
      linear_acceleration: v3(0.1, 0.2, 9.81),
      linear_acceleration_covariance: [0.04, 0, 0, 0, 0.04, 0, 0, 0, 0.04],
    });
    at("/pose", "geometry_msgs/msg/PoseWithCovarianceStamped", {
      header: header(k, "map"),
      pose: { pose: { position: v3(1, 2, k), orientation: q }, covariance: cov36 },
    });
    at("/odom", "nav_msgs/msg/Odometry", {
      header: header(k, "odom"),
      child_frame_id: "base_link",
      pose: { pose: { position: v3(k, 2, 0.5), orientation: q }, covariance: cov36 },
      twist: { twist: { linear: v3(0.5, 0, 0), angular: v3(0, 0, 0.1) }, covariance: Array(36).fill(0) },
    });
    at("/fix", "sensor_msgs/msg/NavSatFix", {
      header: header(k, "gps"),
      status: { status: 0, service: 1 },
      latitude: 45.4642,
      longitude: 9.19 + k,
      altitude: 122.5,
      position_covariance: [1, 0, 0, 0, 1, 0, 0, 0, 4],
      position_covariance_type: 2,
    });
    at("/camera/image", "sensor_msgs/msg/Image", {
      header: header(k, "camera"),
      height: 3,
      width: 4,
      encoding: "mono8",
      is_bigendian: 0,
      step: 4,
      data: Uint8Array.from({ length: 12 }, (_, i) => (i * 20 + k) & 0xff),
    });
    at("/camera/compressed", "sensor_msgs/msg/CompressedImage", {
      header: header(k, "camera"),
      format: "jpeg",
      data: Uint8Array.of(0xff, 0xd8, 0xff, 0xe0, k),
    });
    at("/camera/info", "sensor_msgs/msg/CameraInfo", {
      header: header(k, "camera"),
      height: 480,
      width: 640,
      distortion_model: "plumb_bob",
      d: [0.1, -0.2, 0.001, 0.002, 0],
      k: [500, 0, 320, 0, 500, 240, 0, 0, 1],
      r: [1, 0, 0, 0, 1, 0, 0, 0, 1],
      p: [500, 0, 320, 0, 0, 500, 240, 0, 0, 0, 1, 0],
      binning_x: 1,
      binning_y: 2,
      roi: { x_offset: 3, y_offset: 4, height: 5, width: 6, do_rectify: true },
    });
    at("/joints", "sensor_msgs/msg/JointState", {
      header: header(k, "base_link"),
      name: ["shoulder", "elbow"],
      position: [0.1, -0.2 * k],
      velocity: [0, 0.01],
      effort: [],
    });
    at("/tf", "tf2_msgs/msg/TFMessage", {
      transforms: [{
        header: header(k, "odom"),
        child_frame_id: "base_link",
        transform: { translation: v3(1, 2, k), rotation: q },
      }],
    });
    at("/chatter", "std_msgs/msg/String", { data: `hello ${k}` });
    at("/poses", "geometry_msgs/msg/PoseArray", { // no SDK adapter: a generic topic
      header: header(k, "map"),
      poses: [{ position: v3(k, 0, 0), orientation: q }, { position: v3(0, k, 0), orientation: q }],
    });
  }
  return out;
}

/** A topic as the daemon serves it: description and every row, comparable as JSON. */
async function topicState(client: MosaicoClient, locator: string) {
  const info = await client.topicInfo(locator);
  const { schema, batches } = await (await client.readTopic(locator)).readAll();
  const rows = batches.flatMap((b) => Array.from({ length: b.numRows }, (_, i) => canonical(b.get(i))));
  return {
    tag: info.ontologyTag,
    format: info.serializationFormat,
    metadata: canonical(info.userMetadata),
    schema: canonical(schema?.fields.map((f) => f.toString())),
    rows,
  };
}

Deno.test("toolkit: import → export --format mcap → import gives identical topics (ROS 2 CDR messages back)", async () => {
  await using daemon = await startDaemon();
  const dir = await Deno.makeTempDir({ prefix: "mosaicod-export-ros-" });
  try {
    const recorded = join(dir, "recorded.mcap");
    await writeMcap(recorded, rosMessages());
    using client = await connect(daemon.url);
    const first = await importRos(client, { sequence: "bag_a", files: [recorded] });
    assert.equal(first.skipped, 0, JSON.stringify(first.topics));
    const exported = join(dir, "bag_a.mcap");
    const done = await mosaicod(
      { MOSAICOD_SERVER: daemon.url },
      "export",
      "bag_a",
      "--format",
      "mcap",
      "--out",
      exported,
    );
    assert.equal(done.code, 0, done.err.join("\n"));
    const records = readMcap(await Deno.readFile(exported));
    const header = records.find((r): r is McapTypes.TypedMcapRecords["Header"] => r.type === "Header");
    assert.equal(header?.profile, "ros2");
    const channels = records.filter((r): r is McapTypes.TypedMcapRecords["Channel"] => r.type === "Channel");
    assert.ok(channels.every((c) => c.messageEncoding === "cdr"), "every channel is CDR");
    assert.ok(channels.some((c) => c.topic === "/imu"), "recorded topic names");
    const second = await importRos(client, { sequence: "bag_b", files: [exported] });
    assert.equal(second.skipped, 0, JSON.stringify(second.topics));
    const a = (await client.sequenceInfo("bag_a")).topics.map((t) => t.locator.slice("bag_a/".length)).sort();
    const b = (await client.sequenceInfo("bag_b")).topics.map((t) => t.locator.slice("bag_b/".length)).sort();
    assert.deepEqual(b, a);
    assert.equal(a.length, 11);
    for (const path of a) {
      assert.deepEqual(
        await topicState(client, `bag_b/${path}`),
        await topicState(client, `bag_a/${path}`),
        path,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
