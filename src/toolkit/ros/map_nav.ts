/**
 * `nav_msgs/msg/Odometry` → `motion_state` and `tf2_msgs/msg/TFMessage` → `frame_transform`, built from
 * the geometry layouts.
 *
 * Layer: imports `apache-arrow` and this folder's `_fields.ts`, `_msg.ts`, `map_geometry.ts`.
 *
 * @module
 */
import { Struct } from "apache-arrow";
import { covarianceFields, field, listOf, T } from "./_fields.ts";
import { items, nums, type OntologyMapping, struct, text } from "./_msg.ts";
import {
  motionColumns,
  motionRow,
  poseColumns,
  poseRow,
  transformColumns,
  transformRow,
} from "./map_geometry.ts";

const motionState: OntologyMapping = {
  tag: "motion_state",
  format: "default",
  fields: () => [
    ...covarianceFields(),
    field("pose", new Struct(poseColumns()), "6D pose with optional time and covariance info.", true),
    field(
      "velocity",
      new Struct(motionColumns("velocity")),
      "6D velocity with optional time and covariance info.",
      true,
    ),
    field("target_frame_id", T.utf8(), "Target frame identifier.", true),
    field(
      "acceleration",
      new Struct(motionColumns("acceleration")),
      "6D acceleration with optional time and covariance info.",
    ),
  ],
  toRow: (m) => {
    const pose = struct(m, "pose");
    const twist = struct(m, "twist");
    return {
      covariance: null,
      covariance_type: null,
      pose: poseRow(struct(pose, "pose"), nums(pose, "covariance")),
      velocity: motionRow(struct(twist, "twist"), nums(twist, "covariance")),
      target_frame_id: text(m, "child_frame_id"),
      acceleration: null,
    };
  },
};

const frameTransform: OntologyMapping = {
  tag: "frame_transform",
  format: "default",
  fields: () => [
    field(
      "transforms",
      listOf(new Struct(transformColumns())),
      "List of coordinate frames transformations.",
      true,
    ),
  ],
  // Each transform's own header (parent frame, stamp) has no column in the SDK layout.
  toRow: (m) => ({
    transforms: items(m, "transforms").map((t) =>
      transformRow(struct(t, "transform"), text(t, "child_frame_id"))
    ),
  }),
};

/** `nav_msgs`/`tf2_msgs` types → mapping. */
export const NAV_MAPPINGS: Record<string, OntologyMapping> = {
  "nav_msgs/msg/Odometry": motionState,
  "tf2_msgs/msg/TFMessage": frameTransform,
};
