import assert from "node:assert/strict";
import { RecordBatch } from "apache-arrow";
import { ParquetPool } from "../arrow/parquet_pool.ts";
import { parquetInRowGroups, ROWS_SCHEMA, rowsAt } from "../arrow/_test_parquet.ts";
import { decodeRecordBatch } from "../arrow/ipc.ts";
import { silentLogger } from "../log.ts";
import type { Chunk, TimeRange, Topic } from "../model/types.ts";
import { FsStore } from "../store/fs_store.ts";
import { ChunkLoader, type ReadPiece } from "./_chunk_loader.ts";

const span = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => BigInt(from + i));

/** One stored chunk of the given rows, in 64 KiB row groups, in a fresh store; and a loader over it. */
async function loaderOver(timestamps: bigint[], opts: { range: TimeRange | null; readAheadBytes: number }) {
  const dir = await Deno.makeTempDir({ prefix: "mosaicod-loader-" });
  const store = await FsStore.open(dir, { log: silentLogger() });
  const pool = new ParquetPool({ size: 1 });
  const bytes = await parquetInRowGroups([rowsAt(timestamps)], 64 * 1024);
  await store.put("c0.parquet", bytes);
  const chunk: Chunk = {
    id: 1,
    uuid: crypto.randomUUID(),
    topicId: 1,
    index: 0,
    key: "c0.parquet",
    sizeBytes: bytes.length,
    rowCount: timestamps.length,
    startNs: timestamps.reduce((a, b) => (b < a ? b : a)),
    endNs: timestamps.reduce((a, b) => (b > a ? b : a)),
    stats: [],
  };
  const loader = new ChunkLoader(store, [chunk], {
    decoder: pool,
    topic: { name: "s/t" } as Topic,
    schema: ROWS_SCHEMA,
    range: opts.range,
    signal: new AbortController().signal,
    targetBytes: 16 * 1024,
    readAheadBytes: opts.readAheadBytes,
    merged: new Set(),
  });
  return {
    loader,
    async [Symbol.asyncDispose]() {
      await loader.close();
      await pool[Symbol.asyncDispose]();
      await store[Symbol.asyncDispose]();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

const timestampsOf = (pieces: ReadPiece[]) =>
  pieces.flatMap((p) => {
    const batch = p.kind === "batch" ? p.batch : decodeRecordBatch(ROWS_SCHEMA, p.batch.header, p.batch.body);
    return [...batch.getChild("timestamp_ns")!] as bigint[];
  });

Deno.test("ChunkLoader streams a sorted chunk holding at most its read-ahead window of decoded bytes", async () => {
  const window = 64 * 1024;
  const ts = span(0, 60_000); // ~1.7 MB of Arrow data
  await using fx = await loaderOver(ts, { range: null, readAheadBytes: window });
  const pieces: ReadPiece[] = [];
  for await (const piece of fx.loader.pieces(0)) {
    pieces.push(piece);
    await new Promise((r) => setTimeout(r, 2)); // a slow consumer: the worker would otherwise race ahead
  }
  assert.deepStrictEqual(timestampsOf(pieces), ts);
  // Nothing decoded again here: the worker's IPC messages are passed on.
  assert.ok(pieces.every((p) => p.kind === "ipc"));
  // The window, plus one step of the worker (a batch of 16 KiB, cut at 1.25× that).
  const bound = window + 2 * 16 * 1024 * 1.25;
  assert.ok(fx.loader.held.peak <= bound, `held ${fx.loader.held.peak} > ${bound}`);
  assert.ok(fx.loader.held.peak >= window / 2, `no read-ahead: peak ${fx.loader.held.peak}`);
  assert.equal(fx.loader.held.now, 0);
});

Deno.test("ChunkLoader decodes and cuts a chunk the range cuts, and stops past its end", async () => {
  const ts = span(0, 60_000);
  await using fx = await loaderOver(ts, {
    range: { startNs: 10_000n, endNs: 20_000n },
    readAheadBytes: 32 * 1024,
  });
  const pieces = await Array.fromAsync(fx.loader.pieces(0));
  assert.ok(pieces.every((p) => p.kind === "batch" && p.batch instanceof RecordBatch));
  assert.deepStrictEqual(timestampsOf(pieces), span(10_000, 20_001));
});

Deno.test("ChunkLoader sorts a streamed chunk whose rows are out of order", async () => {
  const ts = span(0, 20_000).map((v) => (v * 7919n) % 20_000n);
  await using fx = await loaderOver(ts, { range: null, readAheadBytes: 32 * 1024 });
  const pieces = await Array.fromAsync(fx.loader.pieces(0));
  assert.ok(pieces.every((p) => p.kind === "batch"));
  assert.deepStrictEqual(timestampsOf(pieces), span(0, 20_000));
});

for (const codec of ["wasm", "native"] as const) {
  Deno.test(`ChunkLoader holds one read-ahead window across many small chunks, whatever a slow client leaves (${codec})`, async () => {
    // 24 chunks of 4,000 rows (~110 KB of Arrow data each), a window of 256 KiB: more than a chunk. Each
    // chunk's read-ahead used to have a window of its own, and a chunk decoded whole started the next: a
    // client that stopped reading made the read hold every chunk (2.6 MB here).
    const dir = await Deno.makeTempDir({ prefix: "mosaicod-loader-" });
    await using store = await FsStore.open(dir, { log: silentLogger() });
    await using pool = new ParquetPool({ size: 1, codec });
    const chunks: Chunk[] = [];
    for (let k = 0; k < 24; k++) {
      const ts = span(k * 4000, (k + 1) * 4000);
      const bytes = await parquetInRowGroups([rowsAt(ts)], 1 << 20);
      await store.put(`c${k}.parquet`, bytes);
      chunks.push({
        id: k + 1,
        uuid: crypto.randomUUID(),
        topicId: 1,
        index: k,
        key: `c${k}.parquet`,
        sizeBytes: bytes.length,
        rowCount: ts.length,
        startNs: ts[0],
        endNs: ts[ts.length - 1],
        stats: [],
      });
    }
    const window = 256 * 1024;
    const loader = new ChunkLoader(store, chunks, {
      decoder: pool,
      topic: { name: "s/t" } as Topic,
      schema: ROWS_SCHEMA,
      range: null,
      signal: new AbortController().signal,
      targetBytes: 16 * 1024,
      readAheadBytes: window,
      merged: new Set(),
    });
    try {
      // A client that takes one batch, then stops reading for a while: the read must stop at its window.
      const first = loader.pieces(0);
      const head = await first.next();
      assert.ok(!head.done);
      const pieces: ReadPiece[] = [head.value];
      await new Promise((r) => setTimeout(r, 500));
      const step = 2 * 16 * 1024 * 1.25; // a step of the worker (a batch), one per chunk open at once
      assert.ok(loader.held.now <= window + step, `held ${loader.held.now} while the client waits`);
      // Then it reads everything, in order, within the same bound.
      for await (const p of first) pieces.push(p);
      for (let k = 1; k < chunks.length; k++) for await (const p of loader.pieces(k)) pieces.push(p);
      assert.deepStrictEqual(timestampsOf(pieces), span(0, 24 * 4000));
      assert.ok(loader.held.peak <= window + step, `held at most ${loader.held.peak}`);
      assert.equal(loader.held.now, 0);
    } finally {
      await loader.close();
      await Deno.remove(dir, { recursive: true });
    }
  });
}
