import assert from "node:assert/strict";
import { CancelledError, FailedPreconditionError, NotFoundError, UnavailableError } from "../errors.ts";
import { ioError, readError, unavailableError, writeError } from "./_fs_errors.ts";

/** An OS error as Deno raises it: the class carries the kind, `code` the errno name. */
function osError(code: string, Kind: new (message: string) => Error = Error): Error {
  return Object.assign(new Kind(`${code} (os error)`), { code });
}

Deno.test("writeError() explains a full disk, a read-only disk and missing permissions", () => {
  const cases: [string, string][] = [
    ["ENOSPC", 'Cannot write object "k": no space left on device'],
    ["EROFS", 'Cannot write object "k": read-only file system'],
    ["EACCES", 'Cannot write object "k": permission denied'],
    ["EDQUOT", 'Cannot write object "k": disk quota exceeded'],
  ];
  for (const [code, message] of cases) {
    const err = writeError("k", osError(code, Deno.errors.PermissionDenied));
    assert.ok(err instanceof UnavailableError, code);
    assert.equal(err.message, message);
    assert.equal((err.cause as { code: string }).code, code);
  }
});

Deno.test("writeError() turns a key clashing with a folder or file into FailedPreconditionError", () => {
  assert.ok(
    writeError("a/b", osError("ENOTDIR", Deno.errors.NotADirectory)) instanceof FailedPreconditionError,
  );
  assert.ok(
    writeError("a/b", osError("EEXIST", Deno.errors.AlreadyExists)) instanceof FailedPreconditionError,
  );
  assert.ok(
    writeError("a/b", osError("EISDIR", Deno.errors.IsADirectory)) instanceof FailedPreconditionError,
  );
  assert.ok(writeError("a/b", osError("ENOTEMPTY")) instanceof FailedPreconditionError);
});

Deno.test("readError() turns a missing path into NotFoundError naming the key", () => {
  const err = readError("a/b", osError("ENOENT", Deno.errors.NotFound));
  assert.ok(err instanceof NotFoundError);
  assert.equal(err.message, 'Cannot read object "a/b": object is missing');
  assert.ok(readError("a/b", osError("ENOTDIR", Deno.errors.NotADirectory)) instanceof NotFoundError);
});

Deno.test("an aborted signal wins over the error it caused", () => {
  const ac = new AbortController();
  ac.abort(new Error("client went away"));
  const err = writeError("k", new DOMException("aborted", "AbortError"), ac.signal);
  assert.ok(err instanceof CancelledError);
  assert.equal((err.cause as Error).message, "client went away");
  assert.ok(readError("k", new Error("x"), ac.signal) instanceof CancelledError);
});

Deno.test("ioError() returns errors it does not know unchanged; unavailableError() always wraps", () => {
  const source = new Error("source broke");
  assert.equal(ioError('Cannot write object "k"', source), source);
  assert.equal(writeError("k", source), source);
  const wrapped = unavailableError('Cannot open store "/x"', osError("ENOTDIR"));
  assert.ok(wrapped instanceof UnavailableError);
  assert.match(wrapped.message, /^Cannot open store "\/x": ENOTDIR/);
});
