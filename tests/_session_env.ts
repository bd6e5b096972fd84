/**
 * A lifecycle environment for the session tests: a fresh PGlite catalog, an FsStore in a temp dir, a
 * clock that moves on every reading (nanoseconds with a sub-millisecond part), topic uploads through the
 * real ingest path, and a store wrapper that lets a test look at the catalog whenever an object is put.
 *
 * @module
 */
import { Int64 } from "apache-arrow";
import { batchOf, vec } from "../src/arrow/_test_batches.ts";
import type { Catalog } from "../src/catalog/catalog.ts";
import { ingestTopic, openUpload } from "../src/ingest/mod.ts";
import type { LifecycleDeps } from "../src/lifecycle/mod.ts";
import { silentLogger } from "../src/log.ts";
import type { Topic } from "../src/model/types.ts";
import { ParquetPool } from "../src/arrow/parquet_pool.ts";
import { createJobRunner, DEFAULT_RUNNER_SETTINGS } from "../src/ops/jobs/mod.ts";
import { FsStore } from "../src/store/fs_store.ts";
import type { ObjectStore } from "../src/store/store.ts";
import { freshPgliteCatalog } from "./_postgres.ts";

/** The clock starts here (ms); every reading moves it by 1 ms. */
export const BASE_MS = 1_765_000_000_000;
/** Added to every nanosecond reading, so that times are not whole milliseconds. */
export const SUB_MS_NS = 789n;

export interface SessionEnv extends AsyncDisposable {
  deps: LifecycleDeps;
  catalog: Catalog;
  store: FsStore;
  /** Where the store lives (for a second catalog over the same store). */
  dir: string;
}

export async function sessionEnv(): Promise<SessionEnv> {
  const stack = new AsyncDisposableStack();
  try {
    const log = silentLogger();
    const catalog = stack.use(await freshPgliteCatalog());
    const dir = await Deno.makeTempDir({ prefix: "mosaicod-sessions-" });
    stack.defer(() => Deno.remove(dir, { recursive: true }));
    const store = stack.use(await FsStore.open(dir, { log }));
    let tick = 0;
    const deps: LifecycleDeps = {
      catalog,
      store,
      log,
      now: () => BASE_MS + tick++,
      nowNs: () => BigInt(BASE_MS + tick++) * 1_000_000n + SUB_MS_NS,
      jobs: { maxAttempts: 3, deletionRetentionMs: 0, compactMinChunks: 0, compactBelowBytes: 0 },
    };
    const moved = stack.move();
    return { deps, catalog, store, dir, [Symbol.asyncDispose]: () => moved.disposeAsync() };
  } catch (err) {
    await stack.disposeAsync();
    throw err;
  }
}

/** Uploads `rows` rows (timestamps `from`, `from + 1`, …) to an unlocked topic, which locks it. */
export async function upload(deps: LifecycleDeps, topic: Topic, from: bigint, rows = 20): Promise<Topic> {
  const ts = Array.from({ length: rows }, (_, i) => from + BigInt(i));
  const batch = batchOf({ timestamp_ns: vec(new Int64(), ts), v: vec(new Int64(), ts.map((t) => t * 3n)) });
  await ingestTopic(deps, await openUpload(deps, { topicName: topic.name, key: topic.uuid }), {
    schema: batch.schema,
    batches: (async function* () {
      yield batch;
    })(),
  });
  return (await deps.catalog.getTopic(topic.name))!;
}

/** Runs the due background jobs like a daemon would; returns "kind:outcome" per job. */
export async function runDueJobs(deps: LifecycleDeps): Promise<string[]> {
  await using decoder = new ParquetPool({ size: 1 });
  const runner = createJobRunner(
    { ...deps, decoder, chunkTargetBytes: 1 << 20, rowGroupBytes: 1 << 20 },
    DEFAULT_RUNNER_SETTINGS,
  );
  const outcomes: string[] = [];
  for (let o = await runner.runOnce(); o; o = await runner.runOnce()) {
    outcomes.push(`${o.job.kind}:${o.outcome}`);
  }
  return outcomes;
}

/** The store, calling `onPut(key)` before each put (to look at the catalog at that moment). */
export function watchPuts(store: ObjectStore, onPut: (key: string) => Promise<void>): ObjectStore {
  return new Proxy(store, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (property !== "put") return typeof value === "function" ? value.bind(target) : value;
      return async (key: string, ...rest: unknown[]) => {
        await onPut(key);
        return await (value as (...a: unknown[]) => Promise<void>).call(target, key, ...rest);
      };
    },
  });
}

export async function readJson(store: ObjectStore, key: string): Promise<unknown> {
  return JSON.parse(new TextDecoder().decode(await store.get(key)));
}

export async function listKeys(store: ObjectStore, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const o of store.list(prefix)) out.push(o.key);
  return out.sort();
}
