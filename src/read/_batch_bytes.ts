/**
 * Batch sizes in bytes: what a batch's rows occupy (not the buffers it happens to share with other
 * slices), and cutting batches to a byte budget with zero-copy slices.
 *
 * @module
 */
import { type Data, DataType, type RecordBatch } from "apache-arrow";

/**
 * Bytes the rows of `data` occupy in an IPC body (before padding): validity bitmaps where there are
 * nulls, values, offsets, and the child rows they reach. Slices count only their own rows.
 */
export function dataBytes(data: Data): number {
  const n = data.length;
  let bytes = data.nullCount > 0 ? Math.ceil(n / 8) : 0;
  const type = data.type;
  if (DataType.isBool(type)) return bytes + Math.ceil(n / 8);
  if (data.valueOffsets) {
    const offsets = data.valueOffsets as Int32Array | BigInt64Array;
    const first = Number(offsets[0]);
    const last = Number(offsets[n]);
    bytes += (n + 1) * offsets.BYTES_PER_ELEMENT;
    if (data.children.length === 0) return bytes + last - first; // binary, utf8
    return bytes + dataBytes(data.children[0].slice(first, last - first));
  }
  // Struct and fixed-size-list children are sliced along with their parent.
  if (data.children.length > 0) return data.children.reduce((sum, child) => sum + dataBytes(child), bytes);
  const values = data.values as ArrayBufferView & { BYTES_PER_ELEMENT: number } | undefined;
  return values ? bytes + n * data.stride * values.BYTES_PER_ELEMENT : bytes;
}

/**
 * `batch` as zero-copy slices of about `targetBytes` each (equal row counts; a single row may exceed
 * the target). A batch within the target comes back as is; an empty one yields nothing.
 */
export function* sliceToBytes(batch: RecordBatch, targetBytes: number): Generator<RecordBatch> {
  const n = batch.numRows;
  if (n === 0) return;
  const parts = Math.min(n, Math.ceil(dataBytes(batch.data) / targetBytes));
  if (parts <= 1) {
    yield batch;
    return;
  }
  for (let k = 0; k < parts; k++) {
    yield batch.slice(Math.floor((n * k) / parts), Math.floor((n * (k + 1)) / parts));
  }
}
