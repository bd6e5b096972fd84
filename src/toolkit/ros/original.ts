/**
 * The contract between `mosaicod import` and `mosaicod export`: where an imported ROS topic keeps what
 * its rows alone cannot say (the recorded topic name, message type, definition text and encodings), so
 * that an exporter can rebuild the original messages. Everything lives in the topic's (and sequence's)
 * user metadata under keys that start with `ros:`, which the Python SDK hides from its users.
 *
 * Stable: another component reads these keys. Add keys, never rename or repurpose one; bump
 * {@link ROS_ORIGIN_VERSION} if the meaning of the rows changes.
 *
 * Rows of a topic with `ros:mapping` = `ontology` follow the SDK injector's layout for its
 * `ontology_tag` (docs/toolkit.md, "Import"); with `ros:mapping` = `generic`, the columns are the
 * envelope then the message's own fields, derived from the definition by {@link GENERIC_RULES}.
 *
 * Layer: imports only `model/`. Must not import the client, the CLI or the daemon.
 *
 * @module
 */
import type { JsonValue } from "../../model/types.ts";

/** Version of this contract, stored under {@link ROS_KEYS.version}. */
export const ROS_ORIGIN_VERSION = 1;

/** Topic user-metadata keys. Values are strings unless noted. */
export const ROS_KEYS = {
  /** Contract version (number). */
  version: "ros:version",
  /** The topic as recorded, with or without its leading `/`. */
  topic: "ros:topic",
  /** The message type as recorded: `sensor_msgs/msg/Imu` (ROS 2) or `sensor_msgs/Imu` (ROS 1). */
  type: "ros:type",
  /** The definition text, dependencies included (`====` + `MSG: pkg/Type` sections). */
  definition: "ros:definition",
  /** Encoding of {@link ROS_KEYS.definition}: `ros2msg` or `ros1msg`. */
  schemaEncoding: "ros:schema_encoding",
  /** Encoding of the messages: `cdr` (ROS 2) or `ros1`. */
  messageEncoding: "ros:message_encoding",
  /** Where it came from: `mcap` or `bag`. */
  container: "ros:container",
  /** MCAP header profile (`ros2`), `ros1` for a bag. */
  profile: "ros:profile",
  /** MCAP channel metadata (`offered_qos_profiles`, `topic_type_hash`…): a JSON object of strings. */
  channelMetadata: "ros:channel_metadata",
  /** ROS 1 connection header fields, when present: md5sum, callerid, latching (`"1"`/`"0"`). */
  md5sum: "ros:md5sum",
  callerid: "ros:callerid",
  latching: "ros:latching",
  /** How rows were made: `ontology` (the SDK layout of the topic's tag) or `generic` (see module doc). */
  mapping: "ros:mapping",
  /**
   * CompressedImage only, when the recorded `format` was not one the SDK accepts and was normalised
   * (`rgb8; jpeg compressed bgr8` → `jpeg`): the first recorded string, for export.
   */
  imageFormat: "ros:image_format",
} as const;

/** Sequence user-metadata keys. */
export const ROS_SEQUENCE_KEYS = {
  /** Base name of the (first) file, as the SDK injector writes it. Not hidden from SDK users. */
  injection: "rosbag_injection",
  /** One object per file: `{file, container, profile, library, start_ns, end_ns}` (times as strings). */
  sources: "ros:sources",
} as const;

/** What `ros:mapping` can say. */
export type RosMapping = "ontology" | "generic";

/** The origin of an imported topic, as {@link readRosOrigin} returns it. */
export interface RosOrigin {
  version: number;
  topic: string;
  type: string;
  definition: string;
  schemaEncoding: "ros2msg" | "ros1msg";
  messageEncoding: "cdr" | "ros1";
  container: "mcap" | "bag";
  profile: string;
  channelMetadata: Record<string, string>;
  md5sum: string | null;
  callerid: string | null;
  latching: boolean | null;
  mapping: RosMapping;
  imageFormat: string | null;
}

/**
 * How a generic topic's columns derive from a definition (after the envelope `timestamp_ns`,
 * `recording_timestamp_ns`, `frame_id`, `sequence_id`; a top-level `std_msgs/Header header` field
 * goes to the envelope and is not a column): one column per non-constant field, in order, nullable.
 */
export const GENERIC_RULES: Readonly<Record<string, string>> = {
  "bool": "bool",
  "int8 int16 int32 int64": "int8 int16 int32 int64",
  "uint8 byte char uint16 uint32 uint64": "uint8 uint8 uint8 uint16 uint32 uint64 (byte and char as uint8)",
  "float32 float64": "float (float32), double (float64)",
  "string wstring": "utf8",
  "time duration": "struct<sec: int32, nanosec: uint32> (ROS 1 secs/nsecs too)",
  "uint8[] byte[] char[] (any length)": "binary",
  "T[] / T[<=N]": "list<T>",
  "T[N]": "fixed_size_list<T>[N]",
  "complex pkg/Type": "struct of its fields, same rules",
};

/** The topic user metadata for `origin` (merge it into what `topic_create` sends). */
export function rosOriginMetadata(origin: RosOrigin): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {
    [ROS_KEYS.version]: origin.version,
    [ROS_KEYS.topic]: origin.topic,
    [ROS_KEYS.type]: origin.type,
    [ROS_KEYS.definition]: origin.definition,
    [ROS_KEYS.schemaEncoding]: origin.schemaEncoding,
    [ROS_KEYS.messageEncoding]: origin.messageEncoding,
    [ROS_KEYS.container]: origin.container,
    [ROS_KEYS.profile]: origin.profile,
    [ROS_KEYS.channelMetadata]: { ...origin.channelMetadata },
    [ROS_KEYS.mapping]: origin.mapping,
  };
  if (origin.md5sum !== null) out[ROS_KEYS.md5sum] = origin.md5sum;
  if (origin.callerid !== null) out[ROS_KEYS.callerid] = origin.callerid;
  if (origin.latching !== null) out[ROS_KEYS.latching] = origin.latching ? "1" : "0";
  if (origin.imageFormat !== null) out[ROS_KEYS.imageFormat] = origin.imageFormat;
  return out;
}

function str(meta: Record<string, JsonValue>, key: string): string | null {
  const v = meta[key];
  return typeof v === "string" ? v : null;
}

/**
 * Reads the origin of a topic from its user metadata; null when the topic was not imported from ROS
 * (no `ros:type`/`ros:definition`) or was written by a contract this code does not know.
 */
export function readRosOrigin(userMetadata: JsonValue): RosOrigin | null {
  if (userMetadata === null || typeof userMetadata !== "object" || Array.isArray(userMetadata)) return null;
  const m = userMetadata;
  const version = m[ROS_KEYS.version];
  const topic = str(m, ROS_KEYS.topic);
  const type = str(m, ROS_KEYS.type);
  const definition = str(m, ROS_KEYS.definition);
  const schemaEncoding = str(m, ROS_KEYS.schemaEncoding);
  const messageEncoding = str(m, ROS_KEYS.messageEncoding);
  const container = str(m, ROS_KEYS.container);
  const mapping = str(m, ROS_KEYS.mapping);
  if (
    typeof version !== "number" || version > ROS_ORIGIN_VERSION || topic === null || type === null ||
    definition === null || (schemaEncoding !== "ros2msg" && schemaEncoding !== "ros1msg") ||
    (messageEncoding !== "cdr" && messageEncoding !== "ros1") ||
    (container !== "mcap" && container !== "bag") || (mapping !== "ontology" && mapping !== "generic")
  ) {
    return null;
  }
  const channelMetadata: Record<string, string> = {};
  const cm = m[ROS_KEYS.channelMetadata];
  if (cm !== null && typeof cm === "object" && !Array.isArray(cm)) {
    for (const [k, v] of Object.entries(cm)) if (typeof v === "string") channelMetadata[k] = v;
  }
  const latching = str(m, ROS_KEYS.latching);
  return {
    version,
    topic,
    type,
    definition,
    schemaEncoding,
    messageEncoding,
    container,
    profile: str(m, ROS_KEYS.profile) ?? "",
    channelMetadata,
    md5sum: str(m, ROS_KEYS.md5sum),
    callerid: str(m, ROS_KEYS.callerid),
    latching: latching === null ? null : latching === "1",
    mapping,
    imageFormat: str(m, ROS_KEYS.imageFormat),
  };
}
