/**
 * The sequence/topic part of the `query` action in the 2026 grammar over real catalogs (PGlite and
 * PostgreSQL): parseQuery() then Catalog.findTopics(), with exact answers (2026 protocol 9.2, 9.3,
 * 9.7): `locator` on relative topic names, `created_at_ns` to the nanosecond, user-metadata booleans
 * cast as PostgreSQL casts them in both grammars. The 0.1.0 grammar: query_test.ts.
 */
import assert from "node:assert/strict";
import type { Catalog } from "../src/catalog/catalog.ts";
import { parseJsonExact } from "../src/model/json.ts";
import type { JsonValue } from "../src/model/types.ts";
import { newUlid } from "../src/model/ulid.ts";
import { parseQuery } from "../src/query/parse.ts";
import type { JsonObject } from "../src/query/types.ts";
import { all, findNames, item, type NamedItem, ns, populate } from "./_query_catalog.ts";
import { freshPgliteCatalog, freshPostgresCatalog } from "./_postgres.ts";

const DS = "test-sequence-datastream";
const ALL_BUT_S = ["test-sequence-datastream", "test-query-a", "test-query-b", "s1", "pct%_x"];

/** [2026 query JSON, expected answer]: creation times are `ns(ms)`, i.e. the millisecond + 250000 ns. */
const CASES_2026: [string, NamedItem[]][] = [
  // 2026 protocol 9.7 examples (their ontology part is not the catalog's: findTopics ignores it)
  [`{"ontology": {"imu.acceleration.x": {"$gt": 0}, "include_timestamp_range": true}}`, []],
  [`{"ontology": {"gps.timestamp_ns": {"$geq": 1700000000260000000}, "gps.status.service": {"$eq": 2}}}`, []],
  [
    `{"ontology": {"imu.acceleration.x": {"$between": [0.0, 1.0]}}, "topic": {"locator": {"$match": "camera/left"}}}`,
    [item(DS, "/camera/left/imu", "/camera/left/image")],
  ],
  [`{"sequence": {"locator": {"$eq": "s"}, "created_at_ns": {"$leq": 1776870000000000000}}}`, all("s")],
  [
    `{"topic": {"ontology_tag": {"$eq": "imu"}, "created_at_ns": {"$between": [1000000000, 2000000000]}, "user_metadata": {"bias_stability": {"$between": [0.005, 0.015]}}}}`,
    [],
  ],
  [
    `{"sequence": {"user_metadata": {"visibility": {"$eq": "team-01"}}}, "topic": {"locator": {"$eq": "/front/imu"}}}`,
    [],
  ],
  [
    `{"topic": {"locator": {"$in": ["/topic11", "/topic12", "/topic21"]}, "ontology_tag": {"$eq": "image"}}}`,
    [],
  ],
  [`{"ontology": {"pressure.value": {"$geq": 100}}}`, []],
  // The same shapes where this catalog has matches
  [
    `{"topic": {"ontology_tag": {"$eq": "imu"}, "created_at_ns": {"$between": [1765000000000000000, 1765000000200250000]}, "user_metadata": {"bias_stability": {"$between": [0.015, 0.5]}}}}`,
    [item(DS, "/front/imu", "/camera/left/imu")],
  ],
  [
    `{"sequence": {"user_metadata": {"visibility": {"$eq": "private"}}}, "topic": {"locator": {"$eq": "/front/imu"}}}`,
    [item(DS, "/front/imu")],
  ],
  [
    `{"topic": {"locator": {"$in": ["/camera/left/image", "/imu", "/nope"]}, "ontology_tag": {"$eq": "image"}}}`,
    [item(DS, "/camera/left/image")],
  ],
  // topic.locator is the relative name with its leading "/"; $match is a literal substring
  [`{"topic": {"locator": {"$eq": "test-sequence-datastream/front/imu"}}}`, []],
  [`{"topic": {"locator": {"$eq": "front/imu"}}}`, []],
  [`{"topic": {"locator": {"$in": ["/a/b"]}}}`, [item("s", "/a/b"), item("s1", "/a/b")]],
  [`{"topic": {"locator": {"$neq": "/imu"}}, "sequence": {"locator": {"$eq": "test-query-a"}}}`, [
    item("test-query-a", "/gps"),
  ]],
  [`{"topic": {"locator": {"$match": "0%_d"}}}`, [item("pct%_x", "/100%_done")]],
  [`{"topic": {"locator": {"$match": "_"}}}`, [item("pct%_x", "/100%_done")]],
  [`{"topic": {"locator": {"$match": "0__d"}}}`, []],
  [`{"sequence": {"locator": {"$match": "%"}}}`, all("pct%_x")],
  [`{"sequence": {"locator": {"$in": ["s", "nope", "s1"]}}}`, all("s", "s1")],
  [`{"sequence": {"locator": "$nex"}}`, []],
  // created_at_ns: the exact nanosecond
  [`{"sequence": {"created_at_ns": {"$eq": ${ns(1765000000400)}}}}`, all("s")],
  [`{"sequence": {"created_at_ns": {"$eq": 1765000000400000000}}}`, []],
  [`{"sequence": {"created_at_ns": {"$neq": ${ns(1765000000400)}}}}`, all(...ALL_BUT_S)],
  [`{"sequence": {"created_at_ns": {"$lt": ${ns(1765000000400)}}}}`, all(DS)],
  [`{"sequence": {"created_at_ns": {"$leq": ${ns(1765000000400)}}}}`, all(DS, "s")],
  [
    `{"sequence": {"created_at_ns": {"$gt": ${ns(1765000000800) - 1n}}}}`,
    all("test-query-b", "s1", "pct%_x"),
  ],
  [`{"sequence": {"created_at_ns": {"$geq": ${ns(1765000000800) + 1n}}}}`, all("test-query-b", "pct%_x")],
  [
    `{"sequence": {"created_at_ns": {"$between": [${ns(1765000000400) + 1n}, ${ns(1765000000800)}]}}}`,
    all("test-query-a", "s1"),
  ],
  [`{"sequence": {"locator": {"$neq": "s"}, "created_at_ns": {"$lt": ${ns(1765000000500)}}}}`, all(DS)],
  [`{"sequence": {"created_at_ns": {"$gt": -9223372036854775808}}}`, all()],
  [`{"sequence": {"created_at_ns": {"$eq": 99999999999999999999999}}}`, []],
  [`{"topic": {"created_at_ns": {"$lt": ${ns(1765000000200)}}}}`, [item(DS, "/front/imu")]],
  [`{"topic": {"created_at_ns": {"$between": [${ns(1765000000401)}, ${ns(1765000000402)}]}}}`, all("s")],
  [`{"topic": {"created_at_ns": "$ex"}}`, all()],
  [`{"topic": {"created_at_ns": "$nex"}}`, []],
  // 0.1.0 filters see the same times in ms, rounded down
  [`{"sequence": {"created_timestamp": {"$eq": 1765000000400}}}`, all("s")],
  [`{"topic": {"created_timestamp": {"$between": [1765000000401, 1765000000402]}}}`, all("s")],
];

/**
 * User-metadata booleans cast with PostgreSQL's rules and never match what does not cast, `$neq`
 * included; numbers never match non-numeric text. The same in both grammars: each case runs with a
 * 0.1.0 key, a 2026 key, and neutral.
 */
const BOOLEAN_CASES: [sequenceFilter: string, topicFilter: string, expected: NamedItem[]][] = [
  [`"user_metadata": {"flag": {"$eq": true}}`, "", all("test-query-a", "test-query-b")], // true and "true"
  [`"user_metadata": {"flag": {"$neq": false}}`, "", all("test-query-a", "test-query-b")],
  [`"user_metadata": {"flag": {"$neq": true}}`, "", []],
  [`"user_metadata": {"status": {"$neq": true}}`, "", []], // "raw"
  [`"user_metadata": {"status": {"$neq": false}}`, "", []],
  [`"user_metadata": {"count": {"$neq": true}}`, "", []], // 10 and "11"
  [`"user_metadata": {"robot": {"$neq": true}}`, "", []], // an object
  [`"user_metadata": {"count": {"$neq": 10}}`, "", all("test-query-b")],
  [`"user_metadata": {"status": {"$neq": 10}}`, "", []],
  ["", `"user_metadata": {"bias_stability": {"$neq": true}}`, []], // "n/a", 0.02, "0.5"
  ["", `"user_metadata": {"rate": {"$neq": true}}`, []], // 5
  ["", `"user_metadata": {"rate": {"$neq": false}}`, []],
  ["", `"user_metadata": {"bias_stability": {"$neq": 0.02}}`, [item(DS, "/camera/left/imu")]], // not "n/a"
  ["", `"user_metadata": {"bias_stability": {"$lt": 1}}`, [item(DS, "/front/imu", "/camera/left/imu")]],
];

/** One boolean case as a body: `key` ("name", "locator" or none) proves the grammar. */
function booleanBody(key: string | null, sequence: string, topic: string): string {
  const fields = [key === null ? "" : `"${key}": "$ex"`, sequence].filter((f) => f !== "").join(", ");
  return `{"sequence": {${fields}}${topic === "" ? "" : `, "topic": {${topic}}`}}`;
}

/** Values stored under a user-metadata key, each in a sequence of its own, for the boolean cast test. */
const BOOLEAN_VALUES: JsonValue[] = [
  true,
  false,
  null,
  1,
  0,
  57,
  -1,
  1.5,
  "true",
  "FALSE",
  "tRuE",
  "t",
  "F",
  "tr",
  "tru",
  "truex",
  "fa",
  "fals",
  "y",
  "Ye",
  "YES",
  "n",
  "No",
  "on",
  "ON",
  "of",
  "Off",
  "o",
  "on_",
  "1",
  "0",
  "01",
  "2",
  "1.0",
  " yes ",
  "\tOn\n",
  "\u000boff\f",
  "\rno",
  " 1 ",
  "n/a",
  "",
  " ",
  "null",
  "yes please",
  "\u00a0true",
  "\u2003true",
  "ｔｒｕｅ",
  "ok",
  "yes",
  "TRUE",
  " off ",
  { on: true },
  { v: "yes" },
  {},
  [true],
];

for (
  const [driver, makeCatalog] of [["pglite", freshPgliteCatalog], ["postgres", freshPostgresCatalog]] as const
) {
  Deno.test(`query (${driver}): findTopics answers 2026 queries exactly`, async (t) => {
    await using db = await makeCatalog();
    await populate(db);
    for (const [text, expected] of CASES_2026) {
      await t.step(text, async () => assert.deepEqual(await findNames(db, text), expected));
    }
    for (const [sequence, topic, expected] of BOOLEAN_CASES) {
      for (const key of ["name", "locator", null]) {
        const text = booleanBody(key, sequence, topic);
        await t.step(text, async () => assert.deepEqual(await findNames(db, text), expected));
      }
    }
  });

  Deno.test(`query (${driver}): topics carry their ontology tag and no time range`, async () => {
    await using db = await makeCatalog();
    await populate(db);
    const query = parseQuery(parseJsonExact(`{"topic": {"locator": {"$match": "/imu"}}}`) as JsonObject);
    assert.deepEqual((await db.findTopics(query)).slice(0, 2), [
      {
        sequence: DS,
        topics: [
          { name: `${DS}/front/imu`, ontologyTag: "imu", timestampRange: null },
          { name: `${DS}/camera/left/imu`, ontologyTag: "imu", timestampRange: null },
        ],
      },
      {
        sequence: "test-query-a",
        topics: [{ name: "test-query-a/imu", ontologyTag: "imu", timestampRange: null }],
      },
    ]);
  });

  Deno.test(`query (${driver}): user-metadata booleans cast exactly as PostgreSQL's boolean input`, async () => {
    await using db = await makeCatalog();
    const cast = new Map<string, boolean | null>(); // sequence → how PostgreSQL casts its stored text
    for (const [i, value] of BOOLEAN_VALUES.entries()) {
      const name = `b${i}`;
      const seq = await db.createSequence({
        uuid: crypto.randomUUID(),
        name,
        userMetadata: { v: value },
        createdNs: 1n,
        implicitSessionUlid: newUlid(1),
      });
      const [session] = await db.listSessions(seq.id);
      await db.createTopic({
        uuid: crypto.randomUUID(),
        sessionId: session.id,
        name: `${name}/t`,
        serializationFormat: "default",
        ontologyTag: "x",
        userMetadata: { v: value },
        createdNs: 1n,
      });
      const text = typeof value === "string" ? value : value === null ? null : JSON.stringify(value);
      cast.set(name, text === null ? null : await postgresCast(db, text));
    }
    // Both outcomes and non-casting text are represented.
    assert.deepEqual(new Set(cast.values()), new Set([true, false, null]));
    // Sequence and topic metadata alike, through a literal key, a `*` segment and `$in`: a nested
    // object or list is not a boolean, and is never reached by `*` one level above it.
    const conditions = [["eq", true], ["eq", false], ["neq", true], ["neq", false]] as const;
    for (const [op, value] of conditions) {
      const want = [...cast].filter(([, b]) => b !== null && (op === "eq" ? b === value : b !== value))
        .map(([name]) => name);
      for (const level of ["sequence", "topic"]) {
        for (const key of ["v", "*"]) {
          const text = `{"${level}": {"user_metadata": {"${key}": {"$${op}": ${value}}}}}`;
          assert.deepEqual((await findNames(db, text)).map((i) => i.sequence), want, text);
        }
        if (op === "eq") {
          const text = `{"${level}": {"user_metadata": {"v": {"$in": [${value}]}}}}`;
          assert.deepEqual((await findNames(db, text)).map((i) => i.sequence), want, text);
        }
      }
    }
  });
}

/** PostgreSQL's own `::boolean` of a text, or null when it refuses it. */
async function postgresCast(db: Catalog, text: string): Promise<boolean | null> {
  try {
    const [row] = await db.driver.query<{ b: boolean }>("SELECT $1::text::boolean AS b", [text]);
    return row.b;
  } catch {
    return null;
  }
}
