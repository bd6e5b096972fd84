/**
 * The `arrow.flight.protocol.FlightService` definition handed to grpc-js, built by hand: requests
 * arrive as raw bytes (decoded by our codecs inside the handlers, so a malformed message becomes
 * INVALID_ARGUMENT rather than grpc-js's INTERNAL) and responses leave as bytes or pre-framed buffers.
 * No proto-loader anywhere. `tests/flight_proto_test.ts` checks it against `proto/Flight.proto`.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type { ServiceDefinition } from "@grpc/grpc-js";
import { FramedMessage, serializeFramed } from "./flight_data.ts";

export const FLIGHT_SERVICE_NAME = "arrow.flight.protocol.FlightService";

/** Every FlightService RPC with its streaming shape: [client streams, server streams]. */
export const FLIGHT_RPCS = {
  Handshake: [true, true],
  ListFlights: [false, true],
  GetFlightInfo: [false, false],
  PollFlightInfo: [false, false],
  GetSchema: [false, false],
  DoGet: [false, true],
  DoPut: [true, true],
  DoExchange: [true, true],
  DoAction: [false, true],
  ListActions: [false, true],
} as const satisfies Record<string, readonly [boolean, boolean]>;

export type FlightRpc = keyof typeof FLIGHT_RPCS;

/** A response: encoded protobuf bytes, or a FlightData already framed for gRPC. */
export type ResponseMessage = Uint8Array | FramedMessage;

function serialize(value: ResponseMessage): Buffer {
  if (value instanceof FramedMessage) return serializeFramed(value);
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

function deserialize(bytes: Buffer): Uint8Array {
  return bytes;
}

/** The grpc-js service definition. */
export const FLIGHT_SERVICE: ServiceDefinition = Object.fromEntries(
  Object.entries(FLIGHT_RPCS).map(([name, [requestStream, responseStream]]) => [name, {
    path: `/${FLIGHT_SERVICE_NAME}/${name}`,
    originalName: name[0].toLowerCase() + name.slice(1),
    requestStream,
    responseStream,
    requestSerialize: serialize,
    requestDeserialize: deserialize,
    responseSerialize: serialize,
    responseDeserialize: deserialize,
  }]),
);
