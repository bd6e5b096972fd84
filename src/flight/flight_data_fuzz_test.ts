/**
 * Bounded fuzzing of the DoPut decoding path (FlightData protobuf → IPC header → record batch), over
 * mutations of valid messages: whatever the bytes, decoding either yields a value the rest of ingest can
 * use (schema snapshot encoding, batch checks, statistics, re-encoding, Parquet) or throws one of our
 * client errors. A TypeError, RangeError or any other exception would reach the client as INTERNAL.
 * Fixed seed, an iteration cap and a time budget: the counts are printed at the end.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import {
  Binary,
  Bool,
  type Data,
  Field,
  FixedSizeList,
  Float32,
  Float64,
  Int16,
  Int64,
  Int8,
  List,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Uint16,
  Uint32,
  Uint64,
  Uint8,
  Utf8,
  vectorFromArray,
} from "apache-arrow";
import { encodeRecordBatchMessage, encodeSchemaMessage } from "../arrow/ipc.ts";
import { computeColumnStats, timeRange } from "../arrow/stats.ts";
import { encodeParquetStream } from "../arrow/_ingest_parquet_stream.ts";
import { InvalidArgumentError, ResourceExhaustedError } from "../errors.ts";
import { checkBatch, normalisedSchemaBytes } from "../ingest/schema.ts";
import { mutateBytes, type Prng, runFuzz } from "../_test_fuzz.ts";
import { ProtobufError } from "./_pb.ts";
import { decodeUploadBatch, decodeUploadHead } from "./do_put.ts";
import { decodeFlightData, encodeFlightData, serializeFramed } from "./flight_data.ts";
import type { FlightDescriptor } from "./messages.ts";

const SEED = 0x5eed_0008;
const MAX_ITERATIONS = 40_000;
const BUDGET_MS = 12_000;
/** Decoded batches also go through the Parquet writer, up to this many (it is the slow part). */
const MAX_PARQUET_ENCODES = 150;

const TOPIC = "fuzz/topic";
const KEY = "0b2c7d4e-8f10-4a2b-9c3d-4e5f6a7b8c9d";
const utf8 = new TextEncoder();

const header = new Struct([
  new Field("seq", new Uint32(), true),
  new Field("stamp", new Struct([new Field("sec", new Int64(), false), new Field("nanosec", new Uint32())])),
  new Field("frame_id", new Utf8(), true),
]);
const cov = new List(new Field("item", new Float64(), true));

/** Seed schemas and batches: the types the SDK's ontologies use, nulls and nesting included. */
function seedBatches(): RecordBatch[] {
  const rows = 5;
  const ts = (base: bigint) =>
    vectorFromArray([3n, 1n, 4n, 1n, 5n].map((t) => base + t), new Int64()).data[0];
  const make = (fields: Field[], children: Data[]) => {
    const schema = new Schema(fields);
    return new RecordBatch(schema, makeData({ type: new Struct(fields), length: rows, children }));
  };
  return [
    make([
      new Field("timestamp_ns", new Int64(), false),
      new Field("x", new Float64(), true),
      new Field("header", header, true),
      new Field("covariance", cov, true),
      new Field("kind", new Int16(), true),
    ], [
      ts(1_700_000_000_000_000_000n),
      vectorFromArray([0.5, null, NaN, -0, 1e300], new Float64()).data[0],
      vectorFromArray([
        { seq: 1, stamp: { sec: 1n, nanosec: 2 }, frame_id: "base" },
        null,
        { seq: 3, stamp: { sec: 3n, nanosec: 4 }, frame_id: null },
        { seq: null, stamp: { sec: 5n, nanosec: 6 }, frame_id: "日本" },
        { seq: 5, stamp: { sec: 7n, nanosec: 8 }, frame_id: "" },
      ], header).data[0],
      vectorFromArray([[1, 2], null, [], [NaN], [3, null, 4]], cov).data[0],
      vectorFromArray([1, null, -3, 32767, -32768], new Int16()).data[0],
    ]),
    make([
      new Field("timestamp_ns", new Int64(), false),
      new Field("data", new Binary(), true),
      new Field("format", new Utf8(), false),
      new Field("ok", new Bool(), true),
      new Field("u8", new Uint8(), true),
      new Field("u64", new Uint64(), true),
    ], [
      ts(0n),
      vectorFromArray(
        [Uint8Array.of(1, 2, 3), null, new Uint8Array(0), Uint8Array.of(255), Uint8Array.of(0)],
        new Binary(),
      )
        .data[0],
      vectorFromArray(["png", "jpeg", "", "raw", "ü"], new Utf8()).data[0],
      vectorFromArray([true, false, null, true, true], new Bool()).data[0],
      vectorFromArray([0, 255, null, 7, 8], new Uint8()).data[0],
      vectorFromArray([0n, 2n ** 64n - 1n, null, 1n, 2n], new Uint64()).data[0],
    ]),
    make([
      new Field("timestamp_ns", new Int64(), false),
      new Field("pos", new FixedSizeList(3, new Field("item", new Float64(), false)), true),
      new Field("f32", new Float32(), true),
      new Field("i8", new Int8(), false),
      new Field("u16", new Uint16(), true),
    ], [
      ts(-5n),
      vectorFromArray(
        [[1, 2, 3], [4, 5, 6], null, [7, 8, 9], [0, 0, 0]],
        new FixedSizeList(3, new Field("item", new Float64(), false)),
      )
        .data[0],
      vectorFromArray([1.5, null, -2.5, Infinity, 0], new Float32()).data[0],
      vectorFromArray([1, -1, 127, -128, 0], new Int8()).data[0],
      vectorFromArray([null, 1, 65535, 2, 3], new Uint16()).data[0],
    ]),
  ];
}

interface SeedMessage {
  kind: "head" | "batch";
  descriptor?: FlightDescriptor;
  header: Uint8Array;
  body: Uint8Array;
  schema: Schema;
  /** The batch of a "batch" message, and for a "head" the batch that follows it in its stream. */
  batch: RecordBatch;
}

function wire(framed: { framed: Uint8Array }): Uint8Array {
  return new Uint8Array(serializeFramed(framed as never));
}

/** A FlightData message with the given parts, framed consistently. */
function flightData(m: { descriptor?: FlightDescriptor; header: Uint8Array; body: Uint8Array }): Uint8Array {
  const ipc = { header: m.header, bodyLength: m.body.length, bodyParts: [{ offset: 0, bytes: m.body }] };
  return wire(encodeFlightData(ipc, { descriptor: m.descriptor }));
}

function seedMessages(): SeedMessage[] {
  const out: SeedMessage[] = [];
  const descriptor: FlightDescriptor = {
    type: "cmd",
    cmd: utf8.encode(JSON.stringify({ topic: { name: TOPIC, key: KEY } })),
    path: [],
  };
  for (const batch of seedBatches()) {
    const schema = encodeSchemaMessage(batch.schema);
    out.push({
      kind: "head",
      descriptor,
      header: schema.header,
      body: new Uint8Array(0),
      schema: batch.schema,
      batch,
    });
    const data = decodeFlightData(wire(encodeFlightData(encodeRecordBatchMessage(batch))));
    out.push({
      kind: "batch",
      header: data.header.slice(),
      body: data.body.slice(),
      schema: batch.schema,
      batch,
    });
  }
  return out;
}

/**
 * A mutated message: most of the time the IPC header and/or body are mutated inside a well-framed
 * FlightData (what a client's own Arrow library would send), otherwise the protobuf bytes themselves
 * (field lengths, tags, truncation) with mutations aimed at the header.
 */
function mutated(rng: Prng, seed: SeedMessage): Uint8Array {
  const times = (bytes: Uint8Array, focus?: { start: number; end: number }) => {
    for (let n = 1 + rng.int(3); n > 0; n--) bytes = mutateBytes(rng, bytes, focus);
    return bytes;
  };
  const mode = rng.int(20);
  if (mode < 6) {
    const bytes = flightData(seed);
    const h = decodeFlightData(bytes).header;
    const start = h.byteOffset - bytes.byteOffset;
    return times(bytes, { start, end: start + h.length });
  }
  const header = mode < 17 ? times(seed.header) : seed.header;
  const body = mode >= 14 && seed.body.length > 0 ? times(seed.body) : seed.body;
  return flightData({ descriptor: seed.descriptor, header, body });
}

/** The errors a client mistake may raise; anything else would be an INTERNAL answer. */
function clientError(err: unknown): string {
  if (err instanceof InvalidArgumentError || err instanceof ProtobufError) return err.name;
  if (err instanceof ResourceExhaustedError) return err.name;
  throw err;
}

/** Everything ingest does with a batch before Parquet: checks, every value read, stats, re-encoding. */
function useBatch(batch: RecordBatch, schema: Schema): void {
  checkBatch(TOPIC, batch, { schema, normalised: normalisedSchemaBytes(schema) });
  for (const row of batch) JSON.stringify(row?.toJSON(), (_k, v) => typeof v === "bigint" ? String(v) : v);
  computeColumnStats([batch]);
  timeRange([batch]);
  const again = decodeUploadBatch(wire(encodeFlightData(encodeRecordBatchMessage(batch))), schema, TOPIC);
  assert.equal(again.numRows, batch.numRows, "a decoded batch re-encodes to the same rows");
}

async function parquetOf(batch: RecordBatch, schema: Schema): Promise<void> {
  const batches = (async function* () {
    yield batch;
  })();
  for await (const _ of encodeParquetStream(schema, batches, { format: "default", rowGroupBytes: 1 << 20 })) {
    // drained
  }
}

Deno.test("fuzz: mutated DoPut messages decode to usable values or fail with a client error", async () => {
  const seeds = seedMessages();
  let parquetEncodes = 0;
  const iteration = async (rng: Prng): Promise<string> => {
    const seed = rng.pick(seeds);
    // As grpc-js delivers messages: Node Buffers (whose slice() is a view), here at any alignment.
    const raw = mutated(rng, seed);
    const bytes = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    try {
      if (seed.kind === "head") {
        const { schema } = decodeUploadHead(bytes);
        normalisedSchemaBytes(schema); // the snapshot the first upload writes
        // The original batch against a mutated schema: the header check must notice any mismatch.
        const batch = decodeUploadBatch(
          wire(encodeFlightData(encodeRecordBatchMessage(seed.batch))),
          schema,
          TOPIC,
        );
        useBatch(batch, schema);
        return "head ok";
      }
      const batch = decodeUploadBatch(bytes, seed.schema, TOPIC);
      useBatch(batch, seed.schema);
      if (batch.numRows > 0 && parquetEncodes < MAX_PARQUET_ENCODES) {
        parquetEncodes++;
        await parquetOf(batch, seed.schema);
      }
      return "batch ok";
    } catch (err) {
      return clientError(err);
    }
  };
  const report = await runFuzz({
    seed: SEED,
    maxIterations: MAX_ITERATIONS,
    budgetMs: BUDGET_MS,
    name: "fuzz DoPut messages",
  }, iteration);
  assert.ok(report.iterations >= 1000, `only ${report.iterations} iterations ran`);
  assert.ok((report.outcomes["batch ok"] ?? 0) > 0, "some mutations must still decode");
  assert.ok((report.outcomes["InvalidArgumentError"] ?? 0) > 0, "some mutations must be refused");
  assert.ok(report.slowestMs < 2000, `an iteration took ${report.slowestMs} ms`);
});
