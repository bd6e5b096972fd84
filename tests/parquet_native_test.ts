/**
 * The native Parquet codec (`--parquet-codec native`, `src/arrow/_parquet_native.ts`) against
 * parquet-wasm: files either one writes, the other reads back exactly (every protocol type, schema and
 * field metadata, float bits); the writer settings are the same; bad batches and bad files are clear
 * errors; and both pools run it in their workers. The library is built first (`deno task build:native`,
 * a no-op when up to date), so this file needs g++ and pyarrow, as CI has.
 */
import assert from "node:assert/strict";
import {
  Binary,
  DataType,
  Field,
  Float64,
  Int64,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Utf8,
} from "apache-arrow";
import { buildNative } from "../tasks/build_native.ts";
import { startDaemon } from "./_daemon.ts";
import { concat } from "../src/_test_fuzz.ts";
import { SERIALIZATION_FORMATS } from "../src/model/types.ts";
import { DataLossError, InvalidArgumentError } from "../src/errors.ts";
import {
  batchesFromIpc,
  decodeParquetChunk,
  encodeParquetChunk,
  writerSettings,
} from "../src/arrow/parquet.ts";
import { encodeParquetStream } from "../src/arrow/_ingest_parquet_stream.ts";
import { NativeParquetReader, NativeParquetWriter } from "../src/arrow/_parquet_native.ts";
import { NativeRowGroupStream } from "../src/arrow/_parquet_native_stream.ts";
import { ChunkAccumulator, encodeChunk } from "../src/arrow/chunk_encoder.ts";
import { encodeEncapsulatedSchema, encodeRecordBatchMessage } from "../src/arrow/ipc.ts";
import { loadParquetWasm } from "../src/arrow/_parquet_wasm.ts";
import { EncoderPool } from "../src/arrow/encoder_pool.ts";
import { resolveParquetCodec } from "../src/arrow/parquet.ts";
import { ParquetPool } from "../src/arrow/parquet_pool.ts";
import { batchOf as itemBatch, type ReceivedBatch } from "../src/arrow/received_batch.ts";
import { assertEveryTypeBack, describe, everyTypeBatch, rows } from "../src/arrow/_test_every_type.ts";
import { rowsAt } from "../src/arrow/_test_parquet.ts";
import { batchOf, vec } from "../src/arrow/_test_batches.ts";

await buildNative({ quiet: true });

const span = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => BigInt(from + i));

/** A batch as a client's upload carries it: its IPC message, header and contiguous body. */
function received(batch: RecordBatch): ReceivedBatch {
  const message = encodeRecordBatchMessage(batch);
  const body = new Uint8Array(message.bodyLength);
  for (const part of message.bodyParts) body.set(part.bytes, part.offset);
  return { batch, header: message.header, body };
}

async function* each<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}

/** Encodes with the native codec through the ingest path's stream; the pieces as they came, and the file. */
async function encodeNative(
  batches: (RecordBatch | ReceivedBatch)[],
  format: (typeof SERIALIZATION_FORMATS)[number],
  rowGroupBytes = 1 << 20,
) {
  const schema = itemBatch(batches[0]).schema;
  const pieces: Uint8Array[] = [];
  for await (
    const piece of encodeParquetStream(schema, each(batches), { format, rowGroupBytes, codec: "native" })
  ) {
    pieces.push(piece.slice());
  }
  return { pieces, file: concat(...pieces) };
}

/** Every row of a file read by the native reader, row group by row group. */
function readNative(source: Uint8Array | { path: string }, batchBytes = 1 << 20): RecordBatch[] {
  const reader = NativeParquetReader.open(source);
  try {
    const schema = reader.schema();
    const streams = Array.from({ length: reader.rowGroups }, (_, g) => reader.read(g, batchBytes)).flat();
    return [...batchesFromIpc({ schema, batches: streams })];
  } finally {
    reader.close();
  }
}

/** `batch` without its columns of a type Arrow C++ cannot read back with nulls (fixed-size lists). */
function withoutFixedSizeLists(batch: RecordBatch): RecordBatch {
  const keep = batch.schema.fields.flatMap((f, i) => DataType.isFixedSizeList(f.type) ? [] : [i]);
  const fields = keep.map((i) => batch.schema.fields[i]);
  const children = keep.map((i) => batch.data.children[i]);
  const data = makeData({ type: new Struct(fields), length: batch.numRows, children });
  return new RecordBatch(new Schema(fields, batch.schema.metadata), data);
}

for (const format of SERIALIZATION_FORMATS) {
  Deno.test(`native codec: parquet-wasm reads what it writes and the reverse, every type exactly (${format})`, async () => {
    const batch = everyTypeBatch();
    const input = [batch, batch.slice(1, 3)];
    // As uploads carry them (messages read in place) and as plain batches (encoded first).
    for (const items of [input.map(received), input]) {
      const { file } = await encodeNative(items, format);
      assertEveryTypeBack(await Array.fromAsync(decodeParquetChunk(file)), input);
    }
    // The native reader reads either codec's files (fixed-size lists aside: the stream test below).
    const plain = input.map(withoutFixedSizeLists);
    for (
      const file of [
        (await encodeNative(plain.map(received), format)).file,
        await encodeParquetChunk(plain, format),
      ]
    ) {
      const back = readNative(file);
      assert.deepStrictEqual(describe(back[0].schema), describe(plain[0].schema));
      assert.deepStrictEqual(rows(back), rows(plain));
    }
  });
}

/** The rows, time range and column statistics of `batches` encoded as one chunk with `codec`. */
async function summaryWith(codec: "wasm" | "native", batches: RecordBatch[]) {
  const acc = new ChunkAccumulator();
  const opts = { schema: batches[0].schema, format: "default" as const, rowGroupBytes: 1 << 20, codec };
  for await (const _ of encodeChunk(each(batches.map(received)), opts, acc)) {
    /* the bytes are not compared */
  }
  return acc.summary();
}

Deno.test("native codec: the writer's column statistics equal the JavaScript scan's, value for value", async () => {
  const every = everyTypeBatch();
  // Signed zeros and NaN across batches (the merge keeps -0 as the JavaScript one does), text with a NUL
  // and astral characters, a chunk whose first batch has only nulls in a column.
  const f = new Field("v", new Float64(), true);
  const t = new Field("s", new Utf8(), true);
  const ts = new Field("timestamp_ns", new Int64(), false);
  const schema = new Schema([ts, f, t]);
  const part = (stamps: bigint[], values: (number | null)[], texts: (string | null)[]) =>
    new RecordBatch(
      schema,
      makeData({
        type: new Struct(schema.fields),
        length: stamps.length,
        children: [vec(new Int64(), stamps), vec(new Float64(), values), vec(new Utf8(), texts)],
      }),
    );
  const mixed = [
    part([5n, 9n], [null, null], [null, null]),
    part([-3n, 2n], [0, NaN], ["\u{1F916}", "\uE000"]),
    part([7n, 1n], [-0, -Infinity], ["a\u0000b", ""]),
  ];
  // Longer runs without nulls (the writer's four-lane scan), with NaN, infinities and a zero minimum.
  const random = (k: number) => Array.from({ length: 1001 }, (_, i) => Math.sin(i * 7.3 + k) * 1e6);
  const stamps = Array.from({ length: 1001 }, (_, i) => BigInt(i));
  const texts = Array.from({ length: 1001 }, (_, i) => `t${(i * 7919) % 1001}`);
  const long = [
    part(stamps, random(1), texts),
    part(stamps, random(2).map((v, i) => i === 500 ? NaN : i === 7 ? Infinity : v), texts),
    part(stamps, random(3).map((v) => Math.abs(v)).map((v, i) => i === 900 ? -0 : v), texts),
  ];
  // Text whose first 8 bytes tie, values that are prefixes of others (NUL after them too), bytes above 0x7f
  // (compared unsigned): the writer orders by an 8-byte prefix first. Every run of 4 values, in 3 orders, is
  // a chunk of its own, so that each one's extremes show.
  const tricky = [
    "abcdefgh",
    "abcdefgh\u0000",
    "abcdefg",
    "abcdefgha",
    "abcdefghZ",
    "ab",
    "ab\u0000",
    "a",
    "\u00ff",
    "\u0080x",
    "zzzzzzzzzzzz1",
    "zzzzzzzzzzzz0",
    "zzzzzzzz",
    "zzzzzzz\u0000",
  ];
  const orders = [tricky, tricky.toReversed(), tricky.map((_, i) => tricky[(i * 5) % tricky.length])];
  const textRuns = orders.flatMap((order) =>
    order.slice(0, -3).map((_, i) => [part([1n, 2n, 3n, 4n], [1, 2, 3, 4], order.slice(i, i + 4))])
  );
  for (const batches of [[every, every.slice(1, 3)], mixed, [every.slice(2, 4)], long, ...textRuns]) {
    assert.deepStrictEqual(await summaryWith("native", batches), await summaryWith("wasm", batches));
  }
  const summary = await summaryWith("native", mixed);
  assert.deepStrictEqual(summary.range, { startNs: -3n, endNs: 9n });
  const nested = (await summaryWith("native", [every])).stats.find((s) => s.column === "header.stamp.sec");
  assert.deepStrictEqual(nested, {
    column: "header.stamp.sec",
    kind: "numeric",
    min: -5,
    max: 2 ** 62,
    hasNull: true,
    hasNan: false,
  });
});

Deno.test("native codec: the same writer settings as parquet-wasm (codec, dictionaries, encodings, row groups)", async () => {
  const pq = await loadParquetWasm();
  for (const format of SERIALIZATION_FORMATS) {
    const { file } = await encodeNative([received(everyTypeBatch())], format);
    const meta = (await pq.ParquetFile.fromFile(new Blob([file.slice()]))).metadata();
    const chunks = meta.rowGroup(0).columns();
    const codec = format === "default" ? pq.Compression.SNAPPY : pq.Compression.ZSTD;
    assert.ok(chunks.every((c) => c.compression() === codec), format);
    const dictionary = chunks.some((c) => c.encodings().includes(pq.Encoding.RLE_DICTIONARY));
    assert.equal(dictionary, format === "default", format);
    // Column for column the encodings parquet-wasm uses (an all-null column aside: it keeps a dictionary).
    const wasm = (await pq.ParquetFile.fromFile(
      new Blob([(await encodeParquetChunk([everyTypeBatch()], format)).slice()]),
    ))
      .metadata().rowGroup(0).columns();
    const encodings = (list: typeof chunks) =>
      list.filter((c) => !c.columnPath().includes("always_null")).map((c) =>
        `${c.columnPath().join(".")}: ${[...c.encodings()].sort()}`
      );
    assert.deepStrictEqual(encodings(chunks), encodings(wasm), format);
  }
  // Row groups end at the Arrow bytes asked for, and their bytes come out before the file ends.
  const batches = Array.from({ length: 40 }, (_, i) => received(rowsAt(span(i * 1000, (i + 1) * 1000))));
  const { pieces, file } = await encodeNative(batches, "default", 64 * 1024);
  const reader = NativeParquetReader.open(file);
  assert.ok(reader.rowGroups >= 8, `row groups: ${reader.rowGroups}`);
  assert.equal(reader.rows, 40_000);
  reader.close();
  assert.ok(pieces.length >= reader.rowGroups, `pieces: ${pieces.length}`);
  assert.deepStrictEqual(
    (await Array.fromAsync(decodeParquetChunk(file))).flatMap((b) => [...b.getChild("timestamp_ns")!]),
    span(0, 40_000),
  );
});

/** Binary values, `n` of `bytes` each, from `fill` (called per value). */
function binaryColumn(n: number, bytes: number, fill: (value: Uint8Array, i: number) => void) {
  const values = new Uint8Array(n * bytes);
  for (let i = 0; i < n; i++) fill(values.subarray(i * bytes, (i + 1) * bytes), i);
  const valueOffsets = Int32Array.from({ length: n + 1 }, (_, i) => i * bytes);
  return makeData({ type: new Binary(), length: n, valueOffsets, data: values });
}

Deno.test("both codecs: binary columns whose values do not compress are stored uncompressed, the rest with the format's codec", async () => {
  const pq = await loadParquetWasm();
  const n = 8;
  const random = (v: Uint8Array) => {
    for (let o = 0; o < v.length; o += 65_536) crypto.getRandomValues(v.subarray(o, o + 65_536));
  };
  const text = utf8Repeat("frame_id=camera_front; encoding=rgb8; ");
  const fields = [
    new Field("timestamp_ns", new Int64(), false),
    new Field("frame", new Binary(), false), // PNG-like: 8 x 100 KB of random bytes
    new Field("log", new Binary(), false), // 8 x 100 KB of repeated text
    new Field("tag", new Binary(), false), // random, but only 8 KB in all: left to the codec
  ];
  const children = [
    makeData({ type: new Int64(), length: n, data: BigInt64Array.from(span(0, n)) }),
    binaryColumn(n, 100_000, random),
    binaryColumn(n, 100_000, (v) => v.set(text.subarray(0, v.length))),
    binaryColumn(n, 1000, random),
  ];
  const batch = new RecordBatch(
    new Schema(fields),
    makeData({ type: new Struct(fields), length: n, children }),
  );
  for (const format of SERIALIZATION_FORMATS) {
    const codec = format === "default" ? pq.Compression.SNAPPY : pq.Compression.ZSTD;
    const files = {
      "native stream": (await encodeNative([received(batch)], format)).file,
      "wasm stream": concat(
        ...await Array.fromAsync(
          encodeParquetStream(batch.schema, each([batch]), { format, rowGroupBytes: 1 << 20 }),
        ),
      ),
      "wasm whole": await encodeParquetChunk([batch], format),
    };
    for (const [writer, file] of Object.entries(files)) {
      const columns = (await pq.ParquetFile.fromFile(new Blob([file.slice()]))).metadata().rowGroup(0)
        .columns();
      const compression = Object.fromEntries(columns.map((c) => [c.columnPath().join("."), c.compression()]));
      assert.deepStrictEqual(compression, {
        timestamp_ns: codec,
        frame: pq.Compression.UNCOMPRESSED,
        log: codec,
        tag: codec,
      }, `${format}, ${writer}`);
      const back = await Array.fromAsync(decodeParquetChunk(file));
      for (const name of ["frame", "log", "tag"]) {
        assert.deepStrictEqual(
          back.flatMap((b) => [...b.getChild(name)!]),
          [...batch.getChild(name)!],
          `${format}, ${writer}: ${name}`,
        );
      }
    }
  }
});

function utf8Repeat(text: string): Uint8Array {
  return new TextEncoder().encode(text.repeat(Math.ceil(100_000 / text.length)));
}

Deno.test("native codec: a batch that is not valid data of the schema is InvalidArgumentError, the writer reusable", () => {
  const schema = new Schema([
    new Field("timestamp_ns", new Int64(), false),
    new Field("name", new Utf8(), false),
  ]);
  const good = received(
    batchOf({ timestamp_ns: vec(new Int64(), [1n, 2n]), name: vec(new Utf8(), ["a", "b"]) }),
  );
  const settings = writerSettings("default", { bytesPerRow: 16 });
  const writer = new NativeParquetWriter(encodeEncapsulatedSchema(schema), settings);
  try {
    // Invalid UTF-8 in a string value; then offsets pointing past the data; then a body too short.
    const badUtf8 = good.body.slice();
    badUtf8[badUtf8.length - 8] = 0xff; // the values buffer ("ab") sits last, 8-byte padded
    const badOffsets = good.body.slice();
    new DataView(badOffsets.buffer).setInt32(16 + 8, 1 << 20, true);
    for (const body of [badUtf8, badOffsets, good.body.subarray(0, 8)]) {
      assert.throws(() => writer.write(good.header, body), InvalidArgumentError);
    }
    assert.throws(() => writer.write(Uint8Array.of(1, 2, 3), good.body), InvalidArgumentError);
    const file = concat(writer.write(good.header, good.body) ?? new Uint8Array(0), writer.finish());
    assert.equal(readNative(file).reduce((n, b) => n + b.numRows, 0), 2);
  } finally {
    writer.free();
  }
  assert.throws(
    () => new NativeParquetWriter(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 4, 0, 0, 0, 1, 2, 3, 4), settings),
    InvalidArgumentError,
  );
});

Deno.test("native codec: a null a valid parent shows in a non-nullable child is refused; one it hides is kept", async () => {
  const child = vec(new Int64(), [1n, null, 3n]);
  const inner = new Field("sec", new Int64(), false);
  const batch = (valid: boolean[]) => {
    const nullBitmap = Uint8Array.of(valid.reduce((bits, v, i) => bits | (v ? 1 << i : 0), 0));
    const stamp = makeData({
      type: new Struct([inner]),
      length: 3,
      nullCount: valid.filter((v) => !v).length,
      nullBitmap,
      children: [child],
    });
    const fields = [new Field("timestamp_ns", new Int64(), false), new Field("stamp", stamp.type, true)];
    const ts = vec(new Int64(), [1n, 2n, 3n]);
    return new RecordBatch(
      new Schema(fields),
      makeData({ type: new Struct(fields), length: 3, children: [ts, stamp] }),
    );
  };
  await assert.rejects(encodeNative([received(batch([true, true, true]))], "default"), {
    name: "InvalidArgumentError",
    message: /stamp\.sec' is declared non-nullable but contains nulls/,
  });
  const hidden = batch([true, false, true]);
  const out = await Array.fromAsync(
    decodeParquetChunk((await encodeNative([received(hidden)], "default")).file),
  );
  assert.deepStrictEqual(rows(out), rows([hidden]));
});

Deno.test("native codec: unreadable files are InvalidArgumentError, a missing one DataLossError", async () => {
  const good = await encodeParquetChunk([rowsAt(span(0, 100))], "default");
  const garbled = good.slice();
  garbled.fill(0x5a, 4, garbled.length - 4);
  for (const bytes of [Uint8Array.of(1, 2, 3), garbled, good.subarray(0, good.length - 20)]) {
    assert.throws(() => readNative(bytes), InvalidArgumentError);
  }
  const dir = await Deno.makeTempDir();
  try {
    assert.throws(() => NativeParquetReader.open({ path: `${dir}/gone.parquet` }), DataLossError);
    await assert.rejects(NativeRowGroupStream.open({ path: `${dir}/gone.parquet` }, { batchBytes: 1024 }), {
      name: "DataLossError",
      message: /its file is missing/,
    });
    await Deno.writeFile(`${dir}/good.parquet`, good);
    assert.deepStrictEqual(
      readNative({ path: `${dir}/good.parquet` }).flatMap((b) => [...b.getChild("timestamp_ns")!]),
      span(0, 100),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("native codec: the pools encode and stream-read with it, in their workers", async () => {
  await using encoder = new EncoderPool({ size: 1, codec: "native" });
  await using decoder = new ParquetPool({ size: 1, codec: "native" });
  const ts = span(0, 20_000);
  const batches = [rowsAt(ts.slice(0, 10_000)), rowsAt(ts.slice(10_000))];
  const encoding = encoder.open({ schema: batches[0].schema, format: "default", rowGroupBytes: 64 * 1024 });
  for (const batch of batches) encoding.push(received(batch));
  encoding.end();
  const pieces: Uint8Array[] = [];
  for await (const piece of encoding.output) pieces.push(piece.slice());
  assert.equal(encoding.summary().rows, 20_000);
  const file = concat(...pieces);
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/c.parquet`, file);
    for (const source of [{ path: `${dir}/c.parquet` }, file.slice()]) {
      const stream = await decoder.openStream(source, { batchBytes: 16 * 1024 });
      assert.equal(stream.sorted, true);
      const ipc: Uint8Array[] = [];
      for (let done = false; !done;) {
        const step = await stream.next(1);
        ipc.push(...step.batches);
        done = step.done;
      }
      await stream.close();
      assert.ok(ipc.length > 10, `batches: ${ipc.length}`);
      const got = [...batchesFromIpc({ schema: stream.schema, batches: ipc })];
      assert.deepStrictEqual(got.flatMap((b) => [...b.getChild("timestamp_ns")!]), ts);
      assert.deepStrictEqual(rows(got), rows(batches));
    }
    // Out of order across row groups: told, so the reader can sort.
    const late = [...span(5000, 10_000), ...span(0, 5000)];
    const unsorted = await encodeNative([received(rowsAt(late))], "default", 16 * 1024);
    const stream = await decoder.openStream(unsorted.file, { batchBytes: 1 << 20 });
    assert.equal(stream.sorted, false);
    await stream.close();
    await assert.rejects(decoder.openStream(Uint8Array.of(1, 2, 3), { batchBytes: 1024 }), DataLossError);
    // A chunk with fixed-size lists (null entries included) reads back exactly all the same.
    const every = [everyTypeBatch(), everyTypeBatch().slice(2)];
    const withLists = await decoder.openStream((await encodeNative(every.map(received), "default")).file, {
      batchBytes: 1 << 20,
    });
    const ipc = (await withLists.next(Infinity)).batches;
    await withLists.close();
    assert.deepStrictEqual(
      rows([...batchesFromIpc({ schema: withLists.schema, batches: ipc })]),
      rows(every),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("codec auto: native where its library loads, else parquet-wasm, saying why when one is there", async () => {
  const built = await buildNative({ quiet: true });
  const dir = await Deno.makeTempDir({ prefix: "mosaicod-codec-" });
  const before = Deno.env.get("MOSAICOD_PARQUET_NATIVE_LIB");
  try {
    const resolved = resolveParquetCodec("auto");
    assert.equal(resolved.codec, "native");
    assert.match(resolved.version, /^Arrow C\+\+ \d+\.\d+\.\d+ \(native\)$/);
    assert.equal(resolved.fallback, null);
    assert.deepEqual(resolveParquetCodec("wasm"), { codec: "wasm", version: "parquet-wasm", fallback: null });

    // Not built: parquet-wasm, nothing to report; `native` itself refuses.
    Deno.env.set("MOSAICOD_PARQUET_NATIVE_LIB", `${dir}/missing.so`);
    assert.deepEqual(resolveParquetCodec("auto"), { codec: "wasm", version: "parquet-wasm", fallback: null });
    assert.throws(() => resolveParquetCodec("native"), /Cannot load the native Parquet codec/);

    // There but unloadable: parquet-wasm, and the loader's reason.
    await Deno.writeTextFile(`${dir}/broken.so`, "not a shared library");
    Deno.env.set("MOSAICOD_PARQUET_NATIVE_LIB", `${dir}/broken.so`);
    const broken = resolveParquetCodec("auto");
    assert.equal(broken.codec, "wasm");
    assert.match(broken.fallback ?? "", /broken\.so/);

    // A daemon with it serves, on parquet-wasm, after one warning.
    await using daemon = await startDaemon({ env: { MOSAICOD_PARQUET_NATIVE_LIB: `${dir}/broken.so` } });
    assert.equal(daemon.logs.find((l) => l.msg === "listening")?.parquet, "parquet-wasm");
    const warning = daemon.logs.find((l) => l.level === "warn" && /native Parquet codec/.test(String(l.msg)));
    assert.match(String(warning?.reason), /broken\.so/);
    assert.ok(built.endsWith(".so"));
  } finally {
    if (before === undefined) Deno.env.delete("MOSAICOD_PARQUET_NATIVE_LIB");
    else Deno.env.set("MOSAICOD_PARQUET_NATIVE_LIB", before);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("native codec: a daemon whose library cannot load stops at start, saying how to build it", async () => {
  await assert.rejects(
    startDaemon({
      args: ["--parquet-codec", "native"],
      env: { MOSAICOD_PARQUET_NATIVE_LIB: "/nonexistent/libmosaicod_parquet.so" },
    }),
    /Cannot load the native Parquet codec from \/nonexistent\/libmosaicod_parquet\.so: build it with `deno task build:native`/,
  );
});
