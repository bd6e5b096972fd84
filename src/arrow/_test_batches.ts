/**
 * Record batches built by hand for the unit tests of `src/arrow/`: exact buffers, nulls and nesting,
 * without going through IPC.
 *
 * @module
 */
import {
  type Data,
  type DataType,
  Field,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  vectorFromArray,
} from "apache-arrow";

/** One column's data from plain values (null for a null row). */
export const vec = (type: DataType, values: unknown[]): Data => vectorFromArray(values, type).data[0];

/** A batch of `schema` from plain values, one array per field (null for a null row). */
export function rowsOf(schema: Schema, columns: unknown[][]): RecordBatch {
  const children = schema.fields.map((f, i) => vectorFromArray(columns[i], f.type).data[0]);
  return new RecordBatch(
    schema,
    makeData({ type: new Struct(schema.fields), length: columns[0].length, children }),
  );
}

/** A batch of nullable top-level columns (struct columns included, as `Data` of a Struct type). */
export function batchOf(columns: Record<string, Data>): RecordBatch {
  const fields = Object.entries(columns).map(([name, data]) => new Field(name, data.type, true));
  const children = Object.values(columns);
  const type = new Struct(fields);
  return new RecordBatch(new Schema(fields), makeData({ type, length: children[0].length, children }));
}

/** A struct column whose row `i` is null where `valid[i]` is false (the children keep their values). */
export function structOf(children: Record<string, Data>, valid?: boolean[]): Data {
  const fields = Object.entries(children).map(([name, data]) => new Field(name, data.type, true));
  const length = Object.values(children)[0].length;
  const nullBitmap = valid && new Uint8Array(Math.ceil(length / 8));
  valid?.forEach((v, i) => nullBitmap![i >> 3] |= v ? 1 << (i & 7) : 0);
  return makeData({
    type: new Struct(fields),
    length,
    nullCount: valid ? valid.filter((v) => !v).length : 0,
    nullBitmap,
    children: Object.values(children),
  });
}
