/**
 * `std_msgs` scalar types → the SDK's `string`, `boolean`, `integer*`, `unsigned*`, `floating*` topics:
 * one `data` column (not null).
 *
 * Layer: imports `apache-arrow` and this folder's `_fields.ts`, `_msg.ts`.
 *
 * @module
 */
import type { DataType } from "apache-arrow";
import { field, T } from "./_fields.ts";
import { big, bool, type Msg, num, type OntologyMapping, text } from "./_msg.ts";

function scalar(
  tag: string,
  type: () => DataType,
  description: string,
  read: (m: Msg) => unknown,
): OntologyMapping {
  return {
    tag,
    format: "default",
    fields: () => [field("data", type(), description, true)],
    toRow: (m) => ({ data: read(m) }),
  };
}

const int = (m: Msg) => num(m, "data");
const int64 = (m: Msg) => big(m, "data");

/** `std_msgs/msg/<Type>` → mapping. */
export const STD_MAPPINGS: Record<string, OntologyMapping> = {
  "std_msgs/msg/String": scalar("string", T.utf8, "String data.", (m) => text(m, "data")),
  "std_msgs/msg/Bool": scalar("boolean", T.bool, "Boolean data.", (m) => bool(m, "data")),
  "std_msgs/msg/Int8": scalar("integer8", T.i8, "8-bit Integer data.", int),
  "std_msgs/msg/Int16": scalar("integer16", T.i16, "16-bit Integer data.", int),
  "std_msgs/msg/Int32": scalar("integer32", T.i32, "32-bit Integer data.", int),
  "std_msgs/msg/Int64": scalar("integer64", T.i64, "64-bit Integer data.", int64),
  "std_msgs/msg/UInt8": scalar("unsigned8", T.u8, "8-bit Unsigned data.", int),
  "std_msgs/msg/UInt16": scalar("unsigned16", T.u16, "16-bit Unsigned data.", int),
  "std_msgs/msg/UInt32": scalar("unsigned32", T.u32, "32-bit Unsigned data.", int),
  "std_msgs/msg/UInt64": scalar("unsigned64", T.u64, "64-bit Unsigned data.", int64),
  "std_msgs/msg/Float32": scalar("floating32", T.f32, "32-bit Floating-point data.", int),
  "std_msgs/msg/Float64": scalar("floating64", T.f64, "64-bit Floating-point data.", int),
};
