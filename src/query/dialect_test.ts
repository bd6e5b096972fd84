import assert from "node:assert/strict";
import { PROTOCOL_2026_QUERY_EXAMPLES, PROTOCOL_QUERY_EXAMPLES } from "./_examples.ts";
import { InvalidArgumentError } from "../errors.ts";
import { parseJsonExact } from "../model/json.ts";
import { queryDialect } from "./dialect.ts";
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

Deno.test("queryDialect: what each protocol example proves", () => {
  assert.deepEqual(PROTOCOL_QUERY_EXAMPLES.map((t) => queryDialect(json(t))), [
    null, // ontology only: either SDK sends it byte for byte
    null,
    "v1",
    "v1",
    null, // ontology and topic user metadata: neutral
    "v1",
    "v1",
    "v1",
    null,
    null,
    "v1",
  ]);
  assert.deepEqual(PROTOCOL_2026_QUERY_EXAMPLES.map((t) => queryDialect(json(t))), [
    "v2026", // include_timestamp_range
    null,
    "v2026",
    "v2026",
    "v2026", // created_at_ns
    "v2026",
    "v2026",
    null,
  ]);
});

Deno.test("queryDialect: only section field names and the ontology flag count", () => {
  const cases: [string, "v1" | "v2026" | null][] = [
    [`{}`, null],
    [`{"sequence": {}, "topic": {}, "ontology": {}}`, null],
    [`{"topic": {"ontology_tag": {"$eq": "imu"}, "serialization_format": "$ex"}}`, null],
    [`{"sequence": {"user_metadata": {"name": {"$eq": "x"}, "locator": "$ex"}}}`, null],
    [`{"topic": {"created_timestamp": "$ex"}}`, "v1"],
    [`{"sequence": {"created_at_ns": "$ex"}}`, "v2026"],
    [`{"ontology": {"include_timestamp_range": false}}`, "v2026"],
    [`{"ontology": {"imu.include_timestamp_range": {"$eq": 1}}}`, null],
    // Not objects: left to parseQuery, which refuses them
    [`{"sequence": ["name"], "topic": "locator", "ontology": null}`, null],
  ];
  for (const [text, want] of cases) assert.equal(queryDialect(json(text)), want, text);
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
    dialect: null,
  });
});

Deno.test("parseQuery: a body mixing 0.1.0 and 2026 keys is refused, naming both", () => {
  const cases: [string, string][] = [
    [
      `{"sequence": {"name": {"$eq": "s"}, "locator": {"$eq": "s"}}}`,
      `Invalid query: "sequence.locator": the 2026 key cannot be mixed with the 0.1.0 key "sequence.name"`,
    ],
    [
      `{"topic": {"created_at_ns": {"$gt": 1}, "created_timestamp": {"$gt": 1}}}`,
      `Invalid query: "topic.created_at_ns": the 2026 key cannot be mixed with the 0.1.0 key "topic.created_timestamp"`,
    ],
    [
      `{"sequence": {"name": {"$eq": "s"}, "created_at_ns": {"$gt": 1}}}`,
      `Invalid query: "sequence.created_at_ns": the 2026 key cannot be mixed with the 0.1.0 key "sequence.name"`,
    ],
    [
      `{"sequence": {"name": {"$eq": "s"}}, "topic": {"locator": {"$eq": "/a"}}}`,
      `Invalid query: "topic.locator": the 2026 key cannot be mixed with the 0.1.0 key "sequence.name"`,
    ],
    [
      `{"topic": {"created_timestamp": "$ex"}, "ontology": {"include_timestamp_range": true, "imu.x": {"$gt": 0}}}`,
      `Invalid query: "ontology.include_timestamp_range": the 2026 key cannot be mixed with the 0.1.0 key "topic.created_timestamp"`,
    ],
  ];
  for (const [text, message] of cases) {
    refuses(text, message);
    assert.throws(() => queryDialect(json(text)), InvalidArgumentError);
  }
});

Deno.test("parseQuery: 2026 values and operators are checked like 0.1.0 ones", () => {
  const cases: [string, string][] = [
    [
      `{"sequence": {"created_at_ns": {"$eq": 1.5}}}`,
      `Invalid query: "sequence.created_at_ns": $eq expects an integer (nanoseconds), got a float`,
    ],
    [
      `{"topic": {"created_at_ns": {"$in": [1]}}}`,
      `Invalid query: "topic.created_at_ns": $in is not allowed`,
    ],
    [
      `{"topic": {"created_at_ns": {"$between": [2, 1]}}}`,
      `Invalid query: "topic.created_at_ns": $between has an empty range`,
    ],
    [
      `{"topic": {"locator": {"$lt": "/a"}}}`,
      `Invalid query: "topic.locator": $lt is not allowed`,
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
    [`{"ontology": {"imu.x": {"$match": "a"}}}`, `Invalid query: "ontology.imu.x": $match is not allowed`],
    [`{"ontology": {"imu.x": {"$nex": null}}}`, `Invalid query: "ontology.imu.x": $nex is not allowed`],
    [
      `{"sequence": {"user_metadata": {"a": {"$lt": true}}}}`,
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
