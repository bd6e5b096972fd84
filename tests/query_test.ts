/**
 * The sequence/topic part of the `query` action over real catalogs (PGlite and PostgreSQL):
 * parseQuery() then Catalog.findTopics(), with exact answers, in the 0.1.0 grammar (protocol 9.2,
 * 9.3, 9.5, 9.7). The 2026 grammar: query_2026_test.ts.
 */
import assert from "node:assert/strict";
import { all, CATALOG, findNames, item, type NamedItem, populate } from "./_query_catalog.ts";
import { freshPgliteCatalog, freshPostgresCatalog } from "./_postgres.ts";

/** [query JSON, expected answer] */
const CASES: [string, NamedItem[]][] = [
  // 9.7 examples (their ontology part is not the catalog's: findTopics ignores it)
  [`{"ontology": {"imu.acceleration.x": {"$geq": 0.01}}}`, []],
  [
    `{"ontology": {"imu.acceleration.x": {"$between": [0.0, 1.0]}}, "topic": {"name": {"$match": "camera/left"}}}`,
    [item("test-sequence-datastream", "/camera/left/imu", "/camera/left/image")],
  ],
  [
    `{"ontology": {"imu.header.stamp.sec": {"$eq": 1700000000}}, "topic": {"user_metadata": {"sensor_id": {"$eq": "imu_front_01"}}}, "sequence": {"name": {"$eq": "test-sequence-datastream"}}}`,
    [item("test-sequence-datastream", "/front/imu")],
  ],
  [
    `{"ontology": {"gps.status.service": {"$geq": 1}}, "topic": {"user_metadata": {"interface.type": {"$eq": "UART"}}}}`,
    [item("test-sequence-datastream", "/front/imu"), item("test-query-a", "/gps")],
  ],
  [`{"sequence": {"name": {"$eq": "s"}, "created_timestamp": {"$leq": 1765000000500}}}`, all("s")],
  [`{"sequence": {"name": {"$eq": "s"}, "created_timestamp": {"$leq": 1765000000399}}}`, []],
  [
    `{"topic": {"ontology_tag": {"$eq": "imu"}, "created_timestamp": {"$between": [1765000000500, 1765000600000]}}}`,
    [item("test-query-a", "/imu"), item("test-query-b", "/imu"), item("s1", "/a/b"), all("pct%_x")[0]],
  ],
  [
    `{"sequence": {"name": {"$match": "test-query-"}, "user_metadata": {"status": {"$eq": "raw"}, "visibility": {"$eq": "private"}}}}`,
    all("test-query-b"),
  ],
  [
    `{"topic": {"user_metadata": {"bias_stability": {"$gt": 0.01}, "serial_number": {"$eq": "X"}}}}`,
    [item("test-sequence-datastream", "/front/imu", "/camera/left/imu")],
  ],
  [`{"ontology": {"imu.timestamp_ns": {"$between": [100, 500]}}}`, []],
  [`{"sequence": {"name": {"$in": ["s1"]}}, "topic": {"name": {"$in": ["/a/b", "/c"]}}}`, all("s1")],
  // Empty filters select nothing (9.5.2)
  [`{}`, []],
  [`{"sequence": {}, "topic": {"user_metadata": {}}}`, []],
  // Text fields
  [
    `{"sequence": {"name": {"$neq": "s"}}}`,
    all("test-sequence-datastream", "test-query-a", "test-query-b", "s1", "pct%_x"),
  ],
  [`{"sequence": {"name": {"$in": []}}}`, []],
  [`{"topic": {"name": {"$in": []}}, "sequence": {"name": "$ex"}}`, []],
  [`{"sequence": {"name": {"$in": ["s", "nope", "s1"]}}}`, all("s", "s1")],
  [`{"sequence": {"name": "$ex"}}`, all()],
  [`{"sequence": {"name": {"$nex": null}}}`, []],
  [`{"sequence": {"name": {"$match": "_"}}}`, all("pct%_x")],
  [`{"sequence": {"name": {"$match": "%"}}}`, all("pct%_x")],
  [`{"sequence": {"name": {"$match": "Test"}}}`, []],
  [`{"topic": {"name": {"$match": "0%_d"}}}`, [item("pct%_x", "/100%_done")]],
  [`{"topic": {"name": {"$match": "\\\\"}}}`, [item("pct%_x", "/back\\slash")]],
  [`{"topic": {"name": {"$eq": "/front/imu"}}}`, [item("test-sequence-datastream", "/front/imu")]],
  [`{"topic": {"name": {"$eq": "test-sequence-datastream/front/imu"}}}`, []],
  [`{"topic": {"name": {"$eq": "front/imu"}}}`, []],
  [`{"topic": {"name": {"$neq": "/imu"}}, "sequence": {"name": {"$eq": "test-query-a"}}}`, [
    item("test-query-a", "/gps"),
  ]],
  [`{"topic": {"name": {"$in": ["/a/b"]}}}`, [item("s", "/a/b"), item("s1", "/a/b")]],
  [`{"topic": {"serialization_format": {"$eq": "ragged"}}}`, [
    item("test-sequence-datastream", "/camera/left/imu"),
    item("test-query-b", "/imu"),
  ]],
  [`{"topic": {"serialization_format": {"$in": ["image", "ragged"]}}}`, [
    item("test-sequence-datastream", "/camera/left/imu", "/camera/left/image"),
    item("test-query-b", "/imu"),
  ]],
  [`{"topic": {"serialization_format": {"$match": "mag"}}}`, [
    item("test-sequence-datastream", "/camera/left/image"),
  ]],
  [`{"topic": {"ontology_tag": {"$neq": "imu"}}}`, [
    item("test-sequence-datastream", "/camera/left/image"),
    item("test-query-a", "/gps"),
    item("s", "/c"),
  ]],
  [`{"topic": {"ontology_tag": "$nex"}}`, []],
  // Creation times (ms)
  [`{"sequence": {"created_timestamp": {"$eq": 1765000000400}}}`, all("s")],
  [
    `{"sequence": {"created_timestamp": {"$neq": 1765000000400}}}`,
    all("test-sequence-datastream", "test-query-a", "test-query-b", "s1", "pct%_x"),
  ],
  [`{"sequence": {"created_timestamp": {"$lt": 1765000000400}}}`, all("test-sequence-datastream")],
  [`{"sequence": {"created_timestamp": {"$leq": 1765000000400}}}`, all("test-sequence-datastream", "s")],
  [`{"sequence": {"created_timestamp": {"$gt": 1765000000800}}}`, all("test-query-b", "pct%_x")],
  [`{"sequence": {"created_timestamp": {"$geq": 1765000000800}}}`, all("test-query-b", "s1", "pct%_x")],
  [
    `{"sequence": {"created_timestamp": {"$between": [1765000000400, 1765000000500]}}}`,
    all("test-query-a", "s"),
  ],
  [`{"sequence": {"created_timestamp": {"$eq": 99999999999999999999999}}}`, []],
  [`{"sequence": {"created_timestamp": {"$gt": -99999999999999999999}}}`, all()],
  [`{"topic": {"created_timestamp": {"$lt": 1765000000200}}}`, [
    item("test-sequence-datastream", "/front/imu"),
  ]],
  [`{"topic": {"created_timestamp": "$ex"}}`, all()],
  [`{"topic": {"created_timestamp": "$nex"}}`, []],
  // User metadata: strings, numbers (also numbers stored as strings), booleans, paths
  [`{"sequence": {"user_metadata": {"robot.name": {"$eq": "rover"}}}}`, all("test-sequence-datastream")],
  [`{"sequence": {"user_metadata": {"robot.name": {"$neq": "rover"}}}}`, []],
  [`{"sequence": {"user_metadata": {"robot.id": {"$eq": 7}}}}`, all("test-sequence-datastream")],
  [`{"sequence": {"user_metadata": {"robot.id": {"$eq": 7.0}}}}`, all("test-sequence-datastream")],
  [`{"sequence": {"user_metadata": {"robot.id": {"$gt": 6.5}}}}`, all("test-sequence-datastream")],
  [`{"sequence": {"user_metadata": {"count": {"$eq": 10}}}}`, all("test-query-a")],
  [`{"sequence": {"user_metadata": {"count": {"$neq": 10}}}}`, all("test-query-b")],
  [`{"sequence": {"user_metadata": {"count": {"$gt": 10}}}}`, all("test-query-b")],
  [`{"sequence": {"user_metadata": {"count": {"$geq": 10}}}}`, all("test-query-a", "test-query-b")],
  [`{"sequence": {"user_metadata": {"count": {"$lt": 11}}}}`, all("test-query-a")],
  [`{"sequence": {"user_metadata": {"count": {"$leq": 11}}}}`, all("test-query-a", "test-query-b")],
  [`{"sequence": {"user_metadata": {"count": {"$between": [10.5, 11]}}}}`, all("test-query-b")],
  [`{"sequence": {"user_metadata": {"count": {"$eq": "11"}}}}`, all("test-query-b")],
  [`{"sequence": {"user_metadata": {"ratio": {"$eq": 2.5}}}}`, all("test-query-a")],
  [`{"sequence": {"user_metadata": {"sci": {"$eq": 1500}}}}`, all("test-sequence-datastream")],
  [`{"sequence": {"user_metadata": {"flag": {"$eq": true}}}}`, all("test-query-a", "test-query-b")],
  [`{"sequence": {"user_metadata": {"flag": {"$neq": true}}}}`, []],
  [`{"sequence": {"user_metadata": {"flag": {"$eq": false}}}}`, []],
  [
    `{"sequence": {"user_metadata": {"status": {"$eq": "raw"}}}}`,
    all("test-sequence-datastream", "test-query-a", "test-query-b"),
  ],
  [`{"sequence": {"user_metadata": {"tags.1": {"$eq": "b"}}}}`, all("test-query-a")],
  [`{"sequence": {"user_metadata": {"big": {"$eq": 18446744073709551615}}}}`, all("s1")],
  [`{"sequence": {"user_metadata": {"big": {"$eq": 18446744073709551614}}}}`, []],
  [`{"sequence": {"user_metadata": {"big": {"$gt": 18446744073709551614}}}}`, all("s1")],
  [`{"sequence": {"user_metadata": {"neg": {"$eq": -0.035}}}}`, all("s1")],
  [`{"sequence": {"user_metadata": {"neg": {"$lt": 0}}}}`, all("s1")],
  [`{"sequence": {"user_metadata": {"ключ": {"$eq": "值"}}}}`, all("test-sequence-datastream")],
  [`{"sequence": {"user_metadata": {"ключ": {"$eq": "值 ✓"}}}}`, all("pct%_x")],
  [`{"sequence": {"user_metadata": {"we\\"ird\\\\{k,e}y": {"$eq": "ok"}}}}`, all("test-sequence-datastream")],
  // A dotted key is always a path: `a.b` reaches {"a": {"b": 4}}, never the literal key "a.b"
  [`{"sequence": {"user_metadata": {"a.b": {"$eq": 4}}}}`, all("pct%_x")],
  [`{"sequence": {"user_metadata": {"a.b": {"$eq": 3}}}}`, []],
  // Non-numeric text under a numeric filter simply does not match
  [`{"topic": {"user_metadata": {"bias_stability": {"$gt": 0.01}}}}`, [
    item("test-sequence-datastream", "/front/imu", "/camera/left/imu"),
  ]],
  [`{"sequence": {"user_metadata": {"robot.name": {"$gt": 1}}}}`, []],
  [`{"sequence": {"user_metadata": {"robot": {"$lt": 5}}}}`, []],
  [`{"sequence": {"user_metadata": {"status": {"$between": [0, 1]}}}}`, []],
  [`{"sequence": {"user_metadata": {"huge": {"$gt": 0}}}}`, []],
  [`{"sequence": {"user_metadata": {"long": {"$gt": 0}}}}`, []],
  // $ex / $nex: JSON null and a NULL metadata column count as absent
  [`{"topic": {"user_metadata": {"interface": "$ex"}}}`, [
    item("test-sequence-datastream", "/front/imu"),
    item("test-query-a", "/gps"),
  ]],
  [`{"topic": {"user_metadata": {"nested": {"$ex": null}}}}`, [item("test-query-a", "/gps")]],
  [`{"topic": {"user_metadata": {"nested.x": "$ex"}}}`, []],
  [`{"topic": {"user_metadata": {"nested.x": "$nex"}}}`, all()],
  [
    `{"topic": {"user_metadata": {"interface.type": "$nex"}}, "sequence": {"name": {"$eq": "test-query-a"}}}`,
    [
      item("test-query-a", "/imu"),
    ],
  ],
  [
    `{"topic": {"user_metadata": {"anything": "$nex"}}, "sequence": {"name": {"$eq": "test-query-b"}}}`,
    all(
      "test-query-b",
    ),
  ],
  [`{"topic": {"user_metadata": {"missing": {"$neq": "x"}}}}`, []],
  // Sections and fields are ANDed
  [
    `{"sequence": {"user_metadata": {"status": {"$eq": "raw"}}}, "topic": {"ontology_tag": {"$eq": "imu"}, "serialization_format": {"$eq": "ragged"}}}`,
    [
      item("test-sequence-datastream", "/camera/left/imu"),
      item("test-query-b", "/imu"),
    ],
  ],
  // Hostile keys are paths that match nothing
  [`{"sequence": {"user_metadata": {"a'); DROP TABLE sequences; --": {"$eq": "x"}}}}`, []],
  [`{"topic": {"user_metadata": {"x\\"}'{,\\\\": {"$gt": 1}}}}`, []],
  [`{"sequence": {"name": {"$eq": "s' OR '1'='1"}}}`, []],
];

for (
  const [driver, makeCatalog] of [["pglite", freshPgliteCatalog], ["postgres", freshPostgresCatalog]] as const
) {
  Deno.test(`query (${driver}): findTopics answers exactly`, async (t) => {
    await using db = await makeCatalog();
    await populate(db);
    for (const [text, expected] of CASES) {
      await t.step(text, async () => assert.deepEqual(await findNames(db, text), expected));
    }
  });

  Deno.test(`query (${driver}): hostile keys never become SQL`, async () => {
    await using db = await makeCatalog();
    await populate(db);
    const hostile = `{"sequence": {"user_metadata": {"a'); DROP TABLE sequences; --": "$nex"}},
      "topic": {"user_metadata": {"'; DROP TABLE topics; --": {"$lt": 1}}, "name": {"$match": "'; --"}}}`;
    assert.deepEqual(await findNames(db, hostile), []);
    assert.equal((await db.listSequences()).length, CATALOG.length);
    const nex = `{"sequence": {"user_metadata": {"a'); DROP TABLE sequences; --": "$nex"}}}`;
    assert.deepEqual(await findNames(db, nex), all());
  });
}
