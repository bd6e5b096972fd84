import assert from "node:assert/strict";
import {
  PROTOCOL_07_QUERY_EXAMPLES,
  PROTOCOL_2026_QUERY_EXAMPLES,
  PROTOCOL_QUERY_EXAMPLES,
} from "./_examples.ts";
import { InvalidArgumentError } from "../errors.ts";
import { parseJsonExact } from "../model/json.ts";
import { bodyEvidence } from "./dialect.ts";
import { parseQuery } from "./parse.ts";
import type { JsonObject } from "./types.ts";

const json = (text: string) => parseJsonExact(text) as JsonObject;
const parse = (text: string) => parseQuery(json(text));

function refuses(text: string, message: string) {
  assert.throws(() => parse(text), (err: unknown) => {
    assert.ok(err instanceof InvalidArgumentError, `expected InvalidArgumentError, got ${err}`);
    assert.equal(err.message, message);
    return true;
  }, text);
}

/** The dialects a body allows, oldest first. */
const allows = (text: string) => bodyEvidence(json(text)).allowed.toReversed();
const ANY = ["v1", "v2026", "v07"];
const V1_OR_07 = ["v1", "v07"];
const V2026_OR_07 = ["v2026", "v07"];

Deno.test("bodyEvidence: what each protocol example allows", () => {
  assert.deepEqual(PROTOCOL_QUERY_EXAMPLES.map(allows), [
    ANY, // ontology only: every SDK sends it byte for byte
    ANY,
    V1_OR_07, // `name`: 0.1.0, and again SDK 0.6/0.7
    V1_OR_07,
    ANY, // ontology and topic user metadata: neutral
    ["v1"], // created_timestamp
    ["v1"],
    V1_OR_07,
    ANY,
    ANY,
    V1_OR_07,
  ]);
  assert.deepEqual(PROTOCOL_2026_QUERY_EXAMPLES.map(allows), [
    ["v2026"], // include_timestamp_range
    ANY,
    ["v2026"], // locator
    ["v2026"],
    V2026_OR_07, // created_at_ns: SDK 0.4, and again SDK 0.6/0.7
    ["v2026"],
    ["v2026"],
    ANY,
  ]);
  assert.deepEqual(PROTOCOL_07_QUERY_EXAMPLES.map(allows), [
    V1_OR_07, // a name $match (its glob look only hints, after the connection)
    V1_OR_07,
    ["v07"], // $outside
    ["v07"], // $in on ontology
    ["v07"], // `*` key segment
    ["v07"], // ordering with a string on user metadata
    ["v07"], // $neq on ontology
    ["v07"], // name with created_at_ns
  ]);
});

Deno.test("bodyEvidence: only section field names, the ontology flag and 0.6+ operators count", () => {
  const cases: [string, string[]][] = [
    [`{}`, ANY],
    [`{"sequence": {}, "topic": {}, "ontology": {}}`, ANY],
    [`{"topic": {"ontology_tag": {"$eq": "imu"}, "serialization_format": "$ex"}}`, ANY],
    [`{"sequence": {"user_metadata": {"name": {"$eq": "x"}, "locator": "$ex"}}}`, ANY],
    [`{"topic": {"created_timestamp": "$ex"}}`, ["v1"]],
    [`{"sequence": {"created_at_ns": "$ex"}}`, V2026_OR_07],
    [`{"ontology": {"include_timestamp_range": false}}`, ["v2026"]],
    [`{"ontology": {"imu.include_timestamp_range": {"$eq": 1}}}`, ANY],
    [`{"ontology": {"imu.x": {"$outside": 1}}}`, ["v07"]], // the operator counts, its value is parsed later
    // Not objects: left to parseQuery, which refuses them
    [`{"sequence": ["name"], "topic": "locator", "ontology": null}`, ANY],
  ];
  for (const [text, want] of cases) assert.deepEqual(allows(text), want, text);
});

Deno.test("parseQuery: every SDK 0.6/0.7 example parses in v07", () => {
  for (const text of PROTOCOL_07_QUERY_EXAMPLES) {
    assert.equal(parseQuery(json(text), "v07").dialect, "v07", text);
  }
  assert.deepEqual(parseQuery(json(PROTOCOL_07_QUERY_EXAMPLES[0]), "v07").sequence?.name, {
    op: "glob",
    pattern: "test_*",
  });
});

Deno.test("parseQuery: every 2026 9.7 example parses to the typed AST", () => {
  const [withRange, gps, match, sequence, topic, visibility, inList, pressure] = PROTOCOL_2026_QUERY_EXAMPLES
    .map(
      parse,
    );
  assert.deepEqual(withRange, {
    sequence: null,
    topic: null,
    ontology: [{ tag: "imu", path: ["acceleration", "x"], op: { op: "gt", value: 0n } }],
    includeTimestampRange: true,
    dialect: "v2026",
  });
  assert.deepEqual(gps.ontology, [
    { tag: "gps", path: ["timestamp_ns"], op: { op: "geq", value: 1700000000260000000n } },
    { tag: "gps", path: ["status", "service"], op: { op: "eq", value: 2n } },
  ]);
  assert.equal(gps.includeTimestampRange, false);
  assert.deepEqual(match.topic, { name: { op: "match", value: "camera/left" }, userMetadata: [] });
  assert.deepEqual(sequence.sequence, {
    name: { op: "eq", value: "s" },
    createdNs: { op: "leq", value: 1776870000000000000n },
    userMetadata: [],
  });
  assert.deepEqual(topic.topic, {
    ontologyTag: { op: "eq", value: "imu" },
    createdNs: { op: "between", low: 1000000000n, high: 2000000000n },
    userMetadata: [{ path: ["bias_stability"], op: { op: "between", low: 0.005, high: 0.015 } }],
  });
  assert.deepEqual(visibility.topic?.name, { op: "eq", value: "/front/imu" });
  assert.deepEqual(inList.topic?.name, { op: "in", values: ["/topic11", "/topic12", "/topic21"] });
  assert.deepEqual(pressure, {
    sequence: null,
    topic: null,
    ontology: [{ tag: "pressure", path: ["value"], op: { op: "geq", value: 100n } }],
    includeTimestampRange: false,
    dialect: "v1", // neutral: read as every generation before SDK 0.6 did
  });
});

Deno.test("parseQuery: a body mixing 0.1.0 and 2026 keys is refused, naming both", () => {
  const cases: [string, string][] = [
    [
      `{"sequence": {"name": {"$eq": "s"}, "locator": {"$eq": "s"}}}`,
      `Invalid query: "sequence.locator": the key (SDK 0.4) cannot be mixed with "sequence.name" (0.1.0 or SDK 0.6/0.7)`,
    ],
    [
      `{"topic": {"created_at_ns": {"$gt": 1}, "created_timestamp": {"$gt": 1}}}`,
      `Invalid query: "topic.created_timestamp": the key (0.1.0) cannot be mixed with "topic.created_at_ns" (SDK 0.4 or SDK 0.6/0.7)`,
    ],
    [
      // name (0.1.0 or 0.6/0.7) with created_at_ns (0.4 or 0.6/0.7) is SDK 0.6/0.7; with a 0.1.0 key, nothing
      `{"sequence": {"name": {"$eq": "s"}, "created_at_ns": {"$gt": 1}}, "topic": {"created_timestamp": "$ex"}}`,
      `Invalid query: "topic.created_timestamp": the key (0.1.0) cannot be mixed with "sequence.created_at_ns" (SDK 0.4 or SDK 0.6/0.7)`,
    ],
    [
      `{"sequence": {"name": {"$eq": "s"}}, "topic": {"locator": {"$eq": "/a"}}}`,
      `Invalid query: "topic.locator": the key (SDK 0.4) cannot be mixed with "sequence.name" (0.1.0 or SDK 0.6/0.7)`,
    ],
    [
      `{"topic": {"created_timestamp": "$ex"}, "ontology": {"include_timestamp_range": true, "imu.x": {"$gt": 0}}}`,
      `Invalid query: "ontology.include_timestamp_range": the key (SDK 0.4) cannot be mixed with "topic.created_timestamp" (0.1.0)`,
    ],
  ];
  for (const [text, message] of cases) {
    refuses(text, message);
    assert.throws(() => bodyEvidence(json(text)), InvalidArgumentError);
  }
});

Deno.test("parseQuery: 2026 values and operators are checked like 0.1.0 ones", () => {
  const cases: [string, string][] = [
    [
      `{"sequence": {"created_at_ns": {"$eq": 1.5}}}`,
      `Invalid query: "sequence.created_at_ns": $eq expects an integer (nanoseconds), got a float`,
    ],
    [
      `{"topic": {"locator": "$ex", "created_at_ns": {"$in": [1]}}}`,
      `Invalid query: "topic.created_at_ns": $in is not allowed`,
    ],
    [
      `{"topic": {"created_at_ns": {"$between": [2, 1]}}}`,
      `Invalid query: "topic.created_at_ns": $between has an empty range`,
    ],
    [
      `{"topic": {"locator": {"$lt": "/a"}}}`,
      `Invalid query: "topic.locator": $lt (SDK 0.6/0.7) cannot be used on this key (SDK 0.4)`,
    ],
    [
      `{"sequence": {"locator": {"$eq": 5}}}`,
      `Invalid query: "sequence.locator": $eq expects a string, got an integer`,
    ],
    // `$in` needs a non-empty list in 2026 (9.2), on every text field of a 2026 body
    [
      `{"topic": {"locator": {"$in": []}}}`,
      `Invalid query: "topic.locator": $in expects a non-empty array of strings`,
    ],
    [
      `{"sequence": {"locator": "$ex"}, "topic": {"ontology_tag": {"$in": []}}}`,
      `Invalid query: "topic.ontology_tag": $in expects a non-empty array of strings`,
    ],
    [
      `{"ontology": {"include_timestamp_range": 1, "imu.x": {"$gt": 0}}}`,
      `Invalid query: "ontology.include_timestamp_range": expected a boolean, got an integer`,
    ],
    [
      `{"ontology": {"include_timestamp_range": "true"}}`,
      `Invalid query: "ontology.include_timestamp_range": expected a boolean, got a string`,
    ],
    [
      `{"ontology": {"imu.x": {"$match": "a"}, "include_timestamp_range": true}}`,
      `Invalid query: "ontology.include_timestamp_range": the key (SDK 0.4) cannot be mixed with $match at "ontology.imu.x" (SDK 0.6/0.7)`,
    ],
    [`{"ontology": {"imu.x": {"$nex": null}}}`, `Invalid query: "ontology.imu.x": $nex is not allowed`],
    [
      `{"sequence": {"locator": "$ex", "user_metadata": {"a": {"$lt": true}}}}`,
      `Invalid query: "sequence.user_metadata.a": $lt expects a number, got a boolean`,
    ],
  ];
  for (const [text, message] of cases) refuses(text, message);
});

Deno.test("parseQuery: 2026 flag and time fields, edge values", () => {
  // The flag alone, or false: no condition, but still a 2026 body.
  assert.deepEqual(parse(`{"ontology": {"include_timestamp_range": true}}`), {
    sequence: null,
    topic: null,
    ontology: [],
    includeTimestampRange: true,
    dialect: "v2026",
  });
  assert.equal(
    parse(`{"ontology": {"include_timestamp_range": false, "a.b": {"$eq": 1}}}`).includeTimestampRange,
    false,
  );
  // int64 bounds stay exact; both units sit side by side in the AST, never converted.
  assert.deepEqual(
    parse(`{"topic": {"created_at_ns": {"$between": [-9223372036854775808, 9223372036854775807]}}}`).topic,
    {
      createdNs: { op: "between", low: -9223372036854775808n, high: 9223372036854775807n },
      userMetadata: [],
    },
  );
  assert.deepEqual(parse(`{"topic": {"created_timestamp": {"$eq": 5}}}`).topic, {
    createdMs: { op: "eq", value: 5n },
    userMetadata: [],
  });
  // A neutral `$in []` keeps the 0.1.0 meaning (selects nothing); so does a 0.1.0 one.
  assert.deepEqual(parse(`{"topic": {"ontology_tag": {"$in": []}}}`).topic?.ontologyTag, {
    op: "in",
    values: [],
  });
  assert.deepEqual(parse(`{"topic": {"name": {"$in": []}}}`).topic?.name, { op: "in", values: [] });
});
