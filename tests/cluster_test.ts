/**
 * Time clustering and intersection of matching rows (`topic_filter_clusterize` / `_intersect`, SDK
 * 0.6+) over real data: topics uploaded through the lifecycle and ingest code, several chunks per topic
 * (one overlapping the others in time), pruning by the catalog's time ranges and statistics, scans in
 * real Parquet workers; on both catalog drivers.
 */
import assert from "node:assert/strict";
import { DataLossError, InvalidArgumentError, NotFoundError } from "../src/errors.ts";
import { type Cluster, clusterizeTopic, type ClusterWindow, intersectTopics } from "../src/query/cluster.ts";
import type { ScanCounters } from "../src/query/ontology.ts";
import type { QueryDeps } from "../src/query/run.ts";
import type { JsonObject } from "../src/query/types.ts";
import { freshEnv, gpsBatch, imuBatch, type TopicSpec } from "./_ontology_data.ts";
import { freshPgliteCatalog, freshPostgresCatalog } from "./_postgres.ts";

const imu = (...rows: [ts: number, x: number][]) => imuBatch(rows.map(([ts, x]) => ({ ts, x })));
const gps = (...rows: [ts: number, fix: boolean][]) =>
  gpsBatch(rows.map(([ts, fix]) => ({ ts, fix, service: 0, count: 0n })));

/** Each batch becomes a chunk. Matching rows (x > 0) of `clu-a/imu`: 0 10 20 | 31 41 | 45 | 1000 1010 1021. */
const DATA: [string, TopicSpec[]][] = [
  ["clu-a", [
    ["/imu", "imu", {}, [
      imu([0, 1], [10, 1], [20, 1]),
      imu([31, 1], [41, 1]), // 11 after 20: one more than a gap of 10
      imu([1000, 2], [1010, 2], [1015, -1], [1021, 2]), // the only chunk with x > 1.5
      imu([25, -1], [45, 1]), // overlaps the first two chunks in time
    ]],
    ["/gps", "gps", {}, [
      gps([15, true], [18, true], [30, false], [47, true]),
      gps([60, true], [1030, true], [2000, true]),
    ]],
    ["/empty/imu", "imu", {}, []],
  ]],
  ["clu-b", [["/imu", "imu", {}, [imu([44, 1], [46, 1])]]]],
];

const X_POSITIVE = { "imu.acceleration.x": { "$gt": 0 } };
const FIX = { "gps.fix": { "$eq": true } };

type Span = [number, number];
const spans = (clusters: Cluster[]): Span[] =>
  clusters.map((c, i) => {
    assert.equal(c.id, i);
    return [Number(c.startNs), Number(c.endNs)];
  });

function window(startNs: number | null, endNs: number | null): ClusterWindow {
  return { startNs: startNs === null ? null : BigInt(startNs), endNs: endNs === null ? null : BigInt(endNs) };
}

async function clusterize(
  deps: QueryDeps,
  topic: string,
  ontology: JsonObject,
  dt: number,
  win: ClusterWindow | null = null,
  counters?: ScanCounters,
): Promise<Span[]> {
  return spans(
    await clusterizeTopic(deps, { topic, ontology, clusteringDtNs: BigInt(dt), window: win }, { counters }),
  );
}

async function intersect(
  deps: QueryDeps,
  topics: [string, JsonObject][],
  tolerance: number,
  counters?: ScanCounters,
): Promise<Span[]> {
  const req = {
    topics: topics.map(([topic, ontology]) => ({ topic, ontology, clusteringDtNs: 10n })),
    intersectDtNs: BigInt(tolerance),
  };
  return spans(await intersectTopics(deps, req, { counters }));
}

/** [ontology, gap, window, expected clusters, expected {candidates, scanned}] */
const CLUSTER_CASES: [JsonObject, number, ClusterWindow | null, Span[], ScanCounters][] = [
  // Gaps of exactly the limit stay inside, one more splits; the overlapping chunk bridges 41 → 45
  [X_POSITIVE, 10, null, [[0, 20], [31, 45], [1000, 1010], [1021, 1021]], { candidates: 4, scanned: 4 }],
  [X_POSITIVE, 11, null, [[0, 45], [1000, 1021]], { candidates: 4, scanned: 4 }],
  [X_POSITIVE, 9, null, [[0, 0], [10, 10], [20, 20], [31, 31], [41, 45], [1000, 1000], [1010, 1010], [
    1021,
    1021,
  ]], { candidates: 4, scanned: 4 }],
  // 0: one cluster of all matching rows
  [X_POSITIVE, 0, null, [[0, 1021]], { candidates: 4, scanned: 4 }],
  // Statistics rule chunks out before any is read
  [{ "imu.acceleration.x": { "$gt": 1.5 } }, 10, null, [[1000, 1010], [1021, 1021]], {
    candidates: 1,
    scanned: 1,
  }],
  [{ "imu.acceleration.x": { "$gt": 100 } }, 10, null, [], { candidates: 0, scanned: 0 }],
  [{ "imu.timestamp_ns": { "$geq": 1000 } }, 10, null, [[1000, 1021]], { candidates: 1, scanned: 1 }],
  // Conditions hold on the same row: x > 0 and ts < 30 leaves 0..20 and not 25 (x = -1)
  [{ "imu.acceleration.x": { "$gt": 0 }, "imu.timestamp_ns": { "$lt": 30 } }, 100, null, [[0, 20]], {
    candidates: 2,
    scanned: 2,
  }],
  // Windows: inclusive bounds, either open; chunks outside are not read
  [X_POSITIVE, 10, window(10, 1010), [[10, 20], [31, 45], [1000, 1010]], { candidates: 4, scanned: 4 }],
  [X_POSITIVE, 10, window(11, 1009), [[20, 20], [31, 45], [1000, 1000]], { candidates: 4, scanned: 4 }],
  [X_POSITIVE, 10, window(1000, null), [[1000, 1010], [1021, 1021]], { candidates: 1, scanned: 1 }],
  [X_POSITIVE, 10, window(null, 20), [[0, 20]], { candidates: 1, scanned: 1 }],
  [X_POSITIVE, 10, window(20, 20), [[20, 20]], { candidates: 1, scanned: 1 }],
  [X_POSITIVE, 10, window(null, null), [[0, 20], [31, 45], [1000, 1010], [1021, 1021]], {
    candidates: 4,
    scanned: 4,
  }],
  [X_POSITIVE, 10, window(5000, 6000), [], { candidates: 0, scanned: 0 }],
  // No condition: every row. A chunk inside the window spanning at most the gap is not read.
  [{}, 10, null, [[0, 45], [1000, 1021]], { candidates: 4, scanned: 3 }],
  [{}, 100, null, [[0, 45], [1000, 1021]], { candidates: 4, scanned: 0 }],
  [{}, 0, null, [[0, 1021]], { candidates: 4, scanned: 0 }],
  [{}, 100, window(0, 41), [[0, 41]], { candidates: 3, scanned: 1 }],
];

for (
  const [driver, makeCatalog] of [["pglite", freshPgliteCatalog], ["postgres", freshPostgresCatalog]] as const
) {
  Deno.test(`clusterizeTopic() (${driver}): clusters, windows and pruning`, async (t) => {
    await using env = await freshEnv(makeCatalog, DATA);
    for (const [ontology, dt, win, want, wantCounters] of CLUSTER_CASES) {
      await t.step(
        `${JSON.stringify(ontology)} dt ${dt} window ${win ? `${win.startNs}..${win.endNs}` : "none"}`,
        async () => {
          const counters: ScanCounters = { candidates: 0, scanned: 0 };
          assert.deepEqual(await clusterize(env.deps, "clu-a/imu", ontology, dt, win, counters), want);
          assert.deepEqual(counters, wantCounters);
        },
      );
    }
    await t.step("conditions are read in the SDK 0.6/0.7 grammar", async () => {
      // x = -1 at 25 and 1015, x = 2 at 1000, 1010, 1021
      const outside = { "imu.acceleration.x": { "$outside": [0, 1.5] } };
      assert.deepEqual(await clusterize(env.deps, "clu-a/imu", outside, 10), [[25, 25], [1000, 1021]]);
      const among = { "imu.acceleration.x": { "$in": [-1, 2] } };
      assert.deepEqual(await clusterize(env.deps, "clu-a/imu", among, 10), [[25, 25], [1000, 1021]]);
    });
    await t.step("a topic without data has no cluster", async () => {
      assert.deepEqual(await clusterize(env.deps, "clu-a/empty/imu", X_POSITIVE, 10), []);
      assert.deepEqual(await clusterize(env.deps, "clu-a/empty/imu", {}, 0), []);
    });
  });

  Deno.test(`intersectTopics() (${driver}): co-occurring clusters, with and without tolerance`, async () => {
    await using env = await freshEnv(makeCatalog, DATA);
    const deps = env.deps;
    const a: [string, JsonObject] = ["clu-a/imu", X_POSITIVE];
    const g: [string, JsonObject] = ["clu-a/gps", FIX];
    // a: [0,20] [31,45] [1000,1010] [1021]; g: [15,18] [47] [60] [1030] [2000]
    assert.deepEqual(await clusterize(deps, ...g, 10), [[15, 18], [47, 47], [60, 60], [1030, 1030], [
      2000,
      2000,
    ]]);
    assert.deepEqual(await intersect(deps, [a, g], 0), [[15, 18]]);
    assert.deepEqual(await intersect(deps, [g, a], 0), [[15, 18]]);
    assert.deepEqual(await intersect(deps, [a, g], 1), [[15, 18]]);
    // Within tolerance but apart: the gap between them, from the last match of one to the first of the other
    assert.deepEqual(await intersect(deps, [a, g], 2), [[15, 18], [45, 47]]);
    assert.deepEqual(await intersect(deps, [a, g], 9), [[15, 18], [45, 47], [1021, 1030]]);
    // Topics of another sequence; three topics
    const b: [string, JsonObject] = ["clu-b/imu", X_POSITIVE];
    assert.deepEqual(await intersect(deps, [a, b], 0), [[44, 45]]);
    assert.deepEqual(await intersect(deps, [a, g, b], 2), [[45, 47]]);
    assert.deepEqual(await intersect(deps, [a, g, b], 0), []);
    // One topic: its own clusters
    assert.deepEqual(await intersect(deps, [a], 0), [[0, 20], [31, 45], [1000, 1010], [1021, 1021]]);
    // A topic without a cluster ends the work: the others are not read
    const counters: ScanCounters = { candidates: 0, scanned: 0 };
    assert.deepEqual(await intersect(deps, [["clu-a/empty/imu", {}], a, g], 0, counters), []);
    assert.deepEqual(counters, { candidates: 0, scanned: 0 });
  });
}

Deno.test("clusterizeTopic() and intersectTopics() refuse bad requests before reading any chunk", async () => {
  await using env = await freshEnv(freshPgliteCatalog, DATA);
  const deps = env.deps;
  const counters: ScanCounters = { candidates: 0, scanned: 0 };
  const refused: [() => Promise<unknown>, new (message?: string) => Error][] = [
    [() => clusterize(deps, "clu-a/nope", X_POSITIVE, 10), NotFoundError],
    [() => clusterize(deps, "nope/imu", X_POSITIVE, 10), NotFoundError],
    [() => clusterize(deps, "clu-a/imu", FIX, 10), InvalidArgumentError], // another type's tag
    [() => clusterize(deps, "clu-a/imu", X_POSITIVE, -1), InvalidArgumentError],
    [() => clusterize(deps, "clu-a/imu", X_POSITIVE, 10, window(20, 19)), InvalidArgumentError],
    [() => clusterize(deps, "clu-a/imu", { "imu.acceleration.x": { "$nope": 1 } }, 10), InvalidArgumentError],
    [() => clusterize(deps, "clu-a/imu", { "imu": { "$eq": 1 } }, 10), InvalidArgumentError],
    [() => clusterize(deps, "clu-a/imu", { "include_timestamp_range": true }, 10), InvalidArgumentError],
    [() => clusterize(deps, "clu-a", X_POSITIVE, 10), InvalidArgumentError], // not a topic locator
    [() => intersect(deps, [], 0), InvalidArgumentError],
    [() => intersect(deps, [["clu-a/imu", X_POSITIVE], ["clu-a/gps", FIX]], -1), InvalidArgumentError],
    [() => intersect(deps, [["clu-a/imu", X_POSITIVE], ["clu-a/nope", FIX]], 0, counters), NotFoundError],
    [
      () => intersect(deps, [["clu-a/imu", X_POSITIVE], ["clu-a/gps", X_POSITIVE]], 0, counters),
      InvalidArgumentError,
    ],
  ];
  for (const [call, kind] of refused) {
    await assert.rejects(call(), kind, String(call));
  }
  assert.deepEqual(counters, { candidates: 0, scanned: 0 });
});

Deno.test("clusterizeTopic(): a missing chunk answers DATA_LOSS naming it", async () => {
  await using env = await freshEnv(freshPgliteCatalog, DATA);
  const topic = (await env.catalog.getTopic("clu-a/imu"))!;
  const chunk = (await env.catalog.listChunks(topic.id)).find((c) => c.startNs === 1000n)!;
  const original = await env.store.get(chunk.key);
  await env.store.delete(chunk.key);
  await assert.rejects(clusterize(env.deps, "clu-a/imu", X_POSITIVE, 10), (err) => {
    assert.ok(err instanceof DataLossError, String(err));
    assert.match(err.message, /chunk 2 of topic "clu-a\/imu"/);
    return true;
  });
  await env.store.put(chunk.key, original);
  assert.deepEqual(await clusterize(env.deps, "clu-a/imu", X_POSITIVE, 0), [[0, 1021]]);
});
