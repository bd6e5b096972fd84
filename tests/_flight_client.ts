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

export interface TestFlightClientOptions {
  /** Every call fails with DEADLINE_EXCEEDED after this long (none by default), so a hang fails a test. */
  deadlineMs?: number;
  /** gRPC metadata sent with every call (e.g. `mosaico-api-key-token`). */
  metadata?: Record<string, string>;
}

export class TestFlightClient implements Disposable {
  #client: grpc.Client & Record<string, (...args: unknown[]) => unknown>;
  #deadlineMs: number | undefined;
  #metadata: Record<string, string>;

  constructor(port: number, opts: TestFlightClientOptions = {}) {
    this.#client = new FlightClientCtor(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
      "grpc.max_receive_message_length": -1,
      "grpc.max_send_message_length": -1,
    }) as never;
    this.#deadlineMs = opts.deadlineMs;
    this.#metadata = opts.metadata ?? {};
  }

  /** Metadata and call options of one call (its deadline). */
  #call(): [grpc.Metadata, grpc.CallOptions] {
    const metadata = new grpc.Metadata();
    for (const [key, value] of Object.entries(this.#metadata)) metadata.set(key, value);
    return [metadata, this.#deadlineMs ? { deadline: Date.now() + this.#deadlineMs } : {}];
  }

  /** Calls a unary RPC with raw request bytes. */
  unary(rpc: string, req: Uint8Array): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      this.#client[rpc](
        req,
        ...this.#call(),
        (err: grpc.ServiceError | null, res: Uint8Array) => err ? reject(err) : resolve(res),
      );
    });
  }

  /** Calls a server-streaming RPC and collects every response. */
  serverStream(rpc: string, req: Uint8Array): Promise<Uint8Array[]> {
    const call = this.#client[rpc](req, ...this.#call()) as grpc.ClientReadableStream<Uint8Array>;
    return collect(call);
  }

  /** Calls a server-streaming RPC whose responses are read as they arrive (a live stream); cancellable. */
  openServerStream(rpc: string, req: Uint8Array): LiveStream {
    return new LiveStream(this.#client[rpc](req, ...this.#call()) as grpc.ClientReadableStream<Uint8Array>);
  }

  /** Calls a bidi-streaming RPC: sends `reqs`, half-closes, collects the responses. */
  bidi(rpc: string, reqs: Uint8Array[]): Promise<Uint8Array[]> {
    const call = this.openBidi(rpc);
    for (const r of reqs) call.write(r);
    call.end();
    return collect(call);
  }

  /** Opens a bidi-streaming RPC to drive by hand (write, end, cancel); see {@link responsesOf}. */
  openBidi(rpc: string): grpc.ClientDuplexStream<Uint8Array, Uint8Array> {
    return this.#client[rpc](...this.#call()) as grpc.ClientDuplexStream<Uint8Array, Uint8Array>;
  }

  [Symbol.dispose](): void {
    this.#client.close();
  }
}

/** The responses of a server-streaming call, one at a time, as they arrive. */
export class LiveStream implements Disposable {
  #call: grpc.ClientReadableStream<Uint8Array>;
  #queue: Uint8Array[] = [];
  #end: { error: RpcError | null } | null = null;
  #notify: (() => void) | null = null;

  constructor(call: grpc.ClientReadableStream<Uint8Array>) {
    this.#call = call;
    call.on("data", (d: Uint8Array) => this.#push(() => this.#queue.push(d)));
    call.on(
      "error",
      (e: grpc.ServiceError) =>
        this.#push(() => this.#end ??= { error: { code: e.code, details: e.details } }),
    );
    call.on("end", () => this.#push(() => this.#end ??= { error: null }));
  }

  #push(change: () => void): void {
    change();
    this.#notify?.();
  }

  /**
   * The next response, or null once the call ended OK. Rejects with the call's status (an RpcError)
   * when it failed, and with an Error when nothing came within `timeoutMs`.
   */
  async next(timeoutMs = 10_000): Promise<Uint8Array | null> {
    const deadline = Date.now() + timeoutMs;
    while (this.#queue.length === 0 && this.#end === null) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no response within ${timeoutMs} ms`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#notify = resolve;
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
      this.#notify = null;
    }
    if (this.#queue.length > 0) return this.#queue.shift()!;
    if (this.#end!.error) throw this.#end!.error;
    return null;
  }

  /** Cancels the call (the server sees the client go away). */
  cancel(): void {
    this.#call.cancel();
  }

  [Symbol.dispose](): void {
    if (this.#end === null) this.cancel();
  }
}

/** Every response of a call, once it ends; rejects with its status when it fails. */
export function responsesOf(call: grpc.ClientReadableStream<Uint8Array>): Promise<Uint8Array[]> {
  return collect(call);
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
