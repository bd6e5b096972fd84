import assert from "node:assert/strict";
import { InvalidArgumentError } from "../errors.ts";
import { parseJsonExact } from "../model/json.ts";
import { resolveQueryDialect } from "./dialect.ts";
import { parseQuery } from "./parse.ts";
import type { JsonObject, QueryDialect } from "./types.ts";

const json = (text: string) => parseJsonExact(text) as JsonObject;
type Connection = QueryDialect | null;

/** What each body allows (all its clues), and what its field keys alone allow. */
const BODIES: [body: string, allows: QueryDialect[], byKeys: QueryDialect[]][] = [
  [`{}`, ["v1", "v2026", "v07"], ["v1", "v2026", "v07"]],
  [`{"topic": {"ontology_tag": {"$eq": "imu"}}, "ontology": {"imu.x": {"$gt": 0}}}`, ["v1", "v2026", "v07"], [
    "v1",
    "v2026",
    "v07",
  ]],
  [`{"sequence": {"name": {"$eq": "s"}}}`, ["v1", "v07"], ["v1", "v07"]],
  [`{"sequence": {"created_timestamp": "$ex"}}`, ["v1"], ["v1"]],
  [`{"topic": {"locator": {"$eq": "/a"}}}`, ["v2026"], ["v2026"]],
  [`{"ontology": {"include_timestamp_range": true}}`, ["v2026"], ["v2026"]],
  [`{"topic": {"created_at_ns": {"$gt": 0}}}`, ["v2026", "v07"], ["v2026", "v07"]],
  [`{"sequence": {"name": {"$eq": "s"}}, "topic": {"created_at_ns": {"$gt": 0}}}`, ["v07"], ["v07"]],
  // SDK 0.6/0.7 operators
  [`{"topic": {"created_at_ns": {"$outside": [0, 1]}}}`, ["v07"], ["v2026", "v07"]],
  [`{"topic": {"ontology_tag": {"$lt": "b"}}}`, ["v07"], ["v1", "v2026", "v07"]],
  [`{"topic": {"name": {"$between": ["a", "b"]}}}`, ["v07"], ["v1", "v07"]],
  [`{"topic": {"user_metadata": {"a": {"$in": [1]}}}}`, ["v07"], ["v1", "v2026", "v07"]],
  [`{"topic": {"user_metadata": {"a": {"$match": "x*"}}}}`, ["v07"], ["v1", "v2026", "v07"]],
  [`{"topic": {"user_metadata": {"a": {"$gt": "x"}}}}`, ["v07"], ["v1", "v2026", "v07"]],
  [`{"topic": {"user_metadata": {"a": {"$between": ["a", "b"]}}}}`, ["v07"], ["v1", "v2026", "v07"]],
  [`{"topic": {"user_metadata": {"a": {"$gt": 1}}}}`, ["v1", "v2026", "v07"], ["v1", "v2026", "v07"]],
  [`{"sequence": {"user_metadata": {"sensors.*.model": {"$eq": "x"}}}}`, ["v07"], ["v1", "v2026", "v07"]],
  [`{"sequence": {"user_metadata": {"**.model": "$ex"}}}`, ["v07"], ["v1", "v2026", "v07"]],
  [`{"sequence": {"user_metadata": {"a*.b": "$ex"}}}`, ["v1", "v2026", "v07"], ["v1", "v2026", "v07"]], // not a whole segment
  [`{"ontology": {"imu.x": {"$neq": 1}}}`, ["v07"], ["v1", "v2026", "v07"]],
  [`{"ontology": {"imu.x": {"$in": [1]}}}`, ["v07"], ["v1", "v2026", "v07"]],
  [`{"ontology": {"imu.frame": {"$match": "a"}}}`, ["v07"], ["v1", "v2026", "v07"]],
  [`{"ontology": {"imu.frame": {"$lt": "a"}}}`, ["v1", "v2026", "v07"], ["v1", "v2026", "v07"]], // 2026 already ordered strings
];

Deno.test("resolveQueryDialect: the body first, then the connection, then the fallback, then its generation", () => {
  for (const [text, allows, byKeys] of BODIES) {
    for (const connection of [null, "v1", "v2026", "v07"] as Connection[]) {
      for (const fallback of ["v1", "v2026"] as const) {
        // Keys first; then a proven connection (its parser then judges the operators); then operators.
        const want = byKeys.length === 1
          ? byKeys[0]
          : connection !== null && byKeys.includes(connection)
          ? connection
          : allows.length === 1
          ? allows[0]
          : allows.includes(fallback)
          ? fallback
          : connection === "v2026" || connection === "v07"
          ? (["v07", "v2026", "v1"] as const).find((d) => allows.includes(d))
          : (["v1", "v2026", "v07"] as const).find((d) => allows.includes(d));
        const got = resolveQueryDialect(json(text), connection, fallback);
        assert.equal(got, want, `${text} on ${connection} (fallback ${fallback})`);
        // Whatever is resolved, the body parses in it, unless it uses an operator that dialect lacks.
        if (allows.includes(got)) assert.equal(parseQuery(json(text), got).dialect, got, text);
        else assert.throws(() => parseQuery(json(text), got), InvalidArgumentError, text);
      }
    }
  }
});

Deno.test("resolveQueryDialect: $in on a time is read by v07 only, but shows nothing", () => {
  const body = json(`{"topic": {"created_at_ns": {"$in": [1]}}}`);
  assert.equal(resolveQueryDialect(body, null, "v2026"), "v2026");
  assert.throws(() => parseQuery(body, "v2026"), /\$in is not allowed/);
  assert.deepEqual(parseQuery(body, "v07").topic?.createdNs, { op: "in", values: [1n] });
});

Deno.test("resolveQueryDialect: a name $match that looks like a glob weighs after the connection", () => {
  const glob = json(`{"sequence": {"name": {"$match": "run_*"}}}`);
  const plain = json(`{"sequence": {"name": {"$match": "run_"}}}`);
  assert.equal(resolveQueryDialect(glob, null, "v1"), "v07");
  assert.equal(resolveQueryDialect(glob, "v2026", "v2026"), "v07");
  assert.equal(resolveQueryDialect(glob, "v1", "v2026"), "v1"); // a 0.1.0 client looking for a literal "*"
  assert.equal(resolveQueryDialect(plain, null, "v1"), "v1");
  for (const c of "*?[#") {
    assert.equal(
      resolveQueryDialect(json(`{"topic": {"name": {"$match": "a${c}]"}}}`), null, "v1"),
      "v07",
      c,
    );
  }
  // Not under a name: tags and formats never hint
  assert.equal(resolveQueryDialect(json(`{"topic": {"ontology_tag": {"$match": "i*"}}}`), null, "v1"), "v1");
});

Deno.test("resolveQueryDialect: keys that exclude each other are refused, naming both", () => {
  const cases: [string, string][] = [
    [
      `{"sequence": {"name": {"$eq": "s"}}, "topic": {"locator": {"$eq": "/a"}}}`,
      `Invalid query: "topic.locator": the key (SDK 0.4) cannot be mixed with "sequence.name" (0.1.0 or SDK 0.6/0.7)`,
    ],
    [
      `{"sequence": {"created_timestamp": "$ex"}, "ontology": {"imu.x": {"$outside": [0, 1]}}}`,
      `Invalid query: "ontology.imu.x": $outside (SDK 0.6/0.7) cannot be mixed with "sequence.created_timestamp" (0.1.0)`,
    ],
    [
      `{"topic": {"user_metadata": {"a.*": "$ex"}}, "ontology": {"include_timestamp_range": false}}`,
      `Invalid query: "ontology.include_timestamp_range": the key (SDK 0.4) cannot be mixed with a * or ** key segment at "topic.user_metadata.a.*" (SDK 0.6/0.7)`,
    ],
    [
      `{"topic": {"user_metadata": {"a": {"$lt": "x"}}, "created_timestamp": "$ex"}}`,
      `Invalid query: "topic.created_timestamp": the key (0.1.0) cannot be mixed with $lt with a string at "topic.user_metadata.a" (SDK 0.6/0.7)`,
    ],
    [
      `{"topic": {"locator": {"$outside": ["a", "b"]}}}`,
      `Invalid query: "topic.locator": $outside (SDK 0.6/0.7) cannot be used on this key (SDK 0.4)`,
    ],
  ];
  for (const [text, message] of cases) {
    for (const run of [() => resolveQueryDialect(json(text), "v07", "v1"), () => parseQuery(json(text))]) {
      assert.throws(run, (err: unknown) => {
        assert.ok(err instanceof InvalidArgumentError, `${err}`);
        assert.equal(err.message, message);
        return true;
      }, text);
    }
  }
});

Deno.test("parseQuery: a dialect the body excludes is refused, naming the key", () => {
  const cases: [string, QueryDialect, string][] = [
    [
      `{"sequence": {"name": {"$eq": "s"}}}`,
      "v2026",
      `Invalid query: "sequence.name": the key (0.1.0 or SDK 0.6/0.7) cannot be read as SDK 0.4`,
    ],
    [
      `{"topic": {"locator": "$ex"}}`,
      "v07",
      `Invalid query: "topic.locator": the key (SDK 0.4) cannot be read as SDK 0.6/0.7`,
    ],
    [
      `{"ontology": {"imu.x": {"$in": [1]}}}`,
      "v1",
      `Invalid query: "ontology.imu.x": $in is not allowed here in 0.1.0 (only SDK 0.6/0.7 has it)`,
    ],
  ];
  for (const [text, dialect, message] of cases) {
    assert.throws(() => parseQuery(json(text), dialect), (err: unknown) => {
      assert.ok(err instanceof InvalidArgumentError, `${err}`);
      assert.equal(err.message, message);
      return true;
    }, text);
  }
});
