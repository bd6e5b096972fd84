import assert from "node:assert/strict";
import { assertThrowsError } from "../../../tests/_assert.ts";
import { InvalidArgumentError, ResourceExhaustedError } from "../../errors.ts";
import { DEFAULT_ACTION_LIMITS } from "../actions.ts";
import { ACTION_PERMISSIONS_07, actionPermission, requiredPermission } from "../auth.ts";
import { encodeAction } from "../messages.ts";
import { ACTION_NAMES_2026 } from "../v2026/actions.ts";
import { ACTION_NAMES_07, encodeClusterResults, parseAction07 } from "./actions.ts";
import { infoResponse } from "./do_action.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const parse = (name: string, body: unknown) =>
  parseAction07(name, enc.encode(typeof body === "string" ? body : JSON.stringify(body)));
const BIG = "1700000000000000001"; // beyond 2^53: must stay exact

Deno.test("parseAction07(): info takes an empty object, and ignores extra keys", () => {
  assert.deepEqual(parse("info", {}), { action: "info" });
  assert.deepEqual(parse("info", { verbose: true }), { action: "info" });
  assertThrowsError(() => parse("info", ""), InvalidArgumentError, "Invalid info request: body is empty");
  assertThrowsError(() => parse("version", {}), InvalidArgumentError, 'Unknown action "version"');
});

Deno.test("parseAction07(): topic_filter_clusterize as the SDK sends it, exact int64 bounds", () => {
  const ontology = { "imu.acceleration.x": { $gt: 0.5 } };
  const body = `{"locator": "/run_01/front/imu", "clustering_dt_ns": ${BIG}, "ontology": ${
    JSON.stringify(ontology)
  }, "timestamp_range": {"start_ns": ${BIG}, "end_ns": null}}`;
  const req = parse("topic_filter_clusterize", body);
  assert.equal(req.action, "topic_filter_clusterize");
  if (req.action !== "topic_filter_clusterize") return;
  assert.equal(req.filter.topic.full, "run_01/front/imu");
  assert.deepEqual(req.filter.ontology, ontology);
  assert.equal(req.filter.clusteringDtNs, BigInt(BIG));
  assert.deepEqual(req.window, { startNs: BigInt(BIG), endNs: null });
  const noRange = parse("topic_filter_clusterize", {
    locator: "s/t",
    clustering_dt_ns: 0,
    ontology: {},
    timestamp_range: null,
  });
  assert.deepEqual(noRange.action === "topic_filter_clusterize" && noRange.window, null);
  const absent = parse("topic_filter_clusterize", { locator: "s/t", clustering_dt_ns: 0, ontology: {} });
  assert.deepEqual(absent.action === "topic_filter_clusterize" && absent.window, null);
});

Deno.test("parseAction07(): topic_filter_clusterize refuses what the SDK never sends", () => {
  const good = { locator: "s/t", clustering_dt_ns: 10, ontology: {} };
  const cases: [unknown, string | RegExp][] = [
    [{ ...good, locator: "s" }, /field "locator": invalid locator "s": it names a sequence/],
    [{ ...good, clustering_dt_ns: undefined }, 'field "clustering_dt_ns" is missing'],
    [{ ...good, clustering_dt_ns: -1 }, 'field "clustering_dt_ns" must not be negative, not -1'],
    [{ ...good, clustering_dt_ns: 1.5 }, 'field "clustering_dt_ns" must be an integer'],
    [{ ...good, ontology: [] }, 'field "ontology" must be a JSON object'],
    [{ ...good, timestamp_range: 5 }, 'field "timestamp_range" must be a JSON object'],
    [{ ...good, timestamp_range: { start_ns: "x" } }, /field "timestamp_range.start_ns" must be a decimal/],
  ];
  for (const [body, message] of cases) {
    const full = typeof message === "string"
      ? `Invalid topic_filter_clusterize request: ${message}`
      : message;
    assertThrowsError(() => parse("topic_filter_clusterize", body), InvalidArgumentError, full);
  }
});

Deno.test("parseAction07(): topic_filter_intersect takes topics without windows and a tolerance", () => {
  const req = parse("topic_filter_intersect", {
    topics: [
      { locator: "s/a", clustering_dt_ns: 5, ontology: { "imu.x": { $gt: 0 } } },
      { locator: "/s/b/c", clustering_dt_ns: 0, ontology: {}, timestamp_range: { start_ns: 1 } },
    ],
    intersect_dt_ns: 7,
  });
  assert.equal(req.action, "topic_filter_intersect");
  if (req.action !== "topic_filter_intersect") return;
  assert.deepEqual(req.topics.map((t) => [t.topic.full, t.clusteringDtNs, t.ontology]), [
    ["s/a", 5n, { "imu.x": { $gt: 0 } }],
    ["s/b/c", 0n, {}],
  ]);
  assert.equal(req.intersectDtNs, 7n);
  const cases: [unknown, string][] = [
    [{ topics: {}, intersect_dt_ns: 0 }, 'field "topics" must be a JSON array'],
    [{ topics: [], intersect_dt_ns: 0 }, 'field "topics" must name at least one topic'],
    [{ topics: [1], intersect_dt_ns: 0 }, 'field "topics[0]" must be a JSON object'],
    [
      { topics: [{ locator: "s/a", ontology: {} }], intersect_dt_ns: 0 },
      'field "topics[0].clustering_dt_ns" is missing',
    ],
    [
      { topics: [{ locator: "s/a", clustering_dt_ns: 1, ontology: {} }] },
      'field "intersect_dt_ns" is missing',
    ],
  ];
  for (const [body, message] of cases) {
    const full = `Invalid topic_filter_intersect request: ${message}`;
    assertThrowsError(() => parse("topic_filter_intersect", body), InvalidArgumentError, full);
  }
  assertThrowsError(
    () =>
      parseAction07("info", enc.encode(`{"x": "${"y".repeat(100)}"}`), {
        ...DEFAULT_ACTION_LIMITS,
        maxBodyBytes: 50,
      }),
    ResourceExhaustedError,
    /limit/,
  );
});

Deno.test("encodeClusterResults(): one Result per cluster, exact int64 bounds, none for no cluster", () => {
  const results = encodeClusterResults("topic_filter_clusterize", [
    { id: 0, startNs: BigInt(BIG), endNs: BigInt(BIG) + 10n },
    { id: 1, startNs: -5n, endNs: 0n },
  ]).map((r) => dec.decode(r));
  assert.deepEqual(results, [
    `{"action":"topic_filter_clusterize","response":{"id":0,"ts":{"start_ns":${BIG},"end_ns":1700000000000000011}}}`,
    '{"action":"topic_filter_clusterize","response":{"id":1,"ts":{"start_ns":-5,"end_ns":0}}}',
  ]);
  assert.deepEqual(encodeClusterResults("topic_filter_intersect", []), []);
});

Deno.test("infoResponse(): version, semver and the message sizes under the 0.7.0 and 0.7-dev names", () => {
  assert.deepEqual(
    infoResponse("0.7.0", { maxDecodeBytes: 52428800, maxEncodeBytes: 52428801, targetEncodeBytes: 4194304 }),
    {
      version: "0.7.0",
      semver: { major: 0, minor: 7, patch: 0, pre: "" },
      config: {
        grpc_max_decode_message_size: 52428800,
        grpc_max_encode_message_size: 52428801,
        grpc_target_encode_message_size: 4194304,
        max_grpc_message_size: 52428800,
        target_message_size: 4194304,
      },
    },
  );
});

Deno.test("auth: info needs any valid key, the clustering actions read; no name clash with 0.4", () => {
  assert.deepEqual(Object.keys(ACTION_PERMISSIONS_07).sort(), [...ACTION_NAMES_07].sort());
  for (const name of ACTION_NAMES_07) {
    assert.ok(!(ACTION_NAMES_2026 as readonly string[]).includes(name), name);
  }
  assert.equal(actionPermission("v07", "info"), null);
  assert.equal(actionPermission("v07", "topic_filter_clusterize"), "read");
  assert.equal(actionPermission("v07", "topic_filter_intersect"), "read");
  assert.equal(actionPermission("v07", "session_delete"), "delete", "the 2026 table still applies");
  assert.equal(actionPermission("v1", "topic_filter_intersect"), null, "not a 0.1.0 name");
  const request = (type: string) => encodeAction({ type, body: enc.encode("{}") });
  assert.deepEqual(requiredPermission("DoAction", request("info")), { permission: null, what: "info" });
  assert.deepEqual(requiredPermission("DoAction", request("topic_filter_clusterize")), {
    permission: "read",
    what: "topic_filter_clusterize",
  });
  assert.deepEqual(requiredPermission("GetSchema"), { permission: "read", what: "GetSchema" });
});
