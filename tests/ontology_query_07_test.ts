/**
 * Ontology (data) filters as SDK 0.6/0.7 writes them (0.7 delta Q4, Q5, Q7) over real data and both
 * catalog drivers: `$neq`, `$in`, `$outside` and glob `$match` on numeric, string, boolean and temporal
 * columns, ISO 8601 and decimal strings against timestamp and date columns, and, per operator, that
 * chunk pruning by statistics never drops a chunk holding a match (every chunk is scanned to check).
 */
import assert from "node:assert/strict";
import {
  Bool,
  DateDay,
  Float64,
  Int64,
  makeData,
  type RecordBatch,
  TimestampMillisecond,
  Utf8,
} from "apache-arrow";
import { batchOf, vec } from "../src/arrow/_test_batches.ts";
import { parseJsonExact } from "../src/model/json.ts";
import type { ValueCondition, ValueOp } from "../src/model/types.ts";
import { runQuery } from "../src/query/run.ts";
import type { JsonObject } from "../src/query/types.ts";
import { A, DATA, type Env, freshEnv, item, type NamedItem, type TopicSpec } from "./_ontology_data.ts";
import { freshPgliteCatalog, freshPostgresCatalog } from "./_postgres.ts";

const P = "prune-seq";
const TWO_53 = 2n ** 53n;

/** A chunk of the `pr` topic: timestamps from `ts0`, then one value per row for each column. */
function prBatch(ts0: number, c: {
  v: (number | null)[];
  n: bigint[];
  s: (string | null)[];
  flag: boolean[];
  whenMs: bigint[];
  day: number[];
}): RecordBatch {
  return batchOf({
    timestamp_ns: makeData({ type: new Int64(), data: BigInt64Array.from(c.n, (_, i) => BigInt(ts0 + i)) }),
    v: vec(new Float64(), c.v),
    n: makeData({ type: new Int64(), data: BigInt64Array.from(c.n) }),
    s: vec(new Utf8(), c.s),
    flag: vec(new Bool(), c.flag),
    when: makeData({ type: new TimestampMillisecond(), data: BigInt64Array.from(c.whenMs) }),
    day: makeData({ type: new DateDay(), data: Int32Array.from(c.day) }),
  });
}

/** Four chunks built so that each operator's pruning has a trap to fall into. */
const PR_CHUNKS = [
  prBatch(0, {
    v: [5, 5, 5, 5], // all equal: `$neq 5` may prune it
    n: [1n, 2n, 3n, 4n],
    s: ["aa", "ab", "ab", "ac"],
    flag: [true, true, true, true],
    whenMs: [0n, 1000n, 1500n, 2000n],
    day: [0, 1, 2, 3],
  }),
  prBatch(10, {
    v: [1, 2, 3, null],
    n: [TWO_53, TWO_53 + 1n, TWO_53, TWO_53], // one float64 image: `$neq 2^53` must keep it
    s: ["ba", "bb", null, "b*"],
    flag: [true, false, true, true],
    whenMs: [1500n, 1500n, 1500n, 1500n],
    day: [19844, 19844, 19844, 19844], // 2024-05-01
  }),
  prBatch(20, {
    v: [NaN, 5, NaN, 5], // NaN is never different, nor outside
    n: [-1n, -1n, -1n, -1n],
    s: ["a*b", "zz", "zz", "zz"],
    flag: [false, false, false, false],
    whenMs: [-1000n, 0n, 1n, 2n],
    day: [-1, -1, -1, -1],
  }),
  prBatch(30, {
    v: [null, null],
    n: [0n, 0n],
    s: [null, null],
    flag: [true, true],
    whenMs: [5000n, 5000n],
    day: [0, 0],
  }),
];

const PR_DATA: [string, TopicSpec[]][] = [...DATA, [P, [["/pr", "pr", {}, PR_CHUNKS]]]];

const cond = (path: string, op: ValueOp): ValueCondition => ({ path: [path], op });

/** [condition on `pr`, chunks holding a matching row, chunks statistics must keep (null: any superset)] */
const PRUNING: [ValueCondition, number[], number[] | null][] = [
  [cond("v", { op: "eq", value: 5 }), [0, 2], [0, 2]],
  [cond("v", { op: "neq", value: 5 }), [1], [1]], // chunks 0 and 2 hold only 5 (and NaN); 3 only nulls
  [cond("v", { op: "neq", value: 5n }), [1], [1]],
  [cond("v", { op: "outside", low: 1, high: 5 }), [], null],
  [cond("v", { op: "outside", low: 2, high: 4 }), [0, 1, 2], null],
  [cond("v", { op: "outside", low: 1.5, high: 6 }), [1], [1]],
  [cond("v", { op: "in", values: [3, 7] }), [1], [1]],
  [cond("v", { op: "in", values: [true, "x"] }), [1], [1]], // true is 1; a string never matches
  [cond("n", { op: "eq", value: TWO_53 }), [1], [1]],
  [cond("n", { op: "neq", value: TWO_53 }), [0, 1, 2, 3], [0, 1, 2, 3]],
  [cond("n", { op: "neq", value: -1 }), [0, 1, 3], [0, 1, 3]],
  [cond("n", { op: "neq", value: 0n }), [0, 1, 2], [0, 1, 2]],
  [cond("n", { op: "in", values: [TWO_53 + 1n] }), [1], null],
  [cond("n", { op: "outside", low: -1n, high: TWO_53 }), [1], null],
  [cond("n", { op: "outside", low: -1n, high: TWO_53 + 1n }), [], null],
  [cond("s", { op: "eq", value: "ab" }), [0], null],
  [cond("s", { op: "neq", value: "zz" }), [0, 1, 2], [0, 1, 2]],
  [cond("s", { op: "lt", value: "b" }), [0, 2], [0, 2]],
  [cond("s", { op: "between", low: "ab", high: "b" }), [0], null], // "a*" < "ab": `*` is 0x2A
  [cond("s", { op: "outside", low: "ab", high: "bb" }), [0, 2], [0, 2]],
  [cond("s", { op: "in", values: ["zz", "ba"] }), [1, 2], [1, 2]],
  [cond("s", { op: "glob", pattern: "a*" }), [0, 2], [0, 2]], // literal prefix "a"
  [cond("s", { op: "glob", pattern: "b[*]" }), [1], [1, 2]], // chunk 2's range "a*b".."zz" spans "b"
  [cond("s", { op: "glob", pattern: "*b" }), [0, 1, 2], null],
  [cond("s", { op: "glob", pattern: "[!a]?" }), [1, 2], null],
  [cond("s", { op: "glob", pattern: "?" }), [], null],
  [cond("flag", { op: "neq", value: true }), [1, 2], [1, 2]],
  [cond("flag", { op: "in", values: [false] }), [1, 2], [1, 2]],
  [cond("flag", { op: "outside", low: true, high: true }), [1, 2], [1, 2]],
  [cond("n", { op: "outside", low: 1n, high: 4n }), [1, 2, 3], [1, 2, 3]],
  [cond("when", { op: "eq", value: "1970-01-01T00:00:01.5" }), [0, 1], null],
  [cond("when", { op: "eq", value: "1970-01-01T00:00:01.500000+00:00" }), [0, 1], null],
  [cond("when", { op: "eq", value: "1500" }), [0, 1], null],
  [cond("when", { op: "neq", value: "1970-01-01T00:00:01.500" }), [0, 2, 3], null],
  [cond("when", { op: "lt", value: "1970-01-01" }), [2], null],
  [
    cond("when", { op: "outside", low: "1970-01-01T00:00:00", high: "1970-01-01T00:00:01.5" }),
    [0, 2, 3],
    null,
  ],
  [cond("when", { op: "in", values: ["1970-01-01T00:00:05Z", "2"] }), [2, 3], null],
  [cond("when", { op: "gt", value: "1970-01-01T00:00:04.999" }), [3], null],
  [cond("when", { op: "glob", pattern: "*" }), [], null], // globs read strings only
  [cond("day", { op: "eq", value: "2024-05-01" }), [1], null],
  [cond("day", { op: "eq", value: "19844" }), [1], null],
  [cond("day", { op: "lt", value: "1970-01-01T00:00:00.000000001" }), [0, 2, 3], null],
];

for (
  const [driver, makeCatalog] of [["pglite", freshPgliteCatalog], ["postgres", freshPostgresCatalog]] as const
) {
  Deno.test(`ontology query 0.7 (${driver}): pruning never drops a chunk holding a match`, async (t) => {
    await using env = await freshEnv(makeCatalog, PR_DATA);
    const chunks = await allChunks(env);
    assert.equal(chunks.length, 4);
    for (const [condition, matching, kept] of PRUNING) {
      await t.step(JSON.stringify(condition, (_, v) => typeof v === "bigint" ? `${v}n` : v), async () => {
        const candidates = (await env.catalog.findChunkCandidates(
          { sequence: null, topic: null },
          { tag: "pr", conditions: [condition] },
        )).map((c) => c.chunkIndex);
        const found: number[] = [];
        for (const c of chunks) {
          if (await env.deps.scanner.anyRowMatches(await env.store.get(c.key), [condition])) {
            found.push(c.chunkIndex);
          }
        }
        assert.deepEqual(found, matching, "chunks holding a match");
        assert.deepEqual(
          matching.filter((i) => !candidates.includes(i)),
          [],
          `pruned with a match: ${candidates}`,
        );
        if (kept !== null) assert.deepEqual(candidates, kept, "chunks statistics keep");
      });
    }
  });

  Deno.test(`ontology query 0.7 (${driver}): answers exactly`, async (t) => {
    await using env = await freshEnv(makeCatalog, PR_DATA);
    for (const [text, expected] of ANSWERS) {
      await t.step(text, async () => assert.deepEqual(await query07(env, text), expected));
    }
  });
}

/** [SDK 0.6/0.7 query, expected answer] */
const ANSWERS: [string, NamedItem[]][] = [
  [`{"ontology": {"imu.header.frame_id": {"$match": "f*"}}}`, [item(A, "/front/imu")]],
  [`{"ontology": {"imu.header.frame_id": {"$match": "fro"}}}`, []], // full match
  [`{"ontology": {"imu.header.frame_id": {"$in": ["cam", "rear"]}}}`, [
    item(A, "/camera/left/imu"),
    item("test-query-c", "/imu"),
  ]],
  [`{"ontology": {"imu.header.frame_id": {"$gt": "c"}}}`, [
    item(A, "/front/imu", "/camera/left/imu"),
    item("test-query-c", "/imu"),
  ]],
  [`{"ontology": {"imu.acceleration.x": {"$outside": [-1.5, 1.0]}}}`, [
    item(A, "/camera/left/imu"),
    item("test-query-b", "/imu"),
  ]],
  [`{"ontology": {"imu.acceleration.x": {"$neq": 0.1}, "imu.header.frame_id": {"$eq": "rear"}}}`, []], // null, NaN
  [`{"ontology": {"gps.fix": {"$neq": true}, "gps.status.service": {"$in": [0, 1]}}}`, [
    item(A, "/gps"),
    item("test-query-b", "/gps"),
  ]],
  [`{"ontology": {"gps.count": {"$in": [9007199254740993]}}}`, [item("test-query-b", "/gps")]],
  [`{"ontology": {"pr.when": {"$eq": "1970-01-01T00:00:01.500000"}, "pr.s": {"$match": "b?"}}}`, [
    item(P, "/pr"),
  ]],
  [`{"ontology": {"pr.day": {"$eq": "2024-05-01"}, "pr.v": {"$neq": 2}, "pr.s": {"$match": "b[!b]"}}}`, [
    item(P, "/pr"),
  ]],
  [`{"ontology": {"pr.day": {"$eq": "2024-05-01"}, "pr.s": {"$match": "z*"}}}`, []],
  // Catalog sections in the same reading: `name` with a glob
  [`{"topic": {"name": {"$match": "/camera/*"}}, "ontology": {"imu.acceleration.x": {"$gt": 1}}}`, [
    item(A, "/camera/left/imu"),
  ]],
];

async function query07(env: Env, text: string): Promise<NamedItem[]> {
  const { items, dialect } = await runQuery(env.deps, parseJsonExact(text) as JsonObject, { dialect: "v07" });
  assert.equal(dialect, "v07");
  return items.map((i) => ({ sequence: i.sequence, topics: i.topics.map((t) => t.name) }));
}

/** Every chunk of the `pr` topic, in order. */
async function allChunks(env: Env): Promise<{ key: string; chunkIndex: number }[]> {
  const topic = await env.catalog.getTopic(`${P}/pr`);
  const chunks = await env.catalog.listChunks(topic!.id);
  return chunks.map((c) => ({ key: c.key, chunkIndex: c.index })).sort((a, b) => a.chunkIndex - b.chunkIndex);
}
