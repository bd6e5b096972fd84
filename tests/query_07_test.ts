/**
 * The sequence/topic part of the `query` action as SDK 0.6/0.7 writes it (0.7 delta Q1, Q4, Q5) over
 * real catalogs (PGlite and PostgreSQL): `name` keys, glob `$match` (the catalog's regular expression
 * agreeing with the data-row matcher on both engines), text ordering, `$outside` and `$in` on times,
 * and on user metadata `$in`, `$match`, string ordering, `$outside` and `*`/`**` key segments. The
 * 0.1.0 and 2026 readings: query_test.ts, query_2026_test.ts.
 */
import assert from "node:assert/strict";
import { globToRegex } from "../src/catalog/_query_sql.ts";
import type { Catalog } from "../src/catalog/catalog.ts";
import { globMatcher, MAX_GLOB_LENGTH, parseGlob } from "../src/model/glob.ts";
import { parseJsonExact } from "../src/model/json.ts";
import { parseQuery } from "../src/query/parse.ts";
import type { JsonObject } from "../src/query/types.ts";
import { all, CATALOG, item, named, type NamedItem, ns, populate } from "./_query_catalog.ts";
import { freshPgliteCatalog, freshPostgresCatalog } from "./_postgres.ts";

const DS = "test-sequence-datastream";
const A = "test-query-a";
const B = "test-query-b";

/** Answers a body read as SDK 0.6/0.7. */
async function find07(db: Catalog, text: string): Promise<NamedItem[]> {
  return named(await db.findTopics(parseQuery(parseJsonExact(text) as JsonObject, "v07")));
}

/** [SDK 0.6/0.7 query JSON, expected answer] */
const CASES_07: [string, NamedItem[]][] = [
  // Q1: `name` holds what `locator` held
  [`{"sequence": {"name": {"$eq": "s"}}, "topic": {"created_at_ns": {"$gt": 0}}}`, all("s")],
  [`{"topic": {"name": {"$in": ["/a/b", "/nope"]}}}`, [item("s", "/a/b"), item("s1", "/a/b")]],
  [`{"topic": {"name": {"$eq": "/front/imu"}}}`, [item(DS, "/front/imu")]],
  // Q4: glob, full match, on the relative topic name and the sequence name
  [`{"sequence": {"name": {"$match": "test-*"}}}`, all(DS, A, B)],
  [`{"sequence": {"name": {"$match": "s#"}}}`, all("s1")],
  [`{"sequence": {"name": {"$match": "s?"}}}`, all("s1")],
  [`{"sequence": {"name": {"$match": "s*"}}}`, all("s", "s1")],
  [`{"topic": {"name": {"$match": "imu"}}}`, []], // not a substring test any more
  [`{"topic": {"name": {"$match": "*/imu"}}}`, [
    item(DS, "/front/imu", "/camera/left/imu"),
    item(A, "/imu"),
    item(B, "/imu"),
  ]],
  [`{"topic": {"name": {"$match": "/camera/*"}}}`, [item(DS, "/camera/left/imu", "/camera/left/image")]],
  [`{"topic": {"name": {"$match": "/[a-c]*"}}}`, [
    item(DS, "/camera/left/imu", "/camera/left/image"),
    item("s", "/a/b", "/c"),
    item("s1", "/a/b"),
    item("pct%_x", "/back\\slash"),
  ]],
  [`{"topic": {"name": {"$match": "/[!a-z]*"}}}`, [item("pct%_x", "/100%_done", "/100xydone")]],
  [`{"topic": {"name": {"$match": "/100%_done"}}}`, [item("pct%_x", "/100%_done")]], // `%`, `_` literal
  [`{"topic": {"name": {"$match": "/###[%]_*"}}}`, [item("pct%_x", "/100%_done")]],
  [`{"topic": {"name": {"$match": "/back\\\\slash"}}}`, [item("pct%_x", "/back\\slash")]],
  [`{"sequence": {"name": {"$match": "pct[%]?x"}}}`, all("pct%_x")],
  // ...and on tags and formats
  [`{"topic": {"ontology_tag": {"$match": "i*"}, "serialization_format": {"$match": "[ir]*"}}}`, [
    item(DS, "/camera/left/imu", "/camera/left/image"),
    item(B, "/imu"),
  ]],
  // Q5: text ordering by UTF-8 bytes, $outside
  [`{"sequence": {"name": {"$lt": "t"}}}`, all("s", "s1", "pct%_x")],
  [`{"sequence": {"name": {"$geq": "test-query-b"}}}`, all(DS, B)],
  [`{"topic": {"name": {"$between": ["/a", "/b"]}}}`, [item("s", "/a/b"), item("s1", "/a/b")]],
  [`{"sequence": {"name": {"$outside": ["s", "test-sequence-datastream"]}}}`, all("pct%_x")],
  [`{"topic": {"serialization_format": {"$gt": "image"}}}`, [item(DS, "/camera/left/imu"), item(B, "/imu")]],
  // Times: $outside (bounds excluded), $in
  [
    `{"sequence": {"created_at_ns": {"$outside": [${ns(1765000000400)}, ${ns(1765000000800)}]}}}`,
    all(DS, B, "pct%_x"),
  ],
  [
    `{"sequence": {"created_at_ns": {"$in": [${ns(1765000000400)}, ${ns(1765000000800)}, 5]}}}`,
    all("s", "s1"),
  ],
  [`{"topic": {"created_at_ns": {"$outside": [0, 9223372036854775807]}}}`, []],
  // User metadata: $in by kind, glob $match on the value's text, string ordering, $outside
  [`{"sequence": {"user_metadata": {"visibility": {"$in": ["public", "nope"]}}}}`, all(A)],
  [`{"sequence": {"user_metadata": {"count": {"$in": [10, 11.0, "x"]}}}}`, all(A, B)],
  [`{"sequence": {"user_metadata": {"flag": {"$in": [true]}}}}`, all(A, B)],
  [`{"topic": {"user_metadata": {"serial_number": {"$in": ["Y", 5, false]}}}}`, [item(A, "/imu")]],
  [`{"topic": {"user_metadata": {"sensor_id": {"$match": "imu_*"}}}}`, [
    item(DS, "/front/imu", "/camera/left/imu"),
  ]],
  [`{"topic": {"user_metadata": {"sensor_id": {"$match": "imu"}}}}`, []],
  [`{"sequence": {"user_metadata": {"ключ": {"$match": "值*"}}}}`, all(DS, "pct%_x")],
  [`{"sequence": {"user_metadata": {"robot.id": {"$match": "#"}}}}`, all(DS)], // the text of 7
  [`{"sequence": {"user_metadata": {"visibility": {"$gt": "private"}}}}`, all(A)],
  [`{"sequence": {"user_metadata": {"visibility": {"$between": ["p", "q"]}}}}`, all(DS, A, B)],
  [`{"sequence": {"user_metadata": {"visibility": {"$outside": ["private", "private"]}}}}`, all(A)],
  [`{"sequence": {"user_metadata": {"count": {"$outside": [10, 10.5]}}}}`, all(B)],
  [`{"sequence": {"user_metadata": {"count": {"$outside": ["10", "10"]}}}}`, all(B)], // as text: "11" > "10"
  // User-metadata key segments: `*` one member or element, `**` any number of levels
  [`{"sequence": {"user_metadata": {"robot.*": {"$eq": "rover"}}}}`, all(DS)],
  [`{"sequence": {"user_metadata": {"*.b": {"$eq": 4}}}}`, all("pct%_x")],
  [`{"sequence": {"user_metadata": {"*.b": {"$eq": 3}}}}`, []], // the key "a.b" is one segment
  [`{"sequence": {"user_metadata": {"tags.*": {"$eq": "a"}}}}`, all(A)],
  [`{"sequence": {"user_metadata": {"**": {"$eq": "b"}}}}`, all(A)],
  [`{"sequence": {"user_metadata": {"*": {"$gt": 10}}}}`, all(DS, B, "s1")], // "1.5E3", "11", 2^64-1
  [`{"topic": {"user_metadata": {"**.type": {"$eq": "UART"}}}}`, [item(DS, "/front/imu"), item(A, "/gps")]],
  [`{"topic": {"user_metadata": {"**.type": {"$match": "?PI"}}}}`, []],
  [`{"topic": {"user_metadata": {"**.type": "$nex"}, "ontology_tag": {"$eq": "gps"}}}`, [item("s", "/c")]],
  [`{"topic": {"user_metadata": {"nested.*": "$ex"}}}`, []], // JSON null is absent
  [`{"topic": {"user_metadata": {"**.x": "$ex"}}}`, []],
  [`{"topic": {"user_metadata": {"*": {"$in": ["X", "imu_cam"]}}}}`, [
    item(DS, "/front/imu", "/camera/left/imu"),
  ]],
];

/** Patterns and texts whose catalog and data-row answers must agree. */
const GLOB_PATTERNS = [
  "",
  "*",
  "a*",
  "*a",
  "a?c",
  "##",
  "[abc]*",
  "[!abc]*",
  "[^a-c]?",
  "[]]",
  "[!]]*",
  "[-a]",
  "[a-]",
  "[*?#[]",
  "\\*",
  "a]b",
  "%_",
  "[é-ë]*",
  "?😀",
  "*\n*",
  "[\t]",
  "'.^$()+{}|",
  "[.^$()+{}|'\\\\]*",
  "x[\\-^]y",
];
const GLOB_TEXTS = [
  "",
  "a",
  "abc",
  "cba",
  "a\nc",
  "ac",
  "12",
  "1a",
  "]",
  "-",
  "*",
  "?",
  "#",
  "[",
  "\\*",
  "a]b",
  "%_",
  "éx",
  "ê",
  "x😀",
  "😀😀",
  "\n",
  "\t",
  "'.^$()+{}|",
  "x\\y",
  "x-y",
  "x^y",
  "xay",
];

for (
  const [driver, makeCatalog] of [["pglite", freshPgliteCatalog], ["postgres", freshPostgresCatalog]] as const
) {
  Deno.test(`query 0.7 (${driver}): findTopics answers SDK 0.6/0.7 queries exactly`, async (t) => {
    await using db = await makeCatalog();
    await populate(db);
    for (const [text, expected] of CASES_07) {
      await t.step(text, async () => assert.deepEqual(await find07(db, text), expected));
    }
  });

  Deno.test(`query 0.7 (${driver}): the catalog's glob agrees with the data rows' on every pair`, async () => {
    await using db = await makeCatalog();
    for (const pattern of [...GLOB_PATTERNS, ...randomPatterns(150)]) {
      const texts = [...GLOB_TEXTS, ...randomTexts(pattern, 20)];
      const rows = await db.driver.query<{ t: string; m: boolean }>(
        "SELECT t, t ~ $2::text AS m FROM jsonb_array_elements_text($1::text::jsonb) AS x(t)",
        [JSON.stringify(texts), globToRegex(pattern)],
      );
      const matches = globMatcher(parseGlob(pattern));
      const disagree = rows.filter((r) => r.m !== matches(r.t)).map((r) => r.t);
      assert.deepEqual(disagree, [], `pattern ${JSON.stringify(pattern)} (${globToRegex(pattern)})`);
    }
  });

  Deno.test(`query 0.7 (${driver}): hostile wildcard keys and patterns never become SQL`, async () => {
    await using db = await makeCatalog();
    await populate(db);
    const hostile = `{"sequence": {"user_metadata": {"*.'); DROP TABLE sequences; --": "$nex",
      "**.\\"'": {"$match": "'; DROP TABLE topics; --*"}}}}`;
    assert.deepEqual(await find07(db, hostile), []);
    assert.equal((await db.listSequences()).length, CATALOG.length);
    // The longest pattern taken, on names and on metadata values
    const longest = JSON.stringify("[!a]".repeat(MAX_GLOB_LENGTH / 4 - 1) + "*");
    assert.deepEqual(await find07(db, `{"sequence": {"name": {"$match": ${longest}}}}`), []);
    assert.deepEqual(
      await find07(db, `{"sequence": {"user_metadata": {"long": {"$match": ${longest}}}}}`),
      all(DS), // "long" holds 2000 nines
    );
    await assert.rejects(
      find07(db, `{"sequence": {"name": {"$match": ${JSON.stringify("a".repeat(MAX_GLOB_LENGTH + 1))}}}}`),
      /is not a valid glob: it is longer than 1024 characters/,
    );
  });
}

/** A seeded generator: the same "random" cases on every run. */
function lcg(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

function randomPatterns(count: number): string[] {
  const next = lcg(7);
  const pieces = ["*", "?", "#", "a", "b", "é", "😀", "]", "-", "\\", "[ab]", "[!a]", "[a-c]", "[]a]", "[-]"];
  return Array.from({ length: count }, () => {
    const n = Math.floor(next() * 6);
    return Array.from({ length: n }, () => pieces[Math.floor(next() * pieces.length)]).join("");
  });
}

/** Texts near `pattern`: built from its characters and a few others. */
function randomTexts(pattern: string, count: number): string[] {
  const next = lcg(pattern.length + 1);
  const chars = [...new Set([...pattern, "a", "b", "c", "1", "é", "😀", "\n"])];
  return Array.from({ length: count }, () => {
    const n = Math.floor(next() * 7);
    return Array.from({ length: n }, () => chars[Math.floor(next() * chars.length)]).join("");
  });
}
