/**
 * Arrow field builders for the SDK injector's layouts: every field carries a `description` (the SDK's
 * own strings), the shared vector structs (`V2`, `V3`, `V4` with their leading covariance pair), the
 * covariance pair `C` and the four envelope columns.
 *
 * Layer: imports `apache-arrow` only.
 *
 * @module
 */
import {
  Binary,
  Bool,
  type DataType,
  Field,
  FixedSizeList,
  Float32,
  Float64,
  Int16,
  Int32,
  Int64,
  Int8,
  List,
  Struct,
  Uint16,
  Uint32,
  Uint64,
  Uint8,
  Utf8,
} from "apache-arrow";

/** A field with its SDK description; nullable unless `notNull`. */
export function field(name: string, type: DataType, description: string, notNull = false): Field {
  return new Field(name, type, !notNull, new Map([["description", description]]));
}

/** `list<T>` with the nullable child `item` (no description, as pyarrow writes it). */
export function listOf(type: DataType): List {
  return new List(new Field("item", type, true));
}

/** `fixed_size_list<T>[n]`. */
export function fixedListOf(type: DataType, n: number): FixedSizeList {
  return new FixedSizeList(n, new Field("item", type, true));
}

/** Short names for the Arrow types the layouts use. */
export const T = {
  bool: () => new Bool(),
  i8: () => new Int8(),
  i16: () => new Int16(),
  i32: () => new Int32(),
  i64: () => new Int64(),
  u8: () => new Uint8(),
  u16: () => new Uint16(),
  u32: () => new Uint32(),
  u64: () => new Uint64(),
  f32: () => new Float32(),
  f64: () => new Float64(),
  utf8: () => new Utf8(),
  binary: () => new Binary(),
};

/** The covariance pair `C` that leads most structs. */
export function covarianceFields(): Field[] {
  return [
    field("covariance", listOf(T.f64()), "The covariance matrix (flattened) of the data."),
    field("covariance_type", T.i16(), "Enum integer representing the covariance parameterization."),
  ];
}

const AXES = ["x", "y", "z", "w"] as const;

/** The vector struct with `n` (2, 3 or 4) components after `C`. */
export function vectorStruct(n: 2 | 3 | 4): Struct {
  return new Struct([
    ...covarianceFields(),
    ...AXES.slice(0, n).map((a) => field(a, T.f64(), `Vector ${a} component.`)),
  ]);
}

/** The four envelope columns every topic starts with. */
export function envelopeFields(): Field[] {
  return [
    field("timestamp_ns", T.i64(), "Message/Sensor acquisition timestamp in nanoseconds.", true),
    field(
      "recording_timestamp_ns",
      T.i64(),
      "Recording timestamp in nanoseconds. This is the timestamp in which the message was recorded in " +
        "the receiving store file (like rosbags, parquet files, etc.)",
    ),
    field("frame_id", T.utf8(), "Coordinate frame ID."),
    field("sequence_id", T.u32(), "Sequence ID. Legacy field."),
  ];
}

/** A vector value as the `V2`/`V3`/`V4` structs hold it. */
export interface VectorValue {
  covariance?: number[] | null;
  covariance_type?: number | null;
  x: number;
  y: number;
  z?: number;
  w?: number;
}
