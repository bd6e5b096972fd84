/**
 * The ingest pipeline across threads: `EncoderPool` (Parquet encoding in worker threads, batches handed
 * over as their IPC messages) under the chunk writer, against the inline encoder: the same bytes and
 * statistics, chunks and rows in order, buffers transferred rather than copied, reading held back while
 * the store does not keep up, and a dying worker failing its upload only.
 */
import assert from "node:assert/strict";
import {
  Field,
  Float64,
  Int64,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Utf8,
  vectorFromArray,
} from "apache-arrow";
import { type ChunkEncoder, InlineEncoder } from "../src/arrow/chunk_encoder.ts";
import { messageOf, receivedFrom } from "../src/arrow/received_batch.ts";
import { EncoderPool } from "../src/arrow/encoder_pool.ts";
import { BufferRecycler } from "../src/buffer_recycler.ts";
import { decodeParquetChunk } from "../src/arrow/parquet.ts";
import { InvalidArgumentError } from "../src/errors.ts";
import { type InputBatch, writeChunks } from "../src/ingest/mod.ts";
import { silentLogger } from "../src/log.ts";
import type { NewChunk, Topic } from "../src/model/types.ts";
import { FsStore } from "../src/store/fs_store.ts";
import type { ObjectStore } from "../src/store/store.ts";

const SCHEMA = new Schema([
  new Field("timestamp_ns", new Int64(), false),
  new Field("x", new Float64(), true),
  new Field("frame", new Utf8(), true),
]);

const TOPIC: Topic = {
  id: 1,
  uuid: "00000000-0000-4000-8000-000000000002",
  sequenceId: 1,
  sequenceName: "run",
  sequenceUuid: "00000000-0000-4000-8000-000000000001",
  sessionId: 1,
  sessionUuid: "00000000-0000-4000-8000-000000000003",
  name: "run/front/imu",
  locked: false,
  userMetadata: {},
  serializationFormat: "default",
  ontologyTag: "imu",
  createdNs: 0n,
  createdMs: 0,
  completedNs: null,
  schemaKey: null,
};

/** Rows `base..base+rows-1`: increasing timestamps, varied floats (some null) and strings. */
function makeBatch(base: number, rows: number): RecordBatch {
  const columns = [
    vectorFromArray(Array.from({ length: rows }, (_, i) => BigInt(base + i) * 1000n), new Int64()),
    vectorFromArray(
      Array.from({ length: rows }, (_, i) => (i % 97 === 5 ? null : Math.sin(base + i))),
      new Float64(),
    ),
    vectorFromArray(Array.from({ length: rows }, (_, i) => `f${(base + i) % 13}`), new Utf8()),
  ];
  const children = columns.map((v) => v.data[0]);
  return new RecordBatch(
    SCHEMA,
    makeData({ type: new Struct(SCHEMA.fields), length: rows, nullCount: 0, children }),
  );
}

/** A batch as the transport hands it over: its IPC message alone in a buffer of its own. */
function received(batch: RecordBatch) {
  return receivedFrom(SCHEMA, messageOf(batch));
}

const BATCH_ROWS = 20_000;

interface Written {
  chunks: NewChunk[];
  objects: Uint8Array[];
}

async function withStore<T>(fn: (store: FsStore) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "mosaicod-encoder-pool-" });
  try {
    await using store = await FsStore.open(dir, { log: silentLogger() });
    return await fn(store);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function write(
  store: ObjectStore,
  items: AsyncIterable<InputBatch>,
  opts: { encoder: ChunkEncoder; chunkTargetBytes: number; rowGroupBytes: number; maxBytesInFlight?: number },
): Promise<Written> {
  const chunks = await writeChunks(items, {
    store,
    topic: TOPIC,
    schema: SCHEMA,
    chunkSchema: SCHEMA,
    signal: new AbortController().signal,
    written: [],
    ...opts,
  });
  return { chunks, objects: await Promise.all(chunks.map((c) => store.get(c.key))) };
}

async function* each<T>(items: Iterable<T>): AsyncGenerator<T> {
  for (const item of items) yield item;
}

const strip = ({ index, rowCount, startNs, endNs, stats, sizeBytes }: NewChunk) => ({
  index,
  rowCount,
  startNs,
  endNs,
  stats,
  sizeBytes,
});

Deno.test("an EncoderPool writes the inline encoder's bytes and statistics, chunks and rows in order", async () => {
  const count = 12;
  const sizes = { chunkTargetBytes: 1024 * 1024, rowGroupBytes: 256 * 1024 };
  const batches = () =>
    Array.from({ length: count }, (_, i) => received(makeBatch(i * BATCH_ROWS, BATCH_ROWS)));
  await withStore(async (store) => {
    // The same batches: decoded only (encoded into a new message on this thread), then as received.
    const inline = await write(store, each(batches().map((b) => b.batch)), {
      encoder: new InlineEncoder(),
      ...sizes,
    });
    assert.ok(inline.chunks.length >= 3, `${inline.chunks.length} chunks`);
    // One worker: each chunk waits for the previous one's writer. Two: chunks alternate between them.
    for (const size of [1, 2]) {
      await using pool = new EncoderPool({ size });
      const pooled = await write(store, each(batches()), { encoder: pool, ...sizes });
      assert.equal(pool.workers, size);
      assert.deepEqual(pooled.chunks.map(strip), inline.chunks.map(strip));
      pooled.objects.forEach((bytes, i) => assert.deepEqual(bytes, inline.objects[i], `chunk ${i}`));
    }
    // Every row once, in the order sent, across chunks.
    let next = 0n;
    for (const bytes of inline.objects) {
      for await (const batch of decodeParquetChunk(bytes)) {
        for (const ts of batch.getChild("timestamp_ns")!.toArray() as BigInt64Array) {
          assert.equal(ts, next * 1000n);
          next++;
        }
      }
    }
    assert.equal(next, BigInt(count * BATCH_ROWS));
  });
});

Deno.test("a received batch's buffer is transferred to the worker, a decoded batch's is not", async () => {
  await using pool = new EncoderPool({ size: 1 });
  const encoding = pool.open({ schema: SCHEMA, format: "default", rowGroupBytes: 1024 * 1024 });
  const moved = received(makeBatch(0, BATCH_ROWS));
  const kept = makeBatch(BATCH_ROWS, BATCH_ROWS);
  const keptBytes = kept.data.children[0].values.byteLength;
  encoding.push(moved);
  encoding.push(kept);
  encoding.end();
  assert.equal(moved.body.buffer.byteLength, 0, "detached: transferred, not copied");
  assert.equal(kept.data.children[0].values.byteLength, keptBytes);
  let size = 0;
  for await (const bytes of encoding.output) size += bytes.length;
  assert.ok(size > 0);
  assert.equal(encoding.summary().rows, 2 * BATCH_ROWS);
});

Deno.test("the buffers of received batches come back from the workers for the next messages", async () => {
  const sizes = { chunkTargetBytes: 1024 * 1024, rowGroupBytes: 256 * 1024 };
  const batches = () => Array.from({ length: 8 }, (_, i) => received(makeBatch(i * BATCH_ROWS, BATCH_ROWS)));
  await withStore(async (store) => {
    const inline = await write(store, each(batches().map((b) => b.batch)), {
      encoder: new InlineEncoder(),
      ...sizes,
    });
    const recycler = new BufferRecycler({ maxBuffers: 16, maxBytes: 64 * 1024 * 1024, idleMs: 60_000 });
    try {
      await using pool = new EncoderPool({ size: 2, recycler });
      const sent = batches();
      const bufferBytes = sent[0].body.buffer.byteLength;
      const totalBytes = sent.reduce((n, b) => n + b.body.buffer.byteLength, 0);
      const pooled = await write(store, each(sent), { encoder: pool, ...sizes });
      pooled.objects.forEach((bytes, i) => assert.deepEqual(bytes, inline.objects[i], `chunk ${i}`));
      // Every batch's buffer is back (each consumed before its chunk ended), ready for a message as large.
      assert.equal(recycler.keptBytes, totalBytes);
      const again = recycler.take(bufferBytes);
      assert.ok(again.byteLength >= bufferBytes && again.byteLength < 2 * bufferBytes);
      assert.equal(recycler.reused, 1);
    } finally {
      recycler.clear();
    }
  });
});

Deno.test("a message read into a recycled buffer larger than itself is moved, another one's is copied", () => {
  const recycler = new BufferRecycler({ idleMs: 60_000 });
  try {
    const message = received(makeBatch(0, BATCH_ROWS));
    const at = message.body.byteOffset - message.header.byteOffset;
    const place = (buffer: ArrayBuffer) => {
      const view = new Uint8Array(buffer);
      view.fill(0x77); // old bytes around the message, as a reused buffer has
      view.set(
        new Uint8Array(message.header.buffer, message.header.byteOffset, at + message.body.length),
        16,
      );
      return receivedFrom(SCHEMA, {
        header: view.subarray(16, 16 + message.header.length),
        body: view.subarray(16 + at, 16 + at + message.body.length),
      });
    };
    const size = 16 + at + message.body.length + 100_000;
    const taken = recycler.take(size);
    assert.ok(taken.byteLength - size < 64 * 1024);
    const fromRecycler = place(taken);
    assert.equal(messageOf(fromRecycler).body, fromRecycler.body, "moved as it is");
    const shared = place(new ArrayBuffer(size));
    const copied = messageOf(shared);
    assert.notEqual(copied.body.buffer, shared.body.buffer, "a buffer with other bytes is not handed over");
    assert.deepEqual(copied.body, shared.body);
  } finally {
    recycler.clear();
  }
});

Deno.test("a batch the worker's writer rejects fails the chunk with InvalidArgumentError", async () => {
  await using pool = new EncoderPool({ size: 1 });
  const frame = makeData({
    type: new Utf8(),
    length: 1,
    valueOffsets: new Int32Array([0, 2]),
    data: new Uint8Array([0xff, 0xfe]),
  });
  const good = makeBatch(0, 1);
  const children = [good.data.children[0], good.data.children[1], frame];
  const bad = new RecordBatch(
    SCHEMA,
    makeData({ type: new Struct(SCHEMA.fields), length: 1, nullCount: 0, children }),
  );
  const encoding = pool.open({ schema: SCHEMA, format: "default", rowGroupBytes: 1024 * 1024 });
  encoding.push(received(bad));
  encoding.end();
  await assert.rejects(async () => {
    for await (const _ of encoding.output) { /* drain */ }
  }, InvalidArgumentError);
});

/** Holds every `put` of `inner` until `open()` is called; counts nothing, changes nothing else. */
class GatedStore {
  readonly #gate = Promise.withResolvers<void>();
  constructor(readonly inner: ObjectStore) {}
  open(): void {
    this.#gate.resolve();
  }
  asStore(): ObjectStore {
    const put: ObjectStore["put"] = async (key, data, opts) => {
      await this.#gate.promise;
      return this.inner.put(key, data, opts);
    };
    return Object.assign(Object.create(this.inner), { put, get: this.inner.get.bind(this.inner) });
  }
}

Deno.test("reading stops at the bytes-in-flight cap while the store takes nothing, then resumes", async () => {
  const count = 64;
  const batches = Array.from({ length: count }, (_, i) => makeBatch(i * BATCH_ROWS, BATCH_ROWS));
  const batchBytes = batches[0].data.byteLength;
  await withStore(async (fs) => {
    const gated = new GatedStore(fs);
    let read = 0;
    const source = async function* () {
      for (const batch of batches) {
        read++;
        yield received(batch);
      }
    };
    await using pool = new EncoderPool({ size: 1 });
    const cap = 4 * batchBytes;
    const done = write(gated.asStore(), source(), {
      encoder: pool,
      chunkTargetBytes: 1024 ** 3,
      rowGroupBytes: 2 * batchBytes,
      maxBytesInFlight: cap,
    });
    // Wait until reading has stopped for a while.
    for (let last = -1; last !== read;) {
      last = read;
      await new Promise((r) => setTimeout(r, 300));
    }
    // The cap and one batch beyond it (5), the row group the writer fills (2), and the input of two row
    // groups of output sent and not taken (about 9 batches, this data compressing to ~45%): about 16.
    // Without the bounds every batch would have been read.
    assert.ok(read <= 24, `read ${read} of ${count} batches`);
    gated.open();
    const { chunks } = await done;
    assert.equal(read, count);
    assert.equal(chunks.reduce((n, c) => n + c.rowCount, 0), count * BATCH_ROWS);
  });
});

Deno.test("a dying encoder worker fails its upload only; the pool replaces it and the process goes on", async () => {
  const dying = new URL("./fixtures/dying_encoder_worker.ts", import.meta.url);
  await withStore(async (store) => {
    await using pool = new EncoderPool({ size: 1, workerUrl: dying });
    const upload = () =>
      write(store, each([received(makeBatch(0, BATCH_ROWS)), received(makeBatch(BATCH_ROWS, BATCH_ROWS))]), {
        encoder: pool,
        chunkTargetBytes: 1024 ** 2,
        rowGroupBytes: 256 * 1024,
      });
    for (let attempt = 0; attempt < 2; attempt++) {
      await assert.rejects(upload, /the Parquet encoder worker failed/);
      assert.equal(pool.workers, 0, "the dead worker is gone; the next chunk starts a new one");
    }
    const objects = [];
    for await (const o of store.list("")) objects.push(o.key);
    assert.deepEqual(objects, [], "no object of the failed uploads");
    await using good = new EncoderPool({ size: 1 });
    const { chunks } = await write(store, each([received(makeBatch(0, BATCH_ROWS))]), {
      encoder: good,
      chunkTargetBytes: 1024 ** 2,
      rowGroupBytes: 256 * 1024,
    });
    assert.equal(chunks[0].rowCount, BATCH_ROWS);
  });
});
