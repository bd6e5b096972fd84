import assert from "node:assert/strict";
import {
  Binary,
  Field,
  Float64,
  Int32,
  Int64,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  vectorFromArray,
} from "apache-arrow";
import { InvalidArgumentError } from "../errors.ts";
import { SERIALIZATION_FORMATS, type SerializationFormat } from "../model/types.ts";
import { decodeParquetChunk, encodeParquetChunk, readParquetSchema } from "./parquet.ts";
import { loadParquetWasm } from "./_parquet_wasm.ts";
import { assertEveryTypeBack, describe, everyTypeBatch } from "./_test_every_type.ts";

async function roundTrip(batches: RecordBatch[], format: SerializationFormat, opts = {}) {
  const bytes = await encodeParquetChunk(batches, format);
  return { bytes, out: await Array.fromAsync(decodeParquetChunk(bytes, opts)) };
}

for (const format of SERIALIZATION_FORMATS) {
  Deno.test(`parquet round-trips every protocol type exactly (format ${format})`, async () => {
    const batch = everyTypeBatch();
    const input = [batch, batch.slice(1, 3)];
    const bytes = await encodeParquetChunk(input, format);
    assertEveryTypeBack(await Array.fromAsync(decodeParquetChunk(bytes)), input);
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
