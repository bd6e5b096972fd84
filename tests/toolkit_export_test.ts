/**
 * `mosaicod export` against a real daemon holding sequences written through the client package (nested
 * structs, lists, nulls, 64-bit integers beyond 2^53, a topic spread over several chunks): Parquet read
 * back by pyarrow (`interop/export_check.py`) gives the uploaded rows and schema; CSV has the flattened
 * header and RFC 4180 rows; MCAP read back with `@mcap/core` has the schemas, channels, message count
 * and JSON of the rows; `--from`/`--to` are inclusive; bad input exits 1 and leaves nothing behind. The ROS
 * round trip is in `toolkit_export_ros_test.ts`.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import type { McapTypes } from "@mcap/core";
import {
  Binary,
  Bool,
  type DataType,
  Field,
  Float64,
  Int64,
  List,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  TimestampNanosecond,
  Uint8,
  Utf8,
  vectorFromArray,
} from "apache-arrow";
import { connect, type MosaicoClient } from "../src/client/mod.ts";
import { parseJsonExact } from "../src/model/json.ts";
import { MAIN, startDaemon } from "./_daemon.ts";
import { canonical, mosaicod, readMcap } from "./_export_check.ts";
import { TOOLKIT_PERMISSIONS } from "./_permissions.ts";

/** Beyond 2^53 and not a multiple of 1000: a double anywhere on the way would change it. */
const BASE = 1_700_000_000_000_000_123n;
const MS = 1_000_000n;
const BIG = 9_007_199_254_740_993n; // 2^53 + 1

const POSE = new Struct([
  new Field(
    "position",
    new Struct([new Field("x", new Float64(), true), new Field("y", new Float64(), true)]),
    true,
  ),
  new Field("frame", new Utf8(), true),
]);
const IMU = new Schema([
  new Field("timestamp_ns", new Int64(), false),
  new Field("x", new Float64(), true, new Map([["description", "forward acceleration"]])),
  new Field("label", new Utf8(), true),
  new Field("pose", POSE, true),
  new Field("samples", new List(new Field("item", new Float64(), true)), true),
  new Field("count", new Int64(), true),
  new Field("flags", new Uint8(), true),
  new Field("ok", new Bool(), true),
  new Field("stamp", new TimestampNanosecond(), true),
]);
const CAMERA = new Schema([
  new Field("timestamp_ns", new Int64(), false),
  new Field("frame", new Binary(), true),
]);

type Row = Record<string, unknown>;

/** Row i of the imu topic: every kind of value, and nulls in every column but timestamp_ns. */
function imuRow(i: number): Row {
  const ts = BASE + BigInt(i) * MS;
  return {
    timestamp_ns: ts,
    x: i % 5 === 4 ? null : i / 4 - 1,
    label: [`l${i}`, 'a,b "q"', "two\nlines", "ünï", null][i % 5],
    pose: i % 6 === 5 ? null : { position: { x: i, y: i % 3 === 0 ? null : -i / 2 }, frame: `f${i}` },
    samples: i % 4 === 3 ? null : Array.from({ length: i % 3 }, (_, k) => k + i / 10),
    count: i % 7 === 6 ? null : (i % 2 ? -BIG : BIG) + BigInt(i),
    flags: i % 8 === 7 ? null : (i * 37) % 256,
    ok: i % 9 === 8 ? null : i % 2 === 0,
    stamp: i % 10 === 9 ? null : ts - 5n,
  };
}

function column(type: DataType, values: unknown[]) {
  if (type instanceof TimestampNanosecond) {
    const valid = new Uint8Array(Math.ceil(values.length / 8));
    values.forEach((v, i) => v !== null && (valid[i >> 3] |= 1 << (i & 7)));
    return makeData({
      type,
      length: values.length,
      nullBitmap: valid,
      data: BigInt64Array.from(values, (v) => (v ?? 0n) as bigint),
    });
  }
  return vectorFromArray(values, type).data[0];
}

function batch(schema: Schema, rows: Row[]): RecordBatch {
  const children = schema.fields.map((f) => column(f.type, rows.map((r) => r[f.name])));
  return new RecordBatch(
    schema,
    makeData({ type: new Struct(schema.fields), length: rows.length, children }),
  );
}

const imuRows = Array.from({ length: 12 }, (_, i) => imuRow(i));
/** 8 frames of 400 KB of noise: over 3 MB, several chunks at --chunk-bytes 1 MiB. */
const cameraRows = Array.from({ length: 8 }, (_, i) => {
  const frame = new Uint8Array(400_000);
  let s = i + 1;
  for (let k = 0; k < frame.length; k++) frame[k] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
  return { timestamp_ns: BASE + BigInt(i) * 10n * MS, frame: i === 3 ? null : frame };
});

async function write(client: MosaicoClient, sequence: string, topics: [string, string, RecordBatch[]][]) {
  await client.createSequence(sequence, { robot: "r1", note: BIG.toString() });
  const session = await client.createSession(sequence);
  for (const [path, tag, batches] of topics) {
    const locator = `${sequence}/${path}`;
    const uuid = await client.createTopic({ locator, sessionUuid: session.uuid, ontologyTag: tag });
    await client.putTopic(locator, uuid, batches[0].schema, batches);
  }
  await client.finalizeSession(session.uuid);
}

function sameRows(actual: unknown[], expected: Row[], what: string) {
  assert.equal(actual.length, expected.length, `${what}: row count`);
  for (let i = 0; i < expected.length; i++) {
    assert.equal(canonical(actual[i]), canonical(expected[i]), `${what}: row ${i}`);
  }
}

async function pyarrowRead(files: string[]) {
  const o = await new Deno.Command("python3", {
    args: [new URL("./interop/export_check.py", import.meta.url).pathname, ...files],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(o.code, 0, new TextDecoder().decode(o.stderr));
  return new TextDecoder().decode(o.stdout).trim().split("\n").map((l) => parseJsonExact(l) as Row);
}

/** The rows DuckDB reads from a Parquet file (no options), as plain JSON-able values. */
async function duckdbRead(file: string, columns: string): Promise<Row[]> {
  const db = await DuckDBInstance.create(":memory:");
  const con = await db.connect();
  try {
    const path = file.replaceAll("'", "''");
    return (await con.runAndReadAll(`SELECT ${columns} FROM read_parquet('${path}')`))
      .getRowObjectsJS() as Row[];
  } finally {
    con.closeSync();
    db.closeSync();
  }
}

Deno.test("toolkit: export writes Parquet pyarrow reads, flattened CSV and JSON MCAP; inclusive window; errors", async (t) => {
  await using daemon = await startDaemon({ args: ["--chunk-bytes", String(1024 * 1024)] });
  const out = await Deno.makeTempDir({ prefix: "mosaicod-export-" });
  try {
    {
      using client = await connect(daemon.url);
      const imuBatches = [0, 4, 8].map((s) => batch(IMU, imuRows.slice(s, s + 4)));
      const cameraBatches = [0, 3, 6].map((s) => batch(CAMERA, cameraRows.slice(s, s + 3)));
      await write(client, "run_01", [["sensors/imu", "imu", imuBatches], ["camera", "image", cameraBatches]]);
      await write(client, "walk_02", [["gps", "gps", [batch(CAMERA, cameraRows.slice(0, 2))]]]);
      assert.ok((await client.topicInfo("run_01/camera")).chunks > 1, "camera spans several chunks");
    }
    const env = { MOSAICOD_SERVER: daemon.url };
    const run = (...args: string[]) => mosaicod(env, ...args);

    await t.step("parquet: pyarrow reads the uploaded rows and schema, field metadata included", async () => {
      const dir = join(out, "pq");
      const done = await run("export", "run_01", "--out", dir, "--json");
      assert.equal(done.code, 0, done.err.join("\n"));
      const reports = done.out.map((l) => JSON.parse(l));
      assert.deepEqual(reports.slice(0, 2).map((r) => [r.topic, r.rows, r.skipped]), [
        ["run_01/camera", 8, null],
        ["run_01/sensors/imu", 12, null],
      ]);
      assert.deepEqual(reports[2].total.rows, 20);
      const files = [join(dir, "run_01", "sensors", "imu.parquet"), join(dir, "run_01", "camera.parquet")];
      assert.equal(reports[1].file, files[0]);
      assert.equal(reports[1].bytes, (await Deno.stat(files[0])).size);
      const [imu, camera] = await pyarrowRead(files);
      assert.deepEqual((imu.schema as Row[]).map((f) => [f.name, f.type, f.nullable]), [
        ["timestamp_ns", "int64", false],
        ["x", "double", true],
        ["label", "string", true],
        ["pose", "struct<position: struct<x: double, y: double>, frame: string>", true],
        ["samples", "list<item: double>", true],
        ["count", "int64", true],
        ["flags", "uint8", true],
        ["ok", "bool", true],
        ["stamp", "timestamp[ns]", true],
      ]);
      assert.deepEqual((imu.schema as Row[])[1].metadata, { description: "forward acceleration" });
      sameRows(imu.rows as unknown[], imuRows, "imu.parquet");
      sameRows(camera.rows as unknown[], cameraRows, "camera.parquet");
      const duck = await duckdbRead(files[0], "* EXCLUDE (stamp), epoch_ns(stamp) AS stamp");
      sameRows(duck, imuRows, "imu.parquet in DuckDB");
    });

    await t.step("parquet: a window without rows gives a file with the schema and no rows", async () => {
      const dir = join(out, "empty");
      const between = String(BASE + MS / 2n);
      const done = await run(
        "export",
        "run_01/sensors/imu",
        "--out",
        dir,
        "--from",
        between,
        "--to",
        between,
      );
      assert.equal(done.code, 0, done.err.join("\n"));
      const [empty] = await pyarrowRead([join(dir, "run_01", "sensors", "imu.parquet")]);
      assert.equal(empty.num_rows, 0);
      assert.equal((empty.schema as Row[]).length, IMU.fields.length);
    });

    await t.step("csv: flattened header, RFC 4180 rows, exact integers, window bounds included", async () => {
      const dir = join(out, "csv");
      const from = String(BASE + 2n * MS); // rows 2…5: both bounds are row timestamps
      const to = String(BASE + 5n * MS);
      const done = await run(
        "export",
        "run_01/sensors/imu",
        "--format",
        "csv",
        "--out",
        dir,
        "--from",
        from,
        "--to",
        to,
      );
      assert.equal(done.code, 0, done.err.join("\n"));
      assert.match(done.out.at(-1)!, /^Exported 1 topic, 4 rows to 1 file in /);
      const text = await Deno.readTextFile(join(dir, "run_01", "sensors", "imu.csv"));
      assert.ok(text.endsWith("\r\n"));
      const lines = text.split("\r\n");
      assert.equal(
        lines[0],
        "timestamp_ns,x,label,pose.position.x,pose.position.y,pose.frame,samples,count,flags,ok,stamp",
      );
      assert.equal(
        lines[1],
        `${BASE + 2n * MS},-0.5,"two\nlines",2,-1,f2,"[0.2,1.2]",${BIG + 2n},74,true,${BASE + 2n * MS - 5n}`,
      );
      assert.equal(
        lines[2],
        `${BASE + 3n * MS},-0.25,ünï,3,,f3,,${-BIG + 3n},111,false,${BASE + 3n * MS - 5n}`,
      );
      assert.equal(lines[3], `${BASE + 4n * MS},,,4,-2,f4,[0.4],${BIG + 4n},148,true,${BASE + 4n * MS - 5n}`);
      assert.equal(
        lines[4],
        `${BASE + 5n * MS},0.25,l5,,,,"[0.5,1.5]",${-BIG + 5n},185,false,${BASE + 5n * MS - 5n}`,
      );
      assert.equal(lines.length, 6);
    });

    await t.step("mcap: one file per sequence, JSON schema and messages equal to the rows", async () => {
      const dir = join(out, "mcap");
      const done = await run(
        "export",
        "run_01",
        "walk_02",
        "--format",
        "mcap",
        "--out",
        dir,
        "--topics",
        "*,!gps",
      );
      assert.equal(done.code, 0, done.err.join("\n"));
      assert.deepEqual(
        [...Deno.readDirSync(dir)].map((e) => e.name).sort(),
        ["run_01.mcap"],
        "walk_02 keeps no topic: no file",
      );
      const records = readMcap(await Deno.readFile(join(dir, "run_01.mcap")));
      // Schemas and channels come again in the summary: one of each id.
      const byId = <T extends { id: number }>(all: T[]) => [...new Map(all.map((r) => [r.id, r])).values()];
      const schemas = byId(
        records.filter((r): r is McapTypes.TypedMcapRecords["Schema"] => r.type === "Schema"),
      );
      const channels = byId(
        records.filter((r): r is McapTypes.TypedMcapRecords["Channel"] => r.type === "Channel"),
      );
      const messages = records.filter((r): r is McapTypes.TypedMcapRecords["Message"] =>
        r.type === "Message"
      );
      const metadata = records.find((r): r is McapTypes.TypedMcapRecords["Metadata"] =>
        r.type === "Metadata"
      );
      assert.deepEqual(Object.fromEntries(metadata!.metadata), {
        name: "run_01",
        user_metadata: `{"note":"${BIG}","robot":"r1"}`,
      });
      assert.deepEqual(schemas.map((s) => [s.name, s.encoding]), [["image", "jsonschema"], [
        "imu",
        "jsonschema",
      ]]);
      assert.deepEqual(
        channels.map((c) => [c.topic, c.messageEncoding, c.metadata.get("mosaico.ontology_tag")]),
        [
          ["/camera", "json", "image"],
          ["/sensors/imu", "json", "imu"],
        ],
      );
      const jsonSchema = JSON.parse(new TextDecoder().decode(schemas[1].data));
      assert.equal(jsonSchema.type, "object");
      assert.deepEqual(jsonSchema.properties.pose.properties.position.properties.x, {
        type: "number",
        description: "Float64; may be null",
      });
      assert.deepEqual(jsonSchema.properties.samples.items.type, "number");
      assert.deepEqual(jsonSchema.required, ["timestamp_ns"]);
      assert.deepEqual(JSON.parse(new TextDecoder().decode(schemas[0].data)).properties.frame, {
        type: "string",
        contentEncoding: "base64",
        description: "Binary; may be null",
      });
      const of = (c: number) => messages.filter((m) => m.channelId === channels[c].id);
      const imu = of(1);
      assert.equal(imu.length, 12);
      assert.deepEqual(imu.map((m) => m.logTime), imuRows.map((r) => r.timestamp_ns));
      sameRows(imu.map((m) => parseJsonExact(new TextDecoder().decode(m.data))), imuRows, "imu messages");
      sameRows(
        of(0).map((m) => parseJsonExact(new TextDecoder().decode(m.data))),
        cameraRows,
        "camera messages",
      );
    });

    await t.step(
      "errors: unknown sequence, existing file, unwritable --out, bad bounds; nothing left behind",
      async () => {
        const missing = await run("export", "nope", "--out", join(out, "x"));
        assert.equal(missing.code, 1);
        assert.match(missing.err[0], /^mosaicod export: NOT_FOUND: .*"nope"/);
        const again = await run("export", "run_01", "--out", join(out, "pq"));
        assert.equal(again.code, 1);
        assert.match(
          again.err[0],
          /^mosaicod export: Cannot write ".*camera\.parquet": it exists \(--force replaces it\)$/,
        );
        const forced = await run("export", "run_01", "--out", join(out, "pq"), "--force", "--quiet");
        assert.equal(forced.code, 0, forced.err.join("\n"));
        const blocker = join(out, "a_file");
        await Deno.writeTextFile(blocker, "");
        const blocked = await run("export", "run_01", "--out", blocker);
        assert.equal(blocked.code, 1);
        assert.match(blocked.err[0], /^mosaicod export: Cannot write ".*a_file\/run_01\/camera\.parquet": /);
        const reversed = await run("export", "run_01", "--out", out, "--from", "10", "--to", "9");
        assert.match(reversed.err[0], /--from \(10\) is after --to \(9\)/);
        const two = await run(
          "export",
          "run_01",
          "walk_02",
          "--format",
          "mcap",
          "--out",
          join(out, "one.mcap"),
        );
        assert.match(two.err[0], /names one file but 2 sequences are exported/);
        const partials: string[] = [];
        const walk = (dir: string) => {
          for (const e of Deno.readDirSync(dir)) {
            if (e.isDirectory) walk(join(dir, e.name));
            else if (e.name.endsWith(".partial")) partials.push(e.name);
          }
        };
        walk(out);
        assert.deepEqual(partials, []);
      },
    );

    await t.step("deno task mosaicod's permissions suffice to export", async () => {
      const file = join(out, "task", "walk.mcap");
      const o = await new Deno.Command(Deno.execPath(), {
        args: ["run", ...TOOLKIT_PERMISSIONS, MAIN, "export", "walk_02", "--format", "mcap", "--out", file],
        env,
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(o.code, 0, new TextDecoder().decode(o.stderr));
      assert.equal(readMcap(await Deno.readFile(file)).filter((r) => r.type === "Message").length, 2);
    });
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
