/**
 * `mosaicod push` and `mosaicod sync`: copying finalized sessions of sequences from one daemon (the source)
 * to another (the target) over Flight, with two client connections. Per sequence: describe both sides,
 * create the sequence on the target if absent (same user metadata), plan each session ({@link planSequence})
 * and copy, skip, compare or refuse it ({@link copySession}, {@link compareSession}); a report says what
 * happened. Idempotent (what the target holds is skipped), resumable (what a cut push left is cleared and
 * redone), verified (rows, schema, digest), paced by an optional rate limit shared by the whole push.
 *
 * A conflict or a failed check fails its sequence and the push goes on; a link or permission failure
 * stops the push (the next one resumes).
 *
 * Layer: `toolkit/sync`; imports `client/`, `model/` and this folder; never the daemon.
 *
 * @module
 */
import { ClientError, GrpcCode, type MosaicoClient, type SequenceInfo } from "../../client/mod.ts";
import { compareSession, copySession, SyncError, type TransferContext, type VerifyMode } from "./copy.ts";
import { planSequence, sameJson } from "./plan.ts";
import { TokenBucket } from "./rate.ts";

export { SyncError, type VerifyMode };

/** How a push runs. */
export interface PushOptions {
  /** Upload rate in bytes per second; none by default. */
  limitRateBytesPerS?: number | null;
  /** How copies are checked (default `digest`). */
  verify?: VerifyMode;
  /** Stops the push between batches. */
  signal?: AbortSignal;
  /** After each batch the target took. */
  onProgress?: (p: PushProgress) => void;
}

/** Where a push is. */
export interface PushProgress {
  sequence: string;
  topic: string;
  /** Rows of the topic sent so far, and its total. */
  rows: number;
  totalRows: number;
  /** Bytes sent by this push so far, and since when (ms, `performance.now()`). */
  bytes: number;
  startedMs: number;
}

/** What became of one sequence. */
export type SequenceStatus = "copied" | "up-to-date" | "not-finalized" | "failed";

/** The report of one sequence. */
export interface SequenceReport {
  sequence: string;
  status: SequenceStatus;
  sessions: { copied: number; skipped: number; pending: number; failed: number };
  /** Topics, rows and IPC bytes copied. */
  topics: number;
  rows: number;
  bytes: number;
  elapsedMs: number;
  /** Why sessions (or the sequence) failed. */
  errors: string[];
}

/** Failures that stop the whole push: the link, the deadline, an abort, the credentials. */
const FATAL = new Set<number>([
  GrpcCode.UNAVAILABLE,
  GrpcCode.DEADLINE_EXCEEDED,
  GrpcCode.CANCELLED,
  GrpcCode.UNAUTHENTICATED,
  GrpcCode.PERMISSION_DENIED,
]);

function isFatal(err: unknown, signal?: AbortSignal): boolean {
  if (signal?.aborted) return true;
  return !(err instanceof SyncError) && !(err instanceof ClientError && !FATAL.has(err.code));
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function describeOrNull(client: MosaicoClient, name: string): Promise<SequenceInfo | null> {
  try {
    return await client.sequenceInfo(name);
  } catch (err) {
    if (err instanceof ClientError && err.code === GrpcCode.NOT_FOUND) return null;
    throw err;
  }
}

/** Pushes sequences from `source` to `target`; one instance per push (its rate limit spans all of it). */
export class Pusher {
  readonly #ctx: TransferContext;
  readonly #opts: PushOptions;
  #bytes = 0;
  readonly #startedMs = performance.now();

  constructor(source: MosaicoClient, target: MosaicoClient, opts: PushOptions = {}) {
    this.#opts = opts;
    const rate = opts.limitRateBytesPerS ?? null;
    this.#ctx = {
      source,
      target,
      bucket: rate === null ? null : new TokenBucket(rate),
      verify: opts.verify ?? "digest",
      signal: opts.signal,
    };
  }

  /**
   * Pushes one sequence. A conflict or a failed check is in the report; a failure of the link, of the
   * credentials, or an abort throws (the push stops; running it again resumes).
   * @throws Error whose cause is the ClientError or the abort reason.
   */
  async push(name: string): Promise<SequenceReport> {
    const startedMs = performance.now();
    const report: SequenceReport = {
      sequence: name,
      status: "not-finalized",
      sessions: { copied: 0, skipped: 0, pending: 0, failed: 0 },
      topics: 0,
      rows: 0,
      bytes: 0,
      elapsedMs: 0,
      errors: [],
    };
    const done = (status?: SequenceStatus) => {
      report.elapsedMs = performance.now() - startedMs;
      if (status !== undefined) report.status = status;
      else if (report.errors.length > 0) report.status = "failed";
      else if (report.sessions.copied > 0) report.status = "copied";
      else if (report.sessions.skipped > 0) report.status = "up-to-date";
      return report;
    };
    try {
      await this.#pushSessions(name, report);
    } catch (err) {
      if (isFatal(err, this.#opts.signal)) {
        throw new Error(`Push of "${name}" stopped (run it again to resume)`, { cause: err });
      }
      report.errors.push(message(err));
    }
    return done();
  }

  async #pushSessions(name: string, report: SequenceReport): Promise<void> {
    const { source, target } = this.#ctx;
    const src = await source.sequenceInfo(name);
    let tgt = await describeOrNull(target, name);
    if (!src.sessions.some((s) => s.locked)) {
      report.sessions.pending = src.sessions.length;
      return;
    }
    if (tgt === null) {
      await target.createSequence(name, src.userMetadata).catch((err) => {
        if (!(err instanceof ClientError && err.code === GrpcCode.ALREADY_EXISTS)) throw err;
      });
      tgt = await target.sequenceInfo(name);
    }
    if (!sameJson(src.userMetadata, tgt.userMetadata)) {
      throw new SyncError(`The target's sequence "${name}" has other user metadata`);
    }
    const ctx: TransferContext = {
      ...this.#ctx,
      onBatch: (topic, rows, batchBytes) => {
        this.#bytes += batchBytes;
        this.#opts.onProgress?.({
          sequence: name,
          topic: topic.locator,
          rows,
          totalRows: topic.rows,
          bytes: this.#bytes,
          startedMs: this.#startedMs,
        });
      },
    };
    for (const plan of planSequence(src, tgt)) {
      try {
        switch (plan.kind) {
          case "pending":
            report.sessions.pending++;
            break;
          case "skip":
            report.sessions.skipped++;
            break;
          case "conflict":
            throw new SyncError(`Cannot push session "${plan.session.locator}": ${plan.reason}`);
          case "compare":
            await compareSession(ctx, plan);
            report.sessions.skipped++;
            break;
          case "copy": {
            const moved = await copySession(ctx, { ...plan, sequence: name });
            report.sessions.copied++;
            report.topics += moved.topics;
            report.rows += moved.rows;
            report.bytes += moved.bytes;
            break;
          }
        }
      } catch (err) {
        if (isFatal(err, this.#opts.signal)) throw err;
        report.sessions.failed++;
        report.errors.push(message(err));
      }
    }
  }
}
