/**
 * gRPC message compression (2026 protocol section 12) end to end: a real daemon, pyarrow clients that
 * compress their requests through gRPC channel options as the 2026 SDK does, and the raw HTTP/2 client
 * of `tests/interop/_rawflight.py` with hand-made compressed messages (`tests/interop/gzip_ops.py`).
 * Compressed requests are always accepted, within the message limit (a gzip bomb is refused before it
 * costs memory); responses are gzipped only with `--grpc-compression gzip`, for clients that accept it.
 */
import { procStatusBytes } from "./_proc_status.ts";
import assert from "node:assert/strict";
import { loadConfig } from "../src/config.ts";
import { ConfigError } from "../src/errors.ts";
import { acceptsGzip, MIN_COMPRESSED_BYTES } from "../src/flight/grpc_compression.ts";
import { pythonClient } from "./_commands.ts";
import { type Daemon, startDaemon } from "./_daemon.ts";

/** The smallest `--max-message-bytes` allowed (17 MiB). */
const MAX_MESSAGE_BYTES = 17 * 1024 * 1024;

interface Roundtrip {
  rows: number;
  sent_rows: number;
  equal: boolean;
  listed: boolean;
  endpoints: number;
  query: [string, string[]][];
}

interface RawResult {
  status: string;
  message: string;
  response: { action: string; response: { key: string } } | null;
  flags: number[];
  encoding: string;
  compressed_bytes: number;
  plain_bytes: number;
}

interface GetResult {
  status: string;
  encoding: string;
  flags: number[];
  messages: number;
  wire_bytes: number;
  sha256: string;
}

function ops(daemon: Daemon, ...args: string[]): Promise<unknown> {
  return pythonClient("gzip_ops.py", daemon.url, ...args);
}

/** Peak resident memory of a process so far, in bytes. */
function peakRssBytes(pid: number): Promise<number> {
  return procStatusBytes(pid, "VmHWM");
}

async function checkRoundtrip(daemon: Daemon, algorithm: number, mib: number): Promise<void> {
  const r = await ops(daemon, "roundtrip", String(algorithm), String(mib)) as Roundtrip;
  assert.ok(r.equal, `algorithm ${algorithm}: the rows read back are the rows sent`);
  assert.equal(r.rows, r.sent_rows);
  assert.ok(r.listed, "ListFlights lists the sequence");
  assert.equal(r.endpoints, 1);
  assert.equal(r.query.length, 1);
  assert.deepEqual(r.query[0][1], [`${r.query[0][0]}/data`]);
}

Deno.test("gzip: compressed requests are always accepted, within the message limit; responses stay plain by default", async () => {
  await using daemon = await startDaemon({ args: ["--max-message-bytes", String(MAX_MESSAGE_BYTES)] });
  // A bomb first, while the daemon's peak memory is still low: 1 GiB of zeros in about 1 MiB of gzip.
  const before = await peakRssBytes(daemon.pid);
  for (const mib of [18, 1024]) {
    const bomb = await ops(daemon, "bomb", String(mib)) as {
      status: string;
      message: string;
      compressed_bytes: number;
    };
    assert.equal(bomb.status, "RESOURCE_EXHAUSTED", bomb.message);
    assert.match(bomb.message, new RegExp(`decompresses to a size larger than ${MAX_MESSAGE_BYTES}`));
    assert.ok(bomb.compressed_bytes < MAX_MESSAGE_BYTES, "the message itself is within the limit");
  }
  const grown = (await peakRssBytes(daemon.pid)) - before;
  assert.ok(grown < 256 * 1024 * 1024, `the bombs were not inflated (peak memory grew ${grown >> 20} MiB)`);

  // Hand-made messages: gzip and deflate work; an unknown encoding and a corrupt stream are refused.
  for (const encoding of ["gzip", "deflate"]) {
    const r = await ops(daemon, "raw", encoding) as RawResult;
    assert.equal(r.status, "OK", `${encoding}: ${r.message}`);
    assert.equal(r.response?.action, "sequence_create");
    assert.match(r.response!.response.key, /^[0-9a-f-]{36}$/);
    assert.ok(r.compressed_bytes < r.plain_bytes / 10, "the request really was compressed");
    assert.equal(r.encoding, "identity", "a client that accepts nothing gets plain responses");
    assert.deepEqual(r.flags, [0]);
  }
  const unknown = await ops(daemon, "raw", "x-unknown") as RawResult;
  assert.equal(unknown.status, "UNIMPLEMENTED");
  assert.match(unknown.message, /unsupported encoding "x-unknown"/);
  const corrupt = await ops(daemon, "raw", "corrupt-gzip") as RawResult;
  assert.notEqual(corrupt.status, "OK");
  assert.match(corrupt.message, /Failed to decompress/);

  // pyarrow compressing every request (gzip as the 2026 SDK's `compression`, and deflate): a DoPut of a
  // few MiB, actions, listing, FlightInfo, DoGet; the responses are not compressed (default "none").
  await checkRoundtrip(daemon, 2, 4);
  await checkRoundtrip(daemon, 1, 2);
  const { topic } = await ops(daemon, "bench", "2", "1") as { topic: string };
  const got = await ops(daemon, "get", topic, "identity,deflate,gzip") as GetResult;
  assert.equal(got.status, "OK");
  assert.equal(got.encoding, "identity");
  assert.ok(got.flags.every((f) => f === 0));

  const state = await Promise.race([daemon.exited.then(() => "exited"), Promise.resolve("running")]);
  assert.equal(state, "running");
  assert.ok(!daemon.logs.some((l) => l.level === "error"), "nothing logged as an error");
  assert.equal(await daemon.stop("SIGTERM"), 0);
});

Deno.test("gzip: --grpc-compression gzip compresses responses for clients that accept gzip, only for them", async () => {
  await using daemon = await startDaemon({ args: ["--grpc-compression", "gzip"] });
  const { topic } = await ops(daemon, "bench", "6", "2") as { topic: string };
  const plain = await ops(daemon, "get", topic) as GetResult;
  assert.equal(plain.status, "OK");
  assert.equal(plain.encoding, "identity");
  assert.ok(plain.flags.every((f) => f === 0));
  for (const accept of ["gzip", "identity, deflate, gzip"]) {
    const gz = await ops(daemon, "get", topic, accept) as GetResult;
    assert.equal(gz.status, "OK");
    assert.equal(gz.encoding, "gzip", accept);
    assert.equal(gz.sha256, plain.sha256, "the same FlightData once decompressed");
    assert.equal(gz.messages, plain.messages);
    assert.ok(gz.flags.includes(1), "large messages are compressed");
    assert.ok(gz.flags.includes(0), "the small schema message is not");
    assert.ok(gz.wire_bytes < plain.wire_bytes * 0.8, `${gz.wire_bytes} vs ${plain.wire_bytes} bytes`);
  }
  const deflateOnly = await ops(daemon, "get", topic, "deflate") as GetResult;
  assert.equal(deflateOnly.encoding, "identity");
  assert.equal(deflateOnly.sha256, plain.sha256);
  // pyarrow (which accepts gzip) reads gzipped DoGet answers, and sends gzipped requests meanwhile.
  await checkRoundtrip(daemon, 2, 3);
  const raw = await ops(daemon, "raw", "gzip") as RawResult;
  assert.equal(raw.status, "OK");
  assert.ok(!daemon.logs.some((l) => l.level === "error"), "nothing logged as an error");
  assert.equal(await daemon.stop("SIGTERM"), 0);
});

Deno.test("gzip: --grpc-compression takes gzip or none (default none); grpc-accept-encoding parsing", () => {
  assert.equal(loadConfig({ args: [], env: {} }).grpcCompression, "none");
  assert.equal(loadConfig({ args: ["--grpc-compression", "gzip"], env: {} }).grpcCompression, "gzip");
  assert.equal(loadConfig({ args: [], env: { MOSAICOD_GRPC_COMPRESSION: "GZIP" } }).grpcCompression, "gzip");
  assert.throws(
    () => loadConfig({ args: ["--grpc-compression", "zstd"], env: {} }),
    new ConfigError('--grpc-compression must be gzip or none, got "zstd"'),
  );
  assert.ok(acceptsGzip("identity,deflate,gzip"));
  assert.ok(acceptsGzip(" GZIP "));
  assert.ok(acceptsGzip(["identity", "deflate, gzip"]));
  assert.ok(!acceptsGzip("identity,deflate"));
  assert.ok(!acceptsGzip("gzip2"));
  assert.ok(!acceptsGzip(undefined));
  assert.ok(MIN_COMPRESSED_BYTES > 100);
});
