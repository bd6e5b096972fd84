/**
 * One gRPC call from start to status: the request's deadline (`grpc-timeout`), its messages (read as the
 * handler asks for them, inflated when compressed), the handler run by its streaming shape, the response,
 * and every way a call ends early: the client cancels (RST_STREAM or a lost connection: the handler's
 * signal aborts, nothing is sent), the deadline passes (DEADLINE_EXCEEDED), the request breaks a rule
 * (its status at once, and the handler's signal aborts), or the handler fails (its error mapped by the
 * service's `toStatus`).
 *
 * @module
 */
import type { HeaderField } from "../http2/hpack/mod.ts";
import type { Http2ServerStream } from "../http2/mod.ts";
import { inflateMessage } from "./compression.ts";
import type { MessageBudget } from "./message_budget.ts";
import { GrpcMessageReader } from "./message_reader.ts";
import { GrpcResponse, type OutgoingMessage } from "./response.ts";
import { GrpcCode, GrpcError, type GrpcStatus } from "./status.ts";
import { MAX_TIMER_MS } from "./timeout.ts";

/** What a handler knows about its call. */
export interface GrpcCall {
  /** The method's path, `/package.Service/Method`. */
  readonly method: string;
  /** The client's address (`127.0.0.1:54321`, `[::1]:54321`). */
  readonly peer: string;
  /** The connection's number, unique while the server runs (unlike `peer`, whose port is reused). */
  readonly connectionId: number;
  /** Aborted when the client cancels, the deadline passes, the request breaks a rule, or the server stops. */
  readonly signal: AbortSignal;
  /** A metadata value (several joined with ", "), null when absent. Names are lowercase. */
  metadata(name: string): string | null;
}

/** A method's handler, by streaming shape, over message bytes. */
export type GrpcHandler =
  | { kind: "unary"; handle: (req: Uint8Array, call: GrpcCall) => Promise<OutgoingMessage> }
  | { kind: "serverStream"; handle: (req: Uint8Array, call: GrpcCall) => AsyncIterable<OutgoingMessage> }
  | {
    kind: "clientStream";
    handle: (reqs: AsyncIterable<Uint8Array>, call: GrpcCall) => Promise<OutgoingMessage>;
  }
  | {
    kind: "bidi";
    handle: (reqs: AsyncIterable<Uint8Array>, call: GrpcCall) => AsyncIterable<OutgoingMessage>;
  };

/** What a call needs from its server. */
export interface CallSettings {
  maxMessageBytes: number;
  /** Whether responses are gzipped (the server allows it and the client accepts it). */
  gzipResponses: boolean;
  /** The request's `grpc-encoding` (identity when absent). */
  requestEncoding: string;
  /** Milliseconds from now to the call's deadline, null without one. */
  timeoutMs: number | null;
  bodyOffset?: (head: Uint8Array) => number;
  /** The connection's budget for incomplete request messages (`message_budget.ts`). */
  budget?: MessageBudget;
  /** The buffer a request message is read into (see `message_reader.ts`); default a new one. */
  allocate?: (bytes: number) => ArrayBuffer;
  /** Maps a handler's error to the status sent (the service's own error mapping). */
  toStatus: (err: unknown, call: GrpcCall) => GrpcStatus;
}

/**
 * Runs one call to its end. `ac` is the call's controller (the server aborts it when forced down); never
 * rejects.
 */
export async function serveCall(
  stream: Http2ServerStream,
  handler: GrpcHandler,
  { ac, settings }: { ac: AbortController; settings: CallSettings },
): Promise<void> {
  const response = new GrpcResponse(stream, {
    gzip: settings.gzipResponses,
    maxMessageBytes: settings.maxMessageBytes,
  });
  const reader = new GrpcMessageReader(stream.body, {
    maxMessageBytes: settings.maxMessageBytes,
    bodyOffset: settings.bodyOffset,
    budget: settings.budget,
    signal: ac.signal,
    allocate: settings.allocate,
  });
  const call = callOf(stream, ac.signal);
  /** Ends the call early with `status`: sent at once; the handler's signal aborts. */
  const fail = async (status: GrpcStatus, reason: Error) => {
    if (response.finished) return;
    ac.abort(reason);
    await response.finish(status);
  };
  const onClientGone = () => {
    response.abandon();
    ac.abort(new Error("call cancelled by the client"));
  };
  if (stream.signal.aborted) onClientGone();
  stream.signal.addEventListener("abort", onClientGone, { once: true });
  const timer = settings.timeoutMs !== null && settings.timeoutMs <= MAX_TIMER_MS
    ? setTimeout(() => {
      const err = new GrpcError(GrpcCode.DEADLINE_EXCEEDED, "Deadline exceeded");
      fail(err.status, err).catch(() => {});
    }, settings.timeoutMs)
    : undefined;
  const requests = requestsOf(reader, settings, ac.signal, fail);
  try {
    const out = await run(handler, requests, call);
    if ("one" in out) {
      if (!ac.signal.aborted) await response.send(out.one);
    } else {
      for await (const msg of out.many) {
        if (ac.signal.aborted) break;
        await raceAbort(response.send(msg), ac.signal);
      }
    }
    if (!ac.signal.aborted) await response.finish({ code: GrpcCode.OK, details: "" });
  } catch (err) {
    if (!ac.signal.aborted) {
      const status = err instanceof GrpcError ? err.status : settings.toStatus(err, call);
      await fail(status, err instanceof Error ? err : new Error(String(err))).catch(() => {});
    }
  } finally {
    clearTimeout(timer);
    stream.signal.removeEventListener("abort", onClientGone);
    // A call that ends without its status (cancelled by the server) leaves the stream open otherwise.
    if (!response.finished) stream.reset(CANCEL);
  }
}

/** HTTP/2 RST_STREAM code CANCEL. */
const CANCEL = 8;

/** Starts the handler by its shape; the single request of unary and server-streaming calls comes first. */
async function run(
  handler: GrpcHandler,
  requests: AsyncIterable<Uint8Array>,
  call: GrpcCall,
): Promise<{ one: OutgoingMessage } | { many: AsyncIterable<OutgoingMessage> }> {
  switch (handler.kind) {
    case "unary":
      return { one: await handler.handle(await single(requests, call.method), call) };
    case "serverStream":
      return { many: handler.handle(await single(requests, call.method), call) };
    case "clientStream":
      return { one: await handler.handle(requests, call) };
    case "bidi":
      return { many: handler.handle(requests, call) };
  }
}

/** The one request message of a unary or server-streaming call (waits for the end of the request). */
async function single(requests: AsyncIterable<Uint8Array>, method: string): Promise<Uint8Array> {
  let first: Uint8Array | null = null;
  for await (const msg of requests) {
    if (first !== null) {
      throw new GrpcError(GrpcCode.UNIMPLEMENTED, `Received a second request message for method ${method}`);
    }
    first = msg;
  }
  if (first === null) {
    throw new GrpcError(GrpcCode.UNIMPLEMENTED, `Received no request message for method ${method}`);
  }
  return first;
}

/**
 * The request messages, inflated, as the handler asks for them. A broken request ends the call with its
 * status at once (`fail`), then the handler sees the error; an aborted call wakes a handler waiting here.
 */
async function* requestsOf(
  reader: GrpcMessageReader,
  settings: CallSettings,
  signal: AbortSignal,
  fail: (status: GrpcStatus, reason: Error) => Promise<void>,
): AsyncGenerator<Uint8Array> {
  try {
    for (;;) {
      const msg = await raceAbort(reader.next(), signal);
      if (msg === null) return;
      yield msg.compressed ? await raceAbort(inflate(msg.bytes, settings), signal) : msg.bytes;
    }
  } catch (err) {
    if (err instanceof GrpcError && !signal.aborted) await fail(err.status, err);
    throw err;
  }
}

function inflate(bytes: Uint8Array, settings: CallSettings): Promise<Uint8Array> {
  if (settings.requestEncoding === "identity") {
    return Promise.reject(
      new GrpcError(GrpcCode.INTERNAL, "Received a compressed message without a grpc-encoding"),
    );
  }
  return inflateMessage(bytes, settings.requestEncoding, settings.maxMessageBytes);
}

/** `promise`, or a rejection with the signal's reason once it aborts (the promise is left to settle). */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

function callOf(stream: Http2ServerStream, signal: AbortSignal): GrpcCall {
  const headers = stream.headers;
  return {
    method: headerValue(headers, ":path") ?? "",
    peer: stream.peer,
    connectionId: stream.connectionId,
    signal,
    metadata: (name) => headerValue(headers, name),
  };
}

/** A header's value (several joined with ", "), null when absent. `name` is lowercase. */
export function headerValue(headers: readonly HeaderField[], name: string): string | null {
  let out: string | null = null;
  for (const [n, v] of headers) {
    if (n === name) out = out === null ? v : `${out}, ${v}`;
  }
  return out;
}
