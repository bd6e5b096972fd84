/**
 * One message per ROS type the SDK injector maps (stamped and plain variants), the edge cases of
 * docs/toolkit.md "Import" (Imu without orientation or with zero covariances, WithCovarianceStamped,
 * padded and short images, a CompressedImage format to normalise, a CameraInfo with empty `d`, a zero
 * stamp, a topic without leading `/`) and an unmapped type (`sensor_msgs/Temperature`). Values are
 * written in ROS 2 spelling and converted for ROS 1 (`nsec`, `seq`, CameraInfo `D K R P`).
 *
 * @module
 */
import type { FixtureMessage } from "./_ros_fixtures.ts";

/** Header stamp of every sample; log times are this + 1 ms + the sample's index. */
export const STAMP_NS = 1_700_000_000_500_000_000n;

const v = (x: number, y: number, z: number) => ({ x, y, z });
const Q = { x: 0, y: 0, z: 0.38268343, w: 0.92387953 };
const POSE = { position: v(1, 2, 0.5), orientation: Q };
const TWIST = { linear: v(0.5, 0, 0), angular: v(0, 0, 0.1) };
/** 36 distinct covariance values. */
export const COV36 = Array.from({ length: 36 }, (_, i) => i / 8);
const zeros = (n: number) => Array.from({ length: n }, () => 0);
const TF = { translation: v(1, 0, 0), rotation: Q };

/** [topic, type (pkg/Type), value with `header` = true where a header goes]. */
type Sample = [string, string, Record<string, unknown>, boolean];

function samples(): Sample[] {
  const pixels = Uint8Array.from({ length: 12 }, (_, i) => i * 20);
  return [
    ["/std/string", "std_msgs/String", { data: "hello 0" }, false],
    ["/std/bool", "std_msgs/Bool", { data: true }, false],
    ["/std/int8", "std_msgs/Int8", { data: -8 }, false],
    ["/std/int16", "std_msgs/Int16", { data: -16 }, false],
    ["/std/int32", "std_msgs/Int32", { data: -32 }, false],
    ["/std/int64", "std_msgs/Int64", { data: -9007199254740993n }, false],
    ["/std/uint8", "std_msgs/UInt8", { data: 8 }, false],
    ["/std/uint16", "std_msgs/UInt16", { data: 16 }, false],
    ["/std/uint32", "std_msgs/UInt32", { data: 32 }, false],
    ["/std/uint64", "std_msgs/UInt64", { data: 9223372036854775813n }, false],
    ["/std/float32", "std_msgs/Float32", { data: 1.5 }, false],
    ["/std/float64", "std_msgs/Float64", { data: 2.25 }, false],
    ["/geo/vector3", "geometry_msgs/Vector3", v(1, 2, 3), false],
    ["/geo/vector3_stamped", "geometry_msgs/Vector3Stamped", { vector: v(1, 2, 3) }, true],
    ["/geo/point", "geometry_msgs/Point", v(4, 5, 6), false],
    ["/geo/point_stamped", "geometry_msgs/PointStamped", { point: v(4, 5, 6) }, true],
    ["/geo/quaternion", "geometry_msgs/Quaternion", Q, false],
    ["/geo/quaternion_stamped", "geometry_msgs/QuaternionStamped", { quaternion: Q }, true],
    ["/geo/pose", "geometry_msgs/Pose", POSE, false],
    ["/geo/pose_stamped", "geometry_msgs/PoseStamped", { pose: POSE }, true],
    ["/geo/pose_cov", "geometry_msgs/PoseWithCovariance", { pose: POSE, covariance: COV36 }, false],
    ["/geo/pose_cov_stamped", "geometry_msgs/PoseWithCovarianceStamped", {
      pose: { pose: POSE, covariance: COV36 },
    }, true],
    ["/geo/twist", "geometry_msgs/Twist", TWIST, false],
    ["/geo/twist_stamped", "geometry_msgs/TwistStamped", { twist: TWIST }, true],
    ["/geo/twist_cov", "geometry_msgs/TwistWithCovariance", { twist: TWIST, covariance: COV36 }, false],
    ["/geo/twist_cov_stamped", "geometry_msgs/TwistWithCovarianceStamped", {
      twist: { twist: TWIST, covariance: COV36 },
    }, true],
    ["/geo/accel", "geometry_msgs/Accel", TWIST, false],
    ["/geo/accel_stamped", "geometry_msgs/AccelStamped", { accel: TWIST }, true],
    ["/geo/accel_cov", "geometry_msgs/AccelWithCovariance", { accel: TWIST, covariance: COV36 }, false],
    ["/geo/accel_cov_stamped", "geometry_msgs/AccelWithCovarianceStamped", {
      accel: { accel: TWIST, covariance: COV36 },
    }, true],
    ["/geo/transform", "geometry_msgs/Transform", TF, false],
    ["/geo/transform_stamped", "geometry_msgs/TransformStamped", {
      child_frame_id: "base_link",
      transform: TF,
    }, true],
    ["/geo/wrench", "geometry_msgs/Wrench", { force: v(1, 2, 3), torque: v(0.1, 0.2, 0.3) }, false],
    ["/geo/wrench_stamped", "geometry_msgs/WrenchStamped", {
      wrench: { force: v(1, 2, 3), torque: v(0.1, 0.2, 0.3) },
    }, true],
    ["/geo/polygon", "geometry_msgs/Polygon", { points: [v(0, 0, 0), v(1, 0, 0), v(1, 1, 0)] }, false],
    ["/geo/polygon_stamped", "geometry_msgs/PolygonStamped", {
      polygon: { points: [v(0, 0, 0), v(1, 1, 0)] },
    }, true],
    ["/geo/inertia", "geometry_msgs/Inertia", {
      m: 2,
      com: v(0.1, 0.2, 0.3),
      ixx: 1,
      ixy: 0.1,
      ixz: 0.2,
      iyy: 2,
      iyz: 0.3,
      izz: 3,
    }, false],
    ["/geo/inertia_stamped", "geometry_msgs/InertiaStamped", {
      inertia: { m: 2, com: v(0, 0, 0), ixx: 1, ixy: 0, ixz: 0, iyy: 1, iyz: 0, izz: 1 },
    }, true],
    ["/odom", "nav_msgs/Odometry", {
      child_frame_id: "base_link",
      pose: { pose: POSE, covariance: COV36 },
      twist: { twist: TWIST, covariance: zeros(36) },
    }, true],
    ["/tf", "tf2_msgs/TFMessage", {
      transforms: [
        { header: { stamp: { sec: 1, nanosec: 2 }, frame_id: "map" }, child_frame_id: "odom", transform: TF },
        {
          header: { stamp: { sec: 1, nanosec: 2 }, frame_id: "odom" },
          child_frame_id: "base_link",
          transform: { translation: v(0.1, 0, 0), rotation: { x: 0, y: 0, z: 0, w: 1 } },
        },
      ],
    }, false],
    ["/imu", "sensor_msgs/Imu", {
      orientation: Q,
      orientation_covariance: [-1, ...zeros(8)],
      angular_velocity: v(0.01, 0.02, 0.03),
      angular_velocity_covariance: zeros(9),
      linear_acceleration: v(0.1, 0.2, 9.81),
      linear_acceleration_covariance: [0.04, 0, 0, 0, 0.04, 0, 0, 0, 0.04],
    }, true],
    ["/imu_zero", "sensor_msgs/Imu", {
      orientation: Q,
      orientation_covariance: zeros(9),
      angular_velocity: v(0.01, 0.02, 0.03),
      angular_velocity_covariance: [0.001, 0, 0, 0, 0.001, 0, 0, 0, 0.001],
      linear_acceleration: v(0.1, 0.2, 9.81),
      linear_acceleration_covariance: zeros(9),
    }, true],
    ["/mag", "sensor_msgs/MagneticField", {
      magnetic_field: v(2e-5, 1e-6, -4e-5),
      magnetic_field_covariance: zeros(9),
    }, true],
    ["/gps", "sensor_msgs/NavSatFix", {
      status: { status: 0, service: 1 },
      latitude: 45.4642,
      longitude: 9.19,
      altitude: 122.5,
      position_covariance: [1, 0, 0, 0, 1, 0, 0, 0, 4],
      position_covariance_type: 2,
    }, true],
    ["/nmea", "nmea_msgs/Sentence", {
      sentence: "$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47",
    }, true],
    ["/camera/image", "sensor_msgs/Image", {
      height: 3,
      width: 4,
      encoding: "mono8",
      is_bigendian: 0,
      step: 4,
      data: pixels,
    }, true],
    ["/camera/image_padded", "sensor_msgs/Image", {
      height: 2,
      width: 2,
      encoding: "rgb8",
      is_bigendian: 0,
      step: 8,
      data: Uint8Array.from({ length: 16 }, (_, i) => i),
    }, true],
    ["/camera/image_short", "sensor_msgs/Image", {
      height: 3,
      width: 4,
      encoding: "mono8",
      is_bigendian: 0,
      step: 4,
      data: Uint8Array.of(1, 2, 3),
    }, true],
    ["/camera/compressed", "sensor_msgs/CompressedImage", {
      format: "jpeg",
      data: Uint8Array.of(0xff, 0xd8, 0xff, 0xe0, 1, 2, 3),
    }, true],
    ["/camera/compressed_bgr", "sensor_msgs/CompressedImage", {
      format: "rgb8; jpeg compressed bgr8",
      data: Uint8Array.of(0xff, 0xd8),
    }, true],
    ["/camera/info", "sensor_msgs/CameraInfo", cameraInfo([0.1, -0.2, 0.001, 0.002, 0]), true],
    ["/camera/info_uncalibrated", "sensor_msgs/CameraInfo", cameraInfo([]), true],
    ["/battery", "sensor_msgs/BatteryState", {
      voltage: 12.6,
      temperature: NaN,
      current: -1.5,
      charge: NaN,
      capacity: NaN,
      design_capacity: 5,
      percentage: 0.87,
      power_supply_status: 2,
      power_supply_health: 1,
      power_supply_technology: 2,
      present: true,
      cell_voltage: [4.2, 4.2, 4.2],
      cell_temperature: [],
      location: "slot0",
      serial_number: "SN123",
    }, true],
    ["/joints", "sensor_msgs/JointState", {
      name: ["shoulder", "elbow"],
      position: [0.1, -0.2],
      velocity: [0, 0.01],
      effort: [],
    }, true],
    ["/joy", "sensor_msgs/Joy", { axes: [0, -1, 0.5], buttons: [0, 1, 0, 0] }, true],
    ["/scan", "sensor_msgs/LaserScan", { ...scanHead(), ranges: [1, Infinity, 2.5], intensities: [] }, true],
    ["/multiscan", "sensor_msgs/MultiEchoLaserScan", {
      ...scanHead(),
      ranges: [{ echoes: [1, 1.5] }, { echoes: [2] }],
      intensities: [{ echoes: [10, 11] }, { echoes: [] }],
    }, true],
    ["/points", "sensor_msgs/PointCloud2", {
      height: 1,
      width: 2,
      fields: ["x", "y", "z", "intensity"].map((name, i) => ({ name, offset: i * 4, datatype: 7, count: 1 })),
      is_bigendian: false,
      point_step: 16,
      row_step: 32,
      data: Uint8Array.from({ length: 32 }, (_, i) => i),
      is_dense: true,
    }, true],
    ["/mag_zero_stamp", "sensor_msgs/MagneticField", {
      magnetic_field: v(1, 2, 3),
      magnetic_field_covariance: zeros(9),
    }, true],
    ["no_slash", "std_msgs/String", { data: "no slash" }, false],
    ["/temperature", "sensor_msgs/Temperature", { temperature: 21.5, variance: 0.1 }, true],
  ];
}

function cameraInfo(d: number[]) {
  return {
    height: 480,
    width: 640,
    distortion_model: "plumb_bob",
    d,
    k: [500, 0, 320, 0, 500, 240, 0, 0, 1],
    r: [1, 0, 0, 0, 1, 0, 0, 0, 1],
    p: [500, 0, 320, 0, 0, 500, 240, 0, 0, 0, 1, 0],
    binning_x: 0,
    binning_y: 0,
    roi: { x_offset: 0, y_offset: 0, height: 0, width: 0, do_rectify: false },
  };
}

function scanHead() {
  return {
    angle_min: -1.57,
    angle_max: 1.57,
    angle_increment: 1.57,
    time_increment: 1e-4,
    scan_time: 0.1,
    range_min: 0.1,
    range_max: 30,
  };
}

/** ROS 2 `{sec, nanosec}` → ROS 1 `{sec, nsec}`, `d` → `D`… and a `seq` in headers. */
function toRos1(value: unknown, seq: number): unknown {
  if (Array.isArray(value)) return value.map((x) => toRos1(x, seq));
  if (value === null || typeof value !== "object" || ArrayBuffer.isView(value)) return value;
  const o = value as Record<string, unknown>;
  if ("nanosec" in o && "sec" in o) return { sec: o.sec, nsec: o.nanosec };
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(o)) {
    const key = ["d", "k", "r", "p"].includes(k) && "distortion_model" in o ? k.toUpperCase() : k;
    out[key] = toRos1(x, seq);
  }
  if ("frame_id" in o && "stamp" in o) out.seq = seq;
  return out;
}

/** The samples as messages, header stamps at {@link STAMP_NS} (0 for `/mag_zero_stamp`). */
export function sampleMessages(opts: { ros1: boolean; repeat?: number }): FixtureMessage[] {
  const out: FixtureMessage[] = [];
  const list = samples();
  for (let r = 0; r < (opts.repeat ?? 1); r++) {
    list.forEach(([topic, type, value, header], i) => {
      const n = r * list.length + i;
      const stampNs = topic === "/mag_zero_stamp" ? 0n : STAMP_NS + BigInt(r) * 1_000_000n;
      const stamp = { sec: Number(stampNs / 1_000_000_000n), nanosec: Number(stampNs % 1_000_000_000n) };
      const full = header ? { header: { stamp, frame_id: "base_link" }, ...value } : value;
      out.push({
        topic,
        type: opts.ros1 ? type : type.replace("/", "/msg/"),
        logTimeNs: STAMP_NS + 1_000_000n + BigInt(n),
        value: (opts.ros1 ? toRos1(full, 40 + n) : full) as Record<string, unknown>,
      });
    });
  }
  return out;
}
