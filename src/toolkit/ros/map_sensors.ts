/**
 * `sensor_msgs` (and `nmea_msgs`) measurement types → the SDK's `imu`, `magnetometer`, `gps`,
 * `nmea_sentence`, `battery_state`, `robot_joint`, `joy`, `laser_scan`, `multi_echolaser_scan` and
 * `point_cloud2` topics. Divergence from the SDK injector: `multi_echolaser_scan` holds each ray's
 * `echoes` list (the SDK passes the structs and fails on every message).
 *
 * Layer: imports `apache-arrow` and this folder's `_fields.ts`, `_msg.ts`.
 *
 * @module
 */
import { type Field, Struct } from "apache-arrow";
import { field, listOf, T, vectorStruct } from "./_fields.ts";
import {
  big,
  bool,
  bytes,
  items,
  type Msg,
  nonZero,
  num,
  nums,
  type OntologyMapping,
  optional,
  quat,
  type Row,
  struct,
  text,
  vec3,
} from "./_msg.ts";

function simple(tag: string, fields: () => Field[], toRow: (m: Msg) => Row): OntologyMapping {
  return { tag, format: "default", fields, toRow };
}

const imu = simple("imu", () => [
  field("acceleration", vectorStruct(3), "Linear acceleration vector [ax, ay, az] in m/s^2.", true),
  field("angular_velocity", vectorStruct(3), "Angular velocity vector [wx, wy, wz] in rad/s.", true),
  field("orientation", vectorStruct(4), "Estimated orientation [qx, qy, qz, qw]."),
], (m) => {
  const orientationCov = nums(m, "orientation_covariance");
  return {
    acceleration: vec3(struct(m, "linear_acceleration"), nonZero(nums(m, "linear_acceleration_covariance"))),
    angular_velocity: vec3(struct(m, "angular_velocity"), nonZero(nums(m, "angular_velocity_covariance"))),
    // ROS marks "no orientation estimate" with orientation_covariance[0] = -1.
    orientation: orientationCov[0] === -1 ? null : quat(struct(m, "orientation"), nonZero(orientationCov)),
  };
});

const magnetometer = simple("magnetometer", () => [
  field("magnetic_field", vectorStruct(3), "Magnetic field vector [mx, my, mz] in microTesla.", true),
], (m) => ({
  magnetic_field: vec3(struct(m, "magnetic_field"), nonZero(nums(m, "magnetic_field_covariance"))),
}));

const gps = simple("gps", () => [
  field("position", vectorStruct(3), "Lat/Lon/Alt (WGS 84).", true),
  field("velocity", vectorStruct(3), "Velocity vector [North, East, Alt] m/s."),
  field(
    "status",
    new Struct([
      field("status", T.i8(), "Fix status.", true),
      field("service", T.u16(), "Service used (GPS, GLONASS, etc).", true),
      field("satellites", T.i8(), "Satellites visible/used."),
      field("hdop", T.f64(), "Horizontal Dilution of Precision."),
      field("vdop", T.f64(), "Vertical Dilution of Precision."),
    ]),
    "Receiver status info.",
  ),
], (m) => {
  const status = struct(m, "status");
  return {
    position: {
      covariance: nums(m, "position_covariance"),
      covariance_type: num(m, "position_covariance_type"),
      x: num(m, "latitude"),
      y: num(m, "longitude"),
      z: num(m, "altitude"),
    },
    velocity: null,
    status: {
      status: num(status, "status"),
      service: num(status, "service"),
      satellites: null,
      hdop: null,
      vdop: null,
    },
  };
});

const nmea = simple("nmea_sentence", () => [
  field("sentence", T.utf8(), "Raw ASCII sentence.", true),
], (m) => ({ sentence: text(m, "sentence") }));

const floats = (m: Msg, key: string) => nums(m, key);

const battery = simple("battery_state", () => [
  field("voltage", T.f32(), "The battery voltage in V.", true),
  field("temperature", T.f32(), "The battery temperature in °C"),
  field("current", T.f32(), "Optional battery charge in A."),
  field("charge", T.f32(), "Optional battery charge in Ah."),
  field("capacity", T.f32(), "Optional batterty capacity in Ah."),
  field("design_capacity", T.f32(), "Optional battery design capacity in Ah."),
  field("percentage", T.f32(), "Battery percentage in %.", true),
  field("power_supply_status", T.u8(), "The charging status.", true),
  field("power_supply_health", T.u8(), "The battery health.", true),
  field("power_supply_technology", T.u8(), "The battery technology.", true),
  field("present", T.bool(), "Battery presence.", true),
  field("location", T.utf8(), "Battery location (like the slot).", true),
  field("serial_number", T.utf8(), "Battery serial number.", true),
  field("cell_voltage", listOf(T.f32()), "Battery cells voltage."),
  field("cell_temperature", listOf(T.f32()), "Battery cells temperature."),
], (m) => ({
  voltage: num(m, "voltage"),
  temperature: optional(m, "temperature", num),
  current: num(m, "current"),
  charge: num(m, "charge"),
  capacity: num(m, "capacity"),
  design_capacity: num(m, "design_capacity"),
  percentage: num(m, "percentage"),
  power_supply_status: num(m, "power_supply_status"),
  power_supply_health: num(m, "power_supply_health"),
  power_supply_technology: num(m, "power_supply_technology"),
  present: bool(m, "present"),
  location: text(m, "location"),
  serial_number: text(m, "serial_number"),
  cell_voltage: floats(m, "cell_voltage"),
  cell_temperature: optional(m, "cell_temperature", floats),
}));

const joint = simple("robot_joint", () => [
  field("names", listOf(T.utf8()), "Names of the different robot joints", true),
  field("positions", listOf(T.f64()), "Positions ([rad] or [m]) of the different robot joints", true),
  field("velocities", listOf(T.f64()), "Velocities ([rad/s] or [m/s]) of the different robot joints", true),
  field("efforts", listOf(T.f64()), "Efforts ([N] or [N*m]) applied to the different robot joints", true),
], (m) => ({
  names: items<string>(m, "name").map(String),
  positions: nums(m, "position"),
  velocities: nums(m, "velocity"),
  efforts: nums(m, "effort"),
}));

const joy = simple("joy", () => [
  field("axes", listOf(T.f32()), "The axes measurements from a joystick.", true),
  field("buttons", listOf(T.i32()), "The buttons measurements from a joystick.", true),
], (m) => ({ axes: nums(m, "axes"), buttons: nums(m, "buttons") }));

/** The seven float columns shared by both laser scans. */
function scanHead(): Field[] {
  return [
    field("angle_min", T.f32(), "start angle of the scan in rad.", true),
    field("angle_max", T.f32(), "end angle of the scan in rad.", true),
    field("angle_increment", T.f32(), "angular distance between measurements in rad.", true),
    field("time_increment", T.f32(), "time between measurements in seconds.", true),
    field("scan_time", T.f32(), "time between scans in seconds.", true),
    field("range_min", T.f32(), "minimum range value in meters.", true),
    field("range_max", T.f32(), "maximum range value in meters.", true),
  ];
}

const SCAN_KEYS = [
  "angle_min",
  "angle_max",
  "angle_increment",
  "time_increment",
  "scan_time",
  "range_min",
  "range_max",
];
const scanValues = (m: Msg) => Object.fromEntries(SCAN_KEYS.map((k) => [k, num(m, k)]));
const RANGES = "range data in meters. Ranges need to be between range min and max otherwise discarded.";

const laser = simple("laser_scan", () => [
  ...scanHead(),
  field("ranges", listOf(T.f32()), RANGES, true),
  field("intensities", listOf(T.f32()), "intensity data."),
], (m) => ({ ...scanValues(m), ranges: nums(m, "ranges"), intensities: nums(m, "intensities") }));

const echoes = (m: Msg, key: string) => items(m, key).map((e) => nums(e, "echoes"));

const multiEcho = simple("multi_echolaser_scan", () => [
  ...scanHead(),
  field("ranges", listOf(listOf(T.f32())), RANGES, true),
  field("intensities", listOf(listOf(T.f32())), "intensity data."),
], (m) => ({ ...scanValues(m), ranges: echoes(m, "ranges"), intensities: echoes(m, "intensities") }));

const pointCloud = simple("point_cloud2", () => [
  field("height", T.u32(), "The height of the point cloud.", true),
  field("width", T.u32(), "The width of the point cloud.", true),
  field(
    "fields",
    listOf(
      new Struct([
        field("name", T.utf8(), "Name of the field.", true),
        field("offset", T.u32(), "Staring position of the field.", true),
        field("datatype", T.i64(), "Datatype of the field.", true),
        field("count", T.u32(), "Number of elements in the point field.", true),
      ]),
    ),
    "The fields of the point cloud.",
    true,
  ),
  field("is_bigendian", T.bool(), "Whether the data is big-endian.", true),
  field("point_step", T.u32(), "Length of a point in bytes.", true),
  field("row_step", T.u32(), "Length of a row in bytes.", true),
  field("data", T.binary(), "The point cloud data. Expected size: row_step * height bytes.", true),
  field("is_dense", T.bool(), "True if there are no invalid points.", true),
], (m) => ({
  height: num(m, "height"),
  width: num(m, "width"),
  fields: items(m, "fields").map((f) => ({
    name: text(f, "name"),
    offset: num(f, "offset"),
    datatype: big(f, "datatype"),
    count: num(f, "count"),
  })),
  is_bigendian: bool(m, "is_bigendian"),
  point_step: num(m, "point_step"),
  row_step: num(m, "row_step"),
  data: bytes(m, "data").slice(), // a copy: the decoded view would keep its whole chunk alive
  is_dense: bool(m, "is_dense"),
}));

const S = "sensor_msgs/msg/";

/** `sensor_msgs`/`nmea_msgs` measurement types → mapping. */
export const SENSOR_MAPPINGS: Record<string, OntologyMapping> = {
  [`${S}Imu`]: imu,
  [`${S}MagneticField`]: magnetometer,
  [`${S}NavSatFix`]: gps,
  "nmea_msgs/msg/Sentence": nmea,
  [`${S}BatteryState`]: battery,
  [`${S}JointState`]: joint,
  [`${S}Joy`]: joy,
  [`${S}LaserScan`]: laser,
  [`${S}MultiEchoLaserScan`]: multiEcho,
  [`${S}PointCloud2`]: pointCloud,
};
