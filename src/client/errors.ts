/**
 * The one error type of the client: a call that ended with a gRPC status other than OK, or a request
 * the client refused before sending it. It carries the status code and the server's message, so that a
 * caller branches on `code`, never on text. Imports nothing of the server.
 *
 * @module
 */
import { status } from "@grpc/grpc-js";

/** gRPC status codes (numbers, as on the wire). */
export const GrpcCode = status;
/** A gRPC status code. */
export type GrpcCode = status;

/** The name of a status code (`NOT_FOUND`), or `CODE_<n>` for one gRPC does not define. */
export function codeName(code: number): string {
  return (status as unknown as Record<number, string | undefined>)[code] ?? `CODE_${code}`;
}

/**
 * A failed call: `code` is its gRPC status, `details` the server's message as sent.
 * `message` reads `NOT_FOUND: Cannot find topic "a/b"`.
 */
export class ClientError extends Error {
  override name = "ClientError";
  readonly code: GrpcCode;
  readonly details: string;

  constructor(code: GrpcCode, details: string, options?: ErrorOptions) {
    super(`${codeName(code)}: ${details}`, options);
    this.code = code;
    this.details = details;
  }
}

/** A grpc-js ServiceError (or anything that failed a call) as a ClientError. */
export function toClientError(err: unknown): ClientError {
  if (err instanceof ClientError) return err;
  const e = err as { code?: unknown; details?: unknown; message?: unknown };
  if (typeof e?.code === "number") {
    const details = typeof e.details === "string" ? e.details : String(e.message ?? "");
    return new ClientError(e.code, details); // the status is all a ServiceError says
  }
  const message = err instanceof Error ? err.message : String(err);
  return new ClientError(status.UNKNOWN, message, { cause: err });
}
