/**
 * Test conveniences over the client package (`src/client/`): a raw Flight channel to a daemon on a
 * local port, and the status of a call expected to fail. Everything else (raw calls with hand-made or
 * malformed messages, live streams, hand-driven DoPut) is the client's own API.
 *
 * @module
 */
import { type ChannelOptions, ClientError, FlightChannel, parseServerUrl } from "../src/client/mod.ts";

/** The status of a failed call: its gRPC code and the server's message. */
export type RpcError = Pick<ClientError, "code" | "details">;

/** A raw channel to `127.0.0.1:<port>` (plain HTTP/2); close it when done (`using`). */
export function channelTo(port: number, opts: ChannelOptions = {}): FlightChannel {
  return new FlightChannel(parseServerUrl(`grpc://127.0.0.1:${port}`), opts);
}

/** Awaits a call expected to fail; returns its status. Anything but a failed call is rethrown. */
export async function rpcError(p: Promise<unknown>): Promise<RpcError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ClientError) return { code: err.code, details: err.details };
    throw err;
  }
  throw new Error("expected the call to fail");
}
