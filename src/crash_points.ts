/**
 * Fault injection for the crash-safety tests: with `MOSAICOD_TEST_CRASH_AT=<point>` in its environment,
 * the daemon ends at once (exit code 137, as after SIGKILL: no cleanup, no reply) when it reaches that
 * point. Unset, a crash point costs one comparison. Points:
 *
 * - `ingest.chunk-written`: the first chunk of an upload is in the store, nothing committed;
 * - `ingest.before-commit`: every chunk and manifest written (topic manifest says locked), no catalog commit;
 * - `ingest.after-commit`: committed, the client not yet told;
 * - `finalize.before-lock`: the implicit session's manifest says completed, the catalog not yet;
 * - `delete.after-catalog`: a deleted sequence's or topic's catalog row is gone (its removal job enqueued),
 *   the client not yet told;
 * - `job.delete-objects`: a removal job is about to remove a deleted resource's objects;
 * - `compact.before-switch`: a compaction wrote its new chunks and the topic manifest listing them, the
 *   catalog still lists the old chunks.
 *
 * @module
 */
import { openLibc } from "./libc.ts";

/** The armed point; "" when none (read once, on the first call). */
let armed: string | undefined;

/**
 * Ends the process here when the environment names this point. Only in the main thread: in a Flight
 * worker thread (`--workers`), `Deno.exit` would end that thread alone, so the tests use one worker.
 */
export function crashPoint(point: string): void {
  armed ??= readPoint();
  if (armed === point) die();
}

/**
 * Ends the process with code 137 through libc's `_exit`: no exit handlers and no destructors of loaded
 * libraries, as after SIGKILL. `Deno.exit` runs them, and a native Parquet writer still working in an
 * encoder worker thread can have its library torn down under it: the process then aborts (code 134), as
 * it did in one CI run of the crash tests. `Deno.exit` where libc cannot be loaded.
 */
function die(): never {
  openLibc({ _exit: { parameters: ["i32"], result: "void" } })?._exit(137);
  Deno.exit(137);
}

function readPoint(): string {
  try {
    return Deno.env.get("MOSAICOD_TEST_CRASH_AT") ?? "";
  } catch {
    return ""; // no permission to read it: never armed
  }
}
