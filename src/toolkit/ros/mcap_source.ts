/**
 * MCAP files through `@mcap/core`'s indexed reader: channels and schemas from the summary, messages in
 * log-time order (chunks decompressed one at a time: zstd, lz4). A file without a summary (written
 * unindexed, or cut short) is refused with that reason.
 *
 * Layer: imports `@mcap/core` and this folder's `_codecs.ts`, `source.ts`.
 *
 * @module
 */
import { basename } from "node:path";
import { McapIndexedReader } from "@mcap/core";
import { mcapDecompressors } from "./_codecs.ts";
import { FileReader, type RawMessage, type RosSource, type SourceChannel, SourceError } from "./source.ts";

/** Opens an MCAP file. @throws SourceError, Error */
export async function openMcap(path: string): Promise<RosSource> {
  const file = await FileReader.open(path);
  try {
    const reader = await McapIndexedReader.Initialize({
      readable: {
        size: () => Promise.resolve(BigInt(file.size)),
        read: (offset, size) => file.read(Number(offset), Number(size)),
      },
      decompressHandlers: Object.fromEntries(
        Object.entries(mcapDecompressors()).map(([name, f]) => [
          name,
          (data: Uint8Array, size: bigint) => f(data, Number(size)),
        ]),
      ),
    }).catch((err: unknown) => {
      const why = err instanceof Error ? err.message : String(err);
      throw new SourceError(`Cannot read "${basename(path)}": not a readable, indexed MCAP file: ${why}`);
    });
    const decoder = new TextDecoder();
    const counts = reader.statistics?.channelMessageCounts;
    const channels: SourceChannel[] = [...reader.channelsById.values()].map((c) => {
      const schema = reader.schemasById.get(c.schemaId);
      return {
        id: c.id,
        topic: c.topic,
        type: schema?.name ?? "",
        schemaEncoding: schema?.encoding ?? "",
        definition: schema ? decoder.decode(schema.data) : "",
        messageEncoding: c.messageEncoding,
        metadata: Object.fromEntries(c.metadata),
        md5sum: null,
        callerid: null,
        latching: null,
        messageCount: counts ? Number(counts.get(c.id) ?? 0n) : null,
      };
    });
    const stats = reader.statistics;
    const empty = stats !== undefined && stats.messageCount === 0n;
    return {
      path,
      container: "mcap",
      profile: reader.header.profile,
      library: reader.header.library,
      channels,
      startNs: stats && !empty ? stats.messageStartTime : null,
      endNs: stats && !empty ? stats.messageEndTime : null,
      async *messages(channelIds, index): AsyncGenerator<RawMessage> {
        const topics = [...new Set(channels.filter((c) => channelIds.has(c.id)).map((c) => c.topic))];
        if (topics.length === 0) return;
        for await (const m of reader.readMessages({ topics, validateCrcs: true })) {
          if (!channelIds.has(m.channelId)) continue;
          yield { file: index, channelId: m.channelId, logTimeNs: m.logTime, data: m.data };
        }
      },
      [Symbol.asyncDispose]: () => file[Symbol.asyncDispose](),
    };
  } catch (err) {
    await file[Symbol.asyncDispose]();
    throw err;
  }
}
