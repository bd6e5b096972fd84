/**
 * Which binary columns a Parquet file should store uncompressed: those whose values are already
 * compressed (PNG or JPEG frames, point clouds in a compressed encoding, ...). A codec gains nothing on
 * them and costs CPU on every write: ZSTD level 1 spent ~0.9 CPU-s per GiB of random bytes in Arrow C++
 * (pyarrow: 1.99 s with ZSTD against 1.11 s uncompressed for 1 GiB of 0.9 MB values), the biggest part of
 * writing an image topic. Judged once per file on the first batch: up to 1 MiB of the column's value
 * bytes is compressed with ZSTD level 1, and a column that does not get 5% smaller is written
 * uncompressed. Every Parquet reader reads a column chunk without compression.
 *
 * Only top-level columns: parquet-wasm names a column's setting by one path segment.
 *
 * Must not import anything outside `src/arrow/`, `src/model/`, `src/errors.ts` and `src/zstd_sample.ts`.
 *
 * @module
 */
import { type Data, DataType, type RecordBatch } from "apache-arrow";
import { incompressible } from "../zstd_sample.ts";

/** Value bytes of a column compressed to judge it. */
const SAMPLE_BYTES = 1 << 20;
/** Columns with fewer value bytes in the first batch are left to the codec: too little to matter. */
const MIN_SAMPLE_BYTES = 64 * 1024;

/** Names of the top-level binary columns of `batch` whose values do not compress (see the module doc). */
export function incompressibleColumns(batch: RecordBatch): string[] {
  const names: string[] = [];
  batch.schema.fields.forEach((field, i) => {
    if (!DataType.isBinary(field.type) && !DataType.isLargeBinary(field.type)) return;
    const sample = valueBytes(batch.data.children[i] as Data, SAMPLE_BYTES);
    if (sample.byteLength < MIN_SAMPLE_BYTES) return;
    if (incompressible(sample, 1)) names.push(field.name);
  });
  return names;
}

/** The first `max` value bytes of a binary column (contiguous in its values buffer). */
function valueBytes(data: Data, max: number): Uint8Array {
  const offsets = data.valueOffsets as Int32Array | BigInt64Array | undefined;
  const values = data.values as Uint8Array | undefined;
  if (!offsets || !values || data.length === 0) return new Uint8Array(0);
  const start = Number(offsets[data.offset]);
  const end = Number(offsets[data.offset + data.length]);
  return values.subarray(start, Math.min(end, start + max));
}
