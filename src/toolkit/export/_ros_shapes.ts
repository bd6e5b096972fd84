/**
 * The inverse of the SDK injector's ontology layouts (`docs/toolkit.md`, "Import"; the table of
 * `ros-import` section 2.2): a row of an imported topic → an object shaped like the ROS message of the
 * recorded type, field names as the definition spells them (`_ros_messages.ts` then fills what is
 * missing with zeros and serializes). What the layout lost comes back as the ROS defaults: the
 * covariance of `*WithCovarianceStamped`, each TF transform's own header, an Imu orientation that was
 * unknown (`orientation_covariance[0] = -1`). Types not listed here keep their fields' names in the row
 * (std types, BatteryState, Joy, LaserScan, PointCloud2, nmea Sentence, generic topics).
 *
 * Imports `toolkit/ros/png.ts` only.
 *
 * @module
 */
import { decodeGreyPng } from "../ros/png.ts";

/** A row, or a message being rebuilt. */
export type Obj = { [key: string]: unknown };

const obj = (v: unknown): Obj => (v !== null && typeof v === "object" ? v as Obj : {});
const cov = (v: unknown): unknown => obj(v).covariance ?? undefined;

/** `{pose|twist|accel: row}` for the four variants of a covariance-carrying geometry type. */
function geometry(key: string): Record<string, (r: Obj) => Obj> {
  const cap = key[0].toUpperCase() + key.slice(1);
  return {
    [`geometry_msgs/msg/${cap}Stamped`]: (r) => ({ [key]: r }),
    [`geometry_msgs/msg/${cap}WithCovariance`]: (r) => ({ [key]: r, covariance: r.covariance }),
    [`geometry_msgs/msg/${cap}WithCovarianceStamped`]: (r) => ({
      [key]: { [key]: r, covariance: r.covariance },
    }),
  };
}

function inertia(r: Obj): Obj {
  const [ixx, ixy, ixz, iyy, iyz, izz] = (r.inertia as number[] | null) ?? [];
  return { m: r.mass, com: r.center_of_mass, ixx, ixy, ixz, iyy, iyz, izz };
}

/** An Imu's orientation: unknown (null) is ROS's `orientation_covariance[0] = -1`. */
function imu(r: Obj): Obj {
  const o = r.orientation === null || r.orientation === undefined ? null : obj(r.orientation);
  return {
    orientation: o ?? { x: 0, y: 0, z: 0, w: 0 },
    orientation_covariance: o === null ? [-1, 0, 0, 0, 0, 0, 0, 0, 0] : o.covariance,
    angular_velocity: r.angular_velocity,
    angular_velocity_covariance: cov(r.angular_velocity),
    linear_acceleration: r.acceleration,
    linear_acceleration_covariance: cov(r.acceleration),
  };
}

function image(r: Obj): Obj {
  const data = r.data as Uint8Array | null;
  return {
    height: r.height,
    width: r.width,
    encoding: r.encoding,
    is_bigendian: r.is_bigendian,
    step: r.stride,
    // `_ros_messages.ts` decodes them on worker threads beforehand (then `format` is `raw`).
    data: r.format === "png" && data !== null ? decodeGreyPng(data).pixels : data,
  };
}

const SHAPES: Record<string, (r: Obj, imageFormat: string | null) => Obj> = {
  "geometry_msgs/msg/Vector3Stamped": (r) => ({ vector: r }),
  "geometry_msgs/msg/PointStamped": (r) => ({ point: r }),
  "geometry_msgs/msg/QuaternionStamped": (r) => ({ quaternion: r }),
  ...geometry("pose"),
  ...geometry("twist"),
  ...geometry("accel"),
  // Twist and Accel rows name their vectors linear/angular, as the messages do: no renaming needed.
  "geometry_msgs/msg/TransformStamped": (r) => ({ child_frame_id: r.target_frame_id, transform: r }),
  "geometry_msgs/msg/WrenchStamped": (r) => ({ wrench: r }),
  "geometry_msgs/msg/PolygonStamped": (r) => ({ polygon: r }),
  "geometry_msgs/msg/Inertia": inertia,
  "geometry_msgs/msg/InertiaStamped": (r) => ({ inertia: inertia(r) }),
  "nav_msgs/msg/Odometry": (r) => ({
    child_frame_id: r.target_frame_id,
    pose: { pose: r.pose, covariance: cov(r.pose) },
    twist: { twist: r.velocity, covariance: cov(r.velocity) },
  }),
  "tf2_msgs/msg/TFMessage": (r) => ({
    transforms: ((r.transforms as Obj[] | null) ?? []).map((t) => ({
      child_frame_id: t.target_frame_id,
      transform: t,
    })),
  }),
  "sensor_msgs/msg/Imu": imu,
  "sensor_msgs/msg/MagneticField": (r) => ({
    magnetic_field: r.magnetic_field,
    magnetic_field_covariance: cov(r.magnetic_field),
  }),
  "sensor_msgs/msg/NavSatFix": (r) => {
    const p = obj(r.position);
    return {
      status: r.status,
      latitude: p.x,
      longitude: p.y,
      altitude: p.z,
      position_covariance: p.covariance,
      position_covariance_type: p.covariance_type,
    };
  },
  "sensor_msgs/msg/Image": image,
  "sensor_msgs/msg/CompressedImage": (r, imageFormat) => ({ format: imageFormat ?? r.format, data: r.data }),
  "sensor_msgs/msg/CameraInfo": (r) => {
    const roi = obj(r.roi);
    return {
      height: r.height,
      width: r.width,
      distortion_model: r.distortion_model,
      d: r.distortion_parameters,
      k: r.intrinsic_parameters,
      r: r.rectification_parameters,
      p: r.projection_parameters,
      binning_x: obj(r.binning).x,
      binning_y: obj(r.binning).y,
      roi: {
        x_offset: obj(roi.offset).x,
        y_offset: obj(roi.offset).y,
        height: roi.height,
        width: roi.width,
        do_rectify: roi.do_rectify,
      },
    };
  },
  "sensor_msgs/msg/JointState": (r) => ({
    name: r.names,
    position: r.positions,
    velocity: r.velocities,
    effort: r.efforts,
  }),
  "sensor_msgs/msg/MultiEchoLaserScan": (r) => ({
    ...r,
    ranges: ((r.ranges as unknown[] | null) ?? []).map((echoes) => ({ echoes })),
    intensities: ((r.intensities as unknown[] | null) ?? []).map((echoes) => ({ echoes })),
  }),
};

/** The ROS `type` (either spelling) whose rows hold a PNG to decode: `sensor_msgs/Image`. */
export function decodesPng(type: string): boolean {
  return SHAPES[normalized(type)] === image;
}

function normalized(type: string): string {
  const parts = type.split("/");
  return parts.length === 2 ? `${parts[0]}/msg/${parts[1]}` : type;
}

/**
 * The message-shaped object of a row of an ontology-mapped topic of ROS `type` (either spelling); the
 * row itself for types whose columns already carry the message's field names.
 */
export function ontologyShape(type: string, row: Obj, imageFormat: string | null): Obj {
  const shape = SHAPES[normalized(type)];
  return shape ? shape(row, imageFormat) : row;
}
