/**
 * The end-to-end fuzz pass of the hostile-input test: mutated DoAction bodies (every action kind and
 * queries) and mutated upload streams (command, schema and batch messages) sent to a real daemon.
 * Every answer must be OK or a client error code; INTERNAL, UNKNOWN or a deadline (a hang) fails it.
 * Fixed seeds, iteration caps and time budgets (`src/_test_fuzz.ts`).
 *
 * @module
 */
import { status } from "@grpc/grpc-js";
import {
  Field,
  Float64,
  Int64,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Utf8,
  vectorFromArray,
} from "apache-arrow";
import { encodeSchemaMessage } from "../src/arrow/ipc.ts";
import { decodeBytesMessage, encodeAction } from "../src/flight/messages.ts";
import { mutateBytes, mutateJson, type Prng, runFuzz } from "../src/_test_fuzz.ts";
import { type FlightChannel } from "../src/client/mod.ts";
import { type RpcError } from "./_flight_client.ts";
import { batchParts, flightData, putDescriptor } from "./_hostile.ts";

const SEED = 0x5eed_e2e0;
const RANDOM_KEY = "0b2c7d4e-8f10-4a2b-9c3d-4e5f6a7b8c9d";
const utf8 = new TextEncoder();

/** Codes a client may get for a request it got wrong (or right: OK). */
const CLIENT_CODES = new Set([
  status.OK,
  status.INVALID_ARGUMENT,
  status.NOT_FOUND,
  status.ALREADY_EXISTS,
  status.FAILED_PRECONDITION,
  status.PERMISSION_DENIED,
  status.RESOURCE_EXHAUSTED,
]);

export interface HostileFuzzReport {
  actions: { iterations: number; ms: number; codes: Record<string, number> };
  uploads: { iterations: number; ms: number; codes: Record<string, number> };
}

async function code(call: Promise<unknown>): Promise<{ code: status; details: string }> {
  try {
    await call;
    return { code: status.OK, details: "" };
  } catch (err) {
    const e = err as RpcError;
    return { code: e.code, details: e.details };
  }
}

function check(outcome: { code: status; details: string }, what: string, alive: () => boolean): string {
  if (!alive()) throw new Error(`the daemon died after ${what}`);
  if (!CLIENT_CODES.has(outcome.code)) {
    throw new Error(`${what}: ${status[outcome.code]} "${outcome.details}"`);
  }
  return status[outcome.code];
}

async function createdKey(client: FlightChannel, type: string, body: object): Promise<string> {
  const [result] = await client.serverStream(
    "DoAction",
    encodeAction({ type, body: utf8.encode(JSON.stringify(body)) }),
  ).all();
  return JSON.parse(new TextDecoder().decode(decodeBytesMessage(result))).response.key;
}

const SCHEMA = new Schema([
  new Field("timestamp_ns", new Int64(), false),
  new Field("v", new Float64(), true),
  new Field("s", new Utf8(), true),
]);

function batch(rows: number, base: number): RecordBatch {
  const cols = [
    vectorFromArray(Array.from({ length: rows }, (_, i) => BigInt(base + i)), new Int64()),
    vectorFromArray(Array.from({ length: rows }, (_, i) => i % 3 === 0 ? null : i / 7), new Float64()),
    vectorFromArray(Array.from({ length: rows }, (_, i) => i % 4 === 0 ? null : `r${i}`), new Utf8()),
  ].map((v) => v.data[0]);
  return new RecordBatch(SCHEMA, makeData({ type: new Struct(SCHEMA.fields), length: rows, children: cols }));
}

/**
 * Runs both passes. Sequences `fz` (for actions, whose key the seeds carry) and `fzput` (for uploads,
 * a new topic each time one gets locked) are created on purpose.
 */
export async function runHostileFuzz(
  opts: { client: FlightChannel; daemonAlive: () => boolean; sequenceKey: string },
): Promise<HostileFuzzReport> {
  const { client } = opts;
  const fz = await createdKey(client, "sequence_create", { name: "fz", user_metadata: { fuzz: true } });
  const actionSeeds: [string, object][] = [
    ["sequence_create", { name: "fz_new", user_metadata: { a: 1, b: { c: [1.5, "x", null] } } }],
    ["topic_create", {
      name: "fz/t",
      sequence_key: fz,
      serialization_format: "ragged",
      ontology_tag: "imu",
      user_metadata: {},
    }],
    ["sequence_finalize", { name: "fz", key: fz }],
    ["sequence_abort", { name: "fz_new", key: RANDOM_KEY }],
    ["sequence_delete", { name: "fz_new" }],
    ["sequence_system_info", { name: "fz" }],
    ["topic_system_info", { name: "fz/t" }],
    ["topic_delete", { name: "fz/t" }],
    ["sequence_notify_create", { name: "fz", notify_type: "error", msg: "m" }],
    ["topic_notify_create", { name: "fz/t", notify_type: "error", msg: "m" }],
    ["sequence_notify_list", { name: "fz" }],
    ["topic_notify_purge", { name: "fz/t" }],
    ["layer_create", { name: "fz_layer", description: "d" }],
    ["layer_update", { prev_name: "fz_layer", curr_name: "fz_layer2", curr_description: "" }],
    ["layer_delete", { name: "fz_layer" }],
    ["layer_list", {}],
    ["query", { sequence: { name: { $match: "fz" }, user_metadata: { "b.c.0": { $gt: 1 } } } }],
    ["query", { topic: { ontology_tag: { $in: ["imu"] }, created_timestamp: { $between: [0, 9e15] } } }],
    ["query", { ontology: { "imu.v": { $between: [0, 1] } }, sequence: { name: { $eq: "fzput" } } }],
    ["query", { ontology: { "imu.s": { $eq: "r5" }, "imu.timestamp_ns": { $geq: 1 } } }],
  ];
  const actions = await runFuzz(
    { seed: SEED, maxIterations: 800, budgetMs: 10_000, name: "hostile fuzz: actions" },
    async (rng: Prng, i: number) => {
      const [type, body] = rng.pick(actionSeeds);
      const req = encodeAction({ type, body: mutateJson(rng, JSON.stringify(body)) });
      return check(
        await code(client.serverStream("DoAction", req).all()),
        `action ${i} (${type})`,
        opts.daemonAlive,
      );
    },
  );

  const fzput = await createdKey(client, "sequence_create", { name: "fzput", user_metadata: {} });
  let topic = { name: "", key: "" };
  const freshTopic = async () => {
    const name = `fzput/t${crypto.randomUUID().slice(0, 8)}`;
    const key = await createdKey(client, "topic_create", {
      name,
      sequence_key: fzput,
      serialization_format: "default",
      ontology_tag: "imu",
      user_metadata: {},
    });
    topic = { name, key };
  };
  await freshTopic();
  const schemaHeader = encodeSchemaMessage(SCHEMA).header;
  const uploads = await runFuzz(
    { seed: SEED + 1, maxIterations: 300, budgetMs: 12_000, name: "hostile fuzz: uploads" },
    async (rng: Prng, i: number) => {
      const descriptor = putDescriptor(topic.name, topic.key);
      if (rng.chance(0.15)) descriptor.cmd = mutateJson(rng, new TextDecoder().decode(descriptor.cmd));
      const header = rng.chance(0.3) ? mutateBytes(rng, schemaHeader) : schemaHeader;
      const messages = [flightData({ descriptor, header })];
      for (let n = rng.int(3); n >= 0; n--) {
        const parts = batchParts(batch(1 + rng.int(40), 1_700_000_000_000_000_000 + i * 100));
        if (rng.chance(0.6)) {
          if (rng.chance(0.6)) parts.header = mutateBytes(rng, parts.header);
          else parts.body = mutateBytes(rng, parts.body);
        }
        messages.push(flightData(parts));
      }
      const outcome = check(await code(client.exchange("DoPut", messages)), `upload ${i}`, opts.daemonAlive);
      if (outcome === "OK") await freshTopic(); // that topic is locked now
      return outcome;
    },
  );
  return {
    actions: { iterations: actions.iterations, ms: actions.ms, codes: actions.outcomes },
    uploads: { iterations: uploads.iterations, ms: uploads.ms, codes: uploads.outcomes },
  };
}
