/**
 * The toolkit's browse commands (`ls`, `info`, `cat`, `query`) against a real daemon holding a known
 * sequence written through the client package: their text and JSON output, time windows, columns,
 * limits and formats; bad input exits 1 with a clear message and leaves the daemon serving; the
 * `deno task mosaicod` permissions suffice; `--tls-ca` and `--api-key` reach a TLS daemon with keys.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { Binary, Field, Float64, Int64, RecordBatch, Schema, Struct, Utf8 } from "apache-arrow";
import { createApiKey } from "../src/auth/key_admin.ts";
import { Catalog } from "../src/catalog/catalog.ts";
import { connect, type MosaicoClient } from "../src/client/mod.ts";
import { silentLogger } from "../src/log.ts";
import { type CliRun, mosaicod } from "./_cli.ts";
import { rowsOf } from "../src/arrow/_test_batches.ts";
import { messageOf, receivedFrom } from "../src/arrow/received_batch.ts";
import { MAIN, startDaemon } from "./_daemon.ts";
import { TOOLKIT_PERMISSIONS } from "./_permissions.ts";
import { selfSignedCertificate, tlsEnv } from "./_tls.ts";

/** Beyond 2^53, and not a multiple of 1000: a double anywhere on the way would change it. */
const BASE = 1_700_000_000_000_000_123n;
const MS = 1_000_000n;
const POSE = new Struct([
  new Field("x", new Float64(), true, new Map([["unit", "m"]])),
  new Field("y", new Float64(), true),
]);
const IMU = new Schema([
  new Field("timestamp_ns", new Int64(), false),
  new Field("x", new Float64(), true),
  new Field("label", new Utf8(), true),
  new Field("pose", POSE, true),
]);
const CAMERA = new Schema([
  new Field("timestamp_ns", new Int64(), false),
  new Field("frame", new Binary(), true),
]);

const imuRows = rowsOf(IMU, [
  Array.from({ length: 10 }, (_, i) => BASE + BigInt(i) * MS),
  Array.from({ length: 10 }, (_, i) => i / 2),
  Array.from({ length: 10 }, (_, i) => i === 3 ? 'a,b "q"' : `l${i}`),
  Array.from({ length: 10 }, (_, i) => ({ x: i, y: -i })),
]);
const cameraRows = rowsOf(CAMERA, [[BASE, BASE + 10n * MS, BASE + 20n * MS], [
  Uint8Array.of(1, 2, 3),
  Uint8Array.of(),
  null,
]]);

/** One sequence through the client package, exactly as an importer would write it. */
async function write(client: MosaicoClient, sequence: string, topics: [string, string, RecordBatch][]) {
  await client.createSequence(sequence, { robot: "r1", site: { name: "lab" } });
  const session = await client.createSession(sequence);
  for (const [path, tag, rows] of topics) {
    const locator = `${sequence}/${path}`;
    const uuid = await client.createTopic({ locator, sessionUuid: session.uuid, ontologyTag: tag });
    await client.putTopic(locator, uuid, rows.schema, [rows]);
  }
  await client.finalizeSession(session.uuid);
}

function ok(run: CliRun): string[] {
  assert.equal(run.code, 0, run.err.join("\n"));
  return run.out;
}

Deno.test("toolkit: ls, info, cat and query show a known sequence; bad input exits 1 and changes nothing", async (t) => {
  await using daemon = await startDaemon();
  {
    using client = await connect(daemon.url);
    await write(client, "run_01", [["imu", "imu", imuRows], ["camera", "camera", cameraRows]]);
    await write(client, "walk_02", [["gps", "gps", rowsOf(CAMERA, [[BASE], [null]])]]);
  }
  const env = { MOSAICOD_SERVER: daemon.url };
  const run = (...args: string[]) => mosaicod(env, ...args);

  await t.step("ls: a table by name, a glob, JSON lines with exact times", async () => {
    const table = ok(await run("ls"));
    assert.equal(table.length, 3);
    assert.match(table[0], /^SEQUENCE\s+TOPICS\s+ROWS\s+SIZE\s+START\s+DURATION\s+CREATED$/);
    assert.match(
      table[1],
      /^run_01\s+2\s+13\s+[\d.]+ (B|KiB)\s+2023-11-14T22:13:20\.000000123Z\s+20ms\s+20\d\d-/,
    );
    assert.match(table[2], /^walk_02\s+1\s+1\s/);
    assert.deepEqual(ok(await run("ls", "run_*")).slice(1).map((l) => l.split(/\s+/)[0]), ["run_01"]);
    const lines = ok(await run("ls", "--json"));
    assert.equal(lines.length, 2);
    assert.match(lines[0], /"start_ns":1700000000000000123,"end_ns":1700000000020000123,/);
    const first = JSON.parse(lines[0]);
    assert.deepEqual([first.sequence, first.topics, first.sessions, first.rows], ["run_01", 2, 1, 13]);
    assert.ok(first.bytes > 0);
    const none = await run("ls", "nomatch*");
    assert.deepEqual([none.code, none.out, none.err], [0, [], ['No sequence matches "nomatch*"']]);
  });

  await t.step("info: a sequence's metadata, session and topics; a topic's schema tree", async () => {
    const seq = ok(await run("info", "run_01")).join("\n");
    assert.match(seq, /^Sequence +run_01$/m);
    const metadata = /^Metadata +(\{.*\})$/m.exec(seq)?.[1];
    assert.deepEqual(JSON.parse(metadata ?? "null"), { robot: "r1", site: { name: "lab" } });
    assert.match(seq, /^Rows +13 in 2 topics, 2 chunks, /m);
    assert.match(seq, /^Sessions \(1\):\n {2}run_01:[0-9A-Z]{26} {2}created .*, finalized .*, 2 topics$/m);
    assert.match(seq, /^ {2}run_01\/imu +imu +default +10 +.* +1 +2023-11-14T22:13:20\.000000123Z → /m);
    const topic = ok(await run("info", "run_01/imu")).join("\n");
    assert.match(topic, /^Rows +10 in 1 chunk, /m);
    assert.match(
      topic,
      /^Time range +2023-11-14T22:13:20\.000000123Z → 2023-11-14T22:13:20\.009000123Z \(9ms\)$/m,
    );
    assert.match(
      topic,
      /Schema:\n {2}timestamp_ns +Int64 +not null\n {2}x +Float64\n {2}label +Utf8\n {2}pose +Struct\n {4}x +Float64 +\{unit=m\}\n {4}y +Float64$/,
    );
    const [json] = ok(await run("info", "run_01/imu", "--json"));
    assert.match(json, /"start_ns":1700000000000000123,"end_ns":1700000000009000123/);
    const parsed = JSON.parse(json);
    assert.deepEqual([parsed.kind, parsed.rows, parsed.chunks, parsed.locked], ["topic", 10, 1, true]);
    assert.deepEqual(parsed.schema.fields.map((f: { name: string }) => f.name), [
      "timestamp_ns",
      "x",
      "label",
      "pose",
    ]);
    assert.deepEqual(parsed.schema.fields[3].children[0].metadata, { unit: "m" });
    const [seqJson] = ok(await run("info", "run_01", "--json"));
    const s = JSON.parse(seqJson);
    assert.deepEqual([s.kind, s.sessions.length, s.topics.map((x: { topic: string }) => x.topic)], [
      "sequence",
      1,
      ["run_01/imu", "run_01/camera"],
    ]);
    const session = ok(await run("info", s.sessions[0].locator)).join("\n");
    assert.match(session, /^Sequence +run_01\n(.|\n)*^Sessions \(1\):\n(.|\n)*^Topics \(2\):$/m);
  });

  await t.step("cat: table, csv and jsonl; windows, columns and limits", async () => {
    const table = ok(await run("cat", "run_01/imu", "--limit", "3"));
    assert.deepEqual(table.map((l) => l.split(/\s{2,}/)), [
      ["timestamp_ns", "x", "label", "pose"],
      ["1700000000000000123", "0", "l0", '{"x":0,"y":0}'],
      ["1700000000001000123", "0.5", "l1", '{"x":1,"y":-1}'],
      ["1700000000002000123", "1", "l2", '{"x":2,"y":-2}'],
    ]);
    const csv = ok(await run("cat", "run_01/imu", "--format", "csv", "--columns", "label,timestamp_ns"));
    assert.equal(csv.length, 11);
    assert.deepEqual([csv[0], csv[4]], ["label,timestamp_ns", '"a,b ""q""",1700000000003000123']);
    const window = ok(
      await run(
        "cat",
        "run_01/imu",
        "--json",
        "--from",
        String(BASE + 2n * MS),
        "--to",
        String(BASE + 5n * MS),
      ),
    );
    assert.deepEqual(
      window,
      [2, 3, 4].map((i) =>
        `{"timestamp_ns":${BASE + BigInt(i) * MS},"x":${i / 2},"label":${
          JSON.stringify(i === 3 ? 'a,b "q"' : `l${i}`)
        },"pose":{"x":${i},"y":${-i}}}`
      ),
    );
    // An ISO bound: 20.005Z is before BASE + 5 ms (…20.005000123Z), so rows 5 to 9.
    const iso = ok(
      await run(
        "cat",
        "run_01/imu",
        "--format",
        "csv",
        "--columns",
        "x",
        "--from",
        "2023-11-14T22:13:20.005Z",
      ),
    );
    assert.deepEqual(iso, ["x", "2.5", "3", "3.5", "4", "4.5"]);
    assert.deepEqual(ok(await run("cat", "run_01/imu", "--limit", "0")), ["timestamp_ns  x  label  pose"]);
    const frames = ok(await run("cat", "run_01/camera", "--format", "jsonl", "--columns", "frame"));
    assert.deepEqual(frames, ['{"frame":"AQID"}', '{"frame":""}', '{"frame":null}']);
    const cells = ok(await run("cat", "run_01/camera")).map((l) => l.split(/\s{2,}/)[1]);
    assert.deepEqual(cells, ["frame", "<3 bytes>", "<0 bytes>", "null"]);
  });

  await t.step("query: inline and from a file, as text and as the daemon's JSON", async () => {
    assert.deepEqual(ok(await run("query", '{"topic": {"ontology_tag": {"$eq": "imu"}}}')), [
      "run_01  (1 topic)",
      "  run_01/imu  [imu]",
    ]);
    const file = join(daemon.cwd, "q.json");
    await Deno.writeTextFile(file, '{"sequence": {"name": {"$match": "*_02"}}}');
    const [json] = ok(await run("query", `@${file}`, "--json"));
    assert.deepEqual(JSON.parse(json), {
      items: [{ sequence: "walk_02", topics: [{ locator: "walk_02/gps", ontology_tag: "gps" }] }],
    });
  });

  await t.step("bad input: a clear message, exit code 1, the daemon unaffected", async () => {
    const cases: [string[], RegExp][] = [
      [["cat", "run_01/nope"], /^mosaicod cat: NOT_FOUND: Cannot find topic "run_01\/nope"$/],
      [["info", "nope"], /^mosaicod info: NOT_FOUND: Cannot find sequence "nope"$/],
      [["cat", "run_01"], /^mosaicod cat: INVALID_ARGUMENT: "run_01" is not a topic$/],
      [
        ["cat", "run_01/imu", "--columns", "x,nope"],
        /has no column "nope" \(its columns: timestamp_ns, x, label, pose\)$/,
      ],
      [["cat", "run_01/imu", "--format", "xml"], /--format must be one of table, csv, jsonl, got "xml"$/],
      [
        ["cat", "run_01/imu", "--from", "yesterday"],
        /--from must be nanoseconds since the epoch or an ISO 8601/,
      ],
      [["cat", "run_01/imu", "--limit", "-1"], /--limit/],
      [["cat"], /^mosaicod cat: Usage: mosaicod cat <sequence\/topic>/],
      [["ls", "[z-a]"], /Invalid glob pattern "\[z-a\]"/],
      [["query", "{bad"], /^mosaicod query: The query is not valid JSON/],
      [["query", "[1]"], /^mosaicod query: The query must be a JSON object/],
      [["query", '{"nope": {}}'], /^mosaicod query: INVALID_ARGUMENT: Invalid query: /],
      [["query", "@/nonexistent/q.json"], /Cannot read the query file "\/nonexistent\/q.json"/],
      [["ls", "--server", "http://x"], /Invalid server address "http:\/\/x": the scheme must be grpc:\/\//],
      [["ls", "--bogus"], /^mosaicod ls: Unknown option '--bogus'/],
    ];
    for (const [args, message] of cases) {
      const r = await run(...args);
      assert.equal(r.code, 1, `${args.join(" ")}: ${r.err.join("\n")}`);
      assert.deepEqual(r.out, [], args.join(" "));
      assert.equal(r.err.length, 1, args.join(" "));
      assert.match(r.err[0], message);
    }
    const closed = await mosaicod({ MOSAICOD_SERVER: "grpc://127.0.0.1:1" }, "ls");
    assert.equal(closed.code, 1);
    assert.match(closed.err[0], /^mosaicod ls: UNAVAILABLE: Cannot reach grpc:\/\/127\.0\.0\.1:1: /);
    assert.equal(ok(await run("ls")).length, 3, "still serving, nothing changed");
    assert.deepEqual(daemon.logs.filter((l) => l.level === "error"), []);
  });

  await t.step("deno task mosaicod's permissions suffice; exit codes reach the shell", async () => {
    const task = async (...args: string[]) => {
      const o = await new Deno.Command(Deno.execPath(), {
        args: ["run", ...TOOLKIT_PERMISSIONS, MAIN, ...args],
        env: env,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder();
      return { code: o.code, out: text.decode(o.stdout), err: text.decode(o.stderr) };
    };
    const listed = await task("ls", "--json");
    assert.equal(listed.code, 0, listed.err);
    assert.equal(listed.out.trim().split("\n").length, 2);
    const missing = await task("cat", "run_01/nope");
    assert.equal(missing.code, 1);
    assert.match(missing.err, /NOT_FOUND: Cannot find topic "run_01\/nope"/);
  });

  await t.step(
    "the client gives each DoGet batch with the message it came in, whole (export moves it on)",
    async () => {
      using client = await connect(daemon.url);
      // Frames large enough to be moved rather than copied (small messages are copied, on purpose).
      const frames = Array.from({ length: 6 }, (_, i) => new Uint8Array(65_536).fill(i));
      const times = frames.map((_, i) => BASE + BigInt(i) * MS);
      await write(client, "big_03", [["camera", "camera", rowsOf(CAMERA, [times, frames])]]);
      const found = await client.describe("big_03/camera", { startNs: null, endNs: null });
      assert.equal(found.kind, "topic");
      using reader = client.flight.doGet(found.kind === "topic" ? found.topic.ticket : new Uint8Array());
      const items = await Array.fromAsync(reader.received());
      assert.equal(items.reduce((n, i) => n + i.batch.numRows, 0), 6);
      for (const item of items) {
        // Its own buffer, header and body as received: handed to a worker as is, not packed anew.
        const message = messageOf(item);
        assert.ok(message.header === item.header && message.body === item.body);
        assert.deepEqual(receivedFrom(item.batch.schema, message).batch.toArray(), item.batch.toArray());
      }
    },
  );
});

Deno.test("toolkit: --tls-ca and --api-key (or MOSAICOD_TLS_CA, MOSAICOD_API_KEY) reach a grpc+tls:// daemon with keys", async () => {
  await using cert = await selfSignedCertificate();
  const cwd = await Deno.makeTempDir({ prefix: "mosaicod-toolkit-" });
  try {
    let token: string;
    {
      await using catalog = await Catalog.open({ kind: "pglite", dir: join(cwd, "data", "catalog") }, {
        log: silentLogger(),
      });
      ({ token } = await createApiKey(catalog, {
        permissions: ["read"],
        description: "ls",
        expiresNs: null,
      }));
    }
    await using daemon = await startDaemon({
      cwd,
      env: { ...tlsEnv(cert), MOSAICOD_API_KEY_ENABLED: "true" },
    });
    const server = `grpc+tls://127.0.0.1:${daemon.port}`;
    const flags = await mosaicod({}, "ls", "--server", server, "--tls-ca", cert.cert, "--api-key", token);
    assert.deepEqual([flags.code, flags.err], [0, ["No sequences"]]);
    const vars = { MOSAICOD_SERVER: server, MOSAICOD_TLS_CA: cert.cert, MOSAICOD_API_KEY: token };
    assert.equal((await mosaicod(vars, "ls", "--json")).code, 0);
    const noKey = await mosaicod({}, "ls", "--server", server, "--tls-ca", cert.cert);
    assert.equal(noKey.code, 1);
    assert.match(noKey.err[0], /^mosaicod ls: UNAUTHENTICATED: /);
    const untrusted = await mosaicod({}, "ls", "--server", server, "--api-key", token);
    assert.equal(untrusted.code, 1);
    assert.match(untrusted.err[0], /^mosaicod ls: UNAVAILABLE: Cannot reach grpc\+tls:\/\/127\.0\.0\.1:/);
    const noFile = await mosaicod({}, "ls", "--server", server, "--tls-ca", join(cwd, "none.pem"));
    assert.match(noFile.err[0], /Cannot read --tls-ca ".*none\.pem"/);
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});
