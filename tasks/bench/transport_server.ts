/**
 * The mosaicod side of `deno task bench --sections transport`: the fake-work handlers of
 * tests/_transport_handlers.ts served by one of the daemon's two Flight servers (`--transport grpc-js` or
 * `native`) with the daemon's default limits, on a free port of 127.0.0.1. Prints one line, `{"port": N}`,
 * on stdout and serves until SIGTERM. Run as a child process by tasks/bench/transport.ts.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { FlightServer, type FlightServerOptions } from "../../src/flight/server.ts";
import { NativeFlightServer } from "../../src/flight/native_server.ts";
import { createLogger } from "../../src/log.ts";
import { transportBenchHandlers } from "../../tests/_transport_handlers.ts";

const MiB = 1024 ** 2;

async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { transport: { type: "string", default: "grpc-js" } } });
  const opts: FlightServerOptions = {
    host: "127.0.0.1",
    port: 0,
    maxMessageBytes: 64 * MiB,
    maxConcurrentStreams: 100,
    log: createLogger({ level: "warn" }),
  };
  const handlers = transportBenchHandlers();
  const server = values.transport === "native"
    ? await NativeFlightServer.start(handlers, opts)
    : values.transport === "grpc-js"
    ? await FlightServer.start(handlers, opts)
    : null;
  if (!server) throw new Error(`--transport must be grpc-js or native, got "${values.transport}"`);
  const stopped = new Promise<void>((resolve) => Deno.addSignalListener("SIGTERM", () => resolve()));
  console.log(JSON.stringify({ port: server.port }));
  await stopped;
  await server.shutdown(1000);
}

if (import.meta.main) await main(Deno.args);
