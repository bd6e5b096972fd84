import assert from "node:assert/strict";
import { DataLossError } from "../errors.ts";
import { recordBatchMessages } from "./ipc.ts";
import { batchesFromIpc, encodeParquetChunk } from "./parquet.ts";
import { type ChunkStream, ParquetPool } from "./parquet_pool.ts";
import { parquetInRowGroups, rowsAt } from "./_test_parquet.ts";

const span = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => BigInt(from + i));

/** Every batch of a stream, asking `stepBytes` at a time; also the batch count of each step. */
async function drain(stream: ChunkStream, stepBytes: number) {
  const ipc: Uint8Array[] = [];
  const steps: number[] = [];
  for (let done = false; !done;) {
    const step = await stream.next(stepBytes);
    ipc.push(...step.batches);
    steps.push(step.batches.length);
    done = step.done;
  }
  const timestamps = [...batchesFromIpc({ schema: stream.schema, batches: [...ipc] })]
    .flatMap((b) => [...b.getChild("timestamp_ns")!] as bigint[]);
  return { ipc, steps, timestamps };
}

Deno.test("ParquetPool.openStream() decodes row group by row group, a step at a time, in batches near the target", async () => {
  await using pool = new ParquetPool({ size: 1 });
  const ts = span(0, 40_000);
  const bytes = await parquetInRowGroups([rowsAt(ts)], 128 * 1024);
  const target = 32 * 1024;
  const stream = await pool.openStream(bytes, { batchBytes: target });
  assert.equal(stream.sorted, true);
  const { ipc, steps, timestamps } = await drain(stream, 1);
  await stream.close();
  assert.deepStrictEqual(timestamps, ts);
  // One wasm batch per step (cut in two at most), never the whole chunk at once.
  assert.ok(steps.length > 10 && steps.every((n) => n <= 2), `steps ${steps}`);
  const bodies = ipc.map((b) => recordBatchMessages(b)[0].body.length);
  assert.ok(bodies.every((n) => n <= target * 1.3), `batch bodies ${bodies}`);
  assert.ok(bodies.slice(0, -1).some((n) => n > target / 3), `batches needlessly small: ${bodies}`);
});

Deno.test("ParquetPool.openStream() tells a chunk out of timestamp order, within or across row groups", async () => {
  await using pool = new ParquetPool({ size: 1 });
  const shuffled = span(0, 3000).map((v) => (v * 7919n) % 3000n);
  const late = [...span(20_000, 30_000), ...span(0, 10_000)]; // each row group sorted, not the file
  for (const ts of [shuffled, late]) {
    const stream = await pool.openStream(await parquetInRowGroups([rowsAt(ts)], 64 * 1024), {
      batchBytes: 1 << 20,
    });
    assert.equal(stream.sorted, false);
    assert.deepStrictEqual((await drain(stream, Infinity)).timestamps, ts);
    await stream.close();
  }
});

Deno.test("ParquetPool: a worker with an open stream serves other requests between its steps", async () => {
  await using pool = new ParquetPool({ size: 1, idleMs: 50 });
  const big = await parquetInRowGroups([rowsAt(span(0, 20_000))], 64 * 1024);
  const stream = await pool.openStream(big, { batchBytes: 16 * 1024 });
  const first = await stream.next(1);
  assert.equal(first.done, false);
  // The only worker holds the stream, yet a whole decode runs on it meanwhile.
  const other = await pool.decode(await encodeParquetChunk([rowsAt(span(0, 5))], "default"));
  assert.equal(other[0].numRows, 5);
  await new Promise((r) => setTimeout(r, 120)); // longer than idleMs: not stopped with a stream open
  assert.equal(pool.workers, 1);
  const rest = await drain(stream, 1 << 20);
  assert.equal(rest.timestamps.at(-1), 19_999n);
  await stream.close();
  await stream.close(); // idempotent
  await assert.rejects(stream.next(1), /closed/);
});

Deno.test("ParquetPool.openStream() refuses unreadable bytes with DataLossError", async () => {
  await using pool = new ParquetPool({ size: 1 });
  const good = await encodeParquetChunk([rowsAt(span(0, 10))], "default");
  const garbage = good.slice();
  garbage.fill(0x5a, 4, garbage.length - 4);
  await assert.rejects(pool.openStream(garbage, { batchBytes: 1024 }), DataLossError);
  await assert.rejects(pool.openStream(Uint8Array.of(1, 2, 3), { batchBytes: 1024 }), DataLossError);
  const stream = await pool.openStream(good, { batchBytes: 1024 }); // and keeps answering
  assert.deepStrictEqual((await drain(stream, 1)).timestamps, span(0, 10));
  await stream.close();
});

/** `bytes` written to a new temporary file; its path. */
async function fileOf(bytes: Uint8Array): Promise<string> {
  const path = await Deno.makeTempFile({ suffix: ".parquet" });
  await Deno.writeFile(path, bytes);
  return path;
}

Deno.test("ParquetPool.openStream() of a local file reads it in the worker, the same rows as from its bytes", async () => {
  await using pool = new ParquetPool({ size: 1 });
  const ts = span(0, 30_000);
  const bytes = await parquetInRowGroups([rowsAt(ts)], 64 * 1024);
  const path = await fileOf(bytes);
  try {
    const fromFile = await pool.openStream({ path }, { batchBytes: 16 * 1024 });
    const fromBytes = await pool.openStream(bytes.slice(), { batchBytes: 16 * 1024 });
    assert.equal(fromFile.sorted, true);
    const a = await drain(fromFile, 1);
    const b = await drain(fromBytes, 1);
    assert.deepStrictEqual(a.timestamps, ts);
    assert.deepStrictEqual(a.ipc, b.ipc); // byte for byte the same batches
    // The file may go once open: the open descriptor keeps the version being read.
    const late = await pool.openStream({ path }, { batchBytes: 1 << 20 });
    await Deno.remove(path);
    assert.deepStrictEqual((await drain(late, 1)).timestamps, ts);
    await Promise.all([fromFile.close(), fromBytes.close(), late.close()]);
  } finally {
    await Deno.remove(path).catch(() => {});
  }
});

Deno.test("ParquetPool.openStream() of a missing, short or garbled file fails with DataLossError saying why", async () => {
  await using pool = new ParquetPool({ size: 1 });
  const good = await encodeParquetChunk([rowsAt(span(0, 10))], "default");
  const garbled = good.slice();
  garbled.fill(0x5a, 4, garbled.length - 4);
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(pool.openStream({ path: `${dir}/gone.parquet` }, { batchBytes: 1024 }), {
      name: "DataLossError",
      message: /its file is missing/,
    });
    await assert.rejects(pool.openStream({ path: dir }, { batchBytes: 1024 }), DataLossError); // a folder
    for (const [bytes, why] of [[Uint8Array.of(1, 2, 3), /without Parquet magic/], [garbled, /./]] as const) {
      const path = await fileOf(bytes);
      await assert.rejects(pool.openStream({ path }, { batchBytes: 1024 }), {
        name: "DataLossError",
        message: why,
      });
      await Deno.remove(path);
    }
    const path = await fileOf(good); // and the worker keeps answering
    const stream = await pool.openStream({ path }, { batchBytes: 1024 });
    assert.deepStrictEqual((await drain(stream, 1)).timestamps, span(0, 10));
    await stream.close();
    await Deno.remove(path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
