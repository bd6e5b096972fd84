/**
 * Hostile input against one real daemon (issue #8): every malformed or hostile request gets a precise
 * client error code (never INTERNAL, never a hang: every call has a deadline) and leaves the daemon up and
 * the stored data unchanged. A finalized sequence with data is stored first by the pyarrow client; after
 * every few cases of the table (`_hostile_cases.ts`), and after all of them, the watch proves the daemon
 * still runs and answers, the kept data reads back byte for byte, ListFlights shows only what the test
 * created on purpose, no event was appended, no object was written and nothing was logged at error level
 * (INTERNAL answers are logged so). The daemon runs with lowered limits, which the cases exercise; then a
 * bounded fuzz pass sends mutated action bodies and upload streams. The counts are printed at the end.
 */
import assert from "node:assert/strict";
import { status } from "@grpc/grpc-js";
import { decodeIpcHeader, encodeSchemaMessage } from "../src/arrow/ipc.ts";
import { decodeBytesMessage, encodeAction, encodeBytesMessage } from "../src/flight/messages.ts";
import { startDaemon } from "./_daemon.ts";
import { buildNative } from "../tasks/build_native.ts";
import { pythonClient } from "./_commands.ts";
import { type FlightChannel } from "../src/client/mod.ts";
import { channelTo, rpcError } from "./_flight_client.ts";
import {
  batchMessage,
  DaemonWatch,
  decodeStream,
  flightData,
  openRawStreams,
  putDescriptor,
  schemaMessage,
} from "./_hostile.ts";
import {
  dictionaryBatchHeader,
  GOOD,
  hostileCases,
  hugeVectorHeader,
  LIMITS,
  NULLABLE,
  SIMPLE,
} from "./_hostile_cases.ts";
import { runHostileFuzz } from "./_hostile_fuzz.ts";

const DAEMON_ARGS = [
  "--max-metadata-bytes",
  String(LIMITS.metadataBytes),
  "--max-name-bytes",
  String(LIMITS.nameBytes),
  "--max-conn-streams",
  String(LIMITS.streams),
  "--max-message-bytes",
  String(LIMITS.messageBytes),
];
/** A hang fails the call after this long instead of stalling the test. */
const DEADLINE_MS = 15_000;
/** The watch checks everything after this many cases (and after the last). */
const CHECK_EVERY = 8;

const bytes = (s: string) => new TextEncoder().encode(s);

// Setup

/** The one Result of a DoAction, parsed. */
async function act(
  client: FlightChannel,
  type: string,
  body: unknown,
): Promise<{ response?: { key?: string } }> {
  const [result] = await client.serverStream(
    "DoAction",
    encodeAction({ type, body: bytes(JSON.stringify(body)) }),
  ).all();
  return JSON.parse(new TextDecoder().decode(decodeBytesMessage(result)));
}

// Both Parquet codecs: the native one validates and writes uploads in Arrow C++ (tests/parquet_native_test.ts
// builds it), so hostile batches must meet the same answers there.
for (const codec of ["wasm", "native"]) {
  Deno.test(`hostile input: precise client errors, the daemon serving, the stored data unchanged (${codec} Parquet)`, async (t) => {
    const started = performance.now();
    if (codec === "native") await buildNative({ quiet: true });
    await using daemon = await startDaemon({ args: [...DAEMON_ARGS, "--parquet-codec", codec] });
    const listening = daemon.logs.find((line) => line.msg === "listening");
    assert.match(String(listening?.parquet), codec === "native" ? /^Arrow C\+\+ / : /^parquet-wasm$/);
    using client = channelTo(daemon.port, { deadlineMs: DEADLINE_MS });
    const kept = await pythonClient("crash_ops.py", daemon.url, "keep") as { digest: string };

    // On purpose: an unfinished sequence whose metadata is exactly at the limit, with an unlocked topic
    // (its schema fixed by a failed first upload), one for nullable timestamps, and a locked topic whose
    // name is exactly at the limit.
    const pad = LIMITS.metadataBytes - JSON.stringify({ pad: "" }).length;
    const sequence =
      (await act(client, "sequence_create", { name: "target", user_metadata: { pad: "x".repeat(pad) } }))
        .response!.key!;
    const topic = async (name: string) =>
      (await act(client, "topic_create", {
        name,
        sequence_key: sequence,
        serialization_format: "default",
        ontology_tag: "imu",
        user_metadata: {},
      })).response!.key!;
    const lockedTopic = `target/locked_${"z".repeat(LIMITS.nameBytes - "target/locked_".length)}`;
    const keys = {
      sequence,
      imu: await topic("target/imu"),
      nullable: await topic("target/nullable"),
      locked: await topic(lockedTopic),
    };
    await client.exchange("DoPut", [
      schemaMessage(SIMPLE, putDescriptor(lockedTopic, keys.locked)),
      batchMessage(GOOD),
    ]);
    const garbage = flightData({ header: new Uint8Array(16) });
    const primes = [["target/imu", SIMPLE, keys.imu], ["target/nullable", NULLABLE, keys.nullable]] as const;
    for (const [name, schema, key] of primes) {
      const err = await rpcError(
        client.exchange("DoPut", [schemaMessage(schema, putDescriptor(name, key)), garbage]),
      );
      assert.equal(err.code, status.INVALID_ARGUMENT, err.details);
    }
    const watch = new DaemonWatch(daemon, client, ["keep/imu", lockedTopic]);
    const baseline = await watch.takeBaseline();
    assert.deepEqual(baseline.sequences, ["keep", "target"]);
    assert.equal(
      decodeStream(await client.serverStream("DoGet", encodeBytesMessage(bytes("keep/imu"))).all()).length >
        0,
      true,
    );

    /** Uploads to target/imu are possible again (a cancelled upload has released it). */
    const waitUploadable = async () => {
      const deadline = Date.now() + 5000;
      for (;;) {
        const err = await rpcError(
          client.exchange("DoPut", [schemaMessage(SIMPLE, putDescriptor("target/imu", keys.imu)), garbage]),
        );
        if (err.code === status.INVALID_ARGUMENT) return;
        assert.ok(Date.now() < deadline && /already being uploaded/.test(err.details), err.details);
        await new Promise((r) => setTimeout(r, 20));
      }
    };

    const table = hostileCases({
      client,
      port: daemon.port,
      deadlineMs: DEADLINE_MS,
      keys,
      lockedTopic,
      waitUploadable,
    });
    await t.step(`${table.length} hostile cases`, async () => {
      const wrong: string[] = [];
      let since = 0;
      for (const [i, kase] of table.entries()) {
        const expected = `${kase.name}: expected ${status[kase.code]} ${kase.message}`;
        try {
          const err = await kase.run();
          if (err.code !== kase.code || !kase.message.test(err.details)) {
            wrong.push(`${expected}, got ${status[err.code]} "${err.details}"`);
          }
        } catch (err) {
          wrong.push(`${expected}, got ${err}`); // e.g. "expected the call to fail": it succeeded
        }
        if (++since === CHECK_EVERY || i === table.length - 1) {
          await watch.check(`case "${kase.name}"`);
          since = 0;
        }
      }
      assert.deepEqual(wrong, [], `${wrong.length} of ${table.length} cases got another answer`);
    });

    await t.step("a client may have at most --max-conn-streams calls open", async () => {
      // A well-behaved client (grpc-js) waits for a free stream: the extra call completes once one ends.
      const ticket = encodeBytesMessage(new Uint8Array([0xff, ...bytes(`{"events": {"follow": true}}`)]));
      const open = Array.from({ length: LIMITS.streams }, () => client.serverStream("DoGet", ticket));
      for (const stream of open) assert.ok((await stream.next(10_000)) !== null, "the schema message");
      let extra = false;
      const listing = client.serverStream("ListFlights", new Uint8Array(0)).all().then((
        r,
      ) => (extra = true, r));
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(extra, false, "the extra call waits for a free stream");
      open[0].cancel();
      assert.equal((await listing).length, 2);
      for (const stream of open.slice(1)) stream.cancel();
      // A client that ignores the server's limit has the extra streams refused (REFUSED_STREAM = 7).
      const { reset } = await openRawStreams(daemon.port, "DoPut", LIMITS.streams + 2);
      const refused = [...reset].filter(([, code]) => code === 7).map(([id]) => id);
      assert.deepEqual(refused, [9, 11], `streams refused: ${JSON.stringify([...reset])}`);
      await watch.check("too many streams");
    });

    await t.step("bounded fuzz: mutated action bodies and upload streams", async () => {
      const report = await runHostileFuzz({
        client,
        daemonAlive: () => watch.alive,
        sequenceKey: keys.sequence,
      });
      // Mutations may create things, so only what must never change is checked: the kept data, the
      // daemon, and no INTERNAL answer (each would have been logged at error level).
      const after = await watch.snapshot();
      assert.deepEqual(after.reads, baseline.reads, "the kept data reads back unchanged after the fuzz pass");
      watch.assertNoErrorLogs("the fuzz pass");
      console.log(`hostile fuzz: ${JSON.stringify(report)}`);
    });

    const state = await pythonClient("crash_ops.py", daemon.url, "state", "target") as {
      keep: { digest: string; locked: boolean };
    };
    assert.equal(state.keep.digest, kept.digest, "pyarrow reads the kept data back with the same digest");
    assert.equal(state.keep.locked, true);
    assert.ok(watch.alive, "the daemon is still running");
    console.log(`hostile input: ${
      JSON.stringify({
        cases: table.length,
        checks: watch.checks,
        ms: Math.round(performance.now() - started),
      })
    }`);
  });
}

Deno.test("hostile input: the hand-made messages are what they claim to be", () => {
  assert.throws(() => decodeIpcHeader(hugeVectorHeader()), /lies outside/);
  assert.equal(decodeIpcHeader(dictionaryBatchHeader()).kind, "dictionary_batch");
  assert.equal(decodeIpcHeader(encodeSchemaMessage(SIMPLE).header).kind, "schema");
});
