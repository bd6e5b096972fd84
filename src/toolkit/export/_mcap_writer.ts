/**
 * The MCAP writer of `mosaicod export`: the records `@mcap/core`'s `McapWriter` writes with its defaults
 * (chunks with their message indexes; schemas and channels in the chunk of their first message and again
 * in the summary; statistics, metadata and chunk indexes, summary offsets, both CRC-32s), without its
 * costs on the exporting thread: messages are serialized once, straight into the chunk's buffer; CRC-32s
 * are zlib's native ones; each full chunk is compressed by the caller's compressor (the export's: zstd on
 * a worker thread, `_zstd.ts`) while the next one fills (two chunk buffers, used in turn); a chunk that does
 * not compress is stored as it is (`_zstd_chunk.ts`). Readers see no difference: `_mcap_writer_test.ts`
 * compares the bytes with `@mcap/core`'s (given the same compression rule) and reads them back with its
 * indexed and streaming readers, which check every CRC.
 *
 * Imports `node:zlib` and `_zstd_chunk.ts` only.
 *
 * @module
 */
import { crc32 } from "node:zlib";
import { zstdChunk } from "./_zstd_chunk.ts";

/** Where the file's bytes go, in order (an export's `OutputFile`). */
export interface McapSink {
  write(bytes: Uint8Array): Promise<void>;
}

/** A message of a registered channel. */
export interface McapMessage {
  channelId: number;
  /** uint32: the caller wraps it. */
  sequence: number;
  logTime: bigint;
  publishTime: bigint;
  data: Uint8Array;
}

const MAGIC = new Uint8Array([0x89, 0x4d, 0x43, 0x41, 0x50, 0x30, 0x0d, 0x0a]);
const enum Op {
  Header = 0x01,
  Footer = 0x02,
  Schema = 0x03,
  Channel = 0x04,
  Message = 0x05,
  Chunk = 0x06,
  MessageIndex = 0x07,
  ChunkIndex = 0x08,
  Statistics = 0x0b,
  Metadata = 0x0c,
  MetadataIndex = 0x0d,
  SummaryOffset = 0x0e,
  DataEnd = 0x0f,
}
/** Bytes before a Message record's data: opcode, length, channel, sequence, log and publish times. */
const MESSAGE_HEAD = 1 + 8 + 2 + 4 + 8 + 8;

const encoder = new TextEncoder();

/** A growing little-endian buffer of records. */
class Records {
  #bytes: Uint8Array;
  #view: DataView;
  length = 0;

  constructor(capacity: number) {
    this.#bytes = new Uint8Array(capacity);
    this.#view = new DataView(this.#bytes.buffer);
  }

  get bytes(): Uint8Array {
    return this.#bytes.subarray(0, this.length);
  }

  reserve(n: number): void {
    if (this.length + n <= this.#bytes.length) return;
    const grown = new Uint8Array(Math.max(this.length + n, this.#bytes.length * 2));
    grown.set(this.#bytes.subarray(0, this.length));
    this.#bytes = grown;
    this.#view = new DataView(grown.buffer);
  }

  /** Writes `n` bytes with `set` at the end (its offset given), then moves past them. */
  #put(n: number, set: (view: DataView, at: number) => void): this {
    this.reserve(n);
    set(this.#view, this.length);
    this.length += n;
    return this;
  }

  u8(v: number): this {
    return this.#put(1, (d, at) => d.setUint8(at, v));
  }

  u16(v: number): this {
    return this.#put(2, (d, at) => d.setUint16(at, v, true));
  }

  u32(v: number): this {
    return this.#put(4, (d, at) => d.setUint32(at, v, true));
  }

  u64(v: bigint): this {
    return this.#put(8, (d, at) => d.setBigUint64(at, v, true));
  }

  raw(bytes: Uint8Array): this {
    this.reserve(bytes.length);
    this.#bytes.set(bytes, this.length);
    this.length += bytes.length;
    return this;
  }

  /** A uint32 length, then the bytes. */
  blob(bytes: Uint8Array): this {
    return this.u32(bytes.length).raw(bytes);
  }

  string(s: string): this {
    return this.blob(encoder.encode(s));
  }

  /** A map: its uint32 byte length, then each entry. */
  map<K, V>(entries: Iterable<[K, V]>, key: (k: K) => void, value: (v: V) => void): this {
    const at = this.length;
    this.u32(0);
    for (const [k, v] of entries) {
      key(k);
      value(v);
    }
    this.#view.setUint32(at, this.length - at - 4, true);
    return this;
  }

  stringMap(map: ReadonlyMap<string, string>): this {
    return this.map(map, (k) => this.string(k), (v) => this.string(v));
  }

  /** Starts a record: its opcode and a length to fill in by {@link close}. */
  open(op: Op): number {
    this.u8(op);
    const at = this.length;
    this.u64(0n);
    return at;
  }

  /** Ends the record `open()` started; returns its whole length (opcode and length field included). */
  close(at: number): number {
    this.patchU64(at, BigInt(this.length - at - 8));
    return this.length - at + 1;
  }

  patchU64(at: number, v: bigint): void {
    this.#view.setBigUint64(at, v, true);
  }

  /** Writes a Message record whose data is copied in place. */
  message(m: McapMessage): void {
    const n = MESSAGE_HEAD + m.data.length;
    this.reserve(n);
    const v = this.#view;
    const at = this.length;
    v.setUint8(at, Op.Message);
    v.setBigUint64(at + 1, BigInt(n - 9), true);
    v.setUint16(at + 9, m.channelId, true);
    v.setUint32(at + 11, m.sequence, true);
    v.setBigUint64(at + 15, m.logTime, true);
    v.setBigUint64(at + 23, m.publishTime, true);
    this.#bytes.set(m.data, at + MESSAGE_HEAD);
    this.length = at + n;
  }

  clear(): void {
    this.length = 0;
  }

  /** Hands the buffer over (to be transferred); the records keep their length until {@link adopt}. */
  detach(): ArrayBuffer {
    const buffer = this.#bytes.buffer as ArrayBuffer;
    this.#bytes = new Uint8Array(0);
    this.#view = new DataView(this.#bytes.buffer);
    return buffer;
  }

  /** Takes a buffer (back) to write into. */
  adopt(buffer: ArrayBuffer): void {
    this.#bytes = new Uint8Array(buffer);
    this.#view = new DataView(buffer);
  }
}

/**
 * Compresses the first `length` bytes of `buffer` with zstd, which it may transfer elsewhere: resolves
 * with the compressed bytes (null: the chunk is stored uncompressed) and `buffer` (or its transferred
 * self) back.
 */
export type ChunkCompressor = (
  buffer: ArrayBuffer,
  length: number,
) => Promise<{ compressed: Uint8Array | null; buffer: ArrayBuffer }>;

interface Schema {
  id: number;
  name: string;
  encoding: string;
  data: Uint8Array;
}

interface Channel {
  id: number;
  schemaId: number;
  topic: string;
  messageEncoding: string;
  metadata: ReadonlyMap<string, string>;
}

/** A chunk being filled: its records and, per channel, the (log time, offset) of each message. */
class ChunkState {
  readonly records: Records;
  readonly index = new Map<number, bigint[]>();
  start = 0n;
  end = 0n;
  messages = 0;

  constructor(capacity: number) {
    this.records = new Records(capacity);
  }

  reset(): void {
    this.records.clear();
    this.index.clear();
    this.messages = 0;
  }
}

/** A full chunk whose compression is under way, with what its records and indexes need. */
interface SealedChunk {
  state: ChunkState;
  uncompressedCrc: number;
  compressed: ReturnType<ChunkCompressor>;
}

interface ChunkIndex {
  start: bigint;
  end: bigint;
  offset: bigint;
  length: bigint;
  messageIndexOffsets: Map<number, bigint>;
  messageIndexLength: bigint;
  /** "zstd", or "" for a chunk stored as it is. */
  compression: string;
  compressedSize: bigint;
  uncompressedSize: bigint;
}

/** Writes one MCAP file to a sink: `start()`, then schemas, channels, metadata and messages, then `end()`. */
export class McapFileWriter {
  readonly #sink: McapSink;
  readonly #chunkBytes: number;
  readonly #compress: ChunkCompressor;
  readonly #scratch = new Records(4096);
  readonly #chunks: [ChunkState, ChunkState];
  #current = 0;
  #sealed: SealedChunk | null = null;
  #position = 0n;
  #dataCrc = 0;
  readonly #schemas = new Map<number, Schema>();
  readonly #channels = new Map<number, Channel>();
  readonly #writtenSchemas = new Set<number>();
  readonly #writtenChannels = new Set<number>();
  readonly #chunkIndexes: ChunkIndex[] = [];
  readonly #metadataIndexes: { offset: bigint; length: bigint; name: string }[] = [];
  readonly #channelCounts = new Map<number, bigint>();
  #messages = 0n;
  #start = 0n;
  #end = 0n;

  /**
   * @param chunkBytes a chunk is closed once its uncompressed records exceed it (a message is never split)
   * @param zstdLevel the chunks' zstd level, when `compress` is not given
   * @param compress how chunks are compressed (default: `_zstd_chunk.ts`'s rule at `zstdLevel` on this thread)
   */
  constructor(sink: McapSink, opts: { chunkBytes: number; zstdLevel: number; compress?: ChunkCompressor }) {
    this.#sink = sink;
    this.#chunkBytes = opts.chunkBytes;
    this.#compress = opts.compress ??
      ((buffer, length) =>
        Promise.resolve({
          compressed: zstdChunk(new Uint8Array(buffer, 0, length), opts.zstdLevel),
          buffer,
        }));
    const capacity = opts.chunkBytes + (opts.chunkBytes >> 2);
    this.#chunks = [new ChunkState(capacity), new ChunkState(capacity)];
  }

  /** Magic and Header. */
  async start(header: { profile: string; library: string }): Promise<void> {
    const r = this.#scratch;
    r.clear();
    r.raw(MAGIC);
    const at = r.open(Op.Header);
    r.string(header.profile).string(header.library);
    r.close(at);
    await this.#writeData(r.bytes);
  }

  /** A Metadata record, in the data section, indexed in the summary. */
  async addMetadata(name: string, metadata: ReadonlyMap<string, string>): Promise<void> {
    const r = this.#scratch;
    r.clear();
    const at = r.open(Op.Metadata);
    r.string(name).stringMap(metadata);
    const length = r.close(at);
    await this.#flushSealed();
    this.#metadataIndexes.push({ offset: this.#position, length: BigInt(length), name });
    await this.#writeData(r.bytes);
  }

  registerSchema(schema: Omit<Schema, "id">): number {
    const id = this.#schemas.size + 1;
    this.#schemas.set(id, { ...schema, id });
    return id;
  }

  registerChannel(channel: Omit<Channel, "id">): number {
    const id = this.#channels.size;
    this.#channels.set(id, { ...channel, id });
    return id;
  }

  /** Adds a message to the current chunk; closes the chunk once it exceeds `chunkBytes`. */
  async addMessage(m: McapMessage): Promise<void> {
    const chunk = this.#chunks[this.#current];
    if (!this.#writtenChannels.has(m.channelId)) this.#introduce(chunk, m.channelId);
    if (chunk.messages === 0 || m.logTime < chunk.start) chunk.start = m.logTime;
    if (chunk.messages === 0 || m.logTime > chunk.end) chunk.end = m.logTime;
    let index = chunk.index.get(m.channelId);
    if (index === undefined) chunk.index.set(m.channelId, index = []);
    index.push(m.logTime, BigInt(chunk.records.length));
    chunk.records.message(m);
    chunk.messages++;
    if (this.#messages === 0n || m.logTime < this.#start) this.#start = m.logTime;
    if (this.#messages === 0n || m.logTime > this.#end) this.#end = m.logTime;
    this.#messages++;
    this.#channelCounts.set(m.channelId, (this.#channelCounts.get(m.channelId) ?? 0n) + 1n);
    if (chunk.records.length > this.#chunkBytes) await this.#seal();
  }

  /** Writes a channel's schema (once) and the channel into `chunk`, before its first message. */
  #introduce(chunk: ChunkState, channelId: number): void {
    const channel = this.#channels.get(channelId);
    if (channel === undefined) throw new Error(`MCAP: no channel ${channelId} was registered`);
    if (channel.schemaId !== 0 && !this.#writtenSchemas.has(channel.schemaId)) {
      const schema = this.#schemas.get(channel.schemaId);
      if (schema === undefined) throw new Error(`MCAP: no schema ${channel.schemaId} was registered`);
      writeSchema(chunk.records, schema);
      this.#writtenSchemas.add(schema.id);
    }
    writeChannel(chunk.records, channel);
    this.#writtenChannels.add(channelId);
  }

  /** Starts compressing the current chunk and switches to the other buffer (once its chunk is written). */
  async #seal(): Promise<void> {
    const state = this.#chunks[this.#current];
    if (state.messages === 0) return;
    await this.#flushSealed();
    const uncompressedCrc = crc32(state.records.bytes);
    const compressed = this.#compress(state.records.detach(), state.records.length);
    compressed.catch(() => {});
    this.#sealed = { state, uncompressedCrc, compressed };
    this.#current ^= 1;
  }

  /** Writes the chunk being compressed, if any, and its message indexes; frees its buffer. */
  async #flushSealed(): Promise<void> {
    const sealed = this.#sealed;
    if (sealed === null) return;
    this.#sealed = null;
    const { state } = sealed;
    const done = await sealed.compressed;
    state.records.adopt(done.buffer);
    // Stored as it is when it does not compress: the records' own bytes, written before the buffer is reused.
    const compressed = done.compressed ?? state.records.bytes;
    const r = this.#scratch;
    r.clear();
    const at = r.open(Op.Chunk);
    r.u64(state.start).u64(state.end).u64(BigInt(state.records.length)).u32(sealed.uncompressedCrc);
    const compression = done.compressed === null ? "" : "zstd";
    r.string(compression).u64(BigInt(compressed.length));
    // The record's length also counts the compressed bytes, written after this head.
    r.patchU64(at, BigInt(r.length - at - 8 + compressed.length));
    const chunkLength = BigInt(r.length + compressed.length);
    const offset = this.#position;
    await this.#writeData(r.bytes);
    await this.#writeData(compressed);
    r.clear();
    const messageIndexOffsets = new Map<number, bigint>();
    const indexStart = this.#position;
    for (const [channelId, entries] of state.index) {
      messageIndexOffsets.set(channelId, indexStart + BigInt(r.length));
      const mat = r.open(Op.MessageIndex);
      r.u16(channelId).u32(entries.length * 8);
      for (const v of entries) r.u64(v);
      r.close(mat);
    }
    await this.#writeData(r.bytes);
    this.#chunkIndexes.push({
      start: state.start,
      end: state.end,
      offset,
      length: chunkLength,
      messageIndexOffsets,
      messageIndexLength: BigInt(r.length),
      compression,
      compressedSize: BigInt(compressed.length),
      uncompressedSize: BigInt(state.records.length),
    });
    state.reset();
  }

  /** Ends the data section and writes the summary, its offsets and the footer. */
  async end(): Promise<void> {
    await this.#seal();
    await this.#flushSealed();
    const r = this.#scratch;
    r.clear();
    r.u8(Op.DataEnd).u64(4n).u32(this.#dataCrc);
    await this.#write(r.bytes);

    const summaryStart = this.#position;
    r.clear();
    const groups: { op: Op; start: bigint; length: bigint }[] = [];
    const group = (op: Op, write: () => void) => {
      const from = r.length;
      write();
      if (r.length > from) {
        groups.push({ op, start: summaryStart + BigInt(from), length: BigInt(r.length - from) });
      }
    };
    group(Op.Schema, () => {
      for (const s of this.#schemas.values()) writeSchema(r, s);
    });
    group(Op.Channel, () => {
      for (const c of this.#channels.values()) writeChannel(r, c);
    });
    group(Op.Statistics, () => {
      const at = r.open(Op.Statistics);
      r.u64(this.#messages).u16(this.#schemas.size).u32(this.#channels.size).u32(0)
        .u32(this.#metadataIndexes.length).u32(this.#chunkIndexes.length).u64(this.#start).u64(this.#end)
        .map(this.#channelCounts, (k) => r.u16(k), (v) => r.u64(v));
      r.close(at);
    });
    group(Op.MetadataIndex, () => {
      for (const m of this.#metadataIndexes) {
        const at = r.open(Op.MetadataIndex);
        r.u64(m.offset).u64(m.length).string(m.name);
        r.close(at);
      }
    });
    group(Op.ChunkIndex, () => {
      for (const c of this.#chunkIndexes) {
        const at = r.open(Op.ChunkIndex);
        r.u64(c.start).u64(c.end).u64(c.offset).u64(c.length);
        r.map(c.messageIndexOffsets, (k) => r.u16(k), (v) => r.u64(v));
        r.u64(c.messageIndexLength).string(c.compression).u64(c.compressedSize).u64(c.uncompressedSize);
        r.close(at);
      }
    });
    const summaryOffsetStart = summaryStart + BigInt(r.length);
    for (const g of groups) {
      const at = r.open(Op.SummaryOffset);
      r.u8(g.op).u64(g.start).u64(g.length);
      r.close(at);
    }
    r.u8(Op.Footer).u64(20n).u64(summaryStart).u64(summaryOffsetStart);
    r.u32(crc32(r.bytes)).raw(MAGIC);
    await this.#write(r.bytes);
  }

  async #writeData(bytes: Uint8Array): Promise<void> {
    this.#dataCrc = crc32(bytes, this.#dataCrc);
    await this.#write(bytes);
  }

  async #write(bytes: Uint8Array): Promise<void> {
    await this.#sink.write(bytes);
    this.#position += BigInt(bytes.length);
  }
}

function writeSchema(r: Records, s: Schema): void {
  const at = r.open(Op.Schema);
  r.u16(s.id).string(s.name).string(s.encoding).blob(s.data);
  r.close(at);
}

function writeChannel(r: Records, c: Channel): void {
  const at = r.open(Op.Channel);
  r.u16(c.id).u16(c.schemaId).string(c.topic).string(c.messageEncoding).stringMap(c.metadata);
  r.close(at);
}
