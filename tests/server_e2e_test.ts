/**
 * The daemon as users run it: a child process with the `start` task's permissions, on port 0,
 * talked to by a real Flight client.
 */
import assert from "node:assert/strict";
import { status } from "@grpc/grpc-js";
import { startDaemon } from "./_daemon.ts";
import { channelTo, rpcError } from "./_flight_client.ts";
import { encodeBytesMessage, encodeDescriptor } from "../src/flight/messages.ts";

Deno.test("server: ListFlights with empty criteria answers OK with no flights on a new catalog", async () => {
  await using daemon = await startDaemon();
  using client = channelTo(daemon.port);
  const started = performance.now();
  assert.deepEqual(await client.serverStream("ListFlights", new Uint8Array(0)).all(), []);
  assert.deepEqual(
    await client.serverStream("ListFlights", encodeBytesMessage(new TextEncoder().encode("/"))).all(),
    [],
  );
  assert.ok(performance.now() - started < 2000, "the connection probe must be fast");
  const err = await rpcError(
    client.serverStream("ListFlights", encodeBytesMessage(new TextEncoder().encode("x"))).all(),
  );
  assert.equal(err.code, status.INVALID_ARGUMENT);
  assert.match(err.details, /criteria "x"/);
});

Deno.test("server: RPCs not offered yet answer UNIMPLEMENTED and the daemon keeps serving", async () => {
  await using daemon = await startDaemon();
  using client = channelTo(daemon.port);
  const desc = encodeDescriptor({ type: "path", cmd: new Uint8Array(0), path: ["s"] });
  const calls: [string, () => Promise<unknown>][] = [
    ["Handshake", () => client.exchange("Handshake", [new Uint8Array(0)])],
    ["PollFlightInfo", () => client.unary("PollFlightInfo", desc)],
    ["GetSchema", () => client.unary("GetSchema", desc)],
    ["DoExchange", () => client.exchange("DoExchange", [])],
    ["ListActions", () => client.serverStream("ListActions", new Uint8Array(0)).all()],
  ];
  for (const [name, call] of calls) {
    const err = await rpcError(call());
    assert.equal(err.code, status.UNIMPLEMENTED, name);
    assert.match(err.details, new RegExp(name));
  }
  assert.deepEqual(await client.serverStream("ListFlights", new Uint8Array(0)).all(), []);
});

Deno.test("server: malformed protobuf requests are INVALID_ARGUMENT, never INTERNAL", async () => {
  await using daemon = await startDaemon();
  using client = channelTo(daemon.port);
  const garbage = Uint8Array.of(0x0a, 0x7f, 0x01); // length runs past the end
  const err = await rpcError(client.serverStream("ListFlights", garbage).all());
  assert.equal(err.code, status.INVALID_ARGUMENT);
  assert.match(err.details, /Malformed protobuf/);
  assert.deepEqual(await client.serverStream("ListFlights", new Uint8Array(0)).all(), [], "still serving");
  assert.ok(!daemon.logs.some((l) => l.level === "error"), "client mistakes are not logged as errors");
});

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  Deno.test(`server: ${signal} stops the daemon cleanly with exit code 0`, async () => {
    await using daemon = await startDaemon();
    {
      // Closed before the daemon stops: Deno's HTTP/2 client can abort the process when it receives
      // GOAWAY on a busy session (an nghttp2 assertion); interop_test.py covers a connected pyarrow client.
      using client = channelTo(daemon.port);
      await client.serverStream("ListFlights", new Uint8Array(0)).all();
    }
    const started = performance.now();
    assert.equal(await daemon.stop(signal), 0);
    assert.ok(performance.now() - started < 10_000);
    const msgs = daemon.logs.map((l) => l.msg);
    assert.ok(msgs.includes("shutting down") && msgs.includes("stopped"), msgs.join(", "));
  });
}

Deno.test("server: data dir holds the embedded catalog and the store, and survives a restart", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "mosaicod-e2e-" });
  try {
    {
      await using daemon = await startDaemon({ cwd });
      assert.equal(await daemon.stop(), 0);
    }
    assert.ok((await Deno.stat(`${cwd}/data/catalog`)).isDirectory);
    assert.ok((await Deno.stat(`${cwd}/data/store`)).isDirectory);
    await using again = await startDaemon({ cwd });
    const migrations = again.logs.filter((l) => l.msg === "catalog migration applied");
    assert.equal(migrations.length, 0, "a reopened catalog is already migrated");
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});
