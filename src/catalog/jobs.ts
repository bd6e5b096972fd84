/**
 * The job table: background work claimed with `FOR UPDATE SKIP LOCKED`, so that any number of daemons on
 * one database each take different jobs, under a lease that the runner renews while it works. A job whose
 * lease ran out (its daemon died) is claimed again by anyone; after `max_attempts` attempts it is dead and
 * waits for a person (`mosaicod jobs retry`). Times are the database's clock, so daemons on machines with
 * skewed clocks agree on leases and backoffs.
 *
 * @module
 */
import { FailedPreconditionError, NotFoundError } from "../errors.ts";
import type { Job, JobKind, JobState, JsonValue, NewJob } from "../model/types.ts";

export type { NewJob };
import type { SqlDriver } from "./driver.ts";
import { NOW_MS, tryPruneLock } from "./events.ts";

export const JOBS_CHANNEL = "mosaicod_jobs";

/** States in which a job still has work ahead (at most one such job per dedupe key). */
const ACTIVE = "('pending', 'running', 'failed')";

const JOB_COLUMNS = `id, kind, payload, dedupe_key, state, attempts, max_attempts, run_after_ms,
  lease_until_ms, owner, last_error, created_ms, updated_ms`;

interface JobRow {
  id: number;
  kind: JobKind;
  payload: JsonValue;
  dedupe_key: string | null;
  state: JobState;
  attempts: number;
  max_attempts: number;
  run_after_ms: number;
  lease_until_ms: number | null;
  owner: string | null;
  last_error: string | null;
  created_ms: number;
  updated_ms: number;
}

function toJob(r: JobRow): Job {
  return {
    id: Number(r.id),
    kind: r.kind,
    payload: r.payload,
    dedupeKey: r.dedupe_key,
    state: r.state,
    attempts: Number(r.attempts),
    maxAttempts: Number(r.max_attempts),
    runAfterMs: Number(r.run_after_ms),
    leaseUntilMs: r.lease_until_ms === null ? null : Number(r.lease_until_ms),
    owner: r.owner,
    lastError: r.last_error,
    createdMs: Number(r.created_ms),
    updatedMs: Number(r.updated_ms),
  };
}

/**
 * Adds a job (inside the caller's transaction when `db` is one) and wakes the runners at commit. With a
 * dedupe key that an active job already holds, adds nothing and returns that job.
 */
export async function enqueueJob(db: SqlDriver, job: NewJob): Promise<Job> {
  const rows = await db.query<JobRow>(
    `INSERT INTO jobs (kind, payload, dedupe_key, max_attempts, run_after_ms, created_ms, updated_ms)
     VALUES ($1, $2::text::jsonb, $3, $4, ${NOW_MS} + $5, ${NOW_MS}, ${NOW_MS})
     ON CONFLICT (dedupe_key) WHERE state IN ${ACTIVE} DO NOTHING
     RETURNING ${JOB_COLUMNS}`,
    [job.kind, JSON.stringify(job.payload), job.dedupeKey ?? null, job.maxAttempts, job.delayMs ?? 0],
  );
  if (rows.length === 0) {
    const existing = await db.query<JobRow>(
      `SELECT ${JOB_COLUMNS} FROM jobs WHERE dedupe_key = $1 AND state IN ${ACTIVE}`,
      [job.dedupeKey],
    );
    if (existing.length > 0) return toJob(existing[0]);
    return await enqueueJob(db, job); // the holder finished meanwhile
  }
  await db.query(`SELECT pg_notify('${JOBS_CHANNEL}', $1)`, [String(rows[0].id)]);
  return toJob(rows[0]);
}

/**
 * Claims the job due first, if any: pending or failed and due, or running under an expired lease (its
 * runner died). Counts an attempt and leases the job to `owner` for `leaseMs`. A job whose lease expired
 * on its last allowed attempt is declared dead instead.
 */
export async function claimJob(
  db: SqlDriver,
  opts: { owner: string; leaseMs: number; kinds: readonly JobKind[] },
): Promise<Job | null> {
  for (;;) {
    const outcome = await db.transaction(async (tx) => {
      const due = await tx.query<JobRow>(
        `SELECT ${JOB_COLUMNS} FROM jobs
         WHERE kind = ANY($1::text[]) AND (
           (state IN ('pending', 'failed') AND run_after_ms <= ${NOW_MS})
           OR (state = 'running' AND lease_until_ms < ${NOW_MS}))
         ORDER BY run_after_ms, id LIMIT 1 FOR UPDATE SKIP LOCKED`,
        [opts.kinds],
      );
      if (due.length === 0) return { job: null, again: false };
      const job = toJob(due[0]);
      if (job.state === "running" && job.attempts >= job.maxAttempts) {
        await tx.query(
          `UPDATE jobs SET state = 'dead', owner = NULL, lease_until_ms = NULL, updated_ms = ${NOW_MS},
             last_error = $2 WHERE id = $1`,
          [job.id, `lease expired: the runner (${job.owner}) stopped during attempt ${job.attempts}`],
        );
        return { job: null, again: true };
      }
      const claimed = await tx.query<JobRow>(
        `UPDATE jobs SET state = 'running', attempts = attempts + 1, owner = $2,
           lease_until_ms = ${NOW_MS} + $3, updated_ms = ${NOW_MS},
           last_error = CASE WHEN state = 'running'
             THEN 'lease expired: the runner (' || owner || ') stopped' ELSE last_error END
         WHERE id = $1 RETURNING ${JOB_COLUMNS}`,
        [job.id, opts.owner, opts.leaseMs],
      );
      return { job: toJob(claimed[0]), again: false };
    });
    if (!outcome.again) return outcome.job;
  }
}

/** Extends the lease of a running job; false when the job is no longer this owner's (cancelled, reclaimed). */
export async function renewLease(
  db: SqlDriver,
  id: number,
  owner: string,
  leaseMs: number,
): Promise<boolean> {
  const rows = await db.query(
    `UPDATE jobs SET lease_until_ms = ${NOW_MS} + $3, updated_ms = ${NOW_MS}
     WHERE id = $1 AND owner = $2 AND state = 'running' RETURNING id`,
    [id, owner, leaseMs],
  );
  return rows.length > 0;
}

/** Marks a job done; false when it was no longer this owner's. */
export async function finishJob(db: SqlDriver, id: number, owner: string): Promise<boolean> {
  const rows = await db.query(
    `UPDATE jobs SET state = 'done', lease_until_ms = NULL, updated_ms = ${NOW_MS}
     WHERE id = $1 AND owner = $2 AND state = 'running' RETURNING id`,
    [id, owner],
  );
  return rows.length > 0;
}

/** A job as held by one runner: effects made under it must check it still holds it. */
export interface JobFence {
  jobId: number;
  owner: string;
}

/**
 * Inside a transaction: row-locks the job and checks that `owner` still runs it, so that the caller's
 * effects commit only if the job was not cancelled or taken over meanwhile (the lock keeps a concurrent
 * claim or cancel waiting until the commit).
 * @throws FailedPreconditionError when the job is no longer this owner's.
 */
export async function holdJob(tx: SqlDriver, fence: JobFence): Promise<void> {
  const rows = await tx.query(
    `SELECT 1 FROM jobs WHERE id = $1 AND owner = $2 AND state = 'running' FOR UPDATE`,
    [fence.jobId, fence.owner],
  );
  if (rows.length === 0) {
    throw new FailedPreconditionError(`Job ${fence.jobId} is no longer run by ${fence.owner}`);
  }
}

/** Hands a running job back as pending, due now, without counting the attempt (shutdown). */
export async function releaseJob(db: SqlDriver, id: number, owner: string): Promise<boolean> {
  const rows = await db.query(
    `UPDATE jobs SET state = 'pending', attempts = greatest(attempts - 1, 0), owner = NULL,
       lease_until_ms = NULL, run_after_ms = ${NOW_MS}, updated_ms = ${NOW_MS}
     WHERE id = $1 AND owner = $2 AND state = 'running' RETURNING id`,
    [id, owner],
  );
  return rows.length > 0;
}

/**
 * Records a failed attempt: the job runs again after `backoffMs`, or is dead when it used its last
 * attempt. Returns the new state, or null when the job was no longer this owner's.
 */
export async function failJob(
  db: SqlDriver,
  id: number,
  owner: string,
  error: string,
  backoffMs: number,
): Promise<JobState | null> {
  const rows = await db.query<{ state: JobState }>(
    `UPDATE jobs SET state = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'failed' END,
       last_error = $3, run_after_ms = ${NOW_MS} + $4, lease_until_ms = NULL, updated_ms = ${NOW_MS}
     WHERE id = $1 AND owner = $2 AND state = 'running' RETURNING state`,
    [id, owner, error.slice(0, 4000), backoffMs],
  );
  return rows.length > 0 ? rows[0].state : null;
}

export interface ListJobsOptions {
  states?: readonly JobState[];
  kinds?: readonly JobKind[];
  limit?: number;
}

/** Jobs, newest first. */
export async function listJobs(db: SqlDriver, opts: ListJobsOptions = {}): Promise<Job[]> {
  const rows = await db.query<JobRow>(
    `SELECT ${JOB_COLUMNS} FROM jobs
     WHERE ($1::text[] IS NULL OR state = ANY($1::text[])) AND ($2::text[] IS NULL OR kind = ANY($2::text[]))
     ORDER BY id DESC LIMIT $3`,
    [opts.states ?? null, opts.kinds ?? null, opts.limit ?? 1000],
  );
  return rows.map(toJob);
}

/** How many jobs are in each state (states without a job are absent). One aggregate over the table. */
export async function countJobsByState(db: SqlDriver): Promise<Partial<Record<JobState, number>>> {
  const rows = await db.query<{ state: JobState; n: number }>(
    `SELECT state, count(*)::int8 AS n FROM jobs GROUP BY state`,
  );
  return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
}

export async function getJob(db: SqlDriver, id: number): Promise<Job | null> {
  const rows = await db.query<JobRow>(`SELECT ${JOB_COLUMNS} FROM jobs WHERE id = $1`, [id]);
  return rows.length > 0 ? toJob(rows[0]) : null;
}

/** Whether a job with this dedupe key still has work ahead. */
export async function hasActiveJob(db: SqlDriver, dedupeKey: string): Promise<boolean> {
  const rows = await db.query(`SELECT 1 FROM jobs WHERE dedupe_key = $1 AND state IN ${ACTIVE}`, [dedupeKey]);
  return rows.length > 0;
}

/**
 * Makes a failed, dead or cancelled job pending again, due now, with its attempts reset.
 * @throws NotFoundError; FailedPreconditionError for a job that is pending, running or done.
 */
export function retryJob(db: SqlDriver, id: number): Promise<Job> {
  return db.transaction(async (tx) => {
    const job = await lockJob(tx, id);
    if (!["failed", "dead", "cancelled"].includes(job.state)) {
      throw new FailedPreconditionError(
        `Job ${id} is ${job.state}: only failed, dead or cancelled jobs can be retried`,
      );
    }
    if (job.dedupeKey !== null && await hasActiveJob(tx, job.dedupeKey)) {
      throw new FailedPreconditionError(`Job ${id} cannot be retried: another job does the same work`);
    }
    const rows = await tx.query<JobRow>(
      `UPDATE jobs SET state = 'pending', attempts = 0, run_after_ms = ${NOW_MS}, owner = NULL,
         lease_until_ms = NULL, updated_ms = ${NOW_MS} WHERE id = $1 RETURNING ${JOB_COLUMNS}`,
      [id],
    );
    await tx.query(`SELECT pg_notify('${JOBS_CHANNEL}', $1)`, [String(id)]);
    return toJob(rows[0]);
  });
}

/**
 * Cancels a job that has not finished. A running job is told through its lease: its runner stops it at
 * the next renewal, and what it did so far is undone or left for `verify`, as after a crash.
 * @throws NotFoundError; FailedPreconditionError for a done or cancelled job.
 */
export function cancelJob(db: SqlDriver, id: number): Promise<Job> {
  return db.transaction(async (tx) => {
    const job = await lockJob(tx, id);
    if (job.state === "done" || job.state === "cancelled") {
      throw new FailedPreconditionError(`Job ${id} is already ${job.state}`);
    }
    const rows = await tx.query<JobRow>(
      `UPDATE jobs SET state = 'cancelled', lease_until_ms = NULL, updated_ms = ${NOW_MS}
       WHERE id = $1 RETURNING ${JOB_COLUMNS}`,
      [id],
    );
    return toJob(rows[0]);
  });
}

async function lockJob(tx: SqlDriver, id: number): Promise<Job> {
  const rows = await tx.query<JobRow>(`SELECT ${JOB_COLUMNS} FROM jobs WHERE id = $1 FOR UPDATE`, [id]);
  if (rows.length === 0) throw new NotFoundError(`Cannot find job ${id}`);
  return toJob(rows[0]);
}

/**
 * Deletes at most `batch` done or cancelled jobs that finished more than `ageMs` ago (by the database
 * clock); jobs that still need a person (failed, dead) or have work ahead stay. Returns how many went
 * (0 when another pruner holds its lock).
 *
 * Rows locked by a change in progress (a retry) are skipped, and the state is checked again on the row
 * deleted: under READ COMMITTED a DELETE that waited for a row re-checks only its own condition, so a
 * condition left in a subquery would delete a job that a retry just made pending.
 */
export function pruneFinishedJobs(db: SqlDriver, ageMs: number, batch: number): Promise<number> {
  return db.transaction(async (tx) => {
    if (!(await tryPruneLock(tx, "jobs"))) return 0;
    const finished = `state IN ('done', 'cancelled') AND updated_ms < ${NOW_MS} - $1`;
    const gone = await tx.query(
      `DELETE FROM jobs WHERE id IN (
         SELECT id FROM jobs WHERE ${finished} ORDER BY updated_ms LIMIT $2 FOR UPDATE SKIP LOCKED)
       AND ${finished}
       RETURNING id`,
      [ageMs, batch],
    );
    return gone.length;
  });
}
