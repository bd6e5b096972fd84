/**
 * Bounded fuzzing of the JSON the wire carries: every DoAction body (all action kinds), the query
 * language (the examples of protocol section 9.7 and more), DoPut commands, structured DoGet tickets
 * and GetFlightInfo commands. Seeds are valid; mutations go from well-typed-but-wrong values to bytes
 * that are not JSON at all. Each input must parse into a request whose names and keys are valid, or be
 * refused with InvalidArgumentError or ResourceExhaustedError: anything else would be an INTERNAL
 * answer. Fixed seed, an iteration cap and a time budget; the counts are printed at the end.
 */
import assert from "node:assert/strict";
import { PROTOCOL_QUERY_EXAMPLES } from "../query/_examples.ts";
import { InvalidArgumentError, ResourceExhaustedError } from "../errors.ts";
import { parseKey } from "../model/keys.ts";
import { normalizeLayerName, normalizeSequenceName, normalizeTopicName } from "../model/locator.ts";
import { parseQuery } from "../query/parse.ts";
import { mutateJson, type Prng, runFuzz } from "../_test_fuzz.ts";
import { type ActionRequest, parseAction } from "./actions.ts";
import { parsePutCommand } from "./put_command.ts";
import { parseFlightCommand, parseTicket, STRUCTURED_TICKET_MARKER } from "./ticket.ts";

const SEED = 0x5eed_0009;
const MAX_ITERATIONS = 60_000;
const BUDGET_MS = 8_000;

const KEY = "d6dfc7a3-951b-4eaa-9f5f-3e7a4a49ebc3";
const META = { status: "raw", n: 3, nested: { list: [1, 2.5, true, null], ts: 1700000000123456789 } };

const ACTION_SEEDS: [string, unknown][] = [
  ["sequence_create", { name: "run_01", user_metadata: META }],
  ["topic_create", {
    name: "run_01/front/imu",
    sequence_key: KEY,
    serialization_format: "default",
    ontology_tag: "imu",
    user_metadata: META,
  }],
  ["sequence_finalize", { name: "/run_01/", key: KEY }],
  ["sequence_abort", { name: "run_01", key: KEY }],
  ["sequence_delete", { name: "run_01" }],
  ["sequence_system_info", { name: "run_01" }],
  ["topic_system_info", { name: "run_01/front/imu" }],
  ["topic_delete", { name: "run_01/front/imu" }],
  ["sequence_notify_create", { name: "run_01", notify_type: "error", msg: "disk full" }],
  ["topic_notify_create", { name: "run_01/front/imu", notify_type: "error", msg: "" }],
  ["sequence_notify_list", { name: "run_01" }],
  ["topic_notify_list", { name: "run_01/front/imu" }],
  ["sequence_notify_purge", { name: "run_01" }],
  ["topic_notify_purge", { name: "run_01/front/imu" }],
  ["layer_create", { name: "lidar", description: "point clouds" }],
  ["layer_delete", { name: "lidar" }],
  ["layer_update", { prev_name: "lidar", curr_name: "lidar2", curr_description: "" }],
  ["layer_list", {}],
];

/** Protocol section 9.7, plus the operators the SDK never generates. */
const QUERY_SEEDS = [
  ...PROTOCOL_QUERY_EXAMPLES,
  `{"sequence": {"user_metadata": {"a.0.b": "$ex", "c": {"$nex": null}}}, "topic": {"serialization_format": {"$neq": "image"}}}`,
  `{"topic": {"user_metadata": {"flag": {"$eq": true}, "n": {"$between": [1, 9223372036854775807]}}}}`,
];

const enc = new TextEncoder();

const COMMAND_SEEDS = [
  JSON.stringify({ topic: { name: "run_01/front/imu", key: KEY } }),
];
const STRUCTURED_SEEDS = [
  `{"topic_range": {"name": "run_01/imu", "start_ns": "1700000000000000000", "end_ns": 1700000060000000000}}`,
  `{"topic_range": {"name": "run_01/imu", "stripes": 4}}`,
  `{"events": {"after_id": 0, "follow": false, "kinds": ["sequence.finalized", "topic.locked"]}}`,
  `{"events": {"after_id": "12"}}`,
];

/** The refusals a client's JSON may earn; anything else is a bug. */
function clientError(err: unknown): string {
  if (err instanceof InvalidArgumentError || err instanceof ResourceExhaustedError) return err.name;
  throw err;
}

/** A parsed request is as valid as the parsers promise: names normalised, keys canonical. */
function checkRequest(req: ActionRequest): void {
  const r = req as unknown as Record<string, unknown>;
  if (typeof r.sequence === "string") {
    assert.equal(normalizeSequenceName(r.sequence, { stripTrailingSlash: false }), r.sequence);
  }
  const topic = r.topic as { full: string } | undefined;
  if (topic) assert.deepEqual(normalizeTopicName(topic.full), topic);
  for (const field of ["name", "prevName", "currName"]) {
    if (typeof r[field] === "string") assert.equal(normalizeLayerName(r[field] as string), r[field]);
  }
  for (const field of ["key", "sequenceKey"]) {
    if (typeof r[field] === "string") assert.equal(parseKey(r[field] as string, "sequence"), r[field]);
  }
  if (r.userMetadata !== undefined) {
    assert.ok(
      typeof r.userMetadata === "object" && r.userMetadata !== null && !Array.isArray(r.userMetadata),
    );
  }
  if (req.action === "query") parseQuery(req.query);
}

Deno.test("fuzz: mutated action bodies and queries parse into valid requests or a client error", async () => {
  const seeds: [string, string][] = [
    ...ACTION_SEEDS.map(([type, body]) => [type, JSON.stringify(body)] as [string, string]),
    ...QUERY_SEEDS.map((q) => ["query", q] as [string, string]),
  ];
  const iteration = (rng: Prng): string => {
    const [type, text] = rng.pick(seeds);
    // Now and then the action name itself is wrong, or the body belongs to another action.
    const name = rng.chance(0.03)
      ? rng.pick(["", "Sequence_create", "query ", "layer_list\u0000", "__proto__"])
      : type;
    const body = rng.chance(0.05) ? enc.encode(rng.pick(seeds)[1]) : mutateJson(rng, text);
    try {
      const req = parseAction(name, body);
      checkRequest(req);
      return `${req.action === "query" ? "query" : "action"} ok`;
    } catch (err) {
      return clientError(err);
    }
  };
  const report = await runFuzz({
    seed: SEED,
    maxIterations: MAX_ITERATIONS,
    budgetMs: BUDGET_MS,
    name: "fuzz action JSON",
  }, iteration);
  assert.ok(report.iterations >= 1000, `only ${report.iterations} iterations ran`);
  for (const outcome of ["action ok", "query ok", "InvalidArgumentError"]) {
    assert.ok((report.outcomes[outcome] ?? 0) > 0, `no "${outcome}" outcome`);
  }
  assert.ok(report.slowestMs < 2000, `an iteration took ${report.slowestMs} ms`);
});

Deno.test("fuzz: mutated DoPut commands, tickets and GetFlightInfo commands parse or fail with a client error", async () => {
  const iteration = (rng: Prng): string => {
    const kind = rng.int(3);
    try {
      if (kind === 0) {
        const cmd = mutateJson(rng, rng.pick(COMMAND_SEEDS));
        const command = parsePutCommand({ type: "cmd", cmd, path: [] });
        assert.deepEqual(normalizeTopicName(command.topic.full), command.topic);
        return "command ok";
      }
      const json = mutateJson(rng, rng.pick(STRUCTURED_SEEDS));
      if (kind === 1) {
        const ticket = new Uint8Array(json.length + 1);
        ticket[0] = STRUCTURED_TICKET_MARKER;
        ticket.set(json, 1);
        // Now and then without the marker: a plain ticket made of JSON text.
        parseTicket(rng.chance(0.1) ? json : ticket);
        return "ticket ok";
      }
      const command = parseFlightCommand(json);
      if (command.kind === "topic_range") {
        const { startNs, endNs } = command.range;
        assert.ok(startNs === null || endNs === null || startNs <= endNs);
      }
      return "flight command ok";
    } catch (err) {
      return clientError(err);
    }
  };
  const report = await runFuzz({
    seed: SEED + 1,
    maxIterations: 30_000,
    budgetMs: 4_000,
    name: "fuzz command JSON",
  }, iteration);
  assert.ok(report.iterations >= 1000, `only ${report.iterations} iterations ran`);
  for (const outcome of ["command ok", "ticket ok", "flight command ok", "InvalidArgumentError"]) {
    assert.ok((report.outcomes[outcome] ?? 0) > 0, `no "${outcome}" outcome`);
  }
});
