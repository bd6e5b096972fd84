/**
 * Translates failures of the S3 client into domain errors, at the store's edge.
 * Only errors thrown by the SDK go through here; errors of the caller's own data source pass untouched.
 *
 * @module
 */
import { CancelledError, NotFoundError, UnavailableError } from "../errors.ts";

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/** The HTTP status of an S3 error response, if the server answered at all. */
export function httpStatus(err: unknown): number | undefined {
  return (err as SdkErrorShape | null)?.$metadata?.httpStatusCode;
}

/** The S3 error code (`NoSuchKey`, `NoSuchBucket`, …) or the JS error name. */
export function errorName(err: unknown): string {
  const name = (err as SdkErrorShape | null)?.name;
  return typeof name === "string" ? name : "Error";
}

/** Whether the server said the object (or bucket, for bucket calls) does not exist. */
export function isNotFound(err: unknown): boolean {
  const name = errorName(err);
  return name === "NoSuchKey" || name === "NotFound" || (httpStatus(err) === 404 && name !== "NoSuchBucket");
}

const ACCESS_ERRORS = new Set(["AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "Forbidden"]);

/**
 * Maps an SDK failure of `action` (`Cannot read object "a/b"`) to a domain error:
 * a missing object → NotFoundError; a cancelled call → CancelledError; a missing bucket, refused
 * credentials, a 5xx answer, a timeout or a network failure → UnavailableError; any other answer
 * (a request the server judged malformed: a bug) → a plain Error naming the S3 error code.
 */
export function s3Error(action: string, err: unknown, opts: { bucket: string; signal?: AbortSignal }): Error {
  const name = errorName(err);
  const status = httpStatus(err);
  if (opts.signal?.aborted || name === "AbortError") {
    return new CancelledError(`${action}: cancelled`, { cause: opts.signal?.reason ?? err });
  }
  if (name === "NoSuchBucket") {
    return new UnavailableError(`${action}: bucket "${opts.bucket}" does not exist`, { cause: err });
  }
  if (isNotFound(err)) return new NotFoundError(`${action}: object is missing`, { cause: err });
  if (ACCESS_ERRORS.has(name) || status === 401 || status === 403) {
    return new UnavailableError(`${action}: access denied by the object store (${name})`, { cause: err });
  }
  if (status === undefined || status >= 500 || status === 429 || status === 408) {
    const code = (err as SdkErrorShape | null)?.code;
    const detail = typeof code === "string" && code !== name ? `${name} ${code}` : name;
    return new UnavailableError(`${action}: object store is unavailable (${detail})`, { cause: err });
  }
  return new Error(`${action}: object store answered ${status} ${name}`, { cause: err });
}
