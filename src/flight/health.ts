/**
 * The standard gRPC health service (`grpc.health.v1.Health`, as Kubernetes gRPC probes and load balancers
 * call it) on the Flight port, on both transports and in every Flight worker thread. Not a Flight call: no
 * API key, no protocol dialect, not counted in the drain or the call metrics.
 *
 * - `Check {service}`: "" (the whole server) and `arrow.flight.protocol.FlightService` answer SERVING, or
 *   NOT_SERVING once shutdown began; any other service is NOT_FOUND.
 * - `Watch {service}`: the current status at once, then NOT_SERVING when shutdown begins; the stream ends
 *   when the server closes (or the client cancels). An unknown service is answered SERVICE_UNKNOWN.
 *
 * Owns the health messages' codec (both directions, so that clients and tests share it).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type * as grpc from "@grpc/grpc-js";
import { NotFoundError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { GrpcHandler } from "../transport/grpc/mod.ts";
import { LEN, PbReader, PbWriter, VARINT } from "./_pb.ts";
import { FLIGHT_SERVICE_NAME } from "./service_def.ts";
import { toGrpcStatus } from "./status.ts";

/** The health service's full name, as paths carry it. */
export const HEALTH_SERVICE_NAME = "grpc.health.v1.Health";

/** `HealthCheckResponse.ServingStatus`. */
export const ServingStatus = { UNKNOWN: 0, SERVING: 1, NOT_SERVING: 2, SERVICE_UNKNOWN: 3 } as const;
/** A `ServingStatus` value. */
export type ServingStatus = typeof ServingStatus[keyof typeof ServingStatus];

/** The services a health request may name: the whole server ("") and Flight. */
const KNOWN_SERVICES = new Set(["", FLIGHT_SERVICE_NAME]);

/** One server's health: SERVING until `stopping` aborts; watches end when `closing` aborts. */
export class HealthService {
  readonly #stopping: AbortSignal;
  readonly #closing: AbortSignal;

  constructor({ stopping, closing }: { stopping: AbortSignal; closing: AbortSignal }) {
    this.#stopping = stopping;
    this.#closing = closing;
  }

  /** SERVING, or NOT_SERVING once shutdown began. */
  get status(): ServingStatus {
    return this.#stopping.aborted ? ServingStatus.NOT_SERVING : ServingStatus.SERVING;
  }

  /**
   * Answers a `Check` request.
   * @throws NotFoundError for an unknown service; ProtobufError for a malformed request.
   */
  check(request: Uint8Array): Uint8Array {
    const service = decodeHealthRequest(request);
    if (!KNOWN_SERVICES.has(service)) throw new NotFoundError(`Unknown service "${service}"`);
    return encodeHealthResponse(this.status);
  }

  /** Answers a `Watch` request until the server closes or `signal` (the call's) aborts. */
  async *watch(request: Uint8Array, signal: AbortSignal): AsyncGenerator<Uint8Array> {
    const service = decodeHealthRequest(request);
    const ended = AbortSignal.any([this.#closing, signal]);
    if (!KNOWN_SERVICES.has(service)) {
      yield encodeHealthResponse(ServingStatus.SERVICE_UNKNOWN);
    } else {
      yield encodeHealthResponse(this.status);
      if (this.status === ServingStatus.SERVING) {
        await aborted(AbortSignal.any([this.#stopping, ended]));
        if (!signal.aborted && this.#stopping.aborted) yield encodeHealthResponse(ServingStatus.NOT_SERVING);
      }
    }
    await aborted(ended);
  }
}

function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}

/** The `service` of a `HealthCheckRequest`. @throws ProtobufError on malformed bytes. */
export function decodeHealthRequest(bytes: Uint8Array): string {
  const r = new PbReader(bytes);
  let service = "";
  while (!r.done()) {
    const [field, wt] = r.tag();
    if (field === 1) {
      r.expect(field, wt, LEN);
      service = r.string();
    } else r.skip(wt);
  }
  return service;
}

/** A `HealthCheckRequest` for `service` (clients and tests). */
export function encodeHealthRequest(service: string): Uint8Array {
  return new PbWriter().stringField(1, service).finish();
}

/** The `status` of a `HealthCheckResponse`. @throws ProtobufError on malformed bytes. */
export function decodeHealthResponse(bytes: Uint8Array): ServingStatus {
  const r = new PbReader(bytes);
  let status = 0;
  while (!r.done()) {
    const [field, wt] = r.tag();
    if (field === 1) {
      r.expect(field, wt, VARINT);
      status = r.varint();
    } else r.skip(wt);
  }
  return status as ServingStatus;
}

/** A `HealthCheckResponse` carrying `status`. */
export function encodeHealthResponse(status: ServingStatus): Uint8Array {
  return new PbWriter().uintField(1, status).finish();
}

/** The health methods as routes of the native gRPC server. */
export function healthRoutes(health: HealthService): Map<string, GrpcHandler> {
  return new Map<string, GrpcHandler>([
    [`/${HEALTH_SERVICE_NAME}/Check`, { kind: "unary", handle: (req) => Promise.resolve(health.check(req)) }],
    [`/${HEALTH_SERVICE_NAME}/Watch`, {
      kind: "serverStream",
      handle: (req, call) => health.watch(req, call.signal),
    }],
  ]);
}

const toBuffer = (v: Uint8Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
const fromBuffer = (v: Buffer): Uint8Array => v;

/** The grpc-js definition of the health service (raw bytes both ways, our codec above). */
export const HEALTH_SERVICE: grpc.ServiceDefinition = Object.fromEntries(
  (["Check", "Watch"] as const).map((name) => [name, {
    path: `/${HEALTH_SERVICE_NAME}/${name}`,
    originalName: name.toLowerCase(),
    requestStream: false,
    responseStream: name === "Watch",
    requestSerialize: toBuffer,
    requestDeserialize: fromBuffer,
    responseSerialize: toBuffer,
    responseDeserialize: fromBuffer,
  }]),
);

/** The health methods as a grpc-js service implementation. */
export function grpcJsHealth(health: HealthService, log: Logger): grpc.UntypedServiceImplementation {
  const check: grpc.handleUnaryCall<Uint8Array, Uint8Array> = (call, callback) => {
    try {
      callback(null, health.check(call.request));
    } catch (err) {
      callback(toGrpcStatus(err, log));
    }
  };
  const watch = async (call: grpc.ServerWritableStream<Uint8Array, Uint8Array>) => {
    const ac = new AbortController();
    call.on("cancelled", () => ac.abort());
    try {
      for await (const message of health.watch(call.request, ac.signal)) {
        if (ac.signal.aborted) break;
        call.write(message);
      }
      if (!ac.signal.aborted) call.end();
    } catch (err) {
      if (!ac.signal.aborted) call.emit("error", toGrpcStatus(err, log));
    }
  };
  return { Check: check as grpc.UntypedHandleCall, Watch: watch as grpc.UntypedHandleCall };
}
