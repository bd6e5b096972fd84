/**
 * The daemon on its own transport (`--transport native`, issue #16) end to end: the grpc-js test client
 * (upload, read back, list, FlightInfo, actions, error codes), raw HTTP/2 requests for what a gRPC client
 * cannot send (a request cut inside a message, an unknown path, a server-side deadline, bad headers),
 * cancellation reaching the handler, gzip both ways (pyarrow and hand-made messages, a bomb), a draining
 * SIGTERM, and the whole pyarrow interop suite.
 *
 * Any other end-to-end test runs on this transport too with `MOSAICOD_TRANSPORT=native` in the test's
 * environment (the daemons inherit it).
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import * as http2 from "node:http2";
import { fileURLToPath } from "node:url";
import { status } from "@grpc/grpc-js";
import { loadConfig } from "../src/config.ts";
import { ConfigError } from "../src/errors.ts";
import {
  decodeBytesMessage,
  decodeFlightInfo,
  encodeAction,
  encodeBytesMessage,
  encodeDescriptor,
} from "../src/flight/messages.ts";
import { pythonClient } from "./_commands.ts";
import { type Daemon, startDaemon } from "./_daemon.ts";
import { type FlightChannel } from "../src/client/mod.ts";
import { channelTo, rpcError } from "./_flight_client.ts";
import {
  batchMessage,
  decodeStream,
  flightData,
  grpcFrame,
  putDescriptor,
  rawGrpcCall,
  schemaMessage,
} from "./_hostile.ts";
import { GOOD, SIMPLE } from "./_hostile_cases.ts";
import { rowsOf } from "../src/arrow/_test_batches.ts";

const NATIVE = ["--transport", "native"];
const SERVICE = "/arrow.flight.protocol.FlightService/";
const MiB = 1024 * 1024;
const utf8 = new TextEncoder();
const INTEROP_DIR = fileURLToPath(new URL("./interop/", import.meta.url));

/** The one Result of a DoAction, parsed. */
async function act(
  client: FlightChannel,
  type: string,
  body: unknown,
): Promise<{ response?: { key?: string } }> {
  const [result] = await client.serverStream(
    "DoAction",
    encodeAction({ type, body: utf8.encode(JSON.stringify(body)) }),
  ).all();
  return JSON.parse(new TextDecoder().decode(decodeBytesMessage(result)));
}

/** A sequence with one topic, ready for an upload: their names and keys. */
async function newTopic(client: FlightChannel, name: string) {
  const sequenceKey = (await act(client, "sequence_create", { name, user_metadata: {} })).response!.key!;
  const topic = `${name}/imu`;
  const topicKey = (await act(client, "topic_create", {
    name: topic,
    sequence_key: sequenceKey,
    serialization_format: "default",
    ontology_tag: "imu",
    user_metadata: {},
  })).response!.key!;
  return { sequence: name, sequenceKey, topic, topicKey };
}

interface RawAnswer {
  /** `:status` and the other response headers. */
  headers: http2.IncomingHttpHeaders;
  trailers: http2.IncomingHttpHeaders | null;
  /** gRPC status from the trailers (or the headers of a trailers-only answer); null without one. */
  code: number | null;
  details: string;
  data: Uint8Array;
}

/** One request over a fresh node:http2 connection with exactly these headers and body chunks. */
function rawRequest(
  port: number,
  headers: http2.OutgoingHttpHeaders,
  chunks: Uint8Array[],
  opts: { endStream?: boolean; timeoutMs?: number } = {},
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    const timer = setTimeout(() => done(new Error("no answer in time")), opts.timeoutMs ?? 10_000);
    let answer: RawAnswer | null = null;
    const data: Uint8Array[] = [];
    const done = (outcome: RawAnswer | Error) => {
      clearTimeout(timer);
      session.close();
      outcome instanceof Error ? reject(outcome) : resolve(outcome);
    };
    session.on("error", (err) => done(err));
    const req = session.request({
      ":method": "POST",
      "content-type": "application/grpc",
      te: "trailers",
      ...headers,
    });
    const statusOf = (h: http2.IncomingHttpHeaders) => {
      answer!.code = h["grpc-status"] === undefined ? null : Number(h["grpc-status"]);
      answer!.details = decodeURIComponent(String(h["grpc-message"] ?? ""));
    };
    req.on("response", (h) => {
      answer = { headers: h, trailers: null, code: null, details: "", data: new Uint8Array(0) };
      statusOf(h);
    });
    req.on("trailers", (h) => {
      answer!.trailers = h;
      statusOf(h);
    });
    req.on("data", (d: Buffer) => data.push(new Uint8Array(d)));
    req.on("end", () => done({ ...answer!, data: Buffer.concat(data) }));
    req.on("error", (err) => done(err));
    for (const chunk of chunks) req.write(Buffer.from(chunk));
    if (opts.endStream ?? true) req.end();
  });
}

Deno.test("native transport: --transport takes grpc-js or native (default native)", () => {
  assert.equal(loadConfig({ args: [], env: {} }).transport, "native");
  assert.equal(loadConfig({ args: ["--transport", "grpc-js"], env: {} }).transport, "grpc-js");
  assert.equal(loadConfig({ args: NATIVE, env: {} }).transport, "native");
  assert.equal(loadConfig({ args: [], env: { MOSAICOD_TRANSPORT: "Native" } }).transport, "native");
  assert.throws(
    () => loadConfig({ args: ["--transport", "h3"], env: {} }),
    new ConfigError('--transport must be grpc-js or native, got "h3"'),
  );
});

Deno.test("native transport: the grpc-js client uploads, reads back, lists, gets FlightInfo; errors keep their codes", async () => {
  await using daemon = await startDaemon({ args: NATIVE });
  assert.equal(daemon.logs.find((l) => l.msg === "listening")?.transport, "native");
  using client = channelTo(daemon.port, { deadlineMs: 30_000 });
  assert.deepEqual(await client.serverStream("ListFlights", new Uint8Array(0)).all(), []);

  const t = await newTopic(client, "native_e2e");
  // Small batches and one of several MiB (many DATA frames, messages cut across them).
  const rows = 200_000;
  const big = rowsOf(SIMPLE, [
    Array.from({ length: rows }, (_, i) => 10n + BigInt(i)),
    Array.from({ length: rows }, (_, i) => i / 3),
    Array.from({ length: rows }, (_, i) => `row ${i}`),
  ]);
  const answers = await client.exchange("DoPut", [
    schemaMessage(SIMPLE, putDescriptor(t.topic, t.topicKey)),
    batchMessage(GOOD),
    batchMessage(big),
  ]);
  assert.ok(Array.isArray(answers));
  await act(client, "sequence_finalize", { name: t.sequence, key: t.sequenceKey });

  const batches = decodeStream(
    await client.serverStream("DoGet", encodeBytesMessage(utf8.encode(t.topic))).all(),
  );
  const read = batches.flatMap((b) => b.toArray().map((r) => r.toJSON()));
  assert.equal(read.length, 3 + rows);
  assert.deepEqual(read[0], { timestamp_ns: 1n, v: 0.5, s: "a" });
  assert.deepEqual(read.at(-1), {
    timestamp_ns: 10n + BigInt(rows - 1),
    v: (rows - 1) / 3,
    s: `row ${rows - 1}`,
  });

  const listed = await client.serverStream("ListFlights", new Uint8Array(0)).all();
  assert.deepEqual(listed.map((b) => decodeFlightInfo(b).descriptor!.path), [[t.sequence]]);
  const info = decodeFlightInfo(
    await client.unary(
      "GetFlightInfo",
      encodeDescriptor({ type: "path", cmd: new Uint8Array(0), path: [t.sequence] }),
    ),
  );
  assert.equal(info.endpoints.length, 1);

  const malformed = await rpcError(client.serverStream("ListFlights", Uint8Array.of(0x0a, 0x7f, 0x01)).all());
  assert.equal(malformed.code, status.INVALID_ARGUMENT);
  assert.match(malformed.details, /Malformed protobuf/);
  const unimplemented = await rpcError(client.exchange("DoExchange", []));
  assert.equal(unimplemented.code, status.UNIMPLEMENTED);
  const missing = await rpcError(
    client.serverStream("DoGet", encodeBytesMessage(utf8.encode("nope/imu"))).all(),
  );
  assert.equal(missing.code, status.NOT_FOUND);
  assert.match(missing.details, /nope/);
  assert.ok(!daemon.logs.some((l) => l.level === "error"), "client mistakes are not logged as errors");
});

Deno.test("native transport: requests that are not gRPC, or break its rules, get precise answers", async () => {
  await using daemon = await startDaemon({ args: NATIVE });
  const listFlights = grpcFrame(new Uint8Array(0));
  const unknown = await rawRequest(daemon.port, { ":path": "/pkg.Nope/Call" }, [listFlights]);
  assert.equal(unknown.headers[":status"], 200);
  assert.equal(unknown.trailers, null, "trailers-only");
  assert.equal(unknown.code, status.UNIMPLEMENTED);
  assert.equal(unknown.details, "The server does not implement the method /pkg.Nope/Call");

  const notGrpc = await rawRequest(daemon.port, {
    ":path": `${SERVICE}ListFlights`,
    "content-type": "text/plain",
  }, [
    listFlights,
  ]);
  assert.equal(notGrpc.headers[":status"], 415);
  const get = await rawRequest(daemon.port, { ":method": "GET", ":path": `${SERVICE}ListFlights` }, [], {});
  assert.equal(get.headers[":status"], 405);

  const badTimeout = await rawRequest(daemon.port, {
    ":path": `${SERVICE}ListFlights`,
    "grpc-timeout": "soon",
  }, [
    listFlights,
  ]);
  assert.equal(badTimeout.code, status.INTERNAL);
  assert.match(badTimeout.details, /Invalid grpc-timeout value "soon"/);

  // A unary or server-streaming method takes exactly one message.
  const two = await rawRequest(daemon.port, { ":path": `${SERVICE}ListFlights` }, [listFlights, listFlights]);
  assert.equal(two.code, status.UNIMPLEMENTED);
  const none = await rawRequest(daemon.port, { ":path": `${SERVICE}ListFlights` }, []);
  assert.equal(none.code, status.UNIMPLEMENTED);

  // A successful answer: headers, messages, then the status in trailers; metadata-free, identity.
  const ok = await rawRequest(daemon.port, { ":path": `${SERVICE}ListActions` }, [listFlights]);
  assert.ok(ok.code === status.OK || ok.code === status.UNIMPLEMENTED, `ListActions: ${ok.code}`);
  const action = await rawRequest(daemon.port, { ":path": `${SERVICE}DoAction` }, [
    grpcFrame(encodeAction({ type: "layer_list", body: utf8.encode("{}") })),
  ]);
  assert.equal(action.code, status.OK, action.details);
  assert.equal(action.headers["content-type"], "application/grpc+proto");
  assert.equal(action.headers["grpc-encoding"], "identity");
  assert.equal(action.trailers?.["grpc-status"], "0");
  assert.equal(action.data[0], 0, "uncompressed");
  assert.equal(new DataView(action.data.buffer, action.data.byteOffset).getUint32(1), action.data.length - 5);
  assert.ok(!daemon.logs.some((l) => l.level === "error"));
});

Deno.test("native transport: an upload cut inside a message is INVALID_ARGUMENT and commits nothing; limits hold", async () => {
  await using daemon = await startDaemon({ args: [...NATIVE, "--max-message-bytes", String(17 * MiB)] });
  using client = channelTo(daemon.port, { deadlineMs: 30_000 });
  const t = await newTopic(client, "native_cut");
  const head = schemaMessage(SIMPLE, putDescriptor(t.topic, t.topicKey));
  const batch = grpcFrame(batchMessage(GOOD));
  const cut = await rawGrpcCall(daemon.port, "DoPut", [
    grpcFrame(head),
    batch.subarray(0, batch.length - 20),
  ]);
  assert.equal(cut.code, status.INVALID_ARGUMENT);
  assert.match(cut.details, /^Truncated request: the stream ended inside a message \(\d+ of \d+ bytes\)$/);
  const prefix = await rawGrpcCall(daemon.port, "DoPut", [grpcFrame(head), batch, Uint8Array.of(0, 0)]);
  assert.equal(prefix.code, status.INVALID_ARGUMENT);
  assert.match(prefix.details, /\(2 of the 5 prefix bytes\)/);
  // The cancelled uploads committed nothing and released the topic: a whole upload works.
  await waitUploadable(client, t.topic, t.topicKey);
  await client.exchange("DoPut", [head, batchMessage(GOOD)]);
  const read = decodeStream(
    await client.serverStream("DoGet", encodeBytesMessage(utf8.encode(t.topic))).all(),
  );
  assert.equal(read.reduce((n, b) => n + b.numRows, 0), GOOD.numRows);

  // Over the message limit: refused on the length prefix.
  const over = await rpcError(
    client.serverStream(
      "DoAction",
      encodeAction({ type: "layer_list", body: new Uint8Array(18 * MiB).fill(0x20) }),
    ).all(),
  );
  assert.equal(over.code, status.RESOURCE_EXHAUSTED);
  assert.match(over.details, /larger than max/);
  assert.ok(!daemon.logs.some((l) => l.level === "error"));
});

/** Waits until a new upload to the topic is no longer refused as "already being uploaded". */
async function waitUploadable(client: FlightChannel, topic: string, key: string): Promise<void> {
  const garbage = flightData({ header: new Uint8Array(16) });
  const deadline = Date.now() + 5000;
  for (;;) {
    const err = await rpcError(
      client.exchange("DoPut", [schemaMessage(SIMPLE, putDescriptor(topic, key)), garbage]),
    );
    if (err.code === status.INVALID_ARGUMENT) return;
    assert.ok(Date.now() < deadline && /already being uploaded/.test(err.details), err.details);
    await new Promise((r) => setTimeout(r, 20));
  }
}

Deno.test("native transport: a client's cancel and a server-side deadline end the handler", async () => {
  await using daemon = await startDaemon({ args: NATIVE });
  using client = channelTo(daemon.port, { deadlineMs: 30_000 });
  const t = await newTopic(client, "native_cancel");
  const call = client.bidi("DoPut");
  const done = rpcError(call.responses.all());
  call.write(schemaMessage(SIMPLE, putDescriptor(t.topic, t.topicKey)));
  call.write(batchMessage(GOOD));
  await new Promise((r) => setTimeout(r, 200));
  call.cancel();
  assert.equal((await done).code, status.CANCELLED);
  // The handler saw the cancel: it released the upload.
  await waitUploadable(client, t.topic, t.topicKey);

  // A live event stream never ends by itself: the server's deadline (grpc-timeout) ends it.
  const follow = encodeBytesMessage(new Uint8Array([0xff, ...utf8.encode(`{"events": {"follow": true}}`)]));
  const started = performance.now();
  const timedOut = await rawRequest(daemon.port, { ":path": `${SERVICE}DoGet`, "grpc-timeout": "400m" }, [
    grpcFrame(follow),
  ]);
  const ms = performance.now() - started;
  assert.equal(timedOut.code, status.DEADLINE_EXCEEDED, timedOut.details);
  assert.equal(timedOut.details, "Deadline exceeded");
  assert.ok(ms >= 350 && ms < 5000, `ended after ${Math.round(ms)} ms`);
  assert.ok(timedOut.data.length > 0, "the schema message came before the deadline");
  assert.deepEqual(
    await client.serverStream("ListFlights", new Uint8Array(0)).all().then((r) => r.length),
    1,
  );
  assert.ok(!daemon.logs.some((l) => l.level === "error"));
});

Deno.test("native transport: gzip/deflate requests within the limit, a bomb refused, gzip responses only when enabled", async () => {
  await using plain = await startDaemon({ args: [...NATIVE, "--max-message-bytes", String(17 * MiB)] });
  const ops = (daemon: Daemon, ...args: string[]) => pythonClient("gzip_ops.py", daemon.url, ...args);
  const bomb = await ops(plain, "bomb", "1024") as { status: string; message: string };
  assert.equal(bomb.status, "RESOURCE_EXHAUSTED", bomb.message);
  assert.match(bomb.message, new RegExp(`decompresses to a size larger than ${17 * MiB}`));
  for (const encoding of ["gzip", "deflate"]) {
    const r = await ops(plain, "raw", encoding) as { status: string; message: string; encoding: string };
    assert.equal(r.status, "OK", `${encoding}: ${r.message}`);
    assert.equal(r.encoding, "identity");
  }
  const unknown = await ops(plain, "raw", "x-unknown") as { status: string; message: string };
  assert.equal(unknown.status, "UNIMPLEMENTED");
  assert.match(unknown.message, /unsupported encoding "x-unknown"/);
  const corrupt = await ops(plain, "raw", "corrupt-gzip") as { status: string; message: string };
  assert.match(corrupt.message, /Failed to decompress/);
  const roundtrip = await ops(plain, "roundtrip", "2", "3") as {
    equal: boolean;
    rows: number;
    sent_rows: number;
  };
  assert.ok(roundtrip.equal, "pyarrow with gzip requests reads back what it sent");
  assert.ok(!plain.logs.some((l) => l.level === "error"));

  await using gz = await startDaemon({ args: [...NATIVE, "--grpc-compression", "gzip"] });
  const { topic } = await ops(gz, "bench", "6", "1") as { topic: string };
  type Get = { status: string; encoding: string; flags: number[]; sha256: string; wire_bytes: number };
  const identity = await ops(gz, "get", topic) as Get;
  const gzipped = await ops(gz, "get", topic, "identity,deflate,gzip") as Get;
  assert.equal(identity.status, "OK");
  assert.equal(identity.encoding, "identity");
  assert.equal(gzipped.status, "OK");
  assert.equal(gzipped.encoding, "gzip");
  assert.equal(gzipped.sha256, identity.sha256, "the same FlightData once decompressed");
  assert.ok(gzipped.flags.includes(1) && gzipped.flags.includes(0), "large messages gzipped, small ones not");
  assert.ok(gzipped.wire_bytes < identity.wire_bytes * 0.8);
  assert.ok(!gz.logs.some((l) => l.level === "error"));
});

Deno.test("native transport: SIGTERM lets an upload in progress finish, ends following streams, exits 0", async () => {
  await using daemon = await startDaemon({ args: [...NATIVE, "--shutdown-timeout-ms", "8000"] });
  // pyarrow: one upload that sends a batch, waits for a line on stdin, sends another and closes; and a
  // live event stream on the same connection, which shutdown must end.
  const script = [
    "import sys, json, threading, pyarrow as pa, pyarrow.flight as fl",
    "from _sdk import Mosaico, put_command, unique",
    `c = fl.FlightClient("${daemon.url}")`,
    "sdk = Mosaico(c)",
    "seq = unique('drain'); key = sdk.sequence_create(seq, {})",
    "topic = f'{seq}/imu'; tkey = sdk.topic_create(topic, key)",
    "schema = pa.schema([pa.field('timestamp_ns', pa.int64(), nullable=False), pa.field('v', pa.float64())])",
    "batch = lambda t0: pa.record_batch([pa.array([t0, t0 + 1], pa.int64()), pa.array([0.5, 1.5])], schema=schema)",
    "w, _ = c.do_put(fl.FlightDescriptor.for_command(put_command(topic, tkey)), schema)",
    "w.write_batch(batch(1))",
    "followed = {}",
    "def follow():",
    "    ticket = fl.Ticket(b'\\xff' + json.dumps({'events': {'follow': True}}).encode())",
    "    try:",
    "        followed['rows'] = sum(b.data.num_rows for b in c.do_get(ticket))",
    "    except Exception as e:",
    "        followed['error'] = str(e)",
    "t = threading.Thread(target=follow, daemon=True); t.start()",
    "print('ready', flush=True)",
    "sys.stdin.readline()",
    "w.write_batch(batch(3)); w.close()",
    "t.join(10)",
    "print(json.dumps({'uploaded': True, 'followed': followed, 'alive': t.is_alive()}), flush=True)",
  ].join("\n");
  const py = new Deno.Command("python3", {
    args: ["-c", script],
    cwd: INTEROP_DIR,
    env: { PYTHONDONTWRITEBYTECODE: "1" },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines = py.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let stderr = "";
  const stderrDone = py.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({ write: (chunk) => void (stderr += chunk) }),
  );
  try {
    assert.equal((await lines.read()).value?.trim(), "ready", stderr);
    await new Promise((r) => setTimeout(r, 300)); // the follow stream is open
    const stopped = daemon.stop("SIGTERM");
    await new Promise((r) => setTimeout(r, 500)); // shutdown has begun: GOAWAY sent, stopping aborted
    const writer = py.stdin.getWriter();
    await writer.write(utf8.encode("go\n"));
    await writer.close();
    let out = "";
    for (let r = await lines.read(); !r.done; r = await lines.read()) out += r.value;
    const result = JSON.parse(out.trim());
    assert.equal(result.uploaded, true, stderr);
    assert.equal(result.alive, false, "the following stream ended");
    assert.equal(await stopped, 0);
    const msgs = daemon.logs.map((l) => l.msg);
    assert.ok(msgs.includes("shutting down") && msgs.includes("stopped"), msgs.join(", "));
    assert.ok(
      !daemon.logs.some((l) => l.level === "error" || l.msg === "handlers still running after shutdown"),
    );
  } finally {
    try {
      py.kill("SIGKILL");
    } catch (_) {
      // already exited
    }
    await py.status;
    await stderrDone;
  }
});

Deno.test("native transport: the pyarrow interop suite passes", async () => {
  await using daemon = await startDaemon({ args: NATIVE });
  const out = await new Deno.Command("python3", {
    args: ["-m", "unittest", "discover", "-s", INTEROP_DIR, "-p", "test*.py", "-v"],
    cwd: INTEROP_DIR,
    env: { MOSAICOD_URL: daemon.url, PYTHONDONTWRITEBYTECODE: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, text);
  const ran = /Ran (\d+) tests?/.exec(text);
  assert.ok(ran && Number(ran[1]) > 0, `no Python test ran:\n${text}`);
  assert.equal(await daemon.stop("SIGTERM"), 0);
  assert.ok(!daemon.logs.some((l) => l.level === "error"), "nothing logged as an error");
});
