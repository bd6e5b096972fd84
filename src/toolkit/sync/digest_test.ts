import assert from "node:assert/strict";
import {
  Binary,
  Bool,
  Field,
  Float64,
  Int32,
  Int64,
  List,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Utf8,
} from "apache-arrow";
import { decodeIpcHeader, decodeRecordBatch, encodeRecordBatchMessage } from "../../arrow/ipc.ts";
import { TopicDigest } from "./digest.ts";
import { rowsOf } from "../../arrow/_test_batches.ts";

const POSE = new Struct([
  new Field("x", new Float64(), true),
  new Field("tags", new List(new Field("t", new Utf8(), true)), true),
]);
const SCHEMA = new Schema([
  new Field("timestamp_ns", new Int64(), false),
  new Field("v", new Int32(), true),
  new Field("ok", new Bool(), true),
  new Field("label", new Utf8(), true),
  new Field("blob", new Binary(), true),
  new Field("pose", POSE, true),
]);
const ROWS = 10;

function columns(label3: string | null = null): unknown[][] {
  return [
    Array.from({ length: ROWS }, (_, i) => 1_000n + BigInt(i)),
    Array.from({ length: ROWS }, (_, i) => i % 4 === 1 ? null : i * 7),
    Array.from({ length: ROWS }, (_, i) => i % 5 === 2 ? null : i % 3 === 0),
    Array.from({ length: ROWS }, (_, i) => i === 3 ? label3 : `label-${i}`),
    Array.from({ length: ROWS }, (_, i) => i % 3 === 2 ? null : Uint8Array.of(i, i + 1)),
    Array.from(
      { length: ROWS },
      (_, i) => i === 6 ? null : { x: i / 2, tags: i % 2 === 0 ? [`a${i}`, null] : [] },
    ),
  ];
}

function digestOf(...batches: RecordBatch[]): string {
  const d = new TopicDigest(SCHEMA);
  for (const b of batches) d.update(b);
  return d.digest();
}

/** Through IPC, as DoGet delivers it: buffers laid out afresh, offsets rebased. */
function viaIpc(b: RecordBatch): RecordBatch {
  const message = encodeRecordBatchMessage(b);
  const body = new Uint8Array(message.bodyLength);
  for (const part of message.bodyParts) body.set(part.bytes, part.offset);
  const head = decodeIpcHeader(message.header);
  assert.equal(head.kind, "record_batch");
  return decodeRecordBatch(SCHEMA, head.header, body);
}

Deno.test("TopicDigest: the same rows give the same digest however they are batched, sliced or re-encoded", () => {
  const whole = rowsOf(SCHEMA, columns());
  const expected = digestOf(whole);
  assert.match(expected, /^sha256:[0-9a-f]{64}$/);
  assert.equal(digestOf(whole.slice(0, 3), whole.slice(3, 4), whole.slice(4)), expected);
  // An empty batch between others, IPC-decoded pieces next to sliced ones.
  assert.equal(
    digestOf(viaIpc(whole.slice(0, 2)), whole.slice(2, 2), viaIpc(whole.slice(2, 7)), whole.slice(7)),
    expected,
  );
  assert.equal(digestOf(viaIpc(whole.slice(0, 5)), viaIpc(whole.slice(5))), expected);
  assert.equal(digestOf(...Array.from({ length: ROWS }, (_, i) => viaIpc(whole.slice(i, i + 1)))), expected);
});

Deno.test("TopicDigest: what a null slot holds does not count; a changed value, a null or a row order does", () => {
  const whole = rowsOf(SCHEMA, columns());
  const expected = digestOf(whole);
  // Same validity, other bytes under the null of "v" (row 1).
  const v = whole.data.children[1];
  const values = new Int32Array(v.values as Int32Array);
  values[1] = 12345;
  const other = makeData({
    type: new Int32(),
    length: ROWS,
    nullCount: v.nullCount,
    nullBitmap: v.nullBitmap,
    data: values,
  });
  const children = whole.data.children.map((c, i) => i === 1 ? other : c);
  const garbage = new RecordBatch(
    SCHEMA,
    makeData({ type: new Struct(SCHEMA.fields), length: ROWS, children }),
  );
  assert.equal(digestOf(garbage), expected);

  assert.notEqual(digestOf(rowsOf(SCHEMA, columns("changed"))), expected);
  assert.notEqual(digestOf(rowsOf(SCHEMA, columns(null))), digestOf(rowsOf(SCHEMA, columns(""))));
  assert.notEqual(digestOf(whole.slice(5), whole.slice(0, 5)), expected);
  assert.notEqual(digestOf(whole.slice(0, 9)), expected);
});
