/**
 * Ontology (data) filters of the `query` action over real data (protocol 9.4, 9.5, 9.7): topics
 * created and uploaded through the lifecycle and ingest code, chunks in a real store, pruning by the
 * catalog's statistics and scanning in real workers; on both catalog drivers. The 2026 grammar and
 * its timestamp ranges: ontology_query_2026_test.ts.
 */
import assert from "node:assert/strict";
import { DataLossError, InvalidArgumentError } from "../src/errors.ts";
import type { ScanCounters } from "../src/query/ontology.ts";
import { A, freshEnv, item, type NamedItem, query } from "./_ontology_data.ts";
import { freshPgliteCatalog, freshPostgresCatalog } from "./_postgres.ts";

/** [query, expected answer] */
const CASES: [string, NamedItem[]][] = [
  // The 9.7 examples with an ontology section
  [`{"ontology": {"imu.acceleration.x": {"$geq": 0.01}}}`, [
    item(A, "/front/imu", "/camera/left/imu"),
    item("test-query-c", "/imu"),
  ]],
  [
    `{"ontology": {"imu.header.stamp.sec": {"$eq": 1700000000}, "imu.header.stamp.nanosec": {"$geq": 259999990}}}`,
    [item(A, "/front/imu")],
  ],
  [
    `{"ontology": {"imu.acceleration.x": {"$between": [0.0, 1.0]}}, "topic": {"name": {"$match": "camera/left"}}}`,
    [item(A, "/camera/left/imu")],
  ],
  [
    `{"ontology": {"imu.header.stamp.sec": {"$eq": 1700000000}}, "topic": {"user_metadata": {"sensor_id": {"$eq": "imu_front_01"}}}, "sequence": {"name": {"$eq": "test-sequence-datastream"}}}`,
    [item(A, "/front/imu")],
  ],
  [
    `{"ontology": {"gps.status.service": {"$geq": 1}}, "topic": {"user_metadata": {"interface.type": {"$eq": "UART"}}}}`,
    [item(A, "/gps")],
  ],
  [`{"ontology": {"imu.timestamp_ns": {"$between": [100, 500]}}}`, [
    item(A, "/front/imu", "/camera/left/imu"),
  ]],
  // All conditions of a tag hold on the same row: x >= 1.5 and nanosec = 100 are on different rows
  [`{"ontology": {"imu.acceleration.x": {"$geq": 1.5}, "imu.header.stamp.nanosec": {"$eq": 100}}}`, []],
  [`{"ontology": {"imu.acceleration.x": {"$geq": 1.5}, "imu.header.stamp.nanosec": {"$eq": 5}}}`, [
    item(A, "/camera/left/imu"),
  ]],
  // Groups: sequences intersected, topics unioned
  [`{"ontology": {"imu.acceleration.x": {"$geq": 0.01}, "gps.status.service": {"$geq": 1}}}`, [
    item(A, "/front/imu", "/camera/left/imu", "/gps"),
  ]],
  [`{"ontology": {"gps.status.service": {"$geq": 1}, "imu.acceleration.x": {"$lt": -3}}}`, [
    item("test-query-b", "/gps", "/imu"),
  ]],
  [`{"ontology": {"gps.status.service": {"$geq": 1}, "imu.acceleration.x": {"$gt": 100}}}`, []],
  // Operators on every comparable kind
  [`{"ontology": {"imu.acceleration.x": {"$eq": 0.5}}}`, [item(A, "/camera/left/imu")]],
  [`{"ontology": {"imu.acceleration.x": {"$lt": -2.9}}}`, [item("test-query-b", "/imu")]],
  [`{"ontology": {"imu.acceleration.x": {"$leq": -1}}}`, [
    item(A, "/front/imu"),
    item("test-query-b", "/imu"),
  ]],
  [`{"ontology": {"imu.acceleration.x": {"$gt": 0.5}}}`, [item(A, "/camera/left/imu")]],
  [`{"ontology": {"imu.acceleration.x": {"$eq": 2}}}`, [item(A, "/camera/left/imu")]],
  [`{"ontology": {"imu.header.frame_id": {"$eq": "rear"}}}`, [item("test-query-c", "/imu")]],
  [`{"ontology": {"imu.header.frame_id": {"$between": ["a", "c"]}}}`, [item("test-query-b", "/imu")]],
  [`{"ontology": {"imu.header.frame_id": {"$gt": "front"}}}`, [item("test-query-c", "/imu")]],
  [`{"ontology": {"gps.fix": {"$eq": true}}}`, [item(A, "/gps")]],
  [`{"ontology": {"gps.fix": {"$eq": 0}}}`, [item(A, "/gps"), item("test-query-b", "/gps")]],
  // 64-bit integers compare exactly (the float64 statistics admit 2^53, the scan does not)
  [`{"ontology": {"gps.count": {"$eq": 18446744073709551615}}}`, [item(A, "/gps")]],
  [`{"ontology": {"gps.count": {"$eq": 9007199254740993}}}`, [item("test-query-b", "/gps")]],
  [`{"ontology": {"gps.count": {"$eq": 9007199254740992}}}`, []],
  [`{"ontology": {"gps.count": {"$gt": 9007199254740992.5}}}`, [
    item(A, "/gps"),
    item("test-query-b", "/gps"),
  ]],
  // Nulls, NaN and null parent structs never match
  [`{"ontology": {"imu.acceleration.x": {"$between": [0.09, 0.11]}, "imu.timestamp_ns": {"$gt": 5000}}}`, []],
  [`{"ontology": {"imu.header.stamp.sec": {"$eq": 0}}}`, [item("test-query-b", "/imu")]],
  // Wrong kinds, missing columns, struct (non-leaf) paths, tags without data match nothing
  [`{"ontology": {"imu.acceleration.x": {"$eq": "0.5"}}}`, []],
  [`{"ontology": {"imu.header.frame_id": {"$gt": 1}}}`, []],
  [`{"ontology": {"imu.nope": {"$eq": 1}}}`, []],
  [`{"ontology": {"imu.header": {"$eq": 1}}}`, []],
  [`{"ontology": {"lidar.range": {"$gt": 0}}}`, []],
  // Catalog sections restrict; empty ones do not (9.5.1); one that matches nothing empties the answer
  [`{"sequence": {}, "topic": {"user_metadata": {}}, "ontology": {"imu.acceleration.x": {"$gt": 1}}}`, [
    item(A, "/camera/left/imu"),
  ]],
  [`{"sequence": {"name": {"$eq": "nope"}}, "ontology": {"imu.acceleration.x": {"$gt": 1}}}`, []],
  [`{"sequence": {"name": {"$neq": "test-query-c"}}, "ontology": {"imu.acceleration.x": {"$geq": 0.01}}}`, [
    item(A, "/front/imu", "/camera/left/imu"),
  ]],
];

for (
  const [driver, makeCatalog] of [["pglite", freshPgliteCatalog], ["postgres", freshPostgresCatalog]] as const
) {
  Deno.test(`ontology query (${driver}): answers exactly`, async (t) => {
    await using env = await freshEnv(makeCatalog);
    for (const [text, expected] of CASES) {
      await t.step(text, async () => {
        assert.deepEqual(await query(env.deps, text), expected);
      });
    }
  });

  Deno.test(`ontology query (${driver}): statistics rule chunks out before any is read`, async () => {
    await using env = await freshEnv(makeCatalog);
    const selective: ScanCounters = { candidates: 0, scanned: 0 };
    assert.deepEqual(
      await query(env.deps, `{"ontology": {"imu.timestamp_ns": {"$between": [2100, 2200]}}}`, selective),
      [item("test-query-b", "/imu")],
    );
    assert.deepEqual(selective, { candidates: 1, scanned: 1 });
    const none: ScanCounters = { candidates: 0, scanned: 0 };
    assert.deepEqual(await query(env.deps, `{"ontology": {"imu.acceleration.x": {"$gt": 100}}}`, none), []);
    assert.deepEqual(none, { candidates: 0, scanned: 0 });
    // $eq keeps chunks with min <= v <= max (not only min = max = v): all three, the first matches.
    const broad: ScanCounters = { candidates: 0, scanned: 0 };
    assert.deepEqual(
      await query(env.deps, `{"ontology": {"imu.header.frame_id": {"$eq": "b"}}}`, broad),
      [item("test-query-b", "/imu")],
    );
    assert.deepEqual(broad, { candidates: 3, scanned: 1 });
  });
}

Deno.test("ontology query: a corrupt or missing chunk answers DATA_LOSS and the engine keeps working", async () => {
  await using env = await freshEnv(freshPgliteCatalog);
  const [chunk] = await env.catalog.listChunks((await env.catalog.getTopic("test-query-c/imu"))!.id);
  const original = await env.store.get(chunk.key);
  const text = `{"ontology": {"imu.header.frame_id": {"$eq": "rear"}}}`;
  const garbage = original.slice();
  garbage.fill(0x5a, 4, garbage.length - 4); // keeps the magic; footer and pages are noise
  await env.store.put(chunk.key, garbage);
  await assert.rejects(query(env.deps, text), (err) => {
    assert.ok(err instanceof DataLossError, String(err));
    assert.match(err.message, /chunk 0 of topic "test-query-c\/imu"/);
    return true;
  });
  await env.store.delete(chunk.key);
  await assert.rejects(query(env.deps, text), DataLossError);
  await env.store.put(chunk.key, original);
  assert.deepEqual(await query(env.deps, text), [item("test-query-c", "/imu")]);
});

Deno.test("ontology query: bad ontology keys and operators are refused before any work", async () => {
  await using env = await freshEnv(freshPgliteCatalog);
  for (
    const text of [
      `{"ontology": {"imu": {"$eq": 1}}}`,
      `{"ontology": {"imu..x": {"$eq": 1}}}`,
      // SDK 0.6/0.7 operators, in a 0.1.0 body
      `{"topic": {"created_timestamp": "$ex"}, "ontology": {"imu.acceleration.x": {"$neq": 1}}}`,
      `{"topic": {"created_timestamp": "$ex"}, "ontology": {"imu.acceleration.x": {"$in": [1]}}}`,
      // ...or malformed ones
      `{"ontology": {"imu.acceleration.x": {"$in": []}}}`,
      `{"ontology": {"imu.acceleration.x": {"$outside": [2, 1]}}}`,
      `{"ontology": {"imu.header.frame_id": {"$match": "[a"}}}`,
      `{"ontology": {"imu.acceleration.x": {"$between": [2, 1]}}}`,
      `{"ontology": {"imu.acceleration.x": {"$between": [1, "a"]}}}`,
      `{"ontology": {"imu.acceleration.x": {"$eq": null}}}`,
      `{"ontology": {"imu.acceleration.x": "$ex"}}`,
      `{"ontology": []}`,
    ]
  ) {
    await assert.rejects(query(env.deps, text), InvalidArgumentError, text);
  }
});
