/**
 * The JSON Schema of a topic's rows as MCAP JSON messages carry them (`arrow/cells.ts` writes the values):
 * an object with one property per column. Shapes follow what Foxglove reads from a `jsonschema`
 * channel: one `type` per property (a nullable column says so in its description, not with a type
 * list, which Foxglove refuses), bytes as strings with `contentEncoding: base64`, structs as nested
 * objects, lists as arrays. Field metadata `description` (the SDK's column docs) is kept.
 *
 * Imports apache-arrow only.
 *
 * @module
 */
import {
  type DataType,
  type Field,
  type FixedSizeList,
  type Schema,
  type Timestamp,
  TimeUnit,
  Type,
} from "apache-arrow";
import type { JsonValue } from "../../model/types.ts";

type JsonObject = { [key: string]: JsonValue };

/** The JSON Schema (draft 2020-12) of rows of `schema`, titled `title`. */
export function rowJsonSchema(schema: Schema, title: string): JsonObject {
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    title,
    ...objectOf(schema.fields),
  };
}

function objectOf(fields: readonly Field[]): JsonObject {
  const properties: JsonObject = {};
  for (const f of fields) properties[f.name] = fieldSchema(f);
  return {
    type: "object",
    properties,
    required: fields.filter((f) => !f.nullable).map((f) => f.name),
  };
}

function fieldSchema(field: Field): JsonObject {
  const own = typeSchema(field.type);
  const notes = [field.metadata.get("description"), typeNote(field.type), field.nullable ? "may be null" : ""]
    .filter((s): s is string => typeof s === "string" && s !== "");
  return notes.length === 0 ? own : { ...own, description: notes.join("; ") };
}

const UNIT_NAMES: Record<TimeUnit, string> = {
  [TimeUnit.SECOND]: "seconds",
  [TimeUnit.MILLISECOND]: "milliseconds",
  [TimeUnit.MICROSECOND]: "microseconds",
  [TimeUnit.NANOSECOND]: "nanoseconds",
};

/** What a reader needs to know beyond the JSON type (the Arrow type and the unit of the integer). */
function typeNote(type: DataType): string {
  switch (type.typeId) {
    case Type.Timestamp: {
      const tz = (type as Timestamp).timezone;
      return `nanoseconds since the epoch${tz ? ` (${tz})` : ""}`;
    }
    case Type.Date:
    case Type.Time:
    case Type.Duration:
      return `${type} as its stored integer${
        "unit" in type ? ` (${UNIT_NAMES[type.unit as TimeUnit]})` : ""
      }`;
    case Type.Struct:
    case Type.List:
    case Type.LargeList:
    case Type.FixedSizeList:
      return "";
    default:
      return String(type);
  }
}

function typeSchema(type: DataType): JsonObject {
  switch (type.typeId) {
    case Type.Bool:
      return { type: "boolean" };
    case Type.Int:
    case Type.Timestamp:
    case Type.Date:
    case Type.Time:
    case Type.Duration:
      return { type: "integer" };
    case Type.Float:
      return { type: "number" };
    case Type.Utf8:
    case Type.LargeUtf8:
    case Type.Utf8View:
      return { type: "string" };
    case Type.Binary:
    case Type.LargeBinary:
    case Type.BinaryView:
    case Type.FixedSizeBinary:
      return { type: "string", contentEncoding: "base64" };
    case Type.List:
    case Type.LargeList:
      return { type: "array", items: fieldSchema(type.children[0]) };
    case Type.FixedSizeList: {
      const size = (type as FixedSizeList).listSize;
      return { type: "array", items: fieldSchema(type.children[0]), minItems: size, maxItems: size };
    }
    case Type.Struct:
      return objectOf(type.children);
    case Type.Map:
      return { type: "object", additionalProperties: fieldSchema(type.children[0].type.children[1]) };
    case Type.Dictionary:
      return typeSchema((type as unknown as { dictionary: DataType }).dictionary);
    default:
      return {}; // any JSON value
  }
}
