/**
 * `geometry_msgs` types → the SDK's `vector_3_d`, `point_3_d`, `quaternion`, `pose`, `velocity`,
 * `acceleration`, `transform`, `force_torque`, `polygon` and `inertia` topics (plain, `…Stamped`,
 * `…WithCovariance[Stamped]` variants). Two deliberate divergences from the SDK injector: the
 * covariance of `…WithCovarianceStamped` is kept (the SDK drops it), and `inertia` holds the six unique
 * components `[ixx, ixy, ixz, iyy, iyz, izz]` (the SDK builds nine and fails on every message).
 *
 * Layer: imports `apache-arrow` and this folder's `_fields.ts`, `_msg.ts`.
 *
 * @module
 */
import type { Field } from "apache-arrow";
import { covarianceFields, field, fixedListOf, listOf, T, vectorStruct } from "./_fields.ts";
import {
  items,
  type Msg,
  num,
  nums,
  type OntologyMapping,
  quat,
  type Row,
  struct,
  text,
  vec3,
} from "./_msg.ts";

type Unwrap = (m: Msg) => { value: Msg; covariance: number[] | null };

const plain: Unwrap = (m) => ({ value: m, covariance: null });
const inside = (key: string): Unwrap => (m) => ({ value: struct(m, key), covariance: null });
/** `XWithCovariance` → its `key` and covariance. */
const withCov = (key: string): Unwrap => (m) => ({
  value: struct(m, key),
  covariance: nums(m, "covariance"),
});
/** `XWithCovarianceStamped` → the inner `XWithCovariance`. */
const stampedCov = (key: string): Unwrap => (m) => withCov(key)(struct(m, key));

function mapping(
  tag: string,
  columns: () => Field[],
  fill: (value: Msg, covariance: number[] | null) => Row,
  unwrap: Unwrap,
): OntologyMapping {
  return {
    tag,
    format: "default",
    fields: columns,
    toRow: (m) => {
      const { value, covariance } = unwrap(m);
      return fill(value, covariance);
    },
  };
}

const v3 = (name: string, description: string, notNull = false) =>
  field(name, vectorStruct(3), description, notNull);
const v4 = (name: string, description: string, notNull = false) =>
  field(name, vectorStruct(4), description, notNull);
const axes = (n: 3 | 4) =>
  ["x", "y", "z", "w"].slice(0, n).map((a) => field(a, T.f64(), `Vector ${a} component.`));

/** The `linear`/`angular` pair of velocity and acceleration. */
function motionColumns(kind: "velocity" | "acceleration"): Field[] {
  return [
    ...covarianceFields(),
    v3("linear", `3D linear ${kind} vector.`),
    v3("angular", `3D angular ${kind} vector.`),
  ];
}

/** `pose` columns: `C`, `position`, `orientation`. */
export function poseColumns(): Field[] {
  return [
    ...covarianceFields(),
    v3("position", "3D translation vector.", true),
    v4("orientation", "Quaternion representing rotation.", true),
  ];
}

/** `velocity`/`acceleration` columns. */
export { motionColumns };

/** A Pose message → `pose` row values. */
export function poseRow(p: Msg, covariance: number[] | null): Row {
  return {
    covariance,
    covariance_type: null,
    position: vec3(struct(p, "position")),
    orientation: quat(struct(p, "orientation")),
  };
}

/** A Twist/Accel message → `velocity`/`acceleration` row values. */
export function motionRow(t: Msg, covariance: number[] | null): Row {
  return {
    covariance,
    covariance_type: null,
    linear: vec3(struct(t, "linear")),
    angular: vec3(struct(t, "angular")),
  };
}

/** `transform` element columns (also the items of `frame_transform`). */
export function transformColumns(): Field[] {
  return [
    ...covarianceFields(),
    v3("translation", "3D translation vector.", true),
    v4("rotation", "Quaternion representing rotation.", true),
    field("target_frame_id", T.utf8(), "Target frame identifier."),
  ];
}

/** A Transform message and its child frame → `transform` row values. */
export function transformRow(t: Msg, child: string | null): Row {
  return {
    covariance: null,
    covariance_type: null,
    translation: vec3(struct(t, "translation")),
    rotation: quat(struct(t, "rotation")),
    target_frame_id: child,
  };
}

const vectorFill = (v: Msg) => ({ covariance: null, covariance_type: null, ...vec3(v) });
const vectorMapping = (tag: string, u: Unwrap) =>
  mapping(tag, () => [...covarianceFields(), ...axes(3)], vectorFill, u);
const quatMapping = (u: Unwrap) =>
  mapping("quaternion", () => [...covarianceFields(), ...axes(4)], (q) => ({ ...quat(q) }), u);
const poseMapping = (u: Unwrap) => mapping("pose", poseColumns, poseRow, u);
const velocityMapping = (u: Unwrap) => mapping("velocity", () => motionColumns("velocity"), motionRow, u);
const accelMapping = (u: Unwrap) =>
  mapping("acceleration", () => motionColumns("acceleration"), motionRow, u);

const forceTorque = (u: Unwrap) =>
  mapping("force_torque", () => [
    ...covarianceFields(),
    v3("force", "3D linear force.", true),
    v3("torque", "3D torque vector.", true),
  ], (w) => ({
    covariance: null,
    covariance_type: null,
    force: vec3(struct(w, "force")),
    torque: vec3(struct(w, "torque")),
  }), u);

const polygon = (u: Unwrap) =>
  mapping("polygon", () => [
    field("points", listOf(vectorStruct(3)), "List of polygon vertices as 3D points.", true),
  ], (p) => ({
    points: items(p, "points").map((pt) => vec3(pt)),
  }), u);

const inertia = (u: Unwrap) =>
  mapping("inertia", () => [
    field("mass", T.f64(), "Mass of the object.", true),
    v3("center_of_mass", "Center of mass of the object.", true),
    field(
      "inertia",
      fixedListOf(T.f64(), 6),
      "Inertia tensor components [ixx, ixy, ixz, iyy, iyz, izz].",
      true,
    ),
  ], (i) => ({
    mass: num(i, "m"),
    center_of_mass: vec3(struct(i, "com")),
    inertia: ["ixx", "ixy", "ixz", "iyy", "iyz", "izz"].map((k) => num(i, k)),
  }), u);

function transformMapping(stamped: boolean): OntologyMapping {
  return {
    tag: "transform",
    format: "default",
    fields: transformColumns,
    toRow: (m) =>
      stamped ? transformRow(struct(m, "transform"), text(m, "child_frame_id")) : transformRow(m, null),
  };
}

const G = "geometry_msgs/msg/";

/** `geometry_msgs/msg/<Type>` → mapping. */
export const GEOMETRY_MAPPINGS: Record<string, OntologyMapping> = {
  [`${G}Vector3`]: vectorMapping("vector_3_d", plain),
  [`${G}Vector3Stamped`]: vectorMapping("vector_3_d", inside("vector")),
  [`${G}Point`]: vectorMapping("point_3_d", plain),
  [`${G}PointStamped`]: vectorMapping("point_3_d", inside("point")),
  [`${G}Quaternion`]: quatMapping(plain),
  [`${G}QuaternionStamped`]: quatMapping(inside("quaternion")),
  [`${G}Pose`]: poseMapping(plain),
  [`${G}PoseStamped`]: poseMapping(inside("pose")),
  [`${G}PoseWithCovariance`]: poseMapping(withCov("pose")),
  [`${G}PoseWithCovarianceStamped`]: poseMapping(stampedCov("pose")),
  [`${G}Twist`]: velocityMapping(plain),
  [`${G}TwistStamped`]: velocityMapping(inside("twist")),
  [`${G}TwistWithCovariance`]: velocityMapping(withCov("twist")),
  [`${G}TwistWithCovarianceStamped`]: velocityMapping(stampedCov("twist")),
  [`${G}Accel`]: accelMapping(plain),
  [`${G}AccelStamped`]: accelMapping(inside("accel")),
  [`${G}AccelWithCovariance`]: accelMapping(withCov("accel")),
  [`${G}AccelWithCovarianceStamped`]: accelMapping(stampedCov("accel")),
  [`${G}Transform`]: transformMapping(false),
  [`${G}TransformStamped`]: transformMapping(true),
  [`${G}Wrench`]: forceTorque(plain),
  [`${G}WrenchStamped`]: forceTorque(inside("wrench")),
  [`${G}Polygon`]: polygon(plain),
  [`${G}PolygonStamped`]: polygon(inside("polygon")),
  [`${G}Inertia`]: inertia(plain),
  [`${G}InertiaStamped`]: inertia(inside("inertia")),
};
