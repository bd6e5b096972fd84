/**
 * The job runner: claims due jobs from the catalog (`catalog/jobs.ts`) and runs their handlers, a few at
 * a time, woken by NOTIFY when a job is enqueued and by a timer otherwise (for delayed jobs, expired
 * leases and drivers that cannot listen). While a handler runs, its lease is renewed every third of the
 * lease; a renewal that fails (the job was cancelled, or the lease expired and another daemon took it)
 * aborts the handler's signal. A failure is recorded with the error and an exponential backoff; after
 * `maxAttempts` the job is dead. On shutdown, jobs in progress are aborted and handed back as pending,
 * without counting the attempt.
 *
 * Handlers must be idempotent: a daemon killed mid-job leaves the job running under a lease that
 * expires, and the next claimer runs it again from the start.
 *
 * @module
 */
import type { Catalog, JobFence } from "../../catalog/catalog.ts";
import { describeError } from "../../errors.ts";
import type { Logger } from "../../log.ts";
import type { Job, JobKind, JsonValue } from "../../model/types.ts";

/**
 * Runs one job's work; throws to fail the attempt. `signal` aborts on lease loss or shutdown; `fence`
 * names the job and this runner, for effects that must commit only while the runner still holds the job
 * (`Catalog.replaceTopicChunks`).
 */
export type JobHandler = (
  payload: JsonValue,
  ctx: { job: Job; signal: AbortSignal; log: Logger; fence: JobFence },
) => Promise<void>;

export interface JobRunnerOptions {
  catalog: Catalog;
  log: Logger;
  handlers: Partial<Record<JobKind, JobHandler>>;
  /** Jobs run at once by this runner. */
  concurrency: number;
  /** How long a claim holds without renewal. */
  leaseMs: number;
  /** Longest sleep between looks for due jobs. */
  pollMs: number;
  /** First retry delay; doubles per attempt up to `maxBackoffMs`. */
  backoffMs: number;
  maxBackoffMs?: number;
  /** Names this runner in the job table (default: a random id). */
  owner?: string;
}

export interface JobOutcome {
  job: Job;
  outcome: "done" | "failed" | "dead" | "lost" | "released";
  error?: string;
}

/** Runs jobs in the background once started; disposing stops it. */
export class JobRunner implements AsyncDisposable {
  readonly owner: string;
  #opts: JobRunnerOptions;
  #stop = new AbortController();
  #loops: Promise<void>[] = [];
  #wake: (() => void)[] = [];
  #unlisten: (() => Promise<void>) | null = null;
  #listeners = new Set<(o: JobOutcome) => void>();

  constructor(opts: JobRunnerOptions) {
    this.#opts = opts;
    this.owner = opts.owner ?? `mosaicod-${crypto.randomUUID().slice(0, 8)}`;
  }

  /** Starts `concurrency` loops; they claim and run jobs until `stop()`. */
  async start(): Promise<void> {
    try {
      this.#unlisten = await this.#opts.catalog.listen("jobs", () => this.#wakeAll());
    } catch (err) {
      this.#opts.log.warn("cannot listen for new jobs; polling only", { err });
    }
    for (let i = 0; i < this.#opts.concurrency; i++) this.#loops.push(this.#loop());
    this.#opts.log.info("job runner started", {
      owner: this.owner,
      concurrency: this.#opts.concurrency,
      listening: this.#unlisten !== null,
    });
  }

  /** Calls `fn` with the outcome of every job this runner finishes (tests, progress). */
  onOutcome(fn: (o: JobOutcome) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Claims and runs one due job, if any (the CLI's `jobs run`, tests). */
  async runOnce(): Promise<JobOutcome | null> {
    const job = await this.#opts.catalog.claimJob({
      owner: this.owner,
      leaseMs: this.#opts.leaseMs,
      kinds: Object.keys(this.#opts.handlers) as JobKind[],
    });
    return job ? await this.#run(job) : null;
  }

  /**
   * Stops claiming, aborts the jobs in progress (handed back as pending) and waits for the loops, at most
   * `timeoutMs`: a handler that does not stop in time is left behind, and its lease expires.
   */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (this.#stop.signal.aborted) return;
    this.#stop.abort(new Error("the daemon is shutting down"));
    this.#wakeAll();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(true), timeoutMs));
    const stuck = await Promise.race([Promise.allSettled(this.#loops).then(() => false), late]);
    clearTimeout(timer);
    if (stuck) this.#opts.log.warn("a job did not stop in time; its lease will expire", { timeoutMs });
    await this.#unlisten?.().catch(() => {});
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  async #loop(): Promise<void> {
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      let outcome: JobOutcome | null = null;
      try {
        outcome = await this.runOnce();
      } catch (err) {
        if (signal.aborted) return;
        this.#opts.log.warn("cannot claim a job", { err: describeError(err) });
      }
      if (outcome === null) await this.#sleep(this.#opts.pollMs);
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wake = this.#wake.filter((w) => w !== done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wake.push(done);
    });
  }

  #wakeAll(): void {
    for (const wake of this.#wake.slice()) wake();
  }

  async #run(job: Job): Promise<JobOutcome> {
    const { catalog, leaseMs } = this.#opts;
    const log = this.#opts.log.child({ job: job.id, kind: job.kind });
    const lost = new AbortController();
    const signal = AbortSignal.any([lost.signal, this.#stop.signal]);
    // The lease runs from the claim; a renewal that does not succeed before it ends means another
    // runner may take the job: the handler stops then, whatever the reason (catalog unreachable too).
    let leaseEnds = performance.now() + leaseMs;
    const stopJob = (why: string) => {
      try {
        if (!lost.signal.aborted) lost.abort(new Error(why));
      } catch (err) {
        log.warn("a job's abort listener failed", { err: describeError(err) });
      }
    };
    const renew = setInterval(async () => {
      const asked = performance.now();
      try {
        if (await catalog.renewLease(job.id, this.owner, leaseMs)) leaseEnds = asked + leaseMs;
        else stopJob("the job was cancelled or claimed by another runner");
      } catch (err) {
        log.warn("cannot renew a job lease", { err: describeError(err) });
      }
      if (performance.now() >= leaseEnds) stopJob("the job's lease expired before it was renewed");
    }, Math.max(50, Math.floor(leaseMs / 3)));
    const started = performance.now();
    log.info("job started", { attempt: job.attempts, payload: job.payload });
    let outcome: JobOutcome;
    try {
      const handler = this.#opts.handlers[job.kind];
      if (!handler) throw new Error(`No handler for jobs of kind "${job.kind}"`);
      await handler(job.payload, { job, signal, log, fence: { jobId: job.id, owner: this.owner } });
      if (lost.signal.aborted) throw lost.signal.reason;
      outcome = { job, outcome: await catalog.finishJob(job.id, this.owner) ? "done" : "lost" };
    } catch (err) {
      outcome = await this.#failed(job, err, lost.signal.aborted);
    } finally {
      clearInterval(renew);
    }
    const fields = { outcome: outcome.outcome, ms: Math.round(performance.now() - started) };
    if (outcome.outcome === "done") log.info("job done", fields);
    else log.warn("job did not complete", { ...fields, error: outcome.error });
    for (const fn of this.#listeners) fn(outcome);
    return outcome;
  }

  async #failed(job: Job, err: unknown, lost: boolean): Promise<JobOutcome> {
    const error = describeError(err);
    if (lost) return { job, outcome: "lost", error };
    if (this.#stop.signal.aborted) {
      await this.#opts.catalog.releaseJob(job.id, this.owner).catch(() => {});
      return { job, outcome: "released", error };
    }
    const max = this.#opts.maxBackoffMs ?? 5 * 60_000;
    const backoff = Math.min(max, this.#opts.backoffMs * 2 ** Math.max(0, job.attempts - 1));
    const state = await this.#opts.catalog.failJob(job.id, this.owner, error, backoff);
    return { job, outcome: state === "dead" ? "dead" : state === null ? "lost" : "failed", error };
  }
}
