/**
 * Watches every Flight call from outside its handler, whatever its streaming shape: when it starts, each
 * request and response message, and how it ends. Shared by the shutdown drain (`drain.ts`) and the call
 * metrics (`call_metrics.ts`), so that neither repeats the wrapping of unary, server-streaming and bidi
 * handlers. Folder-private to `flight/`.
 *
 * @module
 */
import type { CallContext, FlightHandlers } from "./server.ts";
import { FLIGHT_RPCS, type FlightRpc, type ResponseMessage } from "./service_def.ts";

/** What a watcher learns about one call. */
export interface CallObserver {
  /** A request message, as the handler receives it. */
  request?(bytes: Uint8Array): void;
  /** A response message, as the handler returns or yields it. */
  response?(message: ResponseMessage): void;
  /**
   * The call ended: `error` is what the handler threw, or null when it returned (or when the server stopped
   * reading its responses: then `ctx.signal` is aborted).
   */
  end(error: unknown): void;
}

/**
 * `handlers`, each calling `start` when its call starts (before the handler runs; a throw refuses the call
 * with that error) and reporting to the observer it returns. The same `ctx` reaches the handler.
 */
export function observeCalls(
  handlers: FlightHandlers,
  start: (rpc: FlightRpc, ctx: CallContext) => CallObserver,
): FlightHandlers {
  const wrapped: Record<string, unknown> = {};
  for (const rpc of Object.keys(FLIGHT_RPCS) as FlightRpc[]) {
    const [clientStreams, serverStreams] = FLIGHT_RPCS[rpc];
    const handler = handlers[rpc] as unknown as (input: unknown, ctx: CallContext) => unknown;
    if (!serverStreams) {
      wrapped[rpc] = async (req: Uint8Array, ctx: CallContext) => {
        const observer = start(rpc, ctx);
        observer.request?.(req);
        try {
          const res = await (handler(req, ctx) as Promise<ResponseMessage>);
          observer.response?.(res);
          observer.end(null);
          return res;
        } catch (err) {
          observer.end(err);
          throw err;
        }
      };
      continue;
    }
    wrapped[rpc] = async function* (input: Uint8Array | AsyncIterable<Uint8Array>, ctx: CallContext) {
      const observer = start(rpc, ctx);
      let error: unknown = null;
      try {
        if (clientStreams) input = counted(input as AsyncIterable<Uint8Array>, observer);
        else observer.request?.(input as Uint8Array);
        for await (const message of handler(input, ctx) as AsyncIterable<ResponseMessage>) {
          observer.response?.(message);
          yield message;
        }
      } catch (err) {
        error = err;
        throw err;
      } finally {
        observer.end(error);
      }
    };
  }
  return wrapped as unknown as FlightHandlers;
}

async function* counted(
  requests: AsyncIterable<Uint8Array>,
  observer: CallObserver,
): AsyncIterable<Uint8Array> {
  for await (const message of requests) {
    observer.request?.(message);
    yield message;
  }
}
