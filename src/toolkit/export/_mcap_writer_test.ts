/**
 * Tests of `_mcap_writer.ts`: the file is byte for byte the one `@mcap/core`'s `McapWriter` writes for
 * the same calls (zstd level 1 where a chunk compresses, else stored), and `@mcap/core`'s streaming reader (validating every CRC) and indexed
 * reader give back every message, schema, channel, metadata record and statistic.
 *
 * @module
 */
import assert from "node:assert/strict";
import { zstdDecompressSync } from "node:zlib";
import { McapIndexedReader, McapStreamReader, type McapTypes, McapWriter } from "@mcap/core";
import { McapFileWriter } from "./_mcap_writer.ts";
import { ZstdWorker } from "./_zstd.ts";
import { zstdChunk } from "./_zstd_chunk.ts";

const CHUNK_BYTES = 64 * 1024;

/** A sink that keeps everything, as `@mcap/core`'s IWritable too. */
class Collect {
  readonly parts: Uint8Array[] = [];
  #position = 0n;
  position(): bigint {
    return this.#position;
  }
  write(bytes: Uint8Array): Promise<void> {
    this.parts.push(bytes.slice());
    this.#position += BigInt(bytes.length);
    return Promise.resolve();
  }
  get bytes(): Uint8Array {
    const out = new Uint8Array(Number(this.#position));
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

interface Script {
  schemas: { name: string; encoding: string; data: Uint8Array }[];
  /** Channels, each naming its schema by index (-1: none). */
  channels: { topic: string; messageEncoding: string; metadata: Map<string, string>; schema: number }[];
  /** Messages in write order; channels by index. */
  messages: { channel: number; sequence: number; logTime: bigint; publishTime: bigint; data: Uint8Array }[];
}

function script(): Script {
  let seed = 12345;
  const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const bytes = (n: number) => { // incompressible
    const out = new Uint8Array(n);
    for (let at = 0; at < n; at += 65536) crypto.getRandomValues(out.subarray(at, at + 65536));
    return out;
  };
  const text = (n: number) => new TextEncoder().encode("imu x=0.25 y=-0.5 z=9.81; ".repeat(n).slice(0, n));
  const messages: Script["messages"] = [];
  // Small messages with log times that go back now and then, a message larger than a chunk, empty ones.
  for (let i = 0; i < 3000; i++) {
    const channel = i < 1000 ? 0 : i < 2000 ? 1 : i % 3;
    const size = i === 1500 ? 3 * CHUNK_BYTES : i % 97 === 0 ? 0 : 1 + Math.floor(random() * 300);
    const logTime = 1_700_000_000_000_000_000n + BigInt(i * 1000 - (i % 10 === 0 ? 5000 : 0));
    // The first channel's messages compress (their chunks get zstd), the others' do not (stored as is).
    const data = channel === 0 && i < 1000 ? text(size) : bytes(size);
    messages.push({ channel, sequence: i, logTime, publishTime: logTime + 7n, data });
  }
  return {
    schemas: [
      { name: "sensor_msgs/msg/Imu", encoding: "ros2msg", data: new TextEncoder().encode("float64 x\n") },
      { name: "mosaico.json", encoding: "jsonschema", data: new TextEncoder().encode('{"type":"object"}') },
    ],
    channels: [
      {
        topic: "/imu",
        messageEncoding: "cdr",
        metadata: new Map([["offered_qos_profiles", "- {}"]]),
        schema: 0,
      },
      { topic: "/json", messageEncoding: "json", metadata: new Map(), schema: 1 },
      { topic: "/raw", messageEncoding: "bytes", metadata: new Map([["a", "1"], ["b", "ü"]]), schema: -1 },
    ],
    messages,
  };
}

/** Our writer's file; chunks compressed on this thread, or (`zstd`) on the export's worker. */
async function writeOurs(s: Script, zstd?: ZstdWorker): Promise<Uint8Array> {
  const sink = new Collect();
  const w = new McapFileWriter(sink, {
    chunkBytes: CHUNK_BYTES,
    zstdLevel: 1,
    compress: zstd && ((buffer, length) => zstd.compress(buffer, length, 1)),
  });
  await w.start({ profile: "ros2", library: "mosaicod export" });
  await w.addMetadata("mosaico.sequence", new Map([["name", "run_01"], ["user_metadata", "{}"]]));
  const schemaIds = s.schemas.map((schema) => w.registerSchema(schema));
  const channelIds = s.channels.map(({ schema, ...c }) =>
    w.registerChannel({ ...c, schemaId: schema < 0 ? 0 : schemaIds[schema] })
  );
  for (const { channel, ...m } of s.messages) await w.addMessage({ ...m, channelId: channelIds[channel] });
  await w.end();
  return sink.bytes;
}

async function writeTheirs(s: Script): Promise<Uint8Array> {
  const sink = new Collect();
  const w = new McapWriter({
    writable: sink,
    chunkSize: CHUNK_BYTES,
    compressChunk: (data) => {
      const compressed = zstdChunk(data, 1);
      return compressed
        ? { compression: "zstd", compressedData: compressed }
        : { compression: "", compressedData: data };
    },
  });
  await w.start({ profile: "ros2", library: "mosaicod export" });
  await w.addMetadata({
    name: "mosaico.sequence",
    metadata: new Map([["name", "run_01"], ["user_metadata", "{}"]]),
  });
  const schemaIds = [];
  for (const schema of s.schemas) schemaIds.push(await w.registerSchema(schema));
  const channelIds = [];
  for (const { schema, ...c } of s.channels) {
    channelIds.push(await w.registerChannel({ ...c, schemaId: schema < 0 ? 0 : schemaIds[schema] }));
  }
  for (const { channel, ...m } of s.messages) await w.addMessage({ ...m, channelId: channelIds[channel] });
  await w.end();
  return sink.bytes;
}

Deno.test("MCAP writer: byte for byte what @mcap/core's writer writes for the same calls", async () => {
  const s = script();
  using zstd = new ZstdWorker();
  const theirs = await writeTheirs(s);
  for (const ours of [await writeOurs(s), await writeOurs(s, zstd)]) {
    assert.ok(ours.length > 3 * CHUNK_BYTES);
    assert.equal(ours.length, theirs.length);
    const first = ours.findIndex((b, i) => b !== theirs[i]);
    assert.equal(first, -1, `first difference at byte ${first}`);
  }
});

Deno.test("MCAP writer: a compressor that fails fails the file, and a closed worker refuses work", async () => {
  const sink = new Collect();
  const w = new McapFileWriter(sink, {
    chunkBytes: 1024,
    zstdLevel: 1,
    compress: () => Promise.reject(new Error("zstd: no space")),
  });
  await w.start({ profile: "", library: "test" });
  const channelId = w.registerChannel({
    topic: "/t",
    messageEncoding: "json",
    metadata: new Map(),
    schemaId: 0,
  });
  const message = { channelId, sequence: 0, logTime: 1n, publishTime: 1n, data: new Uint8Array(2048) };
  await w.addMessage(message); // seals the first chunk: its compression fails in the background
  await assert.rejects(() => w.end(), /zstd: no space/);
  const zstd = new ZstdWorker();
  zstd.close();
  await assert.rejects(() => zstd.compress(new ArrayBuffer(8), 8, 1), /closed/);
});

Deno.test("MCAP writer: both @mcap/core readers give back everything, every CRC checked", async () => {
  const s = script();
  const bytes = await writeOurs(s);

  const stream = new McapStreamReader({
    validateCrcs: true,
    decompressHandlers: { zstd: (data) => zstdDecompressSync(data) },
  });
  stream.append(bytes);
  const records: McapTypes.TypedMcapRecord[] = [];
  for (let r; (r = stream.nextRecord());) records.push(r);
  assert.ok(stream.done());
  const messages = records.filter((r) => r.type === "Message");
  assert.equal(messages.length, s.messages.length);
  messages.forEach((m, i) => {
    const want = s.messages[i];
    assert.equal(m.channelId, want.channel);
    assert.deepEqual([m.sequence, m.logTime, m.publishTime], [want.sequence, want.logTime, want.publishTime]);
    assert.deepEqual(m.data, want.data);
  });
  const dataEnd = records.find((r) => r.type === "DataEnd");
  assert.ok(dataEnd && dataEnd.dataSectionCrc !== 0);

  const indexed = await McapIndexedReader.Initialize({
    readable: {
      size: () => Promise.resolve(BigInt(bytes.length)),
      read: (offset, length) => Promise.resolve(bytes.subarray(Number(offset), Number(offset + length))),
    },
    decompressHandlers: { zstd: (data) => zstdDecompressSync(data) },
  });
  assert.equal(indexed.header.profile, "ros2");
  assert.deepEqual([...indexed.schemasById.values()].map((x) => [x.id, x.name, x.encoding]), [
    [1, "sensor_msgs/msg/Imu", "ros2msg"],
    [2, "mosaico.json", "jsonschema"],
  ]);
  assert.deepEqual(
    [...indexed.channelsById.values()].map((c) => [c.id, c.topic, c.schemaId, [...c.metadata]]),
    s.channels.map((c, i) => [i, c.topic, c.schema + 1, [...c.metadata]]),
  );
  const stats = indexed.statistics!;
  assert.equal(stats.messageCount, 3000n);
  assert.deepEqual([stats.schemaCount, stats.channelCount, stats.metadataCount], [2, 3, 1]);
  assert.equal(stats.chunkCount, indexed.chunkIndexes.length);
  assert.ok(stats.chunkCount >= 8, `${stats.chunkCount} chunks`);
  // Chunks of compressible messages are zstd, those of random bytes stored as they are.
  const compressions = new Set(indexed.chunkIndexes.map((c) => c.compression));
  assert.deepEqual([...compressions].sort(), ["", "zstd"]);
  const times = s.messages.map((m) => m.logTime);
  assert.deepEqual(
    [stats.messageStartTime, stats.messageEndTime],
    [times.reduce((a, b) => a < b ? a : b), times.reduce((a, b) => a > b ? a : b)],
  );
  const metadata = [];
  for await (const m of indexed.readMetadata()) metadata.push([m.name, [...m.metadata]]);
  assert.deepEqual(metadata, [["mosaico.sequence", [["name", "run_01"], ["user_metadata", "{}"]]]]);
  // In log-time order, through the chunk and message indexes.
  const read = [];
  for await (const m of indexed.readMessages()) read.push(m);
  assert.equal(read.length, 3000);
  assert.deepEqual(read.map((m) => m.logTime), [...times].sort((a, b) => a < b ? -1 : a > b ? 1 : 0));
  const byChannel = [];
  for await (const m of indexed.readMessages({ topics: ["/raw"] })) byChannel.push(m.sequence);
  assert.deepEqual(
    byChannel.sort((a, b) => a - b),
    s.messages.filter((m) => m.channel === 2).map((m) => m.sequence),
  );
});

Deno.test("MCAP writer: a file without messages is still whole", async () => {
  const sink = new Collect();
  const w = new McapFileWriter(sink, { chunkBytes: CHUNK_BYTES, zstdLevel: 1 });
  await w.start({ profile: "", library: "mosaicod export" });
  w.registerChannel({ topic: "/none", messageEncoding: "json", metadata: new Map(), schemaId: 0 });
  await w.end();
  const theirs = new Collect();
  const t = new McapWriter({ writable: theirs, chunkSize: CHUNK_BYTES });
  await t.start({ profile: "", library: "mosaicod export" });
  await t.registerChannel({ topic: "/none", messageEncoding: "json", metadata: new Map(), schemaId: 0 });
  await t.end();
  assert.deepEqual(sink.bytes, theirs.bytes);
});
