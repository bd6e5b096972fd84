/**
 * MCAP export: one file per sequence, one channel per topic, chunks compressed with zstd and fully
 * indexed (chunk and message indexes, statistics, summary offsets), so that Foxglove, the `mcap` CLI
 * and rosbag2 open it and seek in it. A topic imported from ROS gets its original messages back
 * (`_ros_messages.ts`; the file's profile is theirs, `ros2`, when every topic shares it); any other
 * topic's rows are JSON messages (`_json_messages.ts`). Topics are written one after the other, and
 * indexed readers play them back in log-time order. The sequence's name and user metadata are a
 * Metadata record named `mosaico.sequence`.
 *
 * Image PNGs (`sensor_msgs/Image` rows) are decoded on worker threads (`toolkit/ros/png_pool.ts`), the
 * next batch's while one is written: at most one batch ahead, and the pool's bytes in flight. Chunks are
 * compressed on a worker thread of their own (`_zstd.ts`).
 *
 * Imports `toolkit/ros/png_pool.ts` and `errors.ts`; the message encodings and the MCAP records
 * (`_mcap_writer.ts`) are in their own modules.
 *
 * @module
 */
import type { RecordBatch } from "apache-arrow";
import { McapFileWriter } from "./_mcap_writer.ts";
import { ZstdWorker } from "./_zstd.ts";
import { OutputFile } from "./_output.ts";
import { jsonChannel } from "./_json_messages.ts";
import { rosChannel, rosProfile } from "./_ros_messages.ts";
import { PngPool } from "../ros/png_pool.ts";
import type { ExportFormat, SequenceSource, SequenceWriter, TopicSource, TopicWritten } from "./format.ts";

/** Uncompressed bytes per MCAP chunk: the writer holds one chunk in memory. */
const CHUNK_BYTES = 4 * 1024 * 1024;
/**
 * The zstd level of chunks: 1, the MCAP C++ writer's default. zlib's default (3) took a quarter of an
 * export of camera images, at about 5× level 1's time, for files ~3% smaller.
 */
const ZSTD_LEVEL = 1;

/** How a topic's rows become the messages of one channel. */
export interface ChannelEncoding {
  schema: { name: string; encoding: string; data: Uint8Array };
  channel: { topic: string; messageEncoding: string; metadata: Map<string, string> };
  /**
   * The messages of a batch's rows, in row order, once the batch's preparation (if any: decoding image
   * PNGs on worker threads) is done. @throws InvalidArgumentError for a row it cannot encode.
   */
  messages(batch: RecordBatch): Iterable<ChannelMessage> | Promise<Iterable<ChannelMessage>>;
}

/** One message of a channel. */
export interface ChannelMessage {
  logTime: bigint;
  publishTime: bigint;
  data: Uint8Array;
}

/** The MCAP export format. */
export const mcapFormat: ExportFormat = {
  name: "mcap",
  extension: "mcap",
  layout: "sequence",
  async open(sequence, file) {
    if (file === null) {
      throw new Error(`Cannot export "${sequence.name}" as MCAP: no file was planned for it`);
    }
    const out = await OutputFile.create(file);
    try {
      return await McapSequence.start(sequence, out);
    } catch (err) {
      await out.discard();
      throw err;
    }
  },
};

class McapSequence implements SequenceWriter {
  readonly #out: OutputFile;
  readonly #writer: McapFileWriter;
  /** Image PNGs are decoded on workers (started at the first one), the next batch while one is written. */
  readonly #pngs = new PngPool();
  /** Chunks are compressed on a worker thread while the next one fills. */
  readonly #zstd: ZstdWorker;

  private constructor(out: OutputFile, writer: McapFileWriter, zstd: ZstdWorker) {
    this.#out = out;
    this.#writer = writer;
    this.#zstd = zstd;
  }

  static async start(sequence: SequenceSource, out: OutputFile): Promise<McapSequence> {
    const zstd = new ZstdWorker();
    const writer = new McapFileWriter(out, {
      chunkBytes: CHUNK_BYTES,
      zstdLevel: ZSTD_LEVEL,
      compress: (buffer, length) => zstd.compress(buffer, length, ZSTD_LEVEL),
    });
    await writer.start({ profile: rosProfile(sequence.topicMetadata), library: "mosaicod export" });
    await writer.addMetadata(
      "mosaico.sequence",
      new Map([["name", sequence.name], ["user_metadata", JSON.stringify(sequence.userMetadata)]]),
    );
    return new McapSequence(out, writer, zstd);
  }

  async writeTopic(topic: TopicSource): Promise<TopicWritten> {
    const encoding = rosChannel(topic, this.#pngs) ?? jsonChannel(topic);
    const schemaId = this.#writer.registerSchema(encoding.schema);
    const channelId = this.#writer.registerChannel({ ...encoding.channel, schemaId });
    let rows = 0;
    let bytes = 0;
    const write = async (messages: Iterable<ChannelMessage>) => {
      for (const message of messages) {
        // MCAP's sequence is a uint32 per channel; it wraps as the specification allows.
        await this.#writer.addMessage({ channelId, sequence: rows % 0x1_0000_0000, ...message });
        rows++;
        bytes += message.data.length;
      }
      topic.onProgress?.(rows, this.#out.bytes);
    };
    // One batch ahead: its preparation runs while the one before it is written.
    let ahead: Promise<Iterable<ChannelMessage>> | null = null;
    for await (const { batch } of topic.batches) {
      const next = Promise.resolve(encoding.messages(batch));
      next.catch(() => {});
      if (ahead !== null) await write(await ahead);
      ahead = next;
    }
    if (ahead !== null) await write(await ahead);
    return { file: this.#out.path, rows, bytes };
  }

  async finish(): Promise<void> {
    this.#pngs.close();
    try {
      await this.#writer.end();
    } finally {
      this.#zstd.close();
    }
    await this.#out.commit();
  }

  abort(): Promise<void> {
    this.#pngs.close();
    this.#zstd.close();
    return this.#out.discard();
  }
}
