/**
 * The contract every `ObjectStore` keeps, run against each backend by `tests/store_test.ts`.
 * Each test gets a fresh, empty store from `makeStore` and disposes it.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { CancelledError, InvalidArgumentError, NotFoundError } from "../src/errors.ts";
import { compareKeys } from "../src/store/keys.ts";
import type { ObjectInfo, ObjectStore } from "../src/store/store.ts";

export interface ContractOptions {
  /**
   * Whether to race readers and writers on one key. Off only for test servers that overwrite objects
   * in place (s3rver does), where the race would test the server rather than the store.
   */
  concurrentOverwrite?: boolean;
}

const MiB = 1024 * 1024;

/** Keys every store must reject with InvalidArgumentError, before any I/O. */
export const INVALID_KEYS: readonly string[] = [
  "",
  "/a",
  "a/",
  "a//b",
  "..",
  "a/../b",
  ".",
  "a/./b",
  "a\\b",
  "a\0b",
  "a\nb",
  "a\x7fb",
  "x".repeat(1025),
];

/** Registers the contract tests for one backend. */
export function storeContract(
  name: string,
  makeStore: () => Promise<ObjectStore & AsyncDisposable>,
  opts: ContractOptions = {},
): void {
  const test = (title: string, fn: (store: ObjectStore) => Promise<void>) =>
    Deno.test(`${name}: ${title}`, async () => {
      await using store = await makeStore();
      await fn(store);
    });

  test("put() then get() returns the exact bytes, empty objects and odd keys included", async (store) => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    await store.put("a/b/all.bin", all);
    await store.put("empty", new Uint8Array(0));
    await store.put("with space/é日本🦕.bin", bytes(1000, 7));
    assert.deepEqual(await store.get("a/b/all.bin"), all);
    assert.deepEqual(await store.get("empty"), new Uint8Array(0));
    assert.deepEqual(await store.get("with space/é日本🦕.bin"), bytes(1000, 7));
    assert.deepEqual(await store.head("a/b/all.bin"), { key: "a/b/all.bin", sizeBytes: 256 });
    assert.deepEqual(await store.head("empty"), { key: "empty", sizeBytes: 0 });
  });

  test("a 20 MiB object round-trips, and ranges across part boundaries are exact", async (store) => {
    const big = bytes(20 * MiB + 13, 1);
    await store.put("big", big);
    assert.equal((await store.head("big"))?.sizeBytes, big.length);
    assert.ok(equalBytes(await store.get("big"), big), "20 MiB object differs");
    const cross = 8 * MiB - 100;
    assert.deepEqual(await store.getRange("big", cross, 300), big.subarray(cross, cross + 300));
    assert.deepEqual(await store.getRange("big", big.length - 5, 100), big.subarray(big.length - 5));
  });

  test("put() streams an AsyncIterable of uneven chunks, small or larger than a part", async (store) => {
    const big = bytes(17 * MiB + 5, 2);
    await store.put("streamed/big", chunked(big, 3 * MiB + 7));
    assert.ok(equalBytes(await store.get("streamed/big"), big), "streamed object differs");
    await store.put("streamed/small", chunked(bytes(10, 3), 3));
    assert.deepEqual(await store.get("streamed/small"), bytes(10, 3));
    await store.put("streamed/none", chunked(new Uint8Array(0), 1));
    assert.deepEqual(await store.head("streamed/none"), { key: "streamed/none", sizeBytes: 0 });
  });

  test("getRange() reads the middle and clamps at the end", async (store) => {
    const data = bytes(100, 4);
    await store.put("r", data);
    assert.deepEqual(await store.getRange("r", 10, 20), data.subarray(10, 30));
    assert.deepEqual(await store.getRange("r", 0, 1), data.subarray(0, 1));
    assert.deepEqual(await store.getRange("r", 90, 50), data.subarray(90));
    assert.deepEqual(await store.getRange("r", 100, 5), new Uint8Array(0));
    assert.deepEqual(await store.getRange("r", 500, 5), new Uint8Array(0));
    assert.deepEqual(await store.getRange("r", 10, 0), new Uint8Array(0));
    await assert.rejects(store.getRange("r", -1, 5), InvalidArgumentError);
    await assert.rejects(store.getRange("r", 0, 1.5), InvalidArgumentError);
  });

  test("a missing key: head() is null, get() and getRange() throw NotFoundError", async (store) => {
    await store.put("a/b", bytes(3, 0));
    assert.equal(await store.head("missing"), null);
    assert.equal(await store.head("a/b/c"), null);
    assert.equal(await store.head("a"), null);
    await assert.rejects(store.get("missing"), NotFoundError);
    await assert.rejects(store.get("a"), NotFoundError);
    await assert.rejects(store.get("a/b/c"), NotFoundError);
    await assert.rejects(store.getRange("missing", 0, 10), NotFoundError);
    await assert.rejects(store.getRange("missing", 0, 0), NotFoundError);
  });

  test("put() replaces an object: the new bytes and size win", async (store) => {
    await store.put("k", bytes(5000, 1));
    await store.put("k", bytes(10, 2));
    assert.deepEqual(await store.get("k"), bytes(10, 2));
    assert.deepEqual(await store.head("k"), { key: "k", sizeBytes: 10 });
    assert.deepEqual(await collect(store.list("")), [{ key: "k", sizeBytes: 10 }]);
  });

  if (opts.concurrentOverwrite ?? true) {
    test("readers racing overwrites see the whole old or whole new object, never a mix", async (store) => {
      const versions = [bytes(MiB, 1), bytes(MiB + 4096, 2), bytes(MiB / 2, 3)];
      await store.put("hot", versions[0]);
      let writing = true;
      const writer = (async () => {
        try {
          for (let i = 1; i <= 12; i++) await store.put("hot", versions[i % 3]);
        } finally {
          writing = false;
        }
      })();
      const reader = async () => {
        let reads = 0;
        while (writing || reads < 3) {
          const got = await store.get("hot");
          assert.ok(versions.some((v) => equalBytes(got, v)), `read ${got.length} mixed bytes`);
          reads++;
        }
      };
      await Promise.all([writer, reader(), reader()]);
    });

    test("concurrent put()s to one key leave exactly one of them", async (store) => {
      const versions = Array.from({ length: 6 }, (_, i) => bytes(256 * 1024 + i * 1000, i + 1));
      await Promise.all(versions.map((v, i) => store.put("same", i % 2 ? chunked(v, 10_000) : v)));
      const got = await store.get("same");
      assert.ok(versions.some((v) => equalBytes(got, v)), "object is a mix of concurrent puts");
      assert.deepEqual(await collect(store.list("")), [{ key: "same", sizeBytes: got.length }]);
    });
  }

  test("list() takes a path-segment prefix: 'a/b' holds a/b/x, not a/bc/x", async (store) => {
    for (const key of ["a/b/x", "a/b/y/z", "a/bc/x", "a-b", "a0", "b/c"]) {
      await store.put(key, bytes(key.length, 1));
    }
    const keys = async (p: string) => (await collect(store.list(p))).map((o) => o.key);
    assert.deepEqual(await keys("a/b"), ["a/b/x", "a/b/y/z"]);
    assert.deepEqual(await keys("a/b/"), ["a/b/x", "a/b/y/z"]);
    assert.deepEqual(await keys("a"), ["a/b/x", "a/b/y/z", "a/bc/x"]);
    assert.deepEqual(await keys("a0"), [], "an object is not a prefix of itself");
    assert.deepEqual(await keys("nope"), []);
    assert.deepEqual(await collect(store.list("")), [
      { key: "a-b", sizeBytes: 3 },
      { key: "a/b/x", sizeBytes: 5 },
      { key: "a/b/y/z", sizeBytes: 7 },
      { key: "a/bc/x", sizeBytes: 6 },
      { key: "a0", sizeBytes: 2 },
      { key: "b/c", sizeBytes: 3 },
    ]);
  });

  test("list() returns every key in sorted order, whatever the order of the puts", async (store) => {
    const keys = [];
    for (let i = 0; i < 23; i++) keys.push(`k${(i * 7) % 23}`, `d/${i % 3}/x${i}`);
    keys.push("m-", "m/a", "m0", "ma", "M", "m.", "m~");
    for (const key of keys) await store.put(key, bytes(1, 0));
    const listed = (await collect(store.list(""))).map((o) => o.key);
    assert.deepEqual(listed, [...keys].sort(compareKeys));
  });

  test("delete() removes one object and is idempotent", async (store) => {
    await store.put("d/a", bytes(1, 0));
    await store.put("d/b", bytes(1, 0));
    await store.delete("d/a");
    assert.equal(await store.head("d/a"), null);
    await store.delete("d/a");
    await store.delete("never/was");
    await store.delete("d"); // a prefix, not an object: nothing happens
    assert.deepEqual((await collect(store.list(""))).map((o) => o.key), ["d/b"]);
  });

  test("deletePrefix() removes everything under the prefix, counts it, and leaves siblings", async (store) => {
    for (const key of ["s/a/1", "s/a/2", "s/a/deep/3", "s/ab/1", "s/a-1", "t/1"]) {
      await store.put(key, bytes(2, 0));
    }
    assert.equal(await store.deletePrefix("s/a"), 3);
    assert.deepEqual((await collect(store.list(""))).map((o) => o.key), ["s/a-1", "s/ab/1", "t/1"]);
    assert.equal(await store.deletePrefix("s/a"), 0);
    assert.equal(await store.deletePrefix("nope/"), 0);
    await store.put("s/a/again", bytes(1, 0)); // the pruned folder can be written again
    assert.equal(await store.deletePrefix(""), 4);
    assert.deepEqual(await collect(store.list("")), []);
  });

  test("every invalid key or prefix is rejected with InvalidArgumentError before any I/O", async (store) => {
    for (const key of INVALID_KEYS) {
      const label = `key ${JSON.stringify(key)}`;
      let pulled = false;
      const source = async function* () {
        pulled = true;
        yield bytes(1, 0);
      };
      await assert.rejects(store.put(key, source()), InvalidArgumentError, label);
      assert.equal(pulled, false, `${label}: source read before validation`);
      await assert.rejects(store.put(key, bytes(1, 0)), InvalidArgumentError, label);
      await assert.rejects(store.get(key), InvalidArgumentError, label);
      await assert.rejects(store.getRange(key, 0, 1), InvalidArgumentError, label);
      await assert.rejects(store.head(key), InvalidArgumentError, label);
      await assert.rejects(store.delete(key), InvalidArgumentError, label);
      if (key !== "" && key !== "a/") {
        await assert.rejects(collect(store.list(key)), InvalidArgumentError, label);
        await assert.rejects(store.deletePrefix(key), InvalidArgumentError, label);
      }
    }
    assert.deepEqual(await collect(store.list("")), []);
  });

  test("an aborted put() leaves nothing visible, and an old object intact", async (store) => {
    const ac = new AbortController();
    ac.abort(new Error("client went away"));
    await assert.rejects(store.put("pre", bytes(10, 1), { signal: ac.signal }), CancelledError);

    await store.put("keep", bytes(100, 1));
    for (const key of ["mid", "keep"]) {
      const mid = new AbortController();
      const source = async function* () {
        yield bytes(5 * MiB, 2);
        yield bytes(5 * MiB, 3); // past the first 8 MiB part: a multipart upload on S3
        mid.abort(new Error("client went away"));
        yield bytes(MiB, 4);
      };
      await assert.rejects(store.put(key, source(), { signal: mid.signal }), CancelledError);
    }
    assert.equal(await store.head("pre"), null);
    assert.equal(await store.head("mid"), null);
    assert.deepEqual(await store.get("keep"), bytes(100, 1));
    assert.deepEqual((await collect(store.list(""))).map((o) => o.key), ["keep"]);
  });

  test("a put() whose source throws rejects with that error and leaves nothing", async (store) => {
    const failure = new Error("source broke");
    async function* source() {
      yield bytes(9 * MiB, 1);
      throw failure;
    }
    await assert.rejects(store.put("broken", source()), (err) => err === failure);
    assert.equal(await store.head("broken"), null);
    assert.deepEqual(await collect(store.list("")), []);
  });

  test("check() passes on a working store, and location names it without secrets", async (store) => {
    await store.check();
    assert.match(store.location, /^(file|s3):\/\//);
  });
}

/** `n` pseudo-random bytes, the same for the same `seed`: shifted, swapped or mixed data is caught. */
export function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let state = (seed * 0x9e3779b1 + 1) >>> 0;
  for (let i = 0; i < n; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state >>> 24;
  }
  return out;
}

/** Yields `data` in chunks of `size` bytes, each a fresh copy. */
export async function* chunked(data: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let off = 0; off < data.length; off += size) yield data.slice(off, off + size);
}

export async function collect(items: AsyncIterable<ObjectInfo>): Promise<ObjectInfo[]> {
  return await Array.fromAsync(items);
}

/** Byte equality without assert.deepEqual's per-element diffing (slow on MiBs). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}
