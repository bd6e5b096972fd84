/**
 * Parquet export: one file per topic, written by the daemon's own streaming Parquet writer
 * (`arrow/chunk_encoder.ts`, the one ingest uses: row groups of bounded size, the Arrow schema embedded,
 * Snappy for `default` topics and ZSTD for `ragged`/`image`), so pyarrow, Polars and DuckDB read the file
 * with exactly the topic's column names, types and field metadata. Batches stream from DoGet into the
 * writer and bytes from the writer into the file: memory stays at about one row group.
 *
 * Imports `arrow/` and `model/` only.
 *
 * @module
 */
import { makeData, RecordBatch, type Schema, Struct, vectorFromArray } from "apache-arrow";
import { ChunkAccumulator, encodeChunk } from "../../arrow/chunk_encoder.ts";
import { SERIALIZATION_FORMATS, type SerializationFormat } from "../../model/types.ts";
import { type ExportFormat, filePerTopic, type TopicSource } from "./format.ts";

/** Arrow bytes per Parquet row group: the writer's working set (ingest uses the same default). */
const ROW_GROUP_BYTES = 8 * 1024 * 1024;

/** The Parquet export format. */
export const parquetFormat: ExportFormat = {
  name: "parquet",
  extension: "parquet",
  layout: "topic",
  open() {
    return Promise.resolve(filePerTopic(async (topic, out) => {
      const acc = new ChunkAccumulator();
      const batches = counted(topic, () => out.bytes);
      const opts = {
        schema: topic.schema,
        format: codecFormat(topic.serializationFormat),
        rowGroupBytes: ROW_GROUP_BYTES,
      };
      for await (const bytes of encodeChunk(batches, opts, acc)) await out.write(bytes);
      return acc.rows;
    }));
  },
};

function codecFormat(format: string): SerializationFormat {
  return SERIALIZATION_FORMATS.find((f) => f === format) ?? "default";
}

/**
 * The topic's batches, reporting progress as the writer takes them; an empty batch of the schema when
 * there are none, so that a topic without rows (in the window) still gives a valid file with its schema.
 */
async function* counted(topic: TopicSource, bytes: () => number): AsyncGenerator<RecordBatch> {
  let rows = 0;
  let any = false;
  for await (const batch of topic.batches) {
    any = true;
    yield batch;
    rows += batch.numRows;
    topic.onProgress?.(rows, bytes());
  }
  if (!any) yield emptyBatch(topic.schema);
}

function emptyBatch(schema: Schema): RecordBatch {
  const children = schema.fields.map((f) => vectorFromArray([], f.type).data[0]);
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: 0, children }));
}
