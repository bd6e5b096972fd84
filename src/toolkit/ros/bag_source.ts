/**
 * ROS 1 bags (v2.0) through `@foxglove/rosbag`: connections from the index, messages in log-time order
 * without parsing (chunks decompressed one at a time: bz2, lz4).
 *
 * Layer: imports `@foxglove/rosbag`, `src/file_reader.ts` and this folder's `_codecs.ts`, `source.ts`.
 *
 * @module
 */
import { basename } from "node:path";
import { Bag } from "@foxglove/rosbag";
import { bagDecompressors } from "./_codecs.ts";
import { FileReader } from "../../file_reader.ts";
import { type RawMessage, type RosSource, type SourceChannel, SourceError } from "./source.ts";

interface RosTime {
  sec: number;
  nsec: number;
}

const toNs = (t: RosTime) => BigInt(t.sec) * 1_000_000_000n + BigInt(t.nsec);

/** Opens a ROS 1 bag. @throws SourceError, Error */
export async function openBag(path: string): Promise<RosSource> {
  const file = await FileReader.open(path);
  try {
    const decompress = await bagDecompressors();
    const bag = new Bag({ read: (offset, length) => file.read(offset, length), size: () => file.size }, {
      decompress,
      parse: false,
    });
    await bag.open().catch((err: unknown) => {
      const why = err instanceof Error ? err.message : String(err);
      throw new SourceError(`Cannot read "${basename(path)}": not a readable ROS 1 bag (v2.0): ${why}`);
    });
    const counts = new Map<number, number>();
    for (const info of bag.chunkInfos) {
      for (const c of info.connections) counts.set(c.conn, (counts.get(c.conn) ?? 0) + c.count);
    }
    const channels: SourceChannel[] = [...bag.connections.values()].map((c) => ({
      id: c.conn,
      topic: c.topic,
      type: c.type ?? "",
      schemaEncoding: "ros1msg",
      definition: c.messageDefinition,
      messageEncoding: "ros1",
      metadata: {},
      md5sum: c.md5sum ?? null,
      callerid: c.callerid ?? null,
      latching: c.latching ?? null,
      messageCount: counts.get(c.conn) ?? 0,
    }));
    const any = bag.chunkInfos.length > 0 && [...counts.values()].some((n) => n > 0);
    return {
      path,
      container: "bag",
      profile: "ros1",
      library: "",
      channels,
      startNs: any && bag.startTime ? toNs(bag.startTime) : null,
      endNs: any && bag.endTime ? toNs(bag.endTime) : null,
      async *messages(channelIds, index): AsyncGenerator<RawMessage> {
        const topics = [...new Set(channels.filter((c) => channelIds.has(c.id)).map((c) => c.topic))];
        if (topics.length === 0) return;
        for await (const m of bag.messageIterator({ topics })) {
          if (!channelIds.has(m.connectionId)) continue;
          yield { file: index, channelId: m.connectionId, logTimeNs: toNs(m.timestamp), data: m.data };
        }
      },
      [Symbol.asyncDispose]: () => file[Symbol.asyncDispose](),
    };
  } catch (err) {
    await file[Symbol.asyncDispose]();
    throw err;
  }
}
