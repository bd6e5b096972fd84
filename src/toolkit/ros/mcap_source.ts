/**
 * MCAP files through `@mcap/core`'s indexed reader: channels and schemas from the summary, messages in
 * log-time order (chunks decompressed one at a time: zstd, lz4; their CRCs checked with zlib's). A file
 * without a summary (written unindexed, or cut short) is refused with that reason.
 *
 * Layer: imports `@mcap/core`, `node:zlib`, `src/file_reader.ts` and this folder's `_codecs.ts`, `source.ts`.
 *
 * @module
 */
import { basename } from "node:path";
import { crc32 } from "node:zlib";
import { McapIndexedReader } from "@mcap/core";
import { mcapDecompressors } from "./_codecs.ts";
import { FileReader } from "../../file_reader.ts";
import { type RawMessage, type RosSource, type SourceChannel, SourceError } from "./source.ts";

/** Opens an MCAP file. @throws SourceError, Error */
export async function openMcap(path: string): Promise<RosSource> {
  const file = await FileReader.open(path);
  const crcs = new ChunkCrcs();
  try {
    const reader = await McapIndexedReader.Initialize({
      readable: {
        size: () => Promise.resolve(BigInt(file.size)),
        read: async (offset, size) => crcs.read(await file.read(Number(offset), Number(size))),
      },
      decompressHandlers: Object.fromEntries(
        Object.entries(mcapDecompressors()).map(([name, f]) => [
          name,
          (data: Uint8Array, size: bigint) => crcs.decompressed(data, f(data, Number(size))),
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
        // Chunk CRCs are checked by ChunkCrcs, with zlib's native CRC-32, not the reader's JavaScript one.
        for await (const m of reader.readMessages({ topics, validateCrcs: false })) {
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

/** Chunk record: opcode, record length, start and end time, uncompressed size, uncompressed CRC. */
const CHUNK_OPCODE = 0x06;
const CHUNK_CRC_AT = 1 + 8 + 8 + 8 + 8;

/**
 * The check the MCAP reader makes of a chunk's records against the chunk's `uncompressed_crc` (when
 * not 0), made with zlib's native CRC-32 (the reader's JavaScript one took ~8% of an import's main
 * thread). The reader loads one chunk at a time: it reads the chunk record whole, copies its records
 * out and decompresses them. So an uncompressed chunk is checked as read, and a compressed one once
 * decompressed, against the CRC noted when it was read (the one chunk read and not yet decompressed).
 */
class ChunkCrcs {
  /** The compressed chunk read last and not yet decompressed: its records' length and expected CRC. */
  #pending: { length: number; crc: number } | null = null;

  /** `bytes` as read; if they are a whole chunk record, its records are checked or its CRC noted. */
  read(bytes: Uint8Array): Uint8Array {
    if (bytes.length < CHUNK_CRC_AT + 4 + 4 + 8 || bytes[0] !== CHUNK_OPCODE) return bytes;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (view.getBigUint64(1, true) !== BigInt(bytes.length - 9)) return bytes; // not one whole record
    const expected = view.getUint32(CHUNK_CRC_AT, true);
    const nameLength = view.getUint32(CHUNK_CRC_AT + 4, true);
    const recordsAt = CHUNK_CRC_AT + 8 + nameLength + 8;
    if (recordsAt > bytes.length) return bytes; // malformed: the reader says so
    const records = bytes.subarray(recordsAt);
    if (nameLength > 0) this.#pending = { length: records.length, crc: expected };
    else if (expected !== 0) check(records, expected);
    return bytes;
  }

  /** Checks a compressed chunk's decompressed records against the CRC noted when it was read. */
  decompressed(compressed: Uint8Array, records: Uint8Array): Uint8Array {
    const pending = this.#pending;
    this.#pending = null;
    if (pending === null || pending.length !== compressed.length) {
      // The reader no longer reads, then decompresses, one chunk at a time: do not skip the check.
      throw new Error("Cannot check a chunk's CRC: it was decompressed without being read just before");
    }
    if (pending.crc !== 0) check(records, pending.crc);
    return records;
  }
}

function check(records: Uint8Array, expected: number): void {
  const actual = crc32(records);
  if (actual !== expected) throw new Error(`Incorrect chunk CRC ${actual} (expected ${expected})`);
}
