import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import {
  type Data,
  Field,
  Float64,
  Int,
  Int16,
  Int64,
  List,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  tableFromArrays,
  Uint32,
  Utf8,
  Vector,
  vectorFromArray,
} from "apache-arrow";
import {
  decodeEncapsulatedSchema,
  decodeIpcHeader,
  decodeRecordBatch,
  encodeEncapsulatedSchema,
  encodeRecordBatchMessage,
  encodeSchemaMessage,
} from "./ipc.ts";
import { RecordBatch as RecordBatchHeader } from "apache-arrow/ipc/metadata/message";
import { InvalidArgumentError } from "../errors.ts";

function body(msg: ReturnType<typeof encodeRecordBatchMessage>): Uint8Array {
  const out = new Uint8Array(msg.bodyLength);
  for (const p of msg.bodyParts) out.set(p.bytes, p.offset);
  return out;
}

/** Row values as plain JS (vectors → arrays, structs → objects; deepEqual keeps NaN and -0 apart). */
function plain(batch: RecordBatch): unknown[] {
  const conv = (v: unknown): unknown => {
    if (v === null || typeof v !== "object") return v;
    if (v instanceof Vector) return [...v].map(conv);
    if (ArrayBuffer.isView(v)) return [...(v as unknown as Iterable<unknown>)];
    return Object.fromEntries(
      Object.entries((v as { toJSON(): object }).toJSON()).map(([k, x]) => [k, conv(x)]),
    );
  };
  return batch.toArray().map(conv);
}

function sampleBatch(): RecordBatch {
  const header = new Struct([new Field("seq", new Uint32()), new Field("frame_id", new Utf8(), true)]);
  const schema = new Schema([
    new Field("timestamp_ns", new Int64(), false),
    new Field("header", header, true),
    new Field("x", new Float64(), true),
    new Field("cov", new List(new Field("item", new Float64(), true)), true),
    new Field("kind", new Int16(), true),
  ], new Map([["k", "v"]]));
  const t = tableFromArrays({
    timestamp_ns: BigInt64Array.from([3n, -1n, 9_223_372_036_854_775_807n]),
    x: Float64Array.from([0.1, NaN, -0]),
  });
  const children = [
    t.getChild("timestamp_ns")!.data[0],
    vectorFromArray([{ seq: 1, frame_id: "a" }, null, { seq: 3, frame_id: null }], header).data[0],
    t.getChild("x")!.data[0],
    vectorFromArray([[1.5, 2.5], null, []], new List(new Field("item", new Float64(), true))).data[0],
    vectorFromArray([1, null, -3], new Int16()).data[0],
  ];
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: 3, children }));
}

Deno.test("ipc: record batch with nested struct, list, nulls and NaN round-trips exactly", () => {
  const batch = sampleBatch();
  const msg = encodeRecordBatchMessage(batch);
  const h = decodeIpcHeader(msg.header);
  assert.equal(h.kind, "record_batch");
  if (h.kind !== "record_batch") return;
  const back = decodeRecordBatch(batch.schema, h.header, body(msg));
  assert.equal(back.numRows, 3);
  assert.deepEqual(plain(back), plain(batch));
  assert.ok(Object.is(back.getChild("x")!.get(2), -0), "negative zero kept");
  assert.ok(Number.isNaN(back.getChild("x")!.get(1)));
  assert.equal(back.getChild("timestamp_ns")!.get(2), 9_223_372_036_854_775_807n);
});

Deno.test("ipc: schema travels as a Schema message and as an encapsulated message", () => {
  const schema = sampleBatch().schema;
  const h = decodeIpcHeader(encodeSchemaMessage(schema).header);
  assert.equal(h.kind, "schema");
  const enc = encodeEncapsulatedSchema(schema);
  assert.deepEqual([...enc.subarray(0, 4)], [0xff, 0xff, 0xff, 0xff]);
  assert.equal(enc.length % 8, 0);
  const back = decodeEncapsulatedSchema(enc);
  assert.deepEqual(
    back.fields.map((f) => [f.name, String(f.type), f.nullable]),
    schema.fields.map((f) => [
      f.name,
      String(f.type),
      f.nullable,
    ]),
  );
  assert.equal(back.metadata.get("k"), "v");
});

Deno.test("ipc: garbage headers and bodies that do not match are InvalidArgumentError", () => {
  assert.throws(() => decodeIpcHeader(new Uint8Array(4)), InvalidArgumentError);
  assert.throws(() => decodeIpcHeader(new Uint8Array(64).fill(0xff)), InvalidArgumentError);
  const batch = sampleBatch();
  const msg = encodeRecordBatchMessage(batch);
  const h = decodeIpcHeader(msg.header);
  if (h.kind !== "record_batch") throw new Error("expected a record batch");
  assert.throws(() => decodeRecordBatch(batch.schema, h.header, body(msg).subarray(0, 8)), /outside/);
  const other = new Schema([new Field("timestamp_ns", new Int64(), false)]);
  assert.throws(() => decodeRecordBatch(other, h.header, body(msg)), /does not match the schema/);
});

Deno.test("ipc: a body at a misaligned offset decodes the same (one copy)", () => {
  const batch = sampleBatch();
  const msg = encodeRecordBatchMessage(batch);
  const h = decodeIpcHeader(msg.header);
  if (h.kind !== "record_batch") throw new Error("expected a record batch");
  const padded = new Uint8Array(msg.bodyLength + 3);
  padded.set(body(msg), 3);
  // a Node Buffer, as grpc-js delivers it (its slice() is a view, not a copy)
  const back = decodeRecordBatch(batch.schema, h.header, Buffer.from(padded.buffer).subarray(3));
  assert.deepEqual(plain(back), plain(batch));
});

Deno.test("ipc: a batch laid out for another schema is refused before any view is built", () => {
  const batch = sampleBatch();
  const msg = encodeRecordBatchMessage(batch);
  const h = decodeIpcHeader(msg.header);
  if (h.kind !== "record_batch") throw new Error("expected a record batch");
  // the same shape of nodes, but utf8 where the batch has int64: one buffer more is expected
  const fields = batch.schema.fields.map((f, i) =>
    i === 0 ? new Field("timestamp_ns", new Utf8(), false) : f
  );
  assert.throws(
    () => decodeRecordBatch(new Schema(fields), h.header, body(msg)),
    (err: unknown) => err instanceof InvalidArgumentError && /does not match the schema/.test(err.message),
  );
  // a float64 column whose data buffer is cut short
  const short = new Schema([new Field("timestamp_ns", new Int64(), false)]);
  const one = new RecordBatch(
    short,
    makeData({
      type: new Struct(short.fields),
      length: 3,
      children: [sampleBatch().getChild("timestamp_ns")!.data[0]],
    }),
  );
  const m2 = encodeRecordBatchMessage(one);
  const h2 = decodeIpcHeader(m2.header);
  if (h2.kind !== "record_batch") throw new Error("expected a record batch");
  const tooLong = new Schema([new Field("timestamp_ns", new Struct([new Field("x", new Float64())]), false)]);
  assert.throws(() => decodeRecordBatch(tooLong, h2.header, body(m2)), InvalidArgumentError);
});

/** The header with the first little-endian int32 equal to `from`, followed by `then`, set to `to`. */
function patchInt32(header: Uint8Array, from: number, then: number[], to: number): Uint8Array {
  const out = header.slice();
  const view = new DataView(out.buffer);
  for (let i = 0; i + 4 + then.length * 4 <= out.length; i++) {
    if (view.getInt32(i, true) === from && then.every((v, k) => view.getInt32(i + 4 + 4 * k, true) === v)) {
      view.setInt32(i, to, true);
      return out;
    }
  }
  throw new Error("pattern not found");
}

function oneColumnBatch(
  values: Data,
): { batch: RecordBatch; msg: ReturnType<typeof encodeRecordBatchMessage> } {
  const fields = [new Field("timestamp_ns", values.type, false)];
  const batch = new RecordBatch(
    new Schema(fields),
    makeData({ type: new Struct(fields), length: values.length, children: [values] }),
  );
  return { batch, msg: encodeRecordBatchMessage(batch) };
}

Deno.test("ipc: a header whose vector length runs past its bytes is refused at once, not allocated", () => {
  const { msg } = oneColumnBatch(vectorFromArray([1n, 2n], new Int64()).data[0]);
  // The nodes vector: length 1, then one FieldNode {length: 2, null_count: 0}. 2^28 nodes in 136 bytes
  // used to make apache-arrow allocate until the process died.
  const huge = patchInt32(msg.header, 1, [2, 0, 0, 0], 0x0fffffff);
  const started = performance.now();
  assert.throws(
    () => decodeIpcHeader(huge),
    (err: unknown) =>
      err instanceof InvalidArgumentError && /lies outside the 136-byte header/.test(err.message),
  );
  assert.ok(performance.now() - started < 100);
  // An offset pointing backwards (a cycle) and one pointing outside are refused too.
  assert.throws(
    () => decodeIpcHeader(patchInt32(msg.header, 1, [2, 0, 0, 0], -8)),
    /negative length|outside/,
  );
  const root = msg.header.slice();
  new DataView(root.buffer).setInt32(0, -4, true);
  assert.throws(() => decodeIpcHeader(root), /does not point forward/);
});

Deno.test("ipc: a schema with an impossible type is refused while decoding", () => {
  // deno-lint-ignore no-explicit-any
  const odd = new Schema([new Field("timestamp_ns", new Int(true, 24 as any), false)]);
  assert.throws(
    () => decodeIpcHeader(encodeSchemaMessage(odd).header),
    (err: unknown) =>
      err instanceof InvalidArgumentError &&
      err.message === 'Cannot decode IPC schema: field "timestamp_ns": integer width 24',
  );
});

Deno.test("ipc: offsets that decrease or run past their data are refused before values are read", () => {
  const strings = oneColumnBatch(vectorFromArray(["ab", "cde", ""], new Utf8()).data[0]);
  const lists = oneColumnBatch(
    vectorFromArray([[1.5], [2.5, 3.5], []], new List(new Field("item", new Float64(), true))).data[0],
  );
  // Offsets [0, 2, 5, 5] and [0, 1, 3, 3]; the list's child holds 3 values.
  const cases: [typeof strings, number, number, RegExp][] = [
    [strings, 2, 1, /offsets decrease at row 1/],
    [strings, 3, 99, /offsets run to 99, past \d+/],
    [lists, 3, 9, /offsets run to 9, past 3/],
  ];
  for (const [{ batch, msg }, index, value, message] of cases) {
    const h = decodeIpcHeader(msg.header);
    if (h.kind !== "record_batch") throw new Error("expected a record batch");
    const bytes = body(msg);
    new DataView(bytes.buffer, Number(h.header.buffers[1].offset)).setInt32(4 * index, value, true);
    assert.throws(
      () => decodeRecordBatch(batch.schema, h.header, bytes),
      (err: unknown) => err instanceof InvalidArgumentError && message.test(err.message),
      String(message),
    );
  }
});

Deno.test("ipc: a column shorter than its batch is refused", () => {
  const { batch, msg } = oneColumnBatch(vectorFromArray([1n, 2n, 3n], new Int64()).data[0]);
  const h = decodeIpcHeader(msg.header);
  if (h.kind !== "record_batch") throw new Error("expected a record batch");
  const header = new RecordBatchHeader(4, h.header.nodes, h.header.buffers, null);
  assert.throws(() => decodeRecordBatch(batch.schema, header, body(msg)), /has 3 rows, expected at least 4/);
});
