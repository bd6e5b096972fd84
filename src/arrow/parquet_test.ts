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
import { InvalidArgumentError } from "../errors.ts";
import { SERIALIZATION_FORMATS, type SerializationFormat } from "../model/types.ts";
import { decodeParquetChunk, encodeParquetChunk, readParquetSchema } from "./parquet.ts";
import { loadParquetWasm } from "./_parquet_wasm.ts";

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
const FLOAT_BITS = [0x7ff8000000000000n, 0x7ff0000000000001n, 0xfff8000000000123n, 0x8000000000000000n, 1n];

/** One batch holding every type the protocol lists, with the awkward values of each. */
function everyTypeBatch(): RecordBatch {
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
function describe(schema: Schema): unknown {
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
function rows(batches: RecordBatch[]): unknown[] {
  const plain = (v: unknown): unknown => {
    if (v === null || typeof v !== "object") return v;
    if (v instanceof Vector) return [...v].map(plain);
    if (v instanceof Uint8Array) return ["bytes", ...v];
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, plain(x)]));
  };
  return batches.flatMap((b) => [...b].map((row) => plain(row?.toJSON())));
}

async function roundTrip(batches: RecordBatch[], format: SerializationFormat, opts = {}) {
  const bytes = await encodeParquetChunk(batches, format);
  return { bytes, out: await Array.fromAsync(decodeParquetChunk(bytes, opts)) };
}

for (const format of SERIALIZATION_FORMATS) {
  Deno.test(`parquet round-trips every protocol type exactly (format ${format})`, async () => {
    const batch = everyTypeBatch();
    const input = [batch, batch.slice(1, 3)];
    const bytes = await encodeParquetChunk(input, format);
    const out = await Array.fromAsync(decodeParquetChunk(bytes));
    assert.deepStrictEqual(describe(out[0].schema), describe(batch.schema));
    // Decoded types are apache-arrow's base classes (Int_, not Int64), so compare in this direction.
    assert.ok(util.compareSchemas(out[0].schema, batch.schema));
    assert.deepStrictEqual(rows(out), rows(input));
    // Float bits survive exactly: NaN payloads, -0, subnormals.
    const f64 = out[0].getChild("f64")!.data[0].values as Float64Array;
    assert.deepStrictEqual([...new BigUint64Array(f64.buffer, f64.byteOffset, 5)], FLOAT_BITS);
    assert.deepStrictEqual(describe(await readParquetSchema(bytes)), describe(batch.schema));
  });
}

Deno.test("parquet keeps a null struct null and a struct of nulls present", async () => {
  const { out } = await roundTrip([everyTypeBatch()], "default");
  const header = out[0].getChild("header")!;
  assert.equal(header.get(1), null);
  assert.deepStrictEqual(header.get(2)?.toJSON(), { seq: null, stamp: null, frame_id: null });
  assert.equal(out[0].getChild("always_null")!.nullCount, 5);
});

Deno.test("parquet writes Snappy for default, ZSTD for ragged and image, dictionaries only for default", async () => {
  const pq = await loadParquetWasm();
  for (const format of SERIALIZATION_FORMATS) {
    const bytes = await encodeParquetChunk([everyTypeBatch()], format);
    const file = await pq.ParquetFile.fromFile(new Blob([bytes.slice()]));
    const chunks = file.metadata().rowGroup(0).columns();
    const codec = format === "default" ? pq.Compression.SNAPPY : pq.Compression.ZSTD;
    assert.ok(chunks.every((c) => c.compression() === codec), format);
    const dictionary = chunks.some((c) => c.encodings().includes(pq.Encoding.RLE_DICTIONARY));
    assert.equal(dictionary, format === "default", format);
    file.free();
  }
});

Deno.test("decodeParquetChunk() projects top-level columns in stored order", async () => {
  const { out } = await roundTrip([everyTypeBatch()], "default", { columns: ["header", "f32", "f32"] });
  assert.deepStrictEqual(out[0].schema.fields.map((f) => f.name), ["f32", "header"]);
  assert.equal(out[0].numRows, 5);
  assert.deepStrictEqual(out[0].getChild("header")!.get(0)?.toJSON().frame_id, "map");
});

Deno.test("decodeParquetChunk() projection ignores prefix look-alikes and non-ASCII names", async () => {
  const data = { "a": [1, 2], "a.b": [3, 4], "ü": [5, 6], "üb": [7, 8] };
  const fields = Object.keys(data).map((name) => new Field(name, new Int32(), false));
  const children = Object.values(data).map((v) => vectorFromArray(v, new Int32()).data[0]);
  const batch = new RecordBatch(
    new Schema(fields),
    makeData({ type: new Struct(fields), length: 2, children }),
  );
  for (const name of Object.keys(data)) {
    const { out } = await roundTrip([batch], "default", { columns: [name] });
    assert.deepStrictEqual(out[0].schema.fields.map((f) => f.name), [name]);
    assert.deepStrictEqual([...out[0].getChild(name)!], data[name as keyof typeof data]);
  }
});

Deno.test("decodeParquetChunk() rejects unknown or empty projections", async () => {
  const bytes = await encodeParquetChunk([everyTypeBatch()], "default");
  for (const columns of [["nope"], ["header.seq"], []]) {
    await assert.rejects(Array.fromAsync(decodeParquetChunk(bytes, { columns })), InvalidArgumentError);
  }
});

Deno.test("decodeParquetChunk() yields batches of batchRows rows", async () => {
  const n = 10;
  const fields = [new Field("timestamp_ns", new Int64(), false)];
  const children = [vectorFromArray(Array.from({ length: n }, (_, i) => BigInt(i)), new Int64()).data[0]];
  const batch = new RecordBatch(
    new Schema(fields),
    makeData({ type: new Struct(fields), length: n, children }),
  );
  const { out } = await roundTrip([batch], "default", { batchRows: 3 });
  assert.deepStrictEqual(out.map((b) => b.numRows), [3, 3, 3, 1]);
  assert.deepStrictEqual(out.flatMap((b) => [...b.getChild("timestamp_ns")!]), [
    ...batch.getChild("timestamp_ns")!,
  ]);
});

Deno.test("encodeParquetChunk() rejects no batches, mixed schemas and nulls in a non-nullable column", async () => {
  await assert.rejects(encodeParquetChunk([], "default"), InvalidArgumentError);
  const batch = everyTypeBatch();
  const other = batch.selectAt([0, 1]);
  await assert.rejects(encodeParquetChunk([batch, other], "default"), InvalidArgumentError);
  const fields = [new Field("timestamp_ns", new Int64(), false)];
  const children = [vectorFromArray([1n, null], new Int64()).data[0]];
  const bad = new RecordBatch(
    new Schema(fields),
    makeData({ type: new Struct(fields), length: 2, children }),
  );
  await assert.rejects(encodeParquetChunk([bad], "default"), InvalidArgumentError);
});

Deno.test("encodeParquetChunk() keeps batches whose types are other classes of the same schema", async () => {
  const batch = everyTypeBatch();
  const { out } = await roundTrip([batch], "default");
  const bytes = await encodeParquetChunk([out[0], batch], "default"); // Int_ first, then Int64
  assert.equal((await Array.fromAsync(decodeParquetChunk(bytes))).reduce((n, b) => n + b.numRows, 0), 10);
});

Deno.test("decodeParquetChunk() and readParquetSchema() reject corrupt files with InvalidArgumentError", async () => {
  const good = await encodeParquetChunk([everyTypeBatch()], "default");
  let seed = 42;
  const random = (n: number) =>
    Uint8Array.from({ length: n }, () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
  const garbageInside = good.slice();
  garbageInside.set(random(good.length - 8), 4); // magic intact, everything else random
  const footerless = good.slice();
  footerless.set(random(64), good.length - 72); // the footer's thrift bytes
  const cases = [new Uint8Array(0), good.subarray(0, good.length - 1), good.subarray(0, 100), random(4096)];
  for (const bad of [...cases, garbageInside, footerless]) {
    await assert.rejects(Array.fromAsync(decodeParquetChunk(bad)), InvalidArgumentError);
    await assert.rejects(readParquetSchema(bad), InvalidArgumentError);
  }
  // The wasm instance is still healthy afterwards.
  assert.equal((await Array.fromAsync(decodeParquetChunk(good)))[0].numRows, 5);
});

Deno.test("parquet round-trips a 16 MiB binary value (format image)", async () => {
  const big = new Uint8Array(16 << 20);
  for (let i = 0, x = 1; i < big.length; i++) big[i] = (x = (x * 48271) % 2147483647) & 0xff;
  const fields = [new Field("timestamp_ns", new Int64(), false), new Field("data", new Binary(), false)];
  const children = [
    vectorFromArray([1n, 2n], new Int64()).data[0],
    vectorFromArray([big, Uint8Array.of(7)], new Binary()).data[0],
  ];
  const batch = new RecordBatch(
    new Schema(fields),
    makeData({ type: new Struct(fields), length: 2, children }),
  );
  const { out } = await roundTrip([batch], "image");
  const data = out.flatMap((b) => [...b.getChild("data")!]);
  assert.equal(data.length, 2);
  assert.equal(data[0].length, big.length);
  assert.ok(data[0].every((v: number, i: number) => v === big[i]));
  assert.deepStrictEqual([...data[1]], [7]);
});

// `deno bench src/arrow/parquet_test.ts`: 64 MiB of float64 (8 columns × 1 Mi rows, 16 batches).
let benchInput: { batches: RecordBatch[]; encoded: Map<string, Uint8Array> } | undefined;
function floatBatches() {
  if (benchInput) return benchInput;
  const fields = Array.from({ length: 8 }, (_, c) => new Field(`c${c}`, new Float64(), false));
  const batches = Array.from({ length: 16 }, (_, b) => {
    const children = fields.map((f, c) => {
      const values = Float64Array.from(
        { length: 65_536 },
        (_, i) => Math.sin((b * 65_536 + i) * (c + 1) * 1e-3),
      );
      return makeData({ type: f.type, length: values.length, data: values });
    });
    return new RecordBatch(
      new Schema(fields),
      makeData({ type: new Struct(fields), length: 65_536, children }),
    );
  });
  return (benchInput = { batches, encoded: new Map() });
}
for (const format of SERIALIZATION_FORMATS) {
  Deno.bench({ name: `encode 64 MiB float64 (${format})`, group: "encode", n: 5, warmup: 1 }, async () => {
    const input = floatBatches();
    input.encoded.set(format, await encodeParquetChunk(input.batches, format));
  });
  Deno.bench({ name: `decode 64 MiB float64 (${format})`, group: "decode", n: 5, warmup: 1 }, async () => {
    const input = floatBatches();
    const bytes = input.encoded.get(format) ?? await encodeParquetChunk(input.batches, format);
    input.encoded.set(format, bytes);
    for await (const _ of decodeParquetChunk(bytes)) { /* drain */ }
  });
}
