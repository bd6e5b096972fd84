/**
 * Ontology (data) filters in the 2026 grammar over real data (2026 protocol 9.4–9.7): the SDK's
 * examples, `include_timestamp_range` answered exactly over every chunk of a topic (matching rows
 * spread over several chunks, statistics still pruning), the dialect each body proves, and bodies
 * mixing both grammars refused before any work; on both catalog drivers.
 */
import assert from "node:assert/strict";
import { InvalidArgumentError } from "../src/errors.ts";
import type { ScanCounters } from "../src/query/ontology.ts";
import { renderQueryItems2026 } from "../src/query/render.ts";
import type { QueryItem } from "../src/query/types.ts";
import { A, DATA, freshEnv, imuBatch, run, type TopicSpec } from "./_ontology_data.ts";
import { freshPgliteCatalog, freshPostgresCatalog } from "./_postgres.ts";

type Range = [bigint, bigint] | null;

/** An expected answer item: topics as [relative name, tag, range]. */
function ranged(sequence: string, ...topics: [string, string, Range][]): QueryItem {
  return {
    sequence,
    topics: topics.map(([rest, ontologyTag, timestampRange]) => ({
      name: `${sequence}${rest}`,
      ontologyTag,
      timestampRange,
    })),
  };
}

const B = "test-query-b"; // /imu: 3 chunks of 100 rows, ts base + 10i, x = -(base + i) / 1000, base 1000/2000/3000

/** [2026 query, expected answer with ranges] */
const CASES: [string, QueryItem[]][] = [
  // 2026 protocol 9.7 examples with an ontology section
  [`{"ontology": {"imu.acceleration.x": {"$gt": 0}, "include_timestamp_range": true}}`, [
    ranged(A, ["/front/imu", "imu", [100n, 200n]], ["/camera/left/imu", "imu", [400n, 600n]]),
    ranged("test-query-c", ["/imu", "imu", [5000n, 5000n]]), // not the null or NaN rows after it
  ]],
  [`{"ontology": {"gps.timestamp_ns": {"$geq": 1700000000260000000}, "gps.status.service": {"$eq": 2}}}`, []],
  [`{"ontology": {"gps.timestamp_ns": {"$geq": 150}, "gps.status.service": {"$eq": 2}}}`, [
    ranged(A, ["/gps", "gps", null]),
  ]],
  [
    `{"ontology": {"imu.acceleration.x": {"$between": [0.0, 1.0]}}, "topic": {"locator": {"$match": "camera/left"}}}`,
    [ranged(A, ["/camera/left/imu", "imu", null])],
  ],
  [`{"ontology": {"pressure.value": {"$geq": 100}}}`, []],
  // Matching rows spread over chunks: the range covers all of them (chunk 0 is pruned by statistics)
  [`{"ontology": {"imu.acceleration.x": {"$lt": -1.5}, "include_timestamp_range": true}}`, [
    ranged(B, ["/imu", "imu", [2000n, 3990n]]),
  ]],
  // ...and starting and ending inside chunks: rows 95..99 of chunk 0, rows 0..50 of chunk 1
  [
    `{"ontology": {"imu.acceleration.x": {"$between": [-2.0505, -1.0945]}, "include_timestamp_range": true}}`,
    [
      ranged(B, ["/imu", "imu", [1950n, 2500n]]),
    ],
  ],
  [`{"ontology": {"imu.timestamp_ns": {"$between": [1995, 3005]}, "include_timestamp_range": true}}`, [
    ranged(B, ["/imu", "imu", [2000n, 3000n]]),
  ]],
  // The rows satisfying all of the group's conditions together (x alone would give [100, 200])
  [
    `{"ontology": {"imu.acceleration.x": {"$geq": 0.001}, "imu.header.stamp.nanosec": {"$geq": 200}, "include_timestamp_range": true}}`,
    [ranged(A, ["/front/imu", "imu", [200n, 200n]])],
  ],
  // Several groups: each topic gets its own group's range
  [
    `{"ontology": {"imu.acceleration.x": {"$geq": 0.01}, "gps.status.service": {"$geq": 1}, "include_timestamp_range": true}}`,
    [ranged(
      A,
      ["/front/imu", "imu", [200n, 200n]],
      ["/camera/left/imu", "imu", [400n, 600n]],
      ["/gps", "gps", [200n, 200n]],
    )],
  ],
  // Without the flag (or false), no ranges
  [`{"ontology": {"imu.acceleration.x": {"$lt": -1.5}, "include_timestamp_range": false}}`, [
    ranged(B, ["/imu", "imu", null]),
  ]],
  // With 2026 catalog sections
  [
    `{"sequence": {"locator": {"$eq": "test-query-b"}}, "topic": {"locator": {"$eq": "/imu"}, "created_at_ns": {"$gt": 0}}, "ontology": {"imu.timestamp_ns": {"$geq": 1995}, "include_timestamp_range": true}}`,
    [ranged(B, ["/imu", "imu", [2000n, 3990n]])],
  ],
  [`{"topic": {"locator": {"$eq": "/front/imu"}}, "ontology": {"imu.acceleration.x": {"$lt": -1.5}}}`, []],
  // The flag without a condition: the catalog sections alone answer, without ranges; nothing at all: empty
  [`{"topic": {"locator": {"$eq": "/gps"}}, "ontology": {"include_timestamp_range": true}}`, [
    ranged(A, ["/gps", "gps", null]),
    ranged(B, ["/gps", "gps", null]),
  ]],
  [`{"ontology": {"include_timestamp_range": true}}`, []],
];

/** Timestamps beyond 2^53 (odd, so a float64 would round them), over three chunks. */
const BIG = 2n ** 62n + 1n;
const BIG_DATA: [string, TopicSpec[]][] = [["big-time", [["/imu", "imu", {}, [
  imuBatch([0, 0, 5, 0, 0].map((x, i) => ({ ts: BIG + BigInt(i), x, frame: "drop" }))),
  imuBatch([0, 0, 0, 0, 0].map((x, i) => ({ ts: BIG + 10n + BigInt(i), x, frame: "keep" }))),
  imuBatch([0, 7, 0, 9, 0].map((x, i) => ({ ts: BIG + 20n + BigInt(i), x, frame: "keep" }))),
]]]]];

for (
  const [driver, makeCatalog] of [["pglite", freshPgliteCatalog], ["postgres", freshPostgresCatalog]] as const
) {
  Deno.test(`ontology query 2026 (${driver}): answers and time ranges are exact`, async (t) => {
    await using env = await freshEnv(makeCatalog);
    for (const [text, expected] of CASES) {
      await t.step(text, async () => assert.deepEqual((await run(env.deps, text)).items, expected));
    }
  });

  Deno.test(`ontology query 2026 (${driver}): ranges scan every candidate chunk, pruning still applies`, async () => {
    await using env = await freshEnv(makeCatalog);
    const ranges: ScanCounters = { candidates: 0, scanned: 0 };
    await run(
      env.deps,
      `{"ontology": {"imu.acceleration.x": {"$lt": -1.5}, "include_timestamp_range": true}}`,
      ranges,
    );
    assert.deepEqual(ranges, { candidates: 2, scanned: 2 });
    const first: ScanCounters = { candidates: 0, scanned: 0 }; // without ranges: stops at the first match
    await run(env.deps, `{"ontology": {"imu.acceleration.x": {"$lt": -1.5}}}`, first);
    assert.deepEqual(first, { candidates: 2, scanned: 1 });
  });

  Deno.test(`ontology query 2026 (${driver}): int64 ranges beyond 2^53, exact in the answer`, async () => {
    await using env = await freshEnv(makeCatalog, BIG_DATA);
    const counters: ScanCounters = { candidates: 0, scanned: 0 };
    const all = await run(
      env.deps,
      `{"ontology": {"imu.acceleration.x": {"$geq": 1}, "include_timestamp_range": true}}`,
      counters,
    );
    assert.deepEqual(all.items, [ranged("big-time", ["/imu", "imu", [BIG + 2n, BIG + 23n]])]);
    assert.deepEqual(counters, { candidates: 2, scanned: 2 }); // the all-zero chunk is pruned
    const kept = await run(
      env.deps,
      `{"ontology": {"imu.acceleration.x": {"$geq": 1}, "imu.header.frame_id": {"$eq": "keep"}, "include_timestamp_range": true}}`,
    );
    assert.deepEqual(kept.items, [ranged("big-time", ["/imu", "imu", [BIG + 21n, BIG + 23n]])]);
    assert.equal(
      JSON.stringify(renderQueryItems2026(kept.items)),
      `{"items":[{"sequence":"big-time","topics":[{"locator":"big-time/imu","ontology_tag":"imu",` +
        `"timestamp_range":[4611686018427387926,4611686018427387928]}]}]}`,
    );
  });
}

Deno.test("ontology query 2026: the dialect a body was read in comes with the answer", async () => {
  await using env = await freshEnv(freshPgliteCatalog, DATA);
  // Without a dialect from the connection: the oldest one the body allows.
  const cases: [string, "v1" | "v2026" | "v07"][] = [
    [`{"ontology": {"imu.acceleration.x": {"$gt": 0}, "include_timestamp_range": true}}`, "v2026"],
    [`{"topic": {"locator": {"$match": "imu"}}, "ontology": {"imu.acceleration.x": {"$gt": 0}}}`, "v2026"],
    [`{"topic": {"name": {"$match": "imu"}}, "ontology": {"imu.acceleration.x": {"$gt": 0}}}`, "v1"],
    [`{"sequence": {"created_timestamp": {"$gt": 0}}}`, "v1"],
    [`{"sequence": {"created_at_ns": {"$gt": 0}}}`, "v2026"],
    [`{"sequence": {"name": {"$eq": "x"}, "created_at_ns": {"$gt": 0}}}`, "v07"],
    [`{"ontology": {"imu.acceleration.x": {"$outside": [0, 1]}}}`, "v07"],
    [`{"ontology": {"imu.acceleration.x": {"$gt": 0}}}`, "v1"],
    [`{"topic": {"ontology_tag": {"$eq": "gps"}}}`, "v1"],
    [`{}`, "v1"],
  ];
  for (const [text, dialect] of cases) assert.equal((await run(env.deps, text)).dialect, dialect, text);
});

Deno.test("ontology query 2026: bodies mixing both grammars are refused before any work", async () => {
  await using env = await freshEnv(freshPgliteCatalog);
  for (
    const text of [
      `{"topic": {"name": {"$eq": "/imu"}}, "ontology": {"imu.x": {"$gt": 0}, "include_timestamp_range": true}}`,
      `{"sequence": {"locator": {"$eq": "s"}, "created_timestamp": {"$gt": 0}}, "ontology": {"imu.x": {"$gt": 0}}}`,
      `{"topic": {"created_at_ns": {"$gt": 0}, "created_timestamp": "$ex"}}`,
      `{"topic": {"locator": "$ex"}, "ontology": {"imu.x": {"$neq": 0}}}`,
      `{"ontology": {"imu.x": {"$gt": 0}, "include_timestamp_range": "yes"}}`,
      `{"topic": {"locator": {"$in": []}}, "ontology": {"imu.x": {"$gt": 0}}}`,
    ]
  ) {
    const counters: ScanCounters = { candidates: 0, scanned: 0 };
    await assert.rejects(run(env.deps, text, counters), InvalidArgumentError, text);
    assert.deepEqual(counters, { candidates: 0, scanned: 0 });
  }
});
