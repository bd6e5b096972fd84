/**
 * A small Flight client for tests, on grpc-js with our own codecs: enough to call every RPC,
 * check status codes, and send hand-made (including malformed) messages.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { FLIGHT_SERVICE } from "../src/flight/service_def.ts";

const FlightClientCtor = grpc.makeGenericClientConstructor(FLIGHT_SERVICE, "FlightService");

export interface RpcError {
  code: grpc.status;
  details: string;
}

export class TestFlightClient implements Disposable {
  #client: grpc.Client & Record<string, (...args: unknown[]) => unknown>;

  constructor(port: number) {
    this.#client = new FlightClientCtor(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
      "grpc.max_receive_message_length": -1,
      "grpc.max_send_message_length": -1,
    }) as never;
  }

  /** Calls a unary RPC with raw request bytes. */
  unary(rpc: string, req: Uint8Array): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      this.#client[rpc](
        req,
        (err: grpc.ServiceError | null, res: Uint8Array) => err ? reject(err) : resolve(res),
      );
    });
  }

  /** Calls a server-streaming RPC and collects every response. */
  serverStream(rpc: string, req: Uint8Array): Promise<Uint8Array[]> {
    const call = this.#client[rpc](req) as grpc.ClientReadableStream<Uint8Array>;
    return collect(call);
  }

  /** Calls a bidi-streaming RPC: sends `reqs`, half-closes, collects the responses. */
  bidi(rpc: string, reqs: Uint8Array[]): Promise<Uint8Array[]> {
    const call = this.#client[rpc]() as grpc.ClientDuplexStream<Uint8Array, Uint8Array>;
    for (const r of reqs) call.write(r);
    call.end();
    return collect(call);
  }

  [Symbol.dispose](): void {
    this.#client.close();
  }
}

function collect(call: grpc.ClientReadableStream<Uint8Array>): Promise<Uint8Array[]> {
  return new Promise((resolve, reject) => {
    const out: Uint8Array[] = [];
    call.on("data", (d: Uint8Array) => out.push(d));
    call.on("error", reject);
    call.on("end", () => resolve(out));
  });
}

/** Awaits a call expected to fail; returns its status. */
export async function rpcError(p: Promise<unknown>): Promise<RpcError> {
  try {
    await p;
  } catch (err) {
    const e = err as grpc.ServiceError;
    return { code: e.code, details: e.details };
  }
  throw new Error("expected the call to fail");
}
