/**
 * Interop of the native transport (`main.ts server --transport native`, issue #16) with independent
 * HTTP/2 and gRPC peers: nghttp and h2load (nghttp2's own client and load generator; Debian's
 * nghttp2-client, which .ci/run installs), curl with prior knowledge and over TLS with ALPN, grpc-js
 * (src/client/, our Flight client) and pyarrow (Arrow C++). The gRPC requests of the command-line tools are made
 * by hand here: a DoAction body with its 5-byte prefix, `content-type: application/grpc`, `te: trailers`;
 * the status is read from the trailers (or the headers of a trailers-only answer). A missing tool fails
 * with an install hint.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  decodeBytesMessage,
  decodeFlightInfo,
  encodeAction,
  encodeBytesMessage,
  encodeDescriptor,
} from "../src/flight/messages.ts";
import { pythonClient } from "./_commands.ts";
import { type Daemon, startDaemon } from "./_daemon.ts";
import { channelTo } from "./_flight_client.ts";
import { grpcMessage } from "./_h2_frames.ts";
import { decodeStream } from "./_hostile.ts";
import { selfSignedCertificate, tlsEnv } from "./_tls.ts";

const TRANSPORT = ["--transport", "native"];
const SERVICE = "arrow.flight.protocol.FlightService";
const HINTS: Record<string, string> = {
  nghttp: "apt-get install nghttp2-client",
  h2load: "apt-get install nghttp2-client",
  curl: "apt-get install curl",
};
const utf8 = new TextEncoder();
const text = new TextDecoder();

/** Runs a command; a missing program fails with its install hint. */
async function run(
  cmd: string,
  args: string[],
): Promise<{ code: number; stdout: Uint8Array; stderr: string }> {
  try {
    const out = await new Deno.Command(cmd, { args, stdin: "null", stdout: "piped", stderr: "piped" })
      .output();
    return { code: out.code, stdout: out.stdout, stderr: text.decode(out.stderr) };
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new Error(`The transport interop tests need ${cmd}: ${HINTS[cmd] ?? "install it"}`);
    }
    throw err;
  }
}

/** A DoAction request (gRPC-framed) of the 0.1.0 action `type` with a JSON body. */
function doActionBody(type: string, body: unknown): Uint8Array {
  return grpcMessage(encodeAction({ type, body: utf8.encode(JSON.stringify(body)) }));
}

/** The messages of a gRPC response body (5-byte prefixes, uncompressed). */
function grpcMessages(body: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < body.length;) {
    assert.equal(body[at], 0, "an uncompressed message");
    const length = new DataView(body.buffer, body.byteOffset + at + 1, 4).getUint32(0);
    out.push(body.subarray(at + 5, at + 5 + length));
    at += 5 + length;
  }
  return out;
}

/** The fields of header blocks as curl's `-D` writes them (status lines, headers and trailers). */
function headerLines(dump: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of dump.split(/\r?\n/)) {
    const m = /^([^:\s][^:]*):\s*(.*)$/.exec(line);
    if (m) fields.set(m[1].toLowerCase(), m[2]);
  }
  return fields;
}

/** A new temporary directory, removed on dispose. */
async function tempDir(prefix: string): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

/** Starts the native daemon with the kept pyarrow data ("keep/imu"). */
async function nativeDaemon(extra: { args?: string[]; env?: Record<string, string> } = {}): Promise<Daemon> {
  const daemon = await startDaemon({ args: [...TRANSPORT, ...(extra.args ?? [])], env: extra.env });
  assert.equal(daemon.logs.find((l) => l.msg === "listening")?.transport, "native");
  return daemon;
}

Deno.test("transport interop: nghttp, h2load, curl, grpc-js and pyarrow against --transport native", async (t) => {
  await using daemon = await nativeDaemon();
  const kept = await pythonClient("crash_ops.py", daemon.url, "keep") as { digest: string };
  await using tmp = await tempDir("mosaicod-h2-interop-");
  const dir = tmp.path;
  const url = (method: string) => `http://127.0.0.1:${daemon.port}/${SERVICE}/${method}`;
  const grpcHeaders = ["-H", "content-type: application/grpc", "-H", "te: trailers"];
  const infoBody = join(dir, "info.bin");
  await Deno.writeFile(infoBody, doActionBody("sequence_system_info", { name: "keep" }));
  const criteria = join(dir, "criteria.bin");
  await Deno.writeFile(criteria, grpcMessage(new Uint8Array(0)));

  await t.step("nghttp: DoAction and ListFlights, status in the trailers", async () => {
    for (const [method, body] of [["DoAction", infoBody], ["ListFlights", criteria]]) {
      const out = await run("nghttp", ["-v", "-n", "-d", body, ...grpcHeaders, url(method)]);
      const log = text.decode(out.stdout);
      assert.equal(out.code, 0, `${method}: ${log}\n${out.stderr}`);
      assert.match(log, /:status: 200/, `${method}: ${log}`);
      assert.match(log, /grpc-status: 0/, `${method}: ${log}`);
      // nghttp announces its priority tree with PRIORITY frames, which the server must ignore.
      assert.match(log, /send PRIORITY frame/, "nghttp sent PRIORITY frames");
      assert.doesNotMatch(log, /recv (GOAWAY|RST_STREAM) frame/, `${method}: ${log}`);
    }
  });

  await t.step("h2load: 400 DoAction calls over 4 connections, 10 streams each", async () => {
    const out = await run("h2load", [
      "-n",
      "400",
      "-c",
      "4",
      "-m",
      "10",
      "-d",
      infoBody,
      ...grpcHeaders,
      url("DoAction"),
    ]);
    const report = text.decode(out.stdout);
    assert.equal(out.code, 0, report + out.stderr);
    assert.match(
      report,
      /requests: 400 total, 400 started, 400 done, 400 succeeded, 0 failed, 0 errored/,
      report,
    );
    assert.match(report, /status codes: 400 2xx/, report);
  });

  await t.step("h2load: DoGet through 64 KiB windows and 16 KiB frames, every byte delivered", async () => {
    const ticket = join(dir, "ticket.bin");
    await Deno.writeFile(ticket, grpcMessage(encodeBytesMessage(utf8.encode("keep/imu"))));
    const one = await run("curl", [
      "--http2-prior-knowledge",
      "-sS",
      ...grpcHeaders,
      "--data-binary",
      `@${ticket}`,
      url("DoGet"),
    ]);
    assert.equal(one.code, 0, one.stderr);
    const batches = decodeStream(grpcMessages(one.stdout));
    assert.equal(batches.reduce((n, b) => n + b.numRows, 0), 6 * 8000);
    const out = await run("h2load", [
      "-n",
      "20",
      "-c",
      "2",
      "-m",
      "2",
      "-w",
      "16", // 2^16 - 1: the default stream window, opened only as h2load consumes
      "-W",
      "16", // and the same connection window
      "-d",
      ticket,
      ...grpcHeaders,
      url("DoGet"),
    ]);
    const report = text.decode(out.stdout);
    assert.equal(out.code, 0, report + out.stderr);
    assert.match(report, /20 succeeded, 0 failed, 0 errored/, report);
    const data = Number(/traffic: .*\(\d+\) headers .*?\((\d+)\) data/.exec(report)?.[1]);
    assert.equal(data, 20 * one.stdout.length, report);
  });

  await t.step(
    "curl --http2-prior-knowledge: DoAction, the Result in the body, the status in the trailers",
    async () => {
      const dump = join(dir, "headers.txt");
      const out = await run("curl", [
        "--http2-prior-knowledge",
        "-sS",
        "--raw",
        "-D",
        dump,
        ...grpcHeaders,
        "--data-binary",
        `@${infoBody}`,
        url("DoAction"),
      ]);
      assert.equal(out.code, 0, out.stderr);
      const fields = headerLines(await Deno.readTextFile(dump));
      assert.match(await Deno.readTextFile(dump), /^HTTP\/2 200/);
      assert.match(fields.get("content-type") ?? "", /^application\/grpc/);
      assert.equal(fields.get("grpc-status"), "0", await Deno.readTextFile(dump));
      const [result, ...rest] = grpcMessages(out.stdout);
      assert.equal(rest.length, 0);
      const reply = JSON.parse(text.decode(decodeBytesMessage(result)));
      assert.equal(reply.action, "sequence_system_info");
      assert.equal(reply.response.is_locked, true);
    },
  );

  await t.step("curl: an unknown method is a trailers-only UNIMPLEMENTED", async () => {
    // Without a body: an answer that comes before the body ends with RST_STREAM NO_ERROR (RFC 9113
    // section 8.1), which curl 7.88 sometimes reports as error 92 when it arrives with the answer.
    const dump = join(dir, "unknown.txt");
    const out = await run("curl", [
      "--http2-prior-knowledge",
      "-sS",
      "-X",
      "POST",
      "-D",
      dump,
      ...grpcHeaders,
      url("NoSuchMethod"),
    ]);
    assert.equal(out.code, 0, out.stderr);
    const fields = headerLines(await Deno.readTextFile(dump));
    assert.equal(fields.get("grpc-status"), "12", await Deno.readTextFile(dump));
    assert.equal(out.stdout.length, 0);
  });

  await t.step("grpc-js: ListFlights, DoAction, DoGet", async () => {
    using client = channelTo(daemon.port, { deadlineMs: 15_000 });
    const infos = await client.serverStream("ListFlights", new Uint8Array(0)).all();
    assert.deepEqual(infos.map((b) => decodeFlightInfo(b).descriptor!.path[0]), ["keep"]);
    const [result] = await client.serverStream(
      "DoAction",
      encodeAction({ type: "topic_system_info", body: utf8.encode(JSON.stringify({ name: "keep/imu" })) }),
    ).all();
    assert.equal(JSON.parse(text.decode(decodeBytesMessage(result))).response.is_locked, true);
    const ticket = decodeFlightInfo(
      await client.unary(
        "GetFlightInfo",
        encodeDescriptor({ type: "path", cmd: new Uint8Array(0), path: ["keep/imu"] }),
      ),
    ).endpoints[0].ticket;
    const batches = decodeStream(await client.serverStream("DoGet", encodeBytesMessage(ticket)).all());
    assert.equal(batches.reduce((n, b) => n + b.numRows, 0), 6 * 8000);
  });

  await t.step("pyarrow: reads back what it uploaded, bit for bit", async () => {
    const state = await pythonClient("crash_ops.py", daemon.url, "state", "none") as {
      keep: { digest: string; locked: boolean };
    };
    assert.equal(state.keep.digest, kept.digest);
    assert.equal(state.keep.locked, true);
  });

  assert.deepEqual(daemon.logs.filter((l) => l.level === "error"), [], "nothing logged at error level");
  assert.equal(await daemon.stop(), 0, "the daemon stops cleanly");
});

Deno.test("transport interop: TLS with ALPN h2 (curl, nghttp, pyarrow)", async () => {
  await using cert = await selfSignedCertificate();
  await using daemon = await nativeDaemon({ env: tlsEnv(cert) });
  await using tmp = await tempDir("mosaicod-h2-tls-");
  const dir = tmp.path;
  const body = join(dir, "criteria.bin");
  await Deno.writeFile(body, grpcMessage(new Uint8Array(0)));
  const url = `https://localhost:${daemon.port}/${SERVICE}/ListFlights`;
  const grpcHeaders = ["-H", "content-type: application/grpc", "-H", "te: trailers"];

  // curl negotiates HTTP/2 through ALPN (no prior knowledge) and trusts only the test certificate.
  const dump = join(dir, "headers.txt");
  const curl = await run("curl", [
    "--http2",
    "--cacert",
    cert.cert,
    "-sS",
    "-D",
    dump,
    ...grpcHeaders,
    "--data-binary",
    `@${body}`,
    url,
  ]);
  assert.equal(curl.code, 0, curl.stderr);
  const headers = await Deno.readTextFile(dump);
  assert.match(headers, /^HTTP\/2 200/, headers);
  assert.equal(headerLines(headers).get("grpc-status"), "0", headers);

  const nghttp = await run("nghttp", ["-v", "-n", "-d", body, ...grpcHeaders, url]);
  const log = text.decode(nghttp.stdout);
  assert.equal(nghttp.code, 0, log + nghttp.stderr);
  assert.match(log, /negotiated protocol: h2/i, log);
  assert.match(log, /grpc-status: 0/, log);

  // pyarrow over TLS: a whole upload and its read-back.
  const ops = async (list: Record<string, unknown>[]) =>
    await pythonClient(
      "auth_ops.py",
      `grpc+tls://127.0.0.1:${daemon.port}`,
      JSON.stringify(list),
      "--tls-root",
      cert.cert,
    ) as { code: string; value: unknown; message: string }[];
  const [seq] = await ops([{ op: "create_sequence", name: "tls" }]);
  const [topic] = await ops([{ op: "create_topic", name: "tls/lidar", key: seq.value }]);
  const results = await ops([
    { op: "upload", topic: "tls/lidar", key: topic.value, rows: 5000, seed: 3 },
    { op: "finalize", name: "tls", key: seq.value },
    { op: "read", topic: "tls/lidar" },
  ]);
  assert.deepEqual(results.map((r) => r.code), ["OK", "OK", "OK"], JSON.stringify(results));
  assert.deepEqual(results[2].value, results[0].value, "read back what was uploaded");
});
