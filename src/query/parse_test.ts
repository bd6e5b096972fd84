import assert from "node:assert/strict";
import { PROTOCOL_QUERY_EXAMPLES } from "./_examples.ts";
import { InvalidArgumentError } from "../errors.ts";
import { parseJsonExact } from "../model/json.ts";
import { parseQuery } from "./parse.ts";
import type { JsonObject, QueryDialect } from "./types.ts";

const parse = (text: string, dialect?: QueryDialect) =>
  parseQuery(parseJsonExact(text) as JsonObject, dialect);

function refuses(text: string, message: string | RegExp, dialect?: QueryDialect) {
  assert.throws(() => parse(text, dialect), (err: unknown) => {
    assert.ok(err instanceof InvalidArgumentError, `expected InvalidArgumentError, got ${err}`);
    if (typeof message === "string") assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  }, text);
}

/** Wraps `"field": op` into a body: `sequence.name` → `{"sequence": {"name": op}}`. */
function body(field: string, op: string): string {
  const [section, ...rest] = field.split(".");
  if (section === "ontology") return `{"ontology": {${JSON.stringify(rest.join("."))}: ${op}}}`;
  if (rest[0] === "user_metadata") {
    return `{"${section}": {"user_metadata": {${JSON.stringify(rest.slice(1).join("."))}: ${op}}}}`;
  }
  return `{"${section}": {"${rest[0]}": ${op}}}`;
}

const OPS: Record<string, string> = {
  eq: `{"$eq": V}`,
  neq: `{"$neq": V}`,
  lt: `{"$lt": V}`,
  leq: `{"$leq": V}`,
  gt: `{"$gt": V}`,
  geq: `{"$geq": V}`,
  between: `{"$between": [V, V]}`,
  in: `{"$in": [V]}`,
  match: `{"$match": V}`,
  outside: `{"$outside": [V, V]}`,
  ex: `"$ex"`,
  nex: `{"$nex": null}`,
};

const TEXT_OPS = ["eq", "neq", "in", "match", "ex", "nex"];
const ORDERED_OPS = ["eq", "neq", "lt", "leq", "gt", "geq", "between", "ex", "nex"]; // timestamps and numbers
const ONTOLOGY_OPS = ["eq", "lt", "leq", "gt", "geq", "between"];
// SDK 0.6/0.7 (0.7 delta Q5): ordering on text, $outside, and wider user-metadata and ontology tables
const TEXT_OPS_07 = [...TEXT_OPS, "lt", "leq", "gt", "geq", "between", "outside"];
const TIME_OPS_07 = [...ORDERED_OPS, "outside", "in"];
const META_OPS_07 = ["eq", "neq", "lt", "leq", "gt", "geq", "between", "outside", "in", "ex", "nex"];
const META_OPS_07_TEXT = [...META_OPS_07, "match"];
const ONTOLOGY_OPS_07 = [...ONTOLOGY_OPS, "neq", "in", "outside"];

/**
 * Table 9.2 (and 9.3 for user metadata) per dialect: field, value used, the dialect it is read in,
 * operators allowed with it.
 */
const TABLE: [field: string, value: string, dialect: QueryDialect, allowed: string[]][] = [
  ["sequence.name", `"run"`, "v1", TEXT_OPS],
  ["sequence.created_timestamp", "1765000000500", "v1", ORDERED_OPS],
  ["topic.name", `"/front/imu"`, "v1", TEXT_OPS],
  ["topic.created_timestamp", "1765000000500", "v1", ORDERED_OPS],
  ["topic.ontology_tag", `"imu"`, "v1", TEXT_OPS],
  ["sequence.user_metadata.a.b", `"x"`, "v1", ["eq", "neq", "ex", "nex"]],
  ["sequence.user_metadata.a.b", "3", "v1", ORDERED_OPS],
  ["sequence.user_metadata.a.b", "true", "v1", ["eq", "neq", "ex", "nex"]],
  ["ontology.imu.acceleration.x", "0.1", "v1", ONTOLOGY_OPS],
  ["ontology.imu.frame_id", `"base"`, "v1", ONTOLOGY_OPS],
  // 2026 (2026 protocol 9.2)
  ["sequence.locator", `"run"`, "v2026", TEXT_OPS],
  ["sequence.created_at_ns", "1776870000000000000", "v2026", ORDERED_OPS],
  ["topic.locator", `"/front/imu"`, "v2026", TEXT_OPS],
  ["topic.created_at_ns", "1776870000000000000", "v2026", ORDERED_OPS],
  ["topic.ontology_tag", `"imu"`, "v2026", TEXT_OPS],
  ["topic.serialization_format", `"ragged"`, "v2026", TEXT_OPS],
  ["sequence.user_metadata.a.b", `"x"`, "v2026", ["eq", "neq", "ex", "nex"]],
  ["sequence.user_metadata.a.b", "3", "v2026", ORDERED_OPS],
  ["sequence.user_metadata.a.b", "0.5", "v2026", ORDERED_OPS],
  ["sequence.user_metadata.a.b", "true", "v2026", ["eq", "neq", "ex", "nex"]],
  ["topic.user_metadata.a", `"x"`, "v2026", ["eq", "neq", "ex", "nex"]],
  ["topic.user_metadata.a", "-2", "v2026", ORDERED_OPS],
  ["topic.user_metadata.a", "false", "v2026", ["eq", "neq", "ex", "nex"]],
  ["ontology.imu.acceleration.x", "0.1", "v2026", ONTOLOGY_OPS],
  ["ontology.imu.header.stamp.sec", "17", "v2026", ONTOLOGY_OPS],
  ["ontology.gps.status.ok", "true", "v2026", ONTOLOGY_OPS],
  ["ontology.imu.frame_id", `"base"`, "v2026", ONTOLOGY_OPS],
  // SDK 0.6/0.7 (0.7 delta Q1, Q5)
  ["sequence.name", `"run"`, "v07", TEXT_OPS_07],
  ["topic.name", `"/front/imu"`, "v07", TEXT_OPS_07],
  ["topic.ontology_tag", `"imu"`, "v07", TEXT_OPS_07],
  ["topic.serialization_format", `"ragged"`, "v07", TEXT_OPS_07],
  ["sequence.created_at_ns", "1776870000000000000", "v07", TIME_OPS_07],
  ["topic.created_at_ns", "1776870000000000000", "v07", TIME_OPS_07],
  ["sequence.user_metadata.a.b", `"x"`, "v07", META_OPS_07_TEXT],
  ["topic.user_metadata.a", "3", "v07", META_OPS_07],
  ["topic.user_metadata.a", "0.5", "v07", META_OPS_07],
  ["topic.user_metadata.a", "true", "v07", ["eq", "neq", "in", "ex", "nex"]],
  ["topic.user_metadata.*.a", "3", "v07", META_OPS_07],
  ["ontology.imu.acceleration.x", "0.1", "v07", ONTOLOGY_OPS_07],
  ["ontology.imu.header.stamp.sec", "17", "v07", ONTOLOGY_OPS_07],
  ["ontology.gps.status.ok", "true", "v07", ONTOLOGY_OPS_07],
  ["ontology.imu.frame_id", `"base"`, "v07", [...ONTOLOGY_OPS_07, "match"]],
];

for (const [field, value, dialect, allowed] of TABLE) {
  Deno.test(`parseQuery (${dialect}): ${field} with ${value}`, () => {
    for (const [op, template] of Object.entries(OPS)) {
      const text = body(field, template.replaceAll("V", value));
      if (allowed.includes(op)) {
        assert.doesNotThrow(() => parse(text, dialect), text);
      } else {
        // Refused by the operator table, or because the operator itself is SDK 0.6/0.7 only.
        refuses(text, new RegExp(`^Invalid query: "${field.replace(/[.*]/g, "\\$&")}": \\$${op} `), dialect);
      }
    }
  });
}

Deno.test("parseQuery: builds the typed AST", () => {
  assert.deepEqual(
    parse(`{"sequence": {"name": {"$in": ["a", "b"]}, "created_timestamp": {"$between": [1, 2]},
      "user_metadata": {"a.b.0": {"$gt": 0.5}, "s": {"$eq": "x"}, "f": {"$neq": true}, "e": "$ex"}},
      "topic": {"name": {"$match": "/front"}, "ontology_tag": "$nex", "serialization_format": {"$eq": "image"},
      "created_timestamp": {"$geq": 7}},
      "ontology": {"imu.header.stamp.sec": {"$between": [1, 2.5]}, "imu.frame": {"$eq": "x"}}}`),
    {
      sequence: {
        name: { op: "in", values: ["a", "b"] },
        createdMs: { op: "between", low: 1n, high: 2n },
        userMetadata: [
          { path: ["a", "b", "0"], op: { op: "gt", value: 0.5 } },
          { path: ["s"], op: { op: "eq", value: "x" } },
          { path: ["f"], op: { op: "neq", value: true } },
          { path: ["e"], op: { op: "ex" } },
        ],
      },
      topic: {
        name: { op: "match", value: "/front" },
        ontologyTag: { op: "nex" },
        serializationFormat: { op: "eq", value: "image" },
        createdMs: { op: "geq", value: 7n },
        userMetadata: [],
      },
      ontology: [
        { tag: "imu", path: ["header", "stamp", "sec"], op: { op: "between", low: 1n, high: 2.5 } },
        { tag: "imu", path: ["frame"], op: { op: "eq", value: "x" } },
      ],
      includeTimestampRange: false,
      dialect: "v1",
    },
  );
  assert.deepEqual(parse("{}"), {
    sequence: null,
    topic: null,
    ontology: [],
    includeTimestampRange: false,
    dialect: "v1",
  });
});

Deno.test("parseQuery: integers stay exact and distinct from floats", () => {
  const q = parse(
    `{"topic": {"user_metadata": {"id": {"$eq": 18446744073709551615}, "n": {"$lt": -9007199254740993},
    "f": {"$eq": 1.5}, "g": {"$eq": 1.0}}}, "sequence": {"created_timestamp": {"$eq": 9223372036854775807}}}`,
  );
  assert.deepEqual(q.topic?.userMetadata.map((c) => c.op), [
    { op: "eq", value: 18446744073709551615n },
    { op: "lt", value: -9007199254740993n },
    { op: "eq", value: 1.5 },
    { op: "eq", value: 1n }, // JSON.parse cannot tell 1.0 from 1
  ]);
  assert.deepEqual(q.sequence?.createdMs, { op: "eq", value: 9223372036854775807n });
  // Plain JSON.parse bodies work too (integers up to 2^53 exact).
  assert.deepEqual(parseQuery({ sequence: { created_timestamp: { $gt: 5 } } }).sequence?.createdMs, {
    op: "gt",
    value: 5n,
  });
});

Deno.test("parseQuery: every 9.7 example parses", () => {
  const examples = PROTOCOL_QUERY_EXAMPLES;
  for (const text of examples) assert.doesNotThrow(() => parse(text), text);
  assert.deepEqual(parse(examples[1]).ontology, [
    { tag: "imu", path: ["header", "stamp", "sec"], op: { op: "eq", value: 1700000000n } },
    { tag: "imu", path: ["header", "stamp", "nanosec"], op: { op: "geq", value: 259999990n } },
  ]);
  assert.deepEqual(parse(examples[4]).topic?.userMetadata, [
    { path: ["interface", "type"], op: { op: "eq", value: "UART" } },
  ]);
});

Deno.test("parseQuery: refuses what is outside the grammar, naming the key", () => {
  const cases: [string, string][] = [
    [`{"sequences": {}}`, `Invalid query: "sequences": unknown section`],
    [`{"sequence": null}`, `Invalid query: "sequence": expected an object, got null`],
    [`{"topic": []}`, `Invalid query: "topic": expected an object, got an array`],
    [`{"sequence": {"nam": {"$eq": "x"}}}`, `Invalid query: "sequence.nam": unknown field`],
    [`{"topic": {"locked": {"$eq": true}}}`, `Invalid query: "topic.locked": unknown field`],
    [
      `{"sequence": {"ontology_tag": {"$eq": "imu"}}}`,
      `Invalid query: "sequence.ontology_tag": unknown field`,
    ],
    [
      `{"sequence": {"created_timestamp": {"$in": [1]}}}`,
      `Invalid query: "sequence.created_timestamp": $in is not allowed`,
    ],
    [
      `{"sequence": {"name": {"$eq": "a", "$neq": "b"}}}`,
      `Invalid query: "sequence.name": an operator object must have exactly one key, got 2`,
    ],
    [
      `{"sequence": {"name": {}}}`,
      `Invalid query: "sequence.name": an operator object must have exactly one key, got 0`,
    ],
    [`{"sequence": {"name": {"$like": "a"}}}`, `Invalid query: "sequence.name": unknown operator "$like"`],
    [`{"sequence": {"name": {"eq": "a"}}}`, `Invalid query: "sequence.name": unknown operator "eq"`],
    [
      `{"sequence": {"name": "run"}}`,
      `Invalid query: "sequence.name": expected an operator object, got a string`,
    ],
    [
      `{"sequence": {"name": {"$eq": null}}}`,
      `Invalid query: "sequence.name": $eq expects a string, got null`,
    ],
    [
      `{"sequence": {"name": {"$eq": ["a"]}}}`,
      `Invalid query: "sequence.name": $eq expects a string, got an array`,
    ],
    [
      `{"sequence": {"name": {"$eq": 5}}}`,
      `Invalid query: "sequence.name": $eq expects a string, got an integer`,
    ],
    [
      `{"topic": {"name": {"$in": "a"}}}`,
      `Invalid query: "topic.name": $in expects an array of strings, got a string`,
    ],
    [
      `{"topic": {"name": {"$in": ["a", 1]}}}`,
      `Invalid query: "topic.name": $in expects a string, got an integer`,
    ],
    [
      `{"topic": {"created_timestamp": {"$eq": 1.5}}}`,
      `Invalid query: "topic.created_timestamp": $eq expects an integer (milliseconds), got a float`,
    ],
    [
      `{"topic": {"created_timestamp": {"$gt": "5"}}}`,
      `Invalid query: "topic.created_timestamp": $gt expects an integer (milliseconds), got a string`,
    ],
    [
      `{"topic": {"created_timestamp": {"$between": [5, 1]}}}`,
      `Invalid query: "topic.created_timestamp": $between has an empty range`,
    ],
    [
      `{"topic": {"created_timestamp": {"$between": [1]}}}`,
      `Invalid query: "topic.created_timestamp": $between expects an array of two values, got an array`,
    ],
    [
      `{"topic": {"created_timestamp": {"$between": 1}}}`,
      `Invalid query: "topic.created_timestamp": $between expects an array of two values, got an integer`,
    ],
    [`{"topic": {"name": {"$ex": true}}}`, `Invalid query: "topic.name": $ex takes null, got a boolean`],
    [
      `{"topic": {"name": "$exists"}}`,
      `Invalid query: "topic.name": expected an operator object, got a string`,
    ],
    [
      `{"topic": {"user_metadata": []}}`,
      `Invalid query: "topic.user_metadata": expected an object, got an array`,
    ],
    [
      `{"topic": {"user_metadata": {"": "$ex"}}}`,
      `Invalid query: "topic.user_metadata.": empty metadata key`,
    ],
    [
      `{"topic": {"user_metadata": {"a": {"$lt": true}}}}`,
      `Invalid query: "topic.user_metadata.a": $lt expects a number, got a boolean`,
    ],
    [
      `{"topic": {"user_metadata": {"a": {"$between": [true, false]}}}}`,
      `Invalid query: "topic.user_metadata.a": $between expects a number, got a boolean`,
    ],
    [
      `{"sequence": {"user_metadata": {"a": {"$between": [2.5, 2]}}}}`,
      `Invalid query: "sequence.user_metadata.a": $between has an empty range`,
    ],
    [
      `{"sequence": {"user_metadata": {"a": {"$eq": {"b": 1}}}}}`,
      `Invalid query: "sequence.user_metadata.a": $eq expects a string, number or boolean, got an object`,
    ],

    [`{"ontology": {"imu": {"$eq": 1}}}`, `Invalid query: "ontology.imu": expected "<ontology_tag>.<field>"`],
    [`{"ontology": {"imu..x": {"$eq": 1}}}`, `Invalid query: "ontology.imu..x": empty segment in the key`],
    [`{"ontology": {".x": {"$eq": 1}}}`, `Invalid query: "ontology..x": empty segment in the key`],
    [`{"ontology": {"imu.x": "$ex"}}`, `Invalid query: "ontology.imu.x": $ex is not allowed`],
    [
      `{"ontology": {"imu.x": {"$between": [1, "b"]}}}`,
      `Invalid query: "ontology.imu.x": $between bounds must have the same type`,
    ],
    [
      `{"ontology": {"imu.x": {"$between": ["b", "a"]}}}`,
      `Invalid query: "ontology.imu.x": $between has an empty range`,
    ],
    [
      `{"ontology": {"imu.x": {"$eq": null}}}`,
      `Invalid query: "ontology.imu.x": $eq expects a string, number or boolean, got null`,
    ],
    [`{"ontology": []}`, `Invalid query: "ontology": expected an object, got an array`],
  ];
  for (const [text, message] of cases) refuses(text, message);
});

Deno.test("parseQuery: $in [] is allowed; $between bounds are inclusive-equal", () => {
  assert.deepEqual(parse(`{"sequence": {"name": {"$in": []}}}`).sequence?.name, { op: "in", values: [] });
  assert.deepEqual(parse(`{"topic": {"created_timestamp": {"$between": [5, 5]}}}`).topic?.createdMs, {
    op: "between",
    low: 5n,
    high: 5n,
  });
  assert.deepEqual(parse(`{"ontology": {"imu.ok": {"$between": [false, true]}}}`).ontology[0].op, {
    op: "between",
    low: false,
    high: true,
  });
});
