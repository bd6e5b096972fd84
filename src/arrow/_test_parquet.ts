/**
 * Parquet chunks for the tests of streamed reads: rows with a given `timestamp_ns` order, written in
 * small row groups so that a few kilobytes already make several.
 *
 * @module
 */
import { Field, Float64, Int64, RecordBatch, RecordBatchStreamWriter, Schema, Utf8 } from "apache-arrow";
import { loadParquetWasm } from "./_parquet_wasm.ts";
import { plainColumns, writerProperties } from "./parquet.ts";
import { batchOf, vec } from "./_test_batches.ts";

/** The schema of {@linkcode rowsAt}: `timestamp_ns` int64, `x` float64, `name` utf8. */
export const ROWS_SCHEMA = new Schema([
  new Field("timestamp_ns", new Int64(), true),
  new Field("x", new Float64(), true),
  new Field("name", new Utf8(), true),
]);

/** Rows with these timestamps; `x` and `name` derive from each one, so any reordering shows. */
export function rowsAt(timestamps: bigint[]): RecordBatch {
  return batchOf({
    timestamp_ns: vec(new Int64(), timestamps),
    x: vec(new Float64(), timestamps.map((t) => Number(t) / 2)),
    name: vec(new Utf8(), timestamps.map((t) => `row-${t}`)),
  });
}

/** `batches` as one Parquet file of row groups of about `rowGroupBytes` (Arrow bytes). */
export async function parquetInRowGroups(batches: RecordBatch[], rowGroupBytes: number): Promise<Uint8Array> {
  const ipc = RecordBatchStreamWriter.writeAll(batches).toUint8Array(true);
  const rows = batches.reduce((n, b) => n + b.numRows, 0);
  const pq = await loadParquetWasm();
  const props = writerProperties(pq, "default", {
    bytesPerRow: ipc.byteLength / rows,
    rowGroupBytes,
    plainColumns: plainColumns(batches[0].schema),
  });
  return pq.writeParquet(pq.Table.fromIPCStream(ipc), props);
}
