/**
 * Which layout a ROS channel gets: the SDK ontology mapping of its type (`map_*.ts`), else a generic
 * struct derived from its definition (`generic.ts`); and the four envelope columns every row starts
 * with (header stamp, else log time; `frame_id`; ROS 1 `seq`).
 *
 * Layer: imports `apache-arrow` and this folder's modules.
 *
 * @module
 */
import { type Field, Schema } from "apache-arrow";
import { envelopeFields } from "./_fields.ts";
import { MessageError, type Msg, num, type OntologyMapping, type Row, struct, text } from "./_msg.ts";
import { genericLayout, hasStdHeader, type MessageDefinition } from "./generic.ts";
import { CAMERA_MAPPINGS } from "./map_camera.ts";
import { GEOMETRY_MAPPINGS } from "./map_geometry.ts";
import { NAV_MAPPINGS } from "./map_nav.ts";
import { SENSOR_MAPPINGS } from "./map_sensors.ts";
import { STD_MAPPINGS } from "./map_std.ts";
import type { RosMapping } from "./original.ts";

/** Every ROS type the SDK injector has an adapter for, `pkg/msg/Type` → mapping. */
export const ONTOLOGY_MAPPINGS: Readonly<Record<string, OntologyMapping>> = {
  ...STD_MAPPINGS,
  ...GEOMETRY_MAPPINGS,
  ...NAV_MAPPINGS,
  ...SENSOR_MAPPINGS,
  ...CAMERA_MAPPINGS,
};

/** The ontology tag of a generic topic: `ros/<pkg>/msg/<Type>`. */
export function genericTag(type: string): string {
  return `ros/${type}`;
}

/** `pkg/Type` (ROS 1 spelling) → `pkg/msg/Type`, as the SDK's reader normalises it. */
export function normalizeTypeName(type: string): string {
  const parts = type.split("/");
  return parts.length === 2 ? `${parts[0]}/msg/${parts[1]}` : type;
}

/** How one channel's messages become rows. */
export interface TopicLayout {
  mapping: RosMapping;
  ontologyTag: string;
  serializationFormat: "default" | "image";
  schema: Schema;
  /** The row of a decoded message logged at `logTimeNs`. @throws MessageError */
  row(msg: Msg, logTimeNs: bigint): Row;
}

const NS = 1_000_000_000n;

function envelope(msg: Msg, header: boolean, logTimeNs: bigint, ros1: boolean): Row {
  if (!header) {
    return { timestamp_ns: logTimeNs, recording_timestamp_ns: logTimeNs, frame_id: null, sequence_id: null };
  }
  const h = struct(msg, "header");
  const stamp = struct(h, "stamp");
  const sec = num(stamp, "sec");
  const nanosec = num(stamp, "nanosec", "nsec");
  if (!Number.isInteger(sec) || !Number.isInteger(nanosec) || nanosec < 0 || nanosec >= 1e9) {
    throw new MessageError(`header stamp {sec: ${sec}, nanosec: ${nanosec}} is not a valid time`);
  }
  return {
    timestamp_ns: BigInt(sec) * NS + BigInt(nanosec),
    recording_timestamp_ns: logTimeNs,
    frame_id: text(h, "frame_id"),
    sequence_id: ros1 ? num(h, "seq") : null,
  };
}

/**
 * The layout of a channel of `type` (`pkg/msg/Type`) whose parsed definition is `defs`; `generic`
 * false refuses types without an SDK adapter (null).
 * @throws Error when a generic layout cannot be derived (the channel is refused with that reason).
 */
export function topicLayout(
  type: string,
  defs: MessageDefinition[],
  opts: { ros1: boolean; generic: boolean },
): TopicLayout | null {
  const header = hasStdHeader(defs[0]);
  const ontology = ONTOLOGY_MAPPINGS[type];
  let fields: Field[];
  let toRow: (m: Msg) => Row;
  if (ontology !== undefined) {
    fields = ontology.fields();
    toRow = (m) => ontology.toRow(m);
  } else {
    if (!opts.generic) return null;
    const generic = genericLayout(defs);
    fields = generic.fields;
    toRow = generic.toRow;
  }
  return {
    mapping: ontology ? "ontology" : "generic",
    ontologyTag: ontology?.tag ?? genericTag(type),
    serializationFormat: ontology?.format ?? "default",
    schema: new Schema([...envelopeFields(), ...fields]),
    row: (msg, logTimeNs) => ({ ...envelope(msg, header, logTimeNs, opts.ros1), ...toRow(msg) }),
  };
}
