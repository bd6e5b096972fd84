/**
 * `TopicUpload` with rows whose work is still running: batches leave in row order once their rows are
 * ready, the reader is not held for them, and a failed row's error reaches the caller.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Field, Int32, type RecordBatch, Schema } from "apache-arrow";
import { TopicUpload } from "./upload.ts";

const schema = new Schema([new Field("n", new Int32(), true)]);

function collector() {
  const batches: number[][] = [];
  const put = async (source: AsyncIterable<RecordBatch>) => {
    for await (const b of source) batches.push(b.toArray().map((r) => r.n));
  };
  return { batches, put };
}

Deno.test("upload: rows with pending work leave in order; the reader waits for one batch at most", async () => {
  const { batches, put } = collector();
  const upload = new TopicUpload(schema, put, { batchBytes: 1 << 20, batchRows: 2 });
  const gates = [0, 1, 2, 3, 4].map(() => Promise.withResolvers<void>());
  const rows = gates.map(() => ({ n: -1 }));
  // Each row's value arrives when its gate opens, as a PNG cell does.
  const add = (n: number) => {
    gates[n].promise.then(() => void (rows[n].n = n));
    return upload.add(rows[n], 1, gates[n].promise.then(() => {}));
  };
  await add(0);
  await add(1); // a full batch, handed over although none of its rows is ready
  await add(2);
  let third = false;
  const full = add(3).then(() => third = true); // the second full batch waits for the first
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(third, false);
  for (const n of [3, 2, 1, 0]) gates[n].resolve(); // the second batch is ready first
  await full;
  await add(4);
  gates[4].resolve();
  assert.equal(await upload.finish(), null);
  assert.deepEqual(batches, [[0, 1], [2, 3], [4]]);
  assert.equal(upload.rowsSent, 5);
});

Deno.test("upload: a row whose work failed fails the upload", async () => {
  const { put } = collector();
  const upload = new TopicUpload(schema, put, { batchBytes: 1 << 20, batchRows: 1 });
  await upload.add({ n: 1 }, 1, Promise.reject(new Error("deflate broke")));
  await assert.rejects(upload.add({ n: 2 }, 1), /deflate broke/);
  const err = await upload.finish();
  assert.match(String(err), /deflate broke/);
});
