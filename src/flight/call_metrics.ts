/**
 * Flight call metrics (`--metrics-port`), the same on both transports: calls by method and gRPC code,
 * duration, calls in progress, and the message bytes each way, counted at the gRPC message level
 * (uncompressed, without the 5-byte prefix) by wrapping the handlers. The code is the one the call's
 * status carries: the handler's error mapped as `status.ts` maps it, a transport error's own code, or
 * CANCELLED (DEADLINE_EXCEEDED) when the call was cut short.
 *
 * Takes the instruments from `metrics/daemon.ts`; knows nothing of the endpoint that exposes them.
 *
 * @module
 */
import { status as Code } from "@grpc/grpc-js";
import type { DaemonMetrics } from "../metrics/daemon.ts";
import { GrpcError } from "../transport/grpc/mod.ts";
import { observeCalls } from "./_observe.ts";
import { FramedMessage } from "./flight_data.ts";
import type { CallContext, FlightHandlers } from "./server.ts";
import type { ResponseMessage } from "./service_def.ts";
import { grpcCodeOf } from "./status.ts";

/** `handlers`, measured into `metrics`; unchanged without metrics. */
export function withCallMetrics(
  handlers: FlightHandlers,
  metrics: DaemonMetrics | null | undefined,
): FlightHandlers {
  if (!metrics) return handlers;
  return observeCalls(handlers, (method, ctx) => {
    const labels = { method };
    const started = performance.now();
    metrics.activeStreams.inc(labels);
    return {
      request: (bytes) => metrics.receivedBytes.inc(labels, bytes.byteLength),
      response: (message) => metrics.sentBytes.inc(labels, messageBytes(message)),
      end: (error) => {
        metrics.activeStreams.dec(labels);
        metrics.callSeconds.observeSince(labels, started);
        const code = outcome(error, ctx);
        metrics.calls.inc({ method, code: Code[code] ?? String(code) });
      },
    };
  });
}

function outcome(error: unknown, ctx: CallContext): number {
  if (ctx.signal.aborted) {
    const reason: unknown = ctx.signal.reason;
    return reason instanceof GrpcError ? reason.status.code : Code.CANCELLED;
  }
  if (error === null) return Code.OK;
  return error instanceof GrpcError ? error.status.code : grpcCodeOf(error);
}

function messageBytes(message: ResponseMessage): number {
  return message instanceof FramedMessage ? message.byteLength - 5 : message.byteLength;
}
