/**
 * The one place that maps errors to gRPC status codes. Client mistakes get a precise code and the
 * domain message; anything else is a bug of ours: logged once at error level, sent as INTERNAL.
 *
 * @module
 */
import { status as Code } from "@grpc/grpc-js";
import {
  AlreadyExistsError,
  CancelledError,
  DataLossError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  PermissionDeniedError,
  ResourceExhaustedError,
  UnauthenticatedError,
  UnavailableError,
  UnimplementedError,
} from "../errors.ts";
import type { Logger } from "../log.ts";
import { ProtobufError } from "./_pb.ts";

export interface GrpcStatus {
  code: Code;
  details: string;
}

const MAPPING: [new (...args: never[]) => Error, Code][] = [
  [InvalidArgumentError, Code.INVALID_ARGUMENT],
  [ProtobufError, Code.INVALID_ARGUMENT],
  [NotFoundError, Code.NOT_FOUND],
  [AlreadyExistsError, Code.ALREADY_EXISTS],
  [FailedPreconditionError, Code.FAILED_PRECONDITION],
  [PermissionDeniedError, Code.PERMISSION_DENIED],
  [UnauthenticatedError, Code.UNAUTHENTICATED],
  [UnavailableError, Code.UNAVAILABLE],
  [ResourceExhaustedError, Code.RESOURCE_EXHAUSTED],
  [CancelledError, Code.CANCELLED],
  [DataLossError, Code.DATA_LOSS],
  [UnimplementedError, Code.UNIMPLEMENTED],
];

/** Maps an error to the status sent to the client. */
export function toGrpcStatus(err: unknown, log: Logger, fields: Record<string, unknown> = {}): GrpcStatus {
  const code = mappedCode(err);
  if (code !== null) {
    const details = err instanceof ProtobufError
      ? `Malformed protobuf message: ${(err as Error).message}`
      : (err as Error).message;
    return { code, details };
  }
  log.error("unexpected error", { ...fields, err });
  return { code: Code.INTERNAL, details: "Internal error" };
}

/** The code {@linkcode toGrpcStatus} sends for `err` (INTERNAL for a bug), without logging anything. */
export function grpcCodeOf(err: unknown): Code {
  return mappedCode(err) ?? Code.INTERNAL;
}

function mappedCode(err: unknown): Code | null {
  for (const [cls, code] of MAPPING) if (err instanceof cls) return code;
  return null;
}
