/**
 * `--metrics-port` and the gRPC health service end to end, on the real daemon (`deno task start`'s
 * permissions): a pyarrow upload and query move the byte, row, upload, call and latency metrics; health
 * answers SERVING without an API key, then, after SIGTERM with an upload still in progress, NOT_SERVING on
 * Check and Watch while new Flight calls are refused and the upload finishes; with `--workers` the
 * endpoint reports the calls the worker threads served. Both transports.
 *
 * grpc-js clients are closed before the daemon sends GOAWAY (Deno's node:http2 client can abort on it).
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import { loadConfig } from "../src/config.ts";
import { ConfigError } from "../src/errors.ts";
import {
  decodeHealthResponse,
  encodeHealthRequest,
  HEALTH_SERVICE,
  ServingStatus,
} from "../src/flight/health.ts";
import { FLIGHT_SERVICE, FLIGHT_SERVICE_NAME } from "../src/flight/service_def.ts";
import { type Daemon, startDaemon } from "./_daemon.ts";

const INTEROP_DIR = fileURLToPath(new URL("./interop/", import.meta.url));
const HealthClient = grpc.makeGenericClientConstructor(HEALTH_SERVICE, "Health");
const FlightClient = grpc.makeGenericClientConstructor(FLIGHT_SERVICE, "FlightService");
type RawClient = grpc.Client & Record<string, (...args: unknown[]) => grpc.ClientReadableStream<Uint8Array>>;

/** A client on a connection of its own (no subchannel shared with other clients). */
function client(ctor: typeof HealthClient, port: number): RawClient {
  return new ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
    "grpc.use_local_subchannel_pool": 1,
  }) as unknown as RawClient;
}

const deadline = () => ({ deadline: Date.now() + 10_000 });

/** `Check {service}`: the status, or the call's error code. */
function check(health: RawClient, service: string): Promise<ServingStatus | { code: grpc.status }> {
  return new Promise((resolve) => {
    health.Check(
      encodeHealthRequest(service),
      new grpc.Metadata(),
      deadline(),
      (err: grpc.ServiceError | null, res: Uint8Array) =>
        resolve(err ? { code: err.code } : decodeHealthResponse(res)),
    );
  });
}

/** The error code of a ListFlights call (which must fail). */
function listFlightsError(flight: RawClient): Promise<grpc.status> {
  return new Promise((resolve, reject) => {
    const call = flight.ListFlights(new Uint8Array(0), new grpc.Metadata(), deadline());
    call.on("data", () => {});
    call.on("error", (err: grpc.ServiceError) => resolve(err.code));
    call.on("end", () => reject(new Error("ListFlights succeeded")));
  });
}

/** A Watch call's statuses as they come. */
function watch(health: RawClient, service: string) {
  const call = health.Watch(encodeHealthRequest(service), new grpc.Metadata());
  const seen: ServingStatus[] = [];
  call.on("data", (d: Uint8Array) => seen.push(decodeHealthResponse(d)));
  call.on("error", () => {});
  return {
    seen,
    async until(n: number): Promise<void> {
      for (const started = Date.now(); seen.length < n; await new Promise((r) => setTimeout(r, 20))) {
        assert.ok(Date.now() - started < 10_000, `${n} watch messages, got ${JSON.stringify(seen)}`);
      }
    },
    cancel: () => call.cancel(),
  };
}

/** The endpoint's URL, from its log line. */
function metricsUrl(daemon: Daemon): string {
  const line = daemon.logs.find((l) => l.msg === "metrics listening");
  assert.ok(line, "the daemon logged its metrics address");
  return String(line.address);
}

/** One scrape, as `name{labels}` → value. */
async function scrape(url: string): Promise<Map<string, number>> {
  const res = await fetch(url);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  const samples = new Map<string, number>();
  for (const line of (await res.text()).split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

/** Reads `stream` line by line: each call gives the next line (without its end), or null at the end. */
function lineReader(stream: ReadableStream<Uint8Array>): () => Promise<string | null> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  return async () => {
    let at;
    while ((at = buffered.indexOf("\n")) < 0) {
      const { done, value } = await reader.read();
      if (done) return null;
      buffered += value;
    }
    const line = buffered.slice(0, at);
    buffered = buffered.slice(at + 1);
    return line;
  };
}

/** Scrapes until `ready` holds (at most 10 s), then returns that scrape. */
async function scrapeUntil(url: string, ready: (samples: Map<string, number>) => boolean) {
  for (const started = Date.now();; await new Promise((r) => setTimeout(r, 50))) {
    const samples = await scrape(url);
    if (ready(samples) || Date.now() - started > 10_000) return samples;
  }
}

/** `after[key] - before[key]`, absent samples counting 0. */
const delta = (before: Map<string, number>, after: Map<string, number>, key: string) =>
  (after.get(key) ?? 0) - (before.get(key) ?? 0);

/** Uploads ROWS rows, queries, then holds a second upload open until a line arrives on stdin. */
const ROWS = 5000;
const UPLOADER = [
  "import sys, json, pyarrow as pa, pyarrow.flight as fl",
  "from _sdk import Mosaico, put_command, unique",
  "c = fl.FlightClient(sys.argv[1])",
  "sdk = Mosaico(c)",
  "seq = unique('metrics'); key = sdk.sequence_create(seq, {})",
  "schema = pa.schema([pa.field('timestamp_ns', pa.int64(), nullable=False), pa.field('v', pa.float64())])",
  `rows = ${ROWS}`,
  "batch = pa.record_batch([pa.array(range(rows), pa.int64()), pa.array([0.5] * rows)], schema=schema)",
  "def put(name):",
  "    topic = f'{seq}/{name}'",
  "    w, _ = c.do_put(fl.FlightDescriptor.for_command(put_command(topic, sdk.topic_create(topic, key))), schema)",
  "    return w",
  "w = put('imu'); w.write_batch(batch); w.close()",
  "assert len(sdk.query({'sequence': {'name': {'$eq': seq}}})) == 1",
  "held = put('held'); held.write_batch(batch)",
  "print(json.dumps({'rows': rows, 'arrow_bytes': batch.nbytes}), flush=True)",
  "sys.stdin.readline()",
  "held.write_batch(batch); held.close()",
  "print('done', flush=True)",
].join("\n");

for (const transport of ["native", "grpc-js"]) {
  Deno.test(`metrics (${transport}): an upload moves the counters; health turns NOT_SERVING during the drain`, async () => {
    await using daemon = await startDaemon({
      args: ["--transport", transport, "--metrics-port", "0", "--shutdown-timeout-ms", "20000"],
    });
    const url = metricsUrl(daemon);
    const before = await scrape(url);
    {
      const health = client(HealthClient, daemon.port);
      assert.equal(await check(health, ""), ServingStatus.SERVING);
      assert.equal(await check(health, FLIGHT_SERVICE_NAME), ServingStatus.SERVING);
      assert.deepEqual(await check(health, "no.such.Service"), { code: grpc.status.NOT_FOUND });
      health.close();
    }
    const py = new Deno.Command("python3", {
      args: ["-c", UPLOADER, daemon.url],
      cwd: INTEROP_DIR,
      env: { PYTHONDONTWRITEBYTECODE: "1" },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const nextLine = lineReader(py.stdout);
    const stderr = new Response(py.stderr).text();
    try {
      const first = await nextLine();
      if (first === null) assert.fail(`the uploader ended: ${await stderr}`);
      const uploaded = JSON.parse(first);

      // write_batch returns once the client buffered the batch: the held call starts on the server soon after.
      const during = await scrapeUntil(
        url,
        (s) => s.get('mosaicod_grpc_active_streams{method="DoPut"}') === 1,
      );
      const d = (key: string) => delta(before, during, key);
      assert.equal(d('mosaicod_uploads_total{outcome="committed"}'), 1);
      assert.equal(d("mosaicod_ingested_rows_total"), uploaded.rows);
      assert.ok(d("mosaicod_ingested_bytes_total") > 0);
      assert.ok(
        d('mosaicod_grpc_received_bytes_total{method="DoPut"}') >= uploaded.arrow_bytes,
        "the upload's bytes",
      );
      assert.ok(d('mosaicod_grpc_sent_bytes_total{method="DoAction"}') > 0);
      assert.equal(d('mosaicod_grpc_calls_total{method="DoPut",code="OK"}'), 1);
      assert.ok(d('mosaicod_grpc_calls_total{method="DoAction",code="OK"}') >= 4, "creates and a query");
      assert.equal(during.get('mosaicod_grpc_active_streams{method="DoPut"}'), 1, "the held upload");
      assert.equal(d('mosaicod_query_duration_seconds_count{outcome="ok"}'), 1);
      assert.ok(d('mosaicod_store_op_duration_seconds_count{op="put"}') >= 1);
      assert.ok(d('mosaicod_catalog_op_duration_seconds_count{op="commitTopic"}') >= 1);
      assert.ok(d('mosaicod_grpc_call_duration_seconds_count{method="DoPut"}') === 1);
      assert.equal(during.get('mosaicod_jobs{state="dead"}'), 0);
      assert.ok((during.get("mosaicod_heap_used_bytes") ?? 0) > 0);
      assert.ok((during.get("process_resident_memory_bytes") ?? 0) > 0);

      // SIGTERM with the second upload in progress: the drain.
      const health = client(HealthClient, daemon.port);
      const watching = watch(health, "");
      await watching.until(1);
      const stopped = daemon.stop("SIGTERM");
      await watching.until(2);
      assert.deepEqual(watching.seen, [ServingStatus.SERVING, ServingStatus.NOT_SERVING]);
      assert.equal(await check(health, ""), ServingStatus.NOT_SERVING);
      const flight = client(FlightClient, daemon.port);
      assert.equal(
        await listFlightsError(flight),
        grpc.status.UNAVAILABLE,
        "no new Flight call while draining",
      );
      const draining = await scrape(url);
      assert.equal(draining.get('mosaicod_grpc_calls_total{method="ListFlights",code="UNAVAILABLE"}'), 1);
      watching.cancel();
      flight.close();
      health.close();
      await new Promise((r) => setTimeout(r, 200)); // their connections close before the server's GOAWAY

      const writer = py.stdin.getWriter();
      await writer.write(new TextEncoder().encode("go\n"));
      await writer.close();
      const done = await nextLine();
      if (done !== "done") assert.fail(`the held upload failed (${done}): ${await stderr}`);
      assert.equal(await stopped, 0);
      const committed = daemon.logs.filter((l) => l.msg === "topic committed");
      assert.equal(committed.length, 2, "the held upload committed during the drain");
      assert.ok(!daemon.logs.some((l) => l.level === "error"), "nothing logged as an error");
    } finally {
      try {
        py.kill("SIGKILL");
      } catch (_) {
        // already exited
      }
      await py.status;
      await stderr;
    }
  });
}

Deno.test("metrics: with --workers the endpoint reports the workers' calls; health needs no API key; OTEL_DENO exports", async () => {
  // An OTLP/HTTP sink: Deno's own OpenTelemetry export (OTEL_DENO=true) keeps working beside the endpoint.
  const otlp: string[] = [];
  const sink = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    otlp.push(new URL(req.url).pathname);
    await req.body?.cancel();
    return new Response(null);
  });
  await using _sink = { [Symbol.asyncDispose]: () => sink.shutdown() };
  await using daemon = await startDaemon({
    args: ["--workers", "2", "--metrics-port", "0", "--api-key-enabled"],
    env: { OTEL_DENO: "true", OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${sink.addr.port}` },
  });
  const url = metricsUrl(daemon);
  const clients: RawClient[] = [];
  try {
    for (let i = 0; i < 4; i++) {
      const health = client(HealthClient, daemon.port);
      const flight = client(FlightClient, daemon.port);
      clients.push(health, flight);
      assert.equal(await check(health, ""), ServingStatus.SERVING, "no key needed");
      assert.equal(await listFlightsError(flight), grpc.status.UNAUTHENTICATED);
    }
  } finally {
    for (const c of clients) c.close();
  }
  // Only the worker threads serve Flight: these counts come from their snapshots.
  const samples = await scrape(url);
  assert.equal(samples.get('mosaicod_grpc_calls_total{method="ListFlights",code="UNAUTHENTICATED"}'), 4);
  assert.equal(samples.get('mosaicod_grpc_active_streams{method="ListFlights"}'), 0);
  assert.ok((samples.get("mosaicod_heap_used_bytes") ?? 0) > 0);
  assert.ok(samples.has('mosaicod_jobs{state="pending"}'));
  const notFound = await fetch(url.replace("/metrics", "/other"));
  assert.equal(notFound.status, 404);
  await notFound.body?.cancel();
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(await daemon.stop("SIGTERM"), 0);
  assert.ok(otlp.includes("/v1/logs"), `OTLP requests: ${otlp.join(", ")}`);
});

Deno.test("loadConfig(): --metrics-port is off by default, read from MOSAICOD_METRICS_PORT, checked", () => {
  assert.equal(loadConfig({ args: [], env: {} }).metricsPort, null);
  assert.equal(loadConfig({ args: ["--metrics-port", "9464"], env: {} }).metricsPort, 9464);
  assert.equal(loadConfig({ args: [], env: { MOSAICOD_METRICS_PORT: "0" } }).metricsPort, 0);
  assert.throws(
    () => loadConfig({ args: ["--metrics-port", "http"], env: {} }),
    new ConfigError('--metrics-port must be an integer from 0 to 65535, got "http"'),
  );
  assert.throws(
    () => loadConfig({ args: ["--metrics-port", "6726"], env: {} }),
    new ConfigError("--metrics-port must differ from the Flight port 6726"),
  );
});
