import assert from "node:assert/strict";
import { assertThrowsError, pyJson, topicParts } from "../../tests/_assert.ts";
import { InvalidArgumentError, ResourceExhaustedError } from "../errors.ts";
import {
  ACTION_NAMES,
  type ActionRequest,
  DEFAULT_ACTION_LIMITS,
  encodeActionResult,
  formatCreatedDatetime,
  parseAction,
} from "./actions.ts";

const KEY = "d6dfc7a3-951b-4eaa-9f5f-3e7a4a49ebc3";
const enc = new TextEncoder();
const dec = new TextDecoder();

function parse(type: string, body: unknown): ActionRequest {
  return parseAction(type, typeof body === "string" ? enc.encode(body) : pyJson(body));
}

function assertInvalid(type: string, body: unknown, message: string | RegExp): void {
  assertThrowsError(() => parse(type, body), InvalidArgumentError, message);
}

const topicName = topicParts;

Deno.test("parseAction() parses sequence_create as the SDK sends it", () => {
  const meta = { status: "raw", nested: { "ünï": [1, 2.5, true, null] } };
  assert.deepEqual(parse("sequence_create", { name: "/seqA/", user_metadata: meta }), {
    action: "sequence_create",
    sequence: "seqA",
    userMetadata: meta,
  });
});

Deno.test("parseAction() parses topic_create", () => {
  const body = {
    sequence_key: KEY.toUpperCase(),
    name: "seqA/front/imu",
    serialization_format: "ragged",
    ontology_tag: "imu",
    user_metadata: {},
  };
  assert.deepEqual(parse("topic_create", body), {
    action: "topic_create",
    topic: topicName("seqA/front/imu"),
    sequenceKey: KEY,
    serializationFormat: "ragged",
    ontologyTag: "imu",
    userMetadata: {},
  });
});

Deno.test("parseAction() parses the key-carrying sequence actions", () => {
  for (const action of ["sequence_finalize", "sequence_abort"] as const) {
    assert.deepEqual(parse(action, { name: "seqA/", key: `urn:uuid:${KEY}` }), {
      action,
      sequence: "seqA",
      key: KEY,
    });
  }
});

Deno.test("parseAction() parses the name-only sequence and topic actions", () => {
  for (
    const action of [
      "sequence_delete",
      "sequence_system_info",
      "sequence_notify_list",
      "sequence_notify_purge",
    ]
  ) {
    assert.deepEqual(parse(action, { name: " /seqA/ " }), { action, sequence: "seqA" });
  }
  for (const action of ["topic_delete", "topic_system_info", "topic_notify_list", "topic_notify_purge"]) {
    assert.deepEqual(parse(action, { name: "seqA/a/b" }), { action, topic: topicName("seqA/a/b") });
  }
});

Deno.test("parseAction() parses notification creation", () => {
  assert.deepEqual(
    parse("sequence_notify_create", { name: "/seqA", notify_type: "error", msg: "boom\nline 2" }),
    {
      action: "sequence_notify_create",
      sequence: "seqA",
      notifyType: "error",
      msg: "boom\nline 2",
    },
  );
  assert.deepEqual(parse("topic_notify_create", { name: "seqA/imu", notify_type: "error", msg: "" }), {
    action: "topic_notify_create",
    topic: topicName("seqA/imu"),
    notifyType: "error",
    msg: "",
  });
});

Deno.test("parseAction() parses the layer actions", () => {
  assert.deepEqual(parse("layer_create", { name: " lidar ", description: "d" }), {
    action: "layer_create",
    name: "lidar",
    description: "d",
  });
  assert.deepEqual(parse("layer_delete", { name: "lidar" }), { action: "layer_delete", name: "lidar" });
  assert.deepEqual(parse("layer_update", { prev_name: "a", curr_name: " b ", curr_description: "" }), {
    action: "layer_update",
    prevName: "a",
    currName: "b",
    currDescription: "",
  });
  assert.deepEqual(parse("layer_list", "{}"), { action: "layer_list" });
  assert.deepEqual(parse("layer_list", { anything: 1 }), { action: "layer_list" });
});

Deno.test("parseAction() carries the query body as a JSON object", () => {
  const q = {
    ontology: { "imu.acceleration.x": { "$between": [0.0, 1.0] } },
    topic: { name: { "$match": "camera/left" } },
  };
  assert.deepEqual(parse("query", q), { action: "query", query: q });
  assert.deepEqual(parse("query", "{}"), { action: "query", query: {} });
});

Deno.test("parseAction() ignores extra fields", () => {
  assert.deepEqual(parse("sequence_delete", { name: "s", extra: [1], key: 5 }), {
    action: "sequence_delete",
    sequence: "s",
  });
});

Deno.test("parseAction() knows every action of the protocol and nothing else", () => {
  assert.deepEqual([...ACTION_NAMES].sort(), [
    "layer_create",
    "layer_delete",
    "layer_list",
    "layer_update",
    "query",
    "sequence_abort",
    "sequence_create",
    "sequence_delete",
    "sequence_finalize",
    "sequence_notify_create",
    "sequence_notify_list",
    "sequence_notify_purge",
    "sequence_system_info",
    "topic_create",
    "topic_delete",
    "topic_notify_create",
    "topic_notify_list",
    "topic_notify_purge",
    "topic_system_info",
  ]);
  assertInvalid("sequence_list", "{}", 'Unknown action "sequence_list"');
  assertInvalid("", "{}", 'Unknown action ""');
  assertInvalid("Sequence_Create", "{}", 'Unknown action "Sequence_Create"');
  assertInvalid("constructor", "{}", 'Unknown action "constructor"');
  assertInvalid("__proto__", "{}", 'Unknown action "__proto__"');
  assertInvalid("toString", "{}", 'Unknown action "toString"');
});

Deno.test("parseAction() refuses bodies that are not one UTF-8 JSON object", () => {
  assertInvalid("layer_list", "", "Invalid layer_list request: body is empty");
  assertThrowsError(
    () => parseAction("layer_list", new Uint8Array([0x7b, 0xff, 0x7d])),
    InvalidArgumentError,
    "Invalid layer_list request: body is not valid UTF-8",
  );
  assertInvalid("sequence_create", "{name:", /^Invalid sequence_create request: body is not valid JSON: .+/);
  assertInvalid("sequence_create", "{} {}", /^Invalid sequence_create request: body is not valid JSON: .+/);
  assertInvalid("sequence_create", '{"a": NaN}', /^Invalid sequence_create request: body is not valid JSON/);
  // V8 quotes the input in some messages; the control character comes out escaped.
  assertInvalid(
    "query",
    '{"a": tru\u0001e}',
    /^Invalid query request: body is not valid JSON: .*tru\\u0001e/,
  );
  for (const body of ["[]", "null", "1", '"s"', "true"]) {
    assertInvalid("query", body, "Invalid query request: body must be a JSON object");
  }
});

Deno.test("parseAction() refuses unpaired surrogates anywhere in the body", () => {
  for (
    const body of [
      '{"name": "s", "msg": "\\ud800"}',
      '{"name": "s", "x": {"\\udc00": 1}}',
      '{"a": ["\\ud83d"]}',
    ]
  ) {
    assertInvalid(
      "sequence_delete",
      body,
      "Invalid sequence_delete request: body holds a string with an unpaired surrogate",
    );
  }
  assert.ok(parse("sequence_delete", '{"name": "s", "msg": "\\ud83d\\ude00"}')); // a pair is fine
});

Deno.test("parseAction() refuses numbers that overflow a double", () => {
  assertInvalid(
    "sequence_create",
    '{"name": "s", "user_metadata": {"x": [1e400]}}',
    "Invalid sequence_create request: body holds a number too large for a double",
  );
});

/** Error cases as [action, body, message without the "Invalid <action> request: " prefix]. */
type Case = [string, Record<string, unknown>, string];

function assertCases(cases: Case[]): void {
  for (const [action, body, rest] of cases) assertInvalid(action, body, `Invalid ${action} request: ${rest}`);
}

Deno.test("parseAction() refuses missing fields and wrong JSON types, naming action and field", () => {
  assertCases([
    ["sequence_create", { user_metadata: {} }, 'field "name" is missing'],
    ["sequence_create", { name: 1, user_metadata: {} }, 'field "name" must be a string'],
    ["sequence_create", { name: null, user_metadata: {} }, 'field "name" must be a string'],
    ["sequence_create", { name: "s" }, 'field "user_metadata" is missing'],
    ...[null, 5, "x", [1], true].map((meta): Case => [
      "sequence_create",
      { name: "s", user_metadata: meta },
      'field "user_metadata" must be a JSON object',
    ]),
    ["sequence_finalize", { name: "s" }, 'field "key" is missing'],
    ["sequence_abort", { key: KEY }, 'field "name" is missing'],
    ["sequence_system_info", { name: ["s"] }, 'field "name" must be a string'],
    ["topic_system_info", {}, 'field "name" is missing'],
    ["sequence_notify_create", { name: "s", notify_type: "error" }, 'field "msg" is missing'],
    ["sequence_notify_create", { name: "s", msg: "" }, 'field "notify_type" is missing'],
    ["topic_notify_create", { name: "s/t", notify_type: 1, msg: "" }, 'field "notify_type" must be a string'],
    ["topic_notify_create", { name: "s/t", notify_type: "error", msg: 1 }, 'field "msg" must be a string'],
    ["layer_create", { name: "l" }, 'field "description" is missing'],
    ["layer_create", { name: "l", description: null }, 'field "description" must be a string'],
    ["layer_delete", { name: {} }, 'field "name" must be a string'],
    ["layer_update", { prev_name: "a", curr_name: "b" }, 'field "curr_description" is missing'],
    ["layer_update", { curr_name: "b", curr_description: "" }, 'field "prev_name" is missing'],
    ["layer_update", { prev_name: "a", curr_description: "" }, 'field "curr_name" is missing'],
  ]);
});

Deno.test("parseAction() checks topic_create field by field", () => {
  const ok = {
    sequence_key: KEY,
    name: "s/t",
    serialization_format: "default",
    ontology_tag: "imu",
    user_metadata: {},
  };
  const formats = '"default", "ragged", "image"';
  const tag = 'field "ontology_tag": invalid ontology tag';
  const cases: [Record<string, unknown>, string][] = [
    [
      { serialization_format: "parquet" },
      `field "serialization_format" must be one of ${formats}, not "parquet"`,
    ],
    [
      { serialization_format: "Default" },
      `field "serialization_format" must be one of ${formats}, not "Default"`,
    ],
    [{ serialization_format: 1 }, 'field "serialization_format" must be a string'],
    [{ sequence_key: "nope" }, 'field "sequence_key": malformed sequence key "nope": not a UUID'],
    [{ sequence_key: null }, 'field "sequence_key" must be a string'],
    [
      { name: "s" },
      'field "name": invalid topic name "s": topic names must look like "<sequence>/<topic path>"',
    ],
    [{ ontology_tag: "" }, `${tag} "": the tag is empty`],
    [{ ontology_tag: 3 }, 'field "ontology_tag" must be a string'],
    [
      { ontology_tag: "imu.v2" },
      `${tag} "imu.v2": "." is not allowed (queries split "<tag>.<field>" at the first ".")`,
    ],
    [{ ontology_tag: " imu" }, `${tag} " imu": the tag must not start or end with whitespace`],
    [{ ontology_tag: "i\u0001" }, `${tag} "i\\u0001": control characters are not allowed`],
    [
      { ontology_tag: "t".repeat(256) },
      `${tag} "${"t".repeat(80)}…": the tag is longer than 255 UTF-8 bytes`,
    ],
    [{ user_metadata: [] }, 'field "user_metadata" must be a JSON object'],
  ];
  assertCases(cases.map(([patch, rest]): Case => ["topic_create", { ...ok, ...patch }, rest]));
  const unicode = parse("topic_create", { ...ok, ontology_tag: "日本_tag" });
  assert.equal(unicode.action === "topic_create" && unicode.ontologyTag, "日本_tag");
});

Deno.test("parseAction() validates names with the locator rules, naming action and field", () => {
  const name = 'field "name": invalid';
  assertCases([
    [
      "sequence_create",
      { name: "a/b", user_metadata: {} },
      `${name} sequence name "a/b": sequence names must not contain "/"`,
    ],
    ["sequence_delete", { name: "/" }, `${name} sequence name "/": the name is empty`],
    [
      "sequence_notify_purge",
      { name: "a\\b" },
      `${name} sequence name "a\\\\b": backslashes are not allowed`,
    ],
    ["topic_delete", { name: "a/../b" }, `${name} topic name "a/../b": ".." segments are not allowed`],
    [
      "topic_notify_list",
      { name: "a//b" },
      `${name} topic name "a//b": empty segments ("a//b") are not allowed`,
    ],
    ["layer_delete", { name: "." }, `${name} layer name ".": "." segments are not allowed`],
    [
      "layer_update",
      { prev_name: "a/b", curr_name: "c", curr_description: "" },
      'field "prev_name": invalid layer name "a/b": layer names must not contain "/"',
    ],
    [
      "layer_update",
      { prev_name: "a", curr_name: " ", curr_description: "" },
      'field "curr_name": invalid layer name " ": the name is empty',
    ],
    ["sequence_abort", { name: "s", key: "{}" }, 'field "key": malformed sequence key "{}": not a UUID'],
  ]);
});

Deno.test("parseAction() only knows the error notify_type", () => {
  assertCases([
    [
      "sequence_notify_create",
      { name: "s", notify_type: "warning", msg: "" },
      'field "notify_type" must be "error", not "warning"',
    ],
    [
      "topic_notify_create",
      { name: "s/t", notify_type: "Error", msg: "" },
      'field "notify_type" must be "error", not "Error"',
    ],
  ]);
});

Deno.test("parseAction() enforces the body size limit with ResourceExhaustedError", () => {
  assert.equal(DEFAULT_ACTION_LIMITS.maxBodyBytes, 1024 * 1024);
  const body = enc.encode(JSON.stringify({ name: "s", user_metadata: { pad: "x".repeat(1024 * 1024) } }));
  assertThrowsError(
    () => parseAction("sequence_create", body),
    ResourceExhaustedError,
    `Rejected sequence_create request: body of ${body.length} bytes exceeds the 1048576-byte limit`,
  );
  const small = enc.encode('{"name": "s"}');
  assertThrowsError(
    () => parseAction("sequence_delete", small, { maxBodyBytes: small.length - 1 }),
    ResourceExhaustedError,
    `Rejected sequence_delete request: body of ${small.length} bytes exceeds the ${
      small.length - 1
    }-byte limit`,
  );
  assert.deepEqual(parseAction("sequence_delete", small, { maxBodyBytes: small.length }), {
    action: "sequence_delete",
    sequence: "s",
  });
});

Deno.test("parseAction() enforces the user_metadata size limit on its compact JSON", () => {
  const body = enc.encode('{"name": "s", "user_metadata": {"a": "bcd"}}'); // compact: {"a":"bcd"} = 11 bytes
  assert.ok(parseAction("sequence_create", body, { maxMetadataBytes: 11 }));
  assertThrowsError(
    () => parseAction("sequence_create", body, { maxMetadataBytes: 10 }),
    ResourceExhaustedError,
    'Rejected sequence_create request: field "user_metadata" is 11 bytes of JSON, over the 10-byte limit',
  );
  assertThrowsError(
    () =>
      parseAction(
        "topic_create",
        pyJson({
          sequence_key: KEY,
          name: "s/t",
          serialization_format: "image",
          ontology_tag: "image",
          user_metadata: { k: "é" },
        }),
        { maxMetadataBytes: 9 },
      ),
    ResourceExhaustedError,
    'Rejected topic_create request: field "user_metadata" is 10 bytes of JSON, over the 9-byte limit',
  );
});

Deno.test("parseAction() bounds JSON nesting without recursing", () => {
  const nest = (depth: number) => "[".repeat(depth) + "]".repeat(depth);
  assert.ok(parseAction("query", enc.encode(`{"a": ${nest(63)}}`)));
  assertInvalid("query", `{"a": ${nest(64)}}`, "Invalid query request: body is nested deeper than 64 levels");
  assertInvalid(
    "query",
    `{"a": ${nest(400_000)}}`,
    "Invalid query request: body is nested deeper than 64 levels",
  );
  assert.ok(parseAction("query", enc.encode(`{"a": ${nest(9)}}`), { maxJsonDepth: 10 }));
  assertThrowsError(
    () => parseAction("query", enc.encode(`{"a": ${nest(10)}}`), { maxJsonDepth: 10 }),
    InvalidArgumentError,
    "Invalid query request: body is nested deeper than 10 levels",
  );
});

Deno.test("parseAction() passes custom locator limits through", () => {
  assertInvalid(
    "sequence_create",
    { name: "s".repeat(256), user_metadata: {} },
    `Invalid sequence_create request: field "name": invalid sequence name "${
      "s".repeat(80)
    }…": a segment is longer than 255 UTF-8 bytes`,
  );
  assertThrowsError(
    () =>
      parseAction("topic_delete", enc.encode('{"name": "abc/def"}'), {
        locator: { maxBytes: 6, maxSegmentBytes: 3 },
      }),
    InvalidArgumentError,
    'Invalid topic_delete request: field "name": invalid topic name "abc/def": the name is longer than 6 UTF-8 bytes',
  );
});

Deno.test("parseAction() keeps __proto__ keys as plain data", () => {
  const req = parse("sequence_create", '{"name": "s", "user_metadata": {"__proto__": {"polluted": 1}}}');
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.deepEqual(Object.keys((req as { userMetadata: object }).userMetadata), ["__proto__"]);
});

Deno.test("encodeActionResult() builds the compact result body", () => {
  assert.equal(
    dec.decode(encodeActionResult("sequence_create", { key: KEY })),
    `{"action":"sequence_create","response":{"key":"${KEY}"}}`,
  );
  assert.equal(dec.decode(encodeActionResult("sequence_finalize", null)), '{"action":"empty"}');
  assert.equal(
    dec.decode(encodeActionResult("query", { items: [{ sequence: "é", topics: ["é/a"] }] })),
    '{"action":"query","response":{"items":[{"sequence":"é","topics":["é/a"]}]}}',
  );
  assert.equal(
    dec.decode(encodeActionResult("layer_list", { layers: [] })),
    '{"action":"layer_list","response":{"layers":[]}}',
  );
});

Deno.test("formatCreatedDatetime() renders UTC with milliseconds only when non-zero", () => {
  assert.equal(formatCreatedDatetime(Date.UTC(2025, 11, 1, 10, 20, 30, 123)), "2025-12-01 10:20:30.123 UTC");
  assert.equal(formatCreatedDatetime(Date.UTC(2025, 11, 1, 10, 20, 30)), "2025-12-01 10:20:30 UTC");
  assert.equal(formatCreatedDatetime(Date.UTC(2025, 0, 2, 3, 4, 5, 7)), "2025-01-02 03:04:05.007 UTC");
  assert.equal(formatCreatedDatetime(Date.UTC(2025, 0, 2, 3, 4, 5, 50)), "2025-01-02 03:04:05.050 UTC");
  assert.equal(formatCreatedDatetime(0), "1970-01-01 00:00:00 UTC");
  assert.equal(formatCreatedDatetime(-1), "1969-12-31 23:59:59.999 UTC");
  assert.equal(formatCreatedDatetime(1765000000500), "2025-12-06 05:46:40.500 UTC");
  assert.equal(formatCreatedDatetime(Date.UTC(9999, 11, 31, 23, 59, 59, 999)), "9999-12-31 23:59:59.999 UTC");
  assert.equal(formatCreatedDatetime(new Date("0050-01-01T00:00:00Z").getTime()), "0050-01-01 00:00:00 UTC");
});

Deno.test("formatCreatedDatetime() refuses values it cannot render", () => {
  for (
    const ms of [
      1.5,
      NaN,
      Infinity,
      8.64e15 + 1,
      Date.UTC(10000, 0, 1),
      new Date("-000001-01-01T00:00:00Z").getTime(),
    ]
  ) {
    assert.throws(() => formatCreatedDatetime(ms), (err: unknown) => {
      assert.ok(err instanceof RangeError);
      assert.match(err.message, /^Cannot format creation time .* ms: not an integer within years 0000-9999$/);
      return true;
    });
  }
});
