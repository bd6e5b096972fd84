/**
 * Parquet export: one file per topic, written by the daemon's own streaming Parquet writer
 * (`arrow/chunk_encoder.ts`, the one ingest uses: row groups of bounded size, the Arrow schema embedded,
 * Snappy for `default` topics and ZSTD for `ragged`/`image`, binary columns that do not compress stored
 * uncompressed), so pyarrow, Polars and DuckDB read the file with exactly the topic's column names, types
 * and field metadata. The writer runs in a worker thread (`arrow/encoder_pool.ts`, one worker per export),
 * so that this thread keeps reading the DoGet stream while a row group is encoded. Batches stream from
 * DoGet into the writer as the IPC messages they came in (`arrow/received_batch.ts`: not decoded into a
 * new message, their buffers moved to the worker; at most {@link BATCHES_AHEAD} not yet taken by it), and
 * bytes from the writer into the file: memory stays at about one row group and those batches.
 *
 * Imports `arrow/` and `model/` only.
 *
 * @module
 */
import { makeData, RecordBatch, type Schema, Struct, vectorFromArray } from "apache-arrow";
import { EncoderPool } from "../../arrow/encoder_pool.ts";
import type { ReceivedBatch } from "../../arrow/received_batch.ts";
import { type ParquetCodec, SERIALIZATION_FORMATS, type SerializationFormat } from "../../model/types.ts";
import { type ExportFormat, filePerTopic, type TopicSource } from "./format.ts";

/** Arrow bytes per Parquet row group: the writer's working set (ingest uses the same default). */
const ROW_GROUP_BYTES = 8 * 1024 * 1024;
/** Batches handed to the writer's worker and not yet taken by the writer. */
const BATCHES_AHEAD = 2;

/** The Parquet export format, written with `codec` (the daemon's `--parquet-codec`; default wasm). */
export const parquetFormat = (codec: ParquetCodec = "wasm"): ExportFormat => ({
  name: "parquet",
  extension: "parquet",
  layout: "topic",
  open() {
    const pool = new EncoderPool({ size: 1, codec });
    return Promise.resolve(filePerTopic(async (topic, out) => {
      let ahead = 0;
      const room: { wake: (() => void) | null } = { wake: null };
      const encoding = pool.open({
        schema: topic.schema,
        format: codecFormat(topic.serializationFormat),
        rowGroupBytes: ROW_GROUP_BYTES,
        onConsumed: () => {
          ahead--;
          room.wake?.();
        },
      });
      let stopped = false;
      const feed = (async () => {
        try {
          for await (const batch of counted(topic, () => out.bytes)) {
            while (ahead >= BATCHES_AHEAD && !stopped) await new Promise<void>((r) => room.wake = r);
            if (stopped) return;
            ahead++;
            encoding.push(batch);
          }
          encoding.end();
        } catch (err) {
          encoding.abort(err);
          throw err;
        }
      })();
      feed.catch(() => {});
      try {
        for await (const bytes of encoding.output) await out.write(bytes);
      } catch (err) {
        stopped = true;
        room.wake?.();
        throw err;
      }
      await feed;
      return encoding.summary().rows;
    }, () => pool[Symbol.asyncDispose]()));
  },
});

function codecFormat(format: string): SerializationFormat {
  return SERIALIZATION_FORMATS.find((f) => f === format) ?? "default";
}

/**
 * The topic's batches, reporting progress as the writer takes them; an empty batch of the schema when
 * there are none, so that a topic without rows (in the window) still gives a valid file with its schema.
 */
async function* counted(
  topic: TopicSource,
  bytes: () => number,
): AsyncGenerator<RecordBatch | ReceivedBatch> {
  let rows = 0;
  let any = false;
  for await (const item of topic.batches) {
    any = true;
    const n = item.batch.numRows;
    // Handed to the writer's worker as received (its buffer moves there, unless shared: then copied).
    yield item;
    rows += n;
    topic.onProgress?.(rows, bytes());
  }
  if (!any) yield emptyBatch(topic.schema);
}

function emptyBatch(schema: Schema): RecordBatch {
  const children = schema.fields.map((f) => vectorFromArray([], f.type).data[0]);
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: 0, children }));
}
