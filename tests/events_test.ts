/**
 * The live event subscription (extension) end to end: a real daemon on each catalog driver (embedded,
 * PostgreSQL, and two Flight worker threads on the embedded catalog, which poll), lifecycle changes made
 * by a pyarrow client (`tests/interop/events_ops.py`), events read with a Flight client as bytes on the wire.
 */
import assert from "node:assert/strict";
import { status } from "@grpc/grpc-js";
import type { Schema } from "apache-arrow";
import { pythonClient } from "./_commands.ts";
import { type Daemon, startDaemon } from "./_daemon.ts";
import { type FlightChannel, type ResponseStream } from "../src/client/mod.ts";
import { channelTo, rpcError } from "./_flight_client.ts";
import { freshDatabase } from "./_postgres.ts";
import { decodeEncapsulatedSchema, decodeIpcHeader, decodeRecordBatch } from "../src/arrow/ipc.ts";
import { decodeFlightData } from "../src/flight/flight_data.ts";
import { decodeFlightInfo, encodeBytesMessage, encodeDescriptor } from "../src/flight/messages.ts";
import { action } from "./_hostile.ts";

interface StreamedEvent {
  id: number;
  kind: string;
  createdMs: number;
  sequence: string | null;
  topic: string | null;
  /** The `detail` column, parsed. */
  detail: Record<string, unknown>;
  /** Every string column as sent, to look for keys. */
  raw: string;
}

const EXPECTED_FIELDS = [
  ["id", "Int64", false],
  ["kind", "Utf8", false],
  ["created_ms", "Int64", false],
  ["sequence", "Utf8", true],
  ["topic", "Utf8", true],
  ["detail", "Utf8", false],
];

/** The events ticket as any client builds it: 0xFF, then the JSON. */
function eventsTicket(body: unknown): Uint8Array {
  return new Uint8Array([0xff, ...new TextEncoder().encode(JSON.stringify({ events: body }))]);
}

function assertEventSchema(schema: Schema): void {
  assert.deepEqual(
    schema.fields.map((f) => [f.name, String(f.type), f.nullable]),
    EXPECTED_FIELDS,
  );
}

/** Decodes DoGet responses: the schema first (checked), then batches of events. */
class EventReader {
  #schema: Schema | null = null;

  read(message: Uint8Array): StreamedEvent[] {
    const fd = decodeFlightData(message);
    const header = decodeIpcHeader(fd.header);
    if (header.kind === "schema") {
      assert.equal(this.#schema, null, "one schema message, first");
      assertEventSchema(header.schema);
      this.#schema = header.schema;
      return [];
    }
    assert.ok(this.#schema, "the schema comes first");
    assert.equal(header.kind, "record_batch");
    if (header.kind !== "record_batch") return [];
    const batch = decodeRecordBatch(this.#schema, header.header, fd.body);
    assert.ok(batch.numRows > 0, "batches are never empty");
    return batch.toArray().map((row) => {
      const r = row.toJSON();
      return {
        id: Number(r.id),
        kind: r.kind,
        createdMs: Number(r.created_ms),
        sequence: r.sequence,
        topic: r.topic,
        detail: JSON.parse(r.detail),
        raw: [r.kind, r.sequence, r.topic, r.detail].join("\n"),
      };
    });
  }

  get sawSchema(): boolean {
    return this.#schema !== null;
  }
}

/** Every event a non-following subscription streams. */
async function readAll(client: FlightChannel, body: Record<string, unknown>): Promise<StreamedEvent[]> {
  const reader = new EventReader();
  const messages = await client.serverStream(
    "DoGet",
    encodeBytesMessage(eventsTicket({ ...body, follow: false })),
  ).all();
  const events = messages.flatMap((m) => reader.read(m));
  assert.ok(reader.sawSchema, "the schema is sent even when there is no event");
  return events;
}

async function lastId(client: FlightChannel): Promise<number> {
  return (await readAll(client, {})).at(-1)?.id ?? 0;
}

/** Reads a live stream until `count` events came (or fails after `timeoutMs`). */
async function readEvents(
  stream: ResponseStream,
  reader: EventReader,
  count: number,
  timeoutMs = 10_000,
): Promise<StreamedEvent[]> {
  const out: StreamedEvent[] = [];
  const deadline = Date.now() + timeoutMs;
  while (out.length < count) {
    const message = await stream.next(Math.max(1, deadline - Date.now()));
    assert.ok(message, `the stream ended after ${out.length} of ${count} events`);
    out.push(...reader.read(message));
  }
  return out;
}

/** Opens a following subscription and waits for its schema (the subscription is then in place). */
async function subscribe(client: FlightChannel, body: Record<string, unknown>) {
  const stream = client.serverStream("DoGet", encodeBytesMessage(eventsTicket(body)));
  const reader = new EventReader();
  const first = await stream.next(10_000);
  assert.ok(first);
  assert.deepEqual(reader.read(first), []);
  return { stream, reader };
}

function assertConsecutive(events: StreamedEvent[], afterId: number): void {
  assert.deepEqual(events.map((e) => e.id), events.map((_, i) => afterId + 1 + i));
}

const summary = (e: StreamedEvent) => [e.kind, e.sequence, e.topic];

function ops(daemon: Daemon, ...list: string[]): Promise<{ keys: Record<string, string> }> {
  return pythonClient("events_ops.py", daemon.url, ...list) as Promise<{ keys: Record<string, string> }>;
}

const CONFIGS: { name: string; args: string[]; postgres?: boolean }[] = [
  { name: "embedded catalog", args: [] },
  { name: "PostgreSQL", args: [], postgres: true },
  { name: "embedded catalog with --workers 2 (polling)", args: ["--workers", "2"] },
];

for (const config of CONFIGS) {
  Deno.test(`events (${config.name}): the subscription through a real daemon`, async (t) => {
    await using db = config.postgres ? await freshDatabase() : null;
    await using daemon = await startDaemon({
      args: [
        ...config.args,
        ...(db ? ["--database-url", db.url] : []),
        // Several chunks per upload; a shutdown that waited for the subscription would show.
        ...["--chunk-bytes", String(1 << 20), "--shutdown-timeout-ms", "20000"],
      ],
    });
    const tag = `ev${Math.random().toString(36).slice(2, 8)}`;

    await t.step("every lifecycle change is streamed once, in id order, with consecutive ids", async () => {
      using client = channelTo(daemon.port);
      const before = await lastId(client);
      const [a, b, c] = [`${tag}_a`, `${tag}_b`, `${tag}_c`];
      const started = Date.now();
      const { keys } = await ops(
        daemon,
        ...[`create:${a}`, `topic:${a}/imu`, `upload:${a}/imu`, `finalize:${a}`],
        ...[`notify:${a}`, `notify_topic:${a}/imu`],
        ...[`create:${b}`, `topic:${b}/t`, `abort:${b}`],
        ...[`create:${c}`, `topic:${c}/x`, `delete_topic:${c}/x`, `delete:${c}`],
      );
      const events = await readAll(client, { after_id: before });
      assertConsecutive(events, before);
      const chunks = events.filter((e) => e.kind === "chunk.committed");
      assert.ok(chunks.length >= 2, `an upload of ~2.3 MiB in 1 MiB chunks: ${chunks.length} chunk(s)`);
      assert.deepEqual(events.map(summary), [
        ["sequence.created", a, null],
        ["topic.created", a, `${a}/imu`],
        ...chunks.map(() => ["chunk.committed", a, `${a}/imu`]),
        ["topic.locked", a, `${a}/imu`],
        ["sequence.finalized", a, null],
        ["notification.created", a, null],
        ["notification.created", a, `${a}/imu`],
        ["sequence.created", b, null],
        ["topic.created", b, `${b}/t`],
        ["sequence.aborted", b, null],
        ["sequence.created", c, null],
        ["topic.created", c, `${c}/x`],
        ["topic.deleted", c, `${c}/x`],
        ["sequence.deleted", c, null],
      ]);
      assert.deepEqual(chunks.map((e) => e.detail.index), chunks.map((_, i) => i));
      assert.equal(chunks.reduce((n, e) => n + (e.detail.rows as number), 0), 32_000);
      const locked = events.find((e) => e.kind === "topic.locked")!;
      assert.deepEqual([locked.detail.chunks, locked.detail.rows], [chunks.length, 32_000]);
      assert.deepEqual(events.find((e) => e.kind === "sequence.aborted")!.detail, { topics: 1 });
      assert.equal(events.find((e) => e.kind === "notification.created")!.detail.msg, `note on ${a}`);
      for (const [i, e] of events.entries()) {
        assert.ok(
          e.createdMs >= started - 60_000 && e.createdMs <= Date.now() + 60_000,
          `created_ms ${e.createdMs}`,
        );
        if (i > 0) assert.ok(e.createdMs >= events[i - 1].createdMs, "created_ms never goes back");
      }
      // Keys are write tokens: never streamed, nor any other uuid.
      assert.equal(Object.keys(keys).length, 6);
      const everything = events.map((e) => e.raw).join("\n");
      for (const key of Object.values(keys)) assert.ok(!everything.includes(key), `key ${key} streamed`);
      assert.doesNotMatch(everything, /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/);

      const kinds = ["sequence.deleted", "sequence.created", "sequence.aborted"];
      const filtered = await readAll(client, { after_id: before, kinds });
      assert.deepEqual(filtered.map(summary), events.filter((e) => kinds.includes(e.kind)).map(summary));
      assert.deepEqual(
        filtered.map((e) => e.id),
        events.filter((e) => kinds.includes(e.kind)).map((e) => e.id),
      );
    });

    await t.step("GetFlightInfo with the events command leads to the same stream", async () => {
      using client = channelTo(daemon.port);
      const cmd = new TextEncoder().encode(JSON.stringify({ events: { after_id: 2, follow: false } }));
      const info = decodeFlightInfo(
        await client.unary("GetFlightInfo", encodeDescriptor({ type: "cmd", cmd, path: [] })),
      );
      assertEventSchema(decodeEncapsulatedSchema(info.schema));
      assert.equal(info.endpoints.length, 1);
      const ticket = info.endpoints[0].ticket;
      assert.equal(ticket[0], 0xff);
      const reader = new EventReader();
      const events = (await client.serverStream("DoGet", encodeBytesMessage(ticket)).all()).flatMap((m) =>
        reader.read(m)
      );
      assert.deepEqual(events, (await readAll(client, {})).slice(2));
    });

    await t.step(
      "a client that resumes after the last id it saw misses nothing and sees nothing twice",
      async () => {
        using client = channelTo(daemon.port);
        const base = await lastId(client);
        const [d, e] = [`${tag}_d`, `${tag}_e`];
        const { stream, reader } = await subscribe(client, { after_id: base });
        await ops(daemon, `create:${d}`, `topic:${d}/imu`, `upload:${d}/imu`, `finalize:${d}`);
        const seen = await readEvents(stream, reader, 3);
        stream.cancel();
        await ops(daemon, `notify:${d}`, `create:${e}`, `delete:${e}`);
        const lastSeen = seen.at(-1)!.id;
        const resumed = await readAll(client, { after_id: lastSeen });
        const all = await readAll(client, { after_id: base });
        assertConsecutive(all, base);
        assert.deepEqual([...seen, ...resumed], all);
        assert.deepEqual(all.slice(-3).map(summary), [
          ["notification.created", d, null],
          ["sequence.created", e, null],
          ["sequence.deleted", e, null],
        ]);
      },
    );

    await t.step("a live subscriber receives a change as it commits, and nothing while idle", async () => {
      using client = channelTo(daemon.port);
      const base = await lastId(client);
      const live = `${tag}_live`;
      const { stream, reader } = await subscribe(client, { after_id: base, kinds: ["sequence.created"] });
      await assert.rejects(stream.next(2500), /No response within 2500 ms/, "idle: no (empty) batch");
      await ops(daemon, `create:${live}`, `topic:${live}/t`, `create:${live}_2`);
      const committed = performance.now();
      const events = await readEvents(stream, reader, 2, 5000);
      const delayMs = performance.now() - committed;
      assert.deepEqual(events.map(summary), [["sequence.created", live, null], [
        "sequence.created",
        `${live}_2`,
        null,
      ]]);
      assert.deepEqual(events.map((ev) => ev.id), [base + 1, base + 3]);
      assert.ok(delayMs < 4000, `arrived ${delayMs} ms after the commit`);
      stream.cancel();
    });

    await t.step("bad tickets and commands are INVALID_ARGUMENT and the daemon keeps serving", async () => {
      using client = channelTo(daemon.port);
      const newest = await lastId(client);
      const doGet = (ticket: Uint8Array) =>
        rpcError(client.serverStream("DoGet", encodeBytesMessage(ticket)).all());
      const cases: [Uint8Array, RegExp][] = [
        [eventsTicket({ after_id: -1 }), /field "events.after_id" must be an integer from 0/],
        [eventsTicket({ after_id: "x" }), /field "events.after_id" must be an integer from 0 .*, not "x"/],
        [eventsTicket({ follow: 1 }), /field "events.follow" must be true or false, not 1/],
        [
          eventsTicket({ kinds: ["topic.renamed"] }),
          /field "events.kinds" holds an unknown kind "topic.renamed"/,
        ],
        [eventsTicket({ kinds: [] }), /field "events.kinds" must not be empty/],
        [eventsTicket({ since: 1 }), /field "events.since" is not supported/],
        [eventsTicket([]), /field "events" must be a JSON object/],
        [
          new Uint8Array([0xff, ...new TextEncoder().encode('{"events": {}, "topic_range": {}}')]),
          /exactly one kind/,
        ],
        [new Uint8Array([0xff, 0x7b]), /^Invalid DoGet ticket: ticket is not valid JSON/],
      ];
      for (const [ticket, message] of cases) {
        const err = await doGet(ticket);
        assert.equal(err.code, status.INVALID_ARGUMENT, err.details);
        assert.match(err.details, message);
      }
      const cmd = new TextEncoder().encode(JSON.stringify({ events: { follow: "yes" } }));
      const err = await rpcError(
        client.unary("GetFlightInfo", encodeDescriptor({ type: "cmd", cmd, path: [] })),
      );
      assert.equal(err.code, status.INVALID_ARGUMENT);
      assert.match(
        err.details,
        /^Invalid GetFlightInfo command: field "events.follow" must be true or false/,
      );
      // Beyond the newest event: the catalog is not the one the client read (resuming would skip events).
      const ahead = await doGet(eventsTicket({ after_id: newest + 5 }));
      assert.equal(ahead.code, status.FAILED_PRECONDITION);
      assert.match(ahead.details, new RegExp(`after id ${newest + 5}: the newest event is ${newest}`));
      assert.equal(await lastId(client), newest, "still serving");
      assert.ok(!daemon.logs.some((l) => l.level === "error"), "client mistakes are not logged as errors");
    });

    await t.step(
      "an idle live subscription ends (UNAVAILABLE) at shutdown instead of holding it up",
      async () => {
        const follower = new Deno.Command("python3", {
          args: ["events_ops.py", "follow", "0"],
          cwd: new URL("./interop/", import.meta.url),
          env: { MOSAICOD_URL: daemon.url, PYTHONDONTWRITEBYTECODE: "1" },
          stdin: "null",
          stdout: "piped",
          stderr: "inherit",
        }).spawn();
        try {
          const lines = follower.stdout.pipeThrough(new TextDecoderStream()).getReader();
          let out = "";
          while (!out.includes("ready")) {
            const { value, done } = await lines.read();
            assert.ok(!done, `the follower ended early: ${out}`);
            out += value;
          }
          const started = performance.now();
          assert.equal(await daemon.stop("SIGTERM"), 0);
          const tookMs = performance.now() - started;
          assert.ok(tookMs < 8000, `shutdown took ${tookMs} ms (its deadline is 20 s)`);
          for (let r = await lines.read(); !r.done; r = await lines.read()) out += r.value;
          const last = out.trim().split("\n").at(-1)!;
          // The stream's own status says where to resume; when the server closes the connection before the
          // client reads that trailer (seen under load), the client sees the closed socket: UNAVAILABLE too.
          assert.match(
            last,
            /^UNAVAILABLE .*(the server is shutting down; resume after id \d+|Socket closed)/,
            out,
          );
          assert.ok(!daemon.logs.some((l) => l.level === "error"), "no error logged");
        } finally {
          try {
            follower.kill("SIGKILL");
          } catch (_) {
            // exited already
          }
          await follower.status;
        }
      },
    );
  });
}

Deno.test("events: a daemon prunes events past --event-retention-ms; resuming below them is refused", async () => {
  await using daemon = await startDaemon({
    args: ["--event-retention-ms", "2500", "--prune-interval-ms", "100", "--log-level", "info"],
  });
  {
    // Closed before the daemon stops (as every test here does): a client connection that receives the
    // server's GOAWAY right after a call can crash Deno's HTTP/2 client (an nghttp2 assertion).
    using client = channelTo(daemon.port);
    for (const name of ["old_1", "old_2", "old_3"]) {
      await client.serverStream("DoAction", action("sequence_create", { name, user_metadata: {} })).all();
    }
    const deadline = Date.now() + 20_000;
    while ((await readAll(client, {})).length > 0) {
      assert.ok(Date.now() < deadline, "the pruner never ran");
      await new Promise((r) => setTimeout(r, 100));
    }
    const refused = await rpcError(
      client.serverStream("DoGet", encodeBytesMessage(eventsTicket({ after_id: 1 }))).all(),
    );
    assert.equal(refused.code, status.FAILED_PRECONDITION, refused.details);
    assert.match(
      refused.details,
      /after id 1: events up to id 3 are past the event retention and were pruned/,
    );
    assert.deepEqual(await readAll(client, { after_id: 3 }), [], "from where the log starts: nothing lost");
    await client.serverStream("DoAction", action("sequence_create", { name: "new", user_metadata: {} }))
      .all();
    assert.deepEqual((await readAll(client, {})).map((e) => [e.id, e.sequence]), [[4, "new"]]);
  }
  const pruneLogs = daemon.logs.filter((l) => l.msg === "pruned history past its retention");
  assert.equal(pruneLogs.reduce((n, l) => n + Number(l.events), 0), 3, JSON.stringify(daemon.logs.slice(-5)));
  assert.equal(await daemon.stop(), 0);
});
