/**
 * Translates file-system failures of `FsStore` into domain errors, at the store's edge.
 *
 * @module
 */
import { CancelledError, FailedPreconditionError, NotFoundError, UnavailableError } from "../errors.ts";

/** OS error codes that mean the disk or its permissions are at fault, not the request. */
const IO_REASONS: Readonly<Record<string, string>> = {
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "read-only file system",
  EIO: "input/output error",
  EMFILE: "too many open files",
  ENFILE: "too many open files in the system",
};

/** The `code` (`"ENOSPC"`, …) of a Deno or Node file-system error, if any. */
export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** Whether `err` means the path is not a file: missing, a parent is a file, or it is a folder. */
export function isMissing(err: unknown): boolean {
  return err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory ||
    err instanceof Deno.errors.IsADirectory;
}

/** For `.catch()`: a missing path becomes null, anything else is rethrown. */
export function nullIfMissing(err: unknown): null {
  if (isMissing(err)) return null;
  throw err;
}

/** Maps a failed read of `key`; a missing object becomes NotFoundError. */
export function readError(key: string, err: unknown, signal?: AbortSignal): Error {
  if (signal?.aborted) {
    return new CancelledError(`Cannot read object "${key}": cancelled`, { cause: signal.reason });
  }
  if (isMissing(err)) {
    return new NotFoundError(`Cannot read object "${key}": object is missing`, { cause: err });
  }
  return ioError(`Cannot read object "${key}"`, err);
}

/** Maps a failed write of `key`; a key that clashes with a folder of other keys becomes FailedPreconditionError. */
export function writeError(key: string, err: unknown, signal?: AbortSignal): Error {
  if (signal?.aborted) {
    return new CancelledError(`Cannot write object "${key}": cancelled`, { cause: signal.reason });
  }
  // ENOTDIR from open/rename, EEXIST from mkdir: a parent segment of `key` is a file.
  if (err instanceof Deno.errors.NotADirectory || err instanceof Deno.errors.AlreadyExists) {
    return new FailedPreconditionError(`Cannot write object "${key}": a parent of it is an object`, {
      cause: err,
    });
  }
  if (err instanceof Deno.errors.IsADirectory || errorCode(err) === "ENOTEMPTY") {
    return new FailedPreconditionError(`Cannot write object "${key}": other objects are stored under it`, {
      cause: err,
    });
  }
  return ioError(`Cannot write object "${key}"`, err);
}

/** Like {@link ioError}, but always an UnavailableError: for checks of the whole store. */
export function unavailableError(action: string, err: unknown): UnavailableError {
  const mapped = ioError(action, err);
  if (mapped instanceof UnavailableError) return mapped;
  return new UnavailableError(`${action}: ${mapped.message}`, { cause: err });
}

/**
 * Turns disk-level failures (full, read-only, no permission) into UnavailableError with a readable reason.
 * Anything else is returned as it is: either a bug or an error from the caller's own data source.
 */
export function ioError(action: string, err: unknown): Error {
  const reason = IO_REASONS[errorCode(err) ?? ""];
  if (reason !== undefined) return new UnavailableError(`${action}: ${reason}`, { cause: err });
  return err instanceof Error ? err : new Error(`${action}: ${String(err)}`, { cause: err });
}
