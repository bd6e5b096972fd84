/**
 * Test fixtures shared by the Parquet tests of both codecs: one batch holding every type the protocol
 * lists with the awkward values of each, and plain-data views of schemas and rows that keep -0, NaN and
 * bigints distinct under deepStrictEqual.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  Binary,
  Bool,
  type DataType,
  DateDay,
  Field,
  FixedSizeList,
  Float16,
  Float32,
  Float64,
  Int16,
  Int32,
  Int64,
  Int8,
  LargeUtf8,
  List,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  TimestampNanosecond,
  Uint16,
  Uint32,
  Uint64,
  Uint8,
  Utf8,
  util,
  Vector,
  vectorFromArray,
} from "apache-arrow";

const f64 = (name: string) => new Field(name, new Float64(), true);
const stampType = new Struct([
  new Field("sec", new Int64(), false, new Map([["unit", "s"]])),
  new Field("nanosec", new Uint32(), false),
]);
const headerType = new Struct([
  new Field("seq", new Uint32(), true),
  new Field("stamp", stampType, true),
  new Field("frame_id", new Utf8(), true),
]);

/** NaN payloads, signed zeros and a subnormal, as raw IEEE 754 bits. */
export const FLOAT_BITS = [
  0x7ff8000000000000n,
  0x7ff0000000000001n,
  0xfff8000000000123n,
  0x8000000000000000n,
  1n,
];

/** One batch holding every type the protocol lists, with the awkward values of each. */
export function everyTypeBatch(): RecordBatch {
  const columns: [Field, DataType, unknown[]][] = [];
  const col = (name: string, type: DataType, values: unknown[], nullable = true, md?: Map<string, string>) =>
    columns.push([new Field(name, type, nullable, md), type, values]);
  col("timestamp_ns", new Int64(), [-(2n ** 63n), 2n ** 63n - 1n, 0n, -1n, 1n], false);
  col("i8", new Int8(), [-128, 127, 0, null, 1]);
  col("i16", new Int16(), [-32768, 32767, 0, null, 1]);
  col("i32", new Int32(), [-(2 ** 31), 2 ** 31 - 1, 0, null, 1]);
  col("u8", new Uint8(), [0, 255, 1, null, 2]);
  col("u16", new Uint16(), [0, 65535, 1, 3, 2], false);
  col("u32", new Uint32(), [0, 2 ** 32 - 1, 1, null, 2]);
  col("u64", new Uint64(), [0n, 2n ** 64n - 1n, 2n ** 53n + 1n, null, 1n]);
  col("f16", new Float16(), [1.5, -0, 65504, null, NaN]);
  col("f32", new Float32(), [1.5, -0, NaN, null, -Infinity]);
  col("flag", new Bool(), [true, false, null, true, false]);
  col("text", new Utf8(), ["héllo", "", null, "🤖", "\u0000nul"], true, new Map([["k", "v"]]));
  col("large_text", new LargeUtf8(), ["a", "", null, "z", "ü"]);
  col("bytes", new Binary(), [
    Uint8Array.of(1, 2),
    new Uint8Array(0),
    null,
    Uint8Array.of(255),
    Uint8Array.of(0),
  ]);
  col("covariance", new List(f64("item")), [[1], [], null, [2, 3], [-0]]);
  col("k", new FixedSizeList(3, f64("item")), [[1, 2, 3], [4, 5, 6], null, [7, 8, 9], [-0, 0, 1e-300]]);
  col("stamp_utc", new TimestampNanosecond("UTC"), [0, 1, null, -1, 1.7e12]);
  col("day", new DateDay(), [new Date(0), null, new Date(86_400_000 * 19_000), new Date(-86_400_000), null]);
  col("header", headerType, [
    { seq: 1, stamp: { sec: 1n, nanosec: 2 }, frame_id: "map" },
    null,
    { seq: null, stamp: null, frame_id: null },
    { seq: 4, stamp: { sec: -5n, nanosec: 6 }, frame_id: "" },
    { seq: 2 ** 32 - 1, stamp: { sec: 2n ** 62n, nanosec: 0 }, frame_id: "base_link" },
  ]);
  col("always_null", new Struct([f64("x"), new Field("y", new Utf8(), true)]), [
    null,
    null,
    null,
    null,
    null,
  ]);
  const fields = columns.map(([field]) => field);
  const children = columns.map(([, type, values]) => vectorFromArray(values, type).data[0]);
  const bits = new BigUint64Array(FLOAT_BITS);
  fields.splice(1, 0, new Field("f64", new Float64(), false, new Map([["unit", "m/s^2"]])));
  children.splice(1, 0, makeData({ type: new Float64(), length: 5, data: new Float64Array(bits.buffer) }));
  const schema = new Schema(fields, new Map([["mosaico:ontology_tag", "imu"]]));
  return new RecordBatch(schema, makeData({ type: new Struct(fields), length: 5, children }));
}

/** A schema as plain data: names, types, nullability and metadata, recursively. */
export function describe(schema: Schema): unknown {
  const field = (f: Field): unknown => ({
    name: f.name,
    type: String(f.type),
    nullable: f.nullable,
    metadata: [...f.metadata],
    children: (f.type.children ?? []).map(field),
  });
  return { fields: schema.fields.map(field), metadata: [...schema.metadata] };
}

/** Row values as plain data that keeps -0, NaN and bigints distinct under deepStrictEqual. */
export function rows(batches: RecordBatch[]): unknown[] {
  const plain = (v: unknown): unknown => {
    if (v === null || typeof v !== "object") return v;
    if (v instanceof Vector) return [...v].map(plain);
    if (v instanceof Uint8Array) return ["bytes", ...v];
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, plain(x)]));
  };
  return batches.flatMap((b) => [...b].map((row) => plain(row?.toJSON())));
}

/**
 * Asserts that `out`, decoded from a file written from `input` (batches of {@linkcode everyTypeBatch}),
 * holds it exactly: names, types, nullability and metadata, every row, and the float bits.
 */
export function assertEveryTypeBack(out: RecordBatch[], input: RecordBatch[]): void {
  assert.deepStrictEqual(describe(out[0].schema), describe(input[0].schema));
  // Decoded types are apache-arrow's base classes (Int_, not Int64), so compare in this direction.
  assert.ok(util.compareSchemas(out[0].schema, input[0].schema));
  assert.deepStrictEqual(rows(out), rows(input));
  // Float bits survive exactly: NaN payloads, -0, subnormals.
  const f64 = out[0].getChild("f64")!.data[0].values as Float64Array;
  assert.deepStrictEqual([...new BigUint64Array(f64.buffer, f64.byteOffset, 5)], FLOAT_BITS);
}
