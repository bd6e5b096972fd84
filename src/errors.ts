/**
 * Domain errors. They say what went wrong, never which gRPC code to send:
 * `src/flight/status.ts` is the one place that maps them to status codes.
 *
 * @module
 */

/** A named resource (sequence, topic, chunk, object, layer) does not exist. */
export class NotFoundError extends Error {
  override name = "NotFoundError";
}

/** A resource with the same unique name already exists. */
export class AlreadyExistsError extends Error {
  override name = "AlreadyExistsError";
}

/** The request itself is malformed: bad JSON, bad name, bad schema, bad descriptor or ticket. */
export class InvalidArgumentError extends Error {
  override name = "InvalidArgumentError";
}

/** The request is well formed but the resource is in the wrong state (e.g. locked). */
export class FailedPreconditionError extends Error {
  override name = "FailedPreconditionError";
}

/**
 * The caller presented a key (write token) that does not match the resource, or an API key without the
 * permission the call needs.
 */
export class PermissionDeniedError extends Error {
  override name = "PermissionDeniedError";
}

/** The caller did not authenticate: no API key, or one that is malformed, unknown, revoked or expired. */
export class UnauthenticatedError extends Error {
  override name = "UnauthenticatedError";
}

/** A dependency (database, object store) is unreachable right now; retrying may succeed. */
export class UnavailableError extends Error {
  override name = "UnavailableError";
}

/** A configured limit was exceeded (message size, metadata size, streams). */
export class ResourceExhaustedError extends Error {
  override name = "ResourceExhaustedError";
}

/** Stored data is unreadable (a corrupt chunk): the request was fine, the store is not. */
export class DataLossError extends Error {
  override name = "DataLossError";
}

/** The caller cancelled the operation (client went away, signal aborted). */
export class CancelledError extends Error {
  override name = "CancelledError";
}

/** Configuration is invalid; the CLI prints the message on one line and exits non-zero. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Renders an error and its causes as one line: `outer: inner: innermost`. */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  let cur: unknown = err;
  for (let depth = 0; cur !== undefined && cur !== null && depth < 5; depth++) {
    if (cur instanceof Error) {
      if (cur.message && !parts.includes(cur.message)) parts.push(cur.message);
      cur = cur.cause;
    } else {
      parts.push(String(cur));
      break;
    }
  }
  return parts.join(": ") || "unknown error";
}

/** The operation exists in the protocol but mosaicod does not offer it. */
export class UnimplementedError extends Error {
  override name = "UnimplementedError";
}
