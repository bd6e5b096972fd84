/**
 * What every export format implements: a sequence is opened, its topics are written one after the
 * other (each as a stream of record batches, never held whole), then the sequence is finished (or
 * aborted, which removes what it wrote). Parquet and CSV write one file per topic, MCAP one file per
 * sequence with a channel per topic.
 *
 * Imports apache-arrow, `model/` and `errors.ts` only.
 *
 * @module
 */
import type { Schema } from "apache-arrow";
import type { ReceivedBatch } from "../../arrow/received_batch.ts";
import type { JsonValue } from "../../model/types.ts";
import { OutputFile } from "./_output.ts";

/** The export formats. */
export const EXPORT_FORMATS = ["parquet", "csv", "mcap"] as const;
export type ExportFormatName = typeof EXPORT_FORMATS[number];

/** A sequence being exported. */
export interface SequenceSource {
  name: string;
  userMetadata: JsonValue;
  /** The user metadata of the topics that will be written, in order (MCAP picks its profile from them). */
  topicMetadata: JsonValue[];
}

/** One topic to write: what describes it and its rows, in `timestamp_ns` order. */
export interface TopicSource {
  /** `<sequence>/<topic path>`. */
  locator: string;
  /** The topic path inside its sequence (`sensors/imu`). */
  path: string;
  ontologyTag: string;
  serializationFormat: string;
  userMetadata: JsonValue;
  /** The schema of the rows (the DoGet stream's). */
  schema: Schema;
  /**
   * The rows, each batch with the IPC message it was received in (a writer may hand that message on as
   * it is; the batch must not be used after that).
   */
  batches: AsyncIterable<ReceivedBatch>;
  /** The file of this topic, for formats that write one per topic. */
  file: string | null;
  /** Called after each batch written with the topic's running totals. */
  onProgress?: (rows: number, bytes: number) => void;
}

/** What writing a topic produced. */
export interface TopicWritten {
  file: string;
  rows: number;
  /** Bytes of its own file, or of its messages inside the sequence's file. */
  bytes: number;
}

/** One sequence being written. */
export interface SequenceWriter {
  /** Writes a topic completely. @throws on a read or write failure (then call `abort()`). */
  writeTopic(topic: TopicSource): Promise<TopicWritten>;
  /** Completes the sequence's files. */
  finish(): Promise<void>;
  /** Removes whatever this sequence has not completed; never throws. */
  abort(): Promise<void>;
}

/** One export format. */
export interface ExportFormat {
  readonly name: ExportFormatName;
  /** The file name extension, without its dot. */
  readonly extension: string;
  /** Whether a sequence becomes one file, or one file per topic. */
  readonly layout: "sequence" | "topic";
  /**
   * Starts a sequence. `file` is its file for the `sequence` layout, null otherwise.
   * @throws when the file cannot be created.
   */
  open(sequence: SequenceSource, file: string | null): Promise<SequenceWriter>;
}

/**
 * A {@link SequenceWriter} for the `topic` layout: each topic goes to its own file through `write`,
 * which returns the rows it wrote; the file is renamed into place when the topic is complete. `close`
 * (if given) runs once the sequence is finished or aborted.
 */
export function filePerTopic(
  write: (topic: TopicSource, out: OutputFile) => Promise<number>,
  close: () => Promise<void> = () => Promise.resolve(),
): SequenceWriter {
  let current: OutputFile | null = null;
  return {
    async writeTopic(topic) {
      if (topic.file === null) {
        throw new Error(`Cannot export "${topic.locator}": no file was planned for it`);
      }
      current = await OutputFile.create(topic.file);
      const rows = await write(topic, current);
      await current.commit();
      const written = { file: current.path, rows, bytes: current.bytes };
      current = null;
      return written;
    },
    finish: close,
    async abort() {
      await current?.discard();
      current = null;
      await close();
    },
  };
}
