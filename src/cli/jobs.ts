/**
 * `mosaicod jobs <list|retry|cancel|compact|run>`: look at and steer the background jobs (`ops/jobs/`).
 *
 * - `list` shows pending, running, failed and dead jobs (`--state` to choose, `--all` for every state),
 *   newest first, as a table or `--json` lines;
 * - `retry <id>` makes a failed, dead or cancelled job due again with fresh attempts;
 * - `cancel <id>` cancels a job that has not finished (a running one stops at its next lease renewal);
 * - `compact <topic>` enqueues the compaction of a locked topic;
 * - `run` runs due jobs in this process until none is left (for a daemon started with `--job-workers 0`);
 * - `prune` deletes events and finished jobs past their retention now (daemons that run jobs also do
 *   it every `--prune-interval-ms`).
 *
 * @module
 */
import { ParquetPool } from "../arrow/parquet_pool.ts";
import { loadConfig, type OptionSpec, SERVER_OPTIONS } from "../config.ts";
import { ConfigError, FailedPreconditionError, NotFoundError } from "../errors.ts";
import { compactTopicJob } from "../model/job_payloads.ts";
import { normalizeTopicName } from "../model/locator.ts";
import { type Job, JOB_STATES, type JobState } from "../model/types.ts";
import { createConfiguredRunner } from "../ops/jobs/mod.ts";
import { pruneHistory } from "../ops/prune.ts";
import { openCatalogAndStore } from "./_catalog_and_store.ts";
import type { CliEnv, Command } from "./mod.ts";

const PICKED = [
  "data-dir",
  "database-url",
  "store",
  "log-level",
  "log-format",
  "chunk-bytes",
  "parquet-workers",
  "job-lease-ms",
  "job-backoff-ms",
  "job-max-attempts",
  "compaction-grace-ms",
  "event-retention-ms",
  "job-retention-ms",
] as const;

const OPTIONS = {
  ...Object.fromEntries(PICKED.map((k) => [k, SERVER_OPTIONS[k]])) as Pick<
    typeof SERVER_OPTIONS,
    typeof PICKED[number]
  >,
  state: { type: "string", help: `list: states to show, comma-separated (${JOB_STATES.join(", ")})` },
  all: { type: "boolean", help: "list: every state, done and cancelled included" },
  json: { type: "boolean", help: "list: one JSON object per line" },
  limit: { type: "string", help: "list: at most this many jobs", default: "100" },
} as const satisfies Record<string, OptionSpec>;

const HELP = {
  usage: "mosaicod jobs <list | retry <id> | cancel <id> | compact <topic> | run | prune> [options]",
  summary: "List the background jobs (deferred deletions, compactions, statistics refreshes); retry or " +
    "cancel one; enqueue a compaction; run due jobs here until none is left; or prune events and " +
    "finished jobs past their retention.",
  options: OPTIONS,
};

const ACTIVE: JobState[] = ["pending", "running", "failed", "dead"];

export const jobsCommand: Command = {
  name: "jobs",
  summary: "list, retry or cancel background jobs; enqueue a compaction; run due jobs; prune history",
  help: HELP,
  async run(cli: CliEnv): Promise<number> {
    const [action, ...rest] = cli.args;
    const positional = rest.length > 0 && !rest[0].startsWith("-") ? rest[0] : undefined;
    const args = positional === undefined ? rest : rest.slice(1);
    const needs = {
      retry: "id",
      cancel: "id",
      compact: "topic",
      list: null,
      run: null,
      prune: null,
    } as const;
    if (!(action in needs)) {
      throw new ConfigError(
        `jobs needs an action: list, retry <id>, cancel <id>, compact <topic>, run or prune`,
      );
    }
    const wanted = needs[action as keyof typeof needs];
    if (wanted !== null && positional === undefined) {
      throw new ConfigError(`jobs ${action} needs a ${wanted}`);
    }
    if (wanted === null && positional !== undefined) {
      throw new ConfigError(`jobs ${action} takes no argument, got "${positional}"`);
    }
    await using opened = await openCatalogAndStore({ ...cli, args }, OPTIONS);
    const { catalog, store, log, values } = opened;
    // The server's own parsing of the shared options, so limits and defaults agree.
    const serverConfig = () =>
      loadConfig({ args: args.filter((a) => !["--json", "--all"].includes(a)), env: cli.env });
    switch (action) {
      case "list": {
        const states = values.all === "true" ? undefined : parseStates(values.state);
        const jobs = await catalog.listJobs({ states, limit: parsePositive(values.limit!, "--limit") });
        if (values.json === "true") { for (const job of jobs) cli.stdout(JSON.stringify(jobJson(job))); }
        else for (const line of table(jobs)) cli.stdout(line);
        return 0;
      }
      case "retry":
      case "cancel": {
        const id = parsePositive(positional!, "job id");
        const job = action === "retry" ? await catalog.retryJob(id) : await catalog.cancelJob(id);
        cli.stdout(`Job ${job.id} (${job.kind}) is ${job.state}`);
        return 0;
      }
      case "compact": {
        const name = normalizeTopicName(positional!).full;
        const topic = await catalog.getTopic(name);
        if (!topic) throw new NotFoundError(`Cannot find topic "${name}"`);
        if (!(await catalog.getSequence(topic.sequenceName))?.locked) {
          throw new FailedPreconditionError(`Cannot compact topic "${name}": its sequence is not finalized`);
        }
        const maxAttempts = parsePositive(values["job-max-attempts"]!, "--job-max-attempts");
        const job = await catalog.enqueueJob(compactTopicJob(topic.uuid, { maxAttempts }));
        cli.stdout(`Job ${job.id} (compact_topic of "${name}") is ${job.state}`);
        return 0;
      }
      case "prune": {
        const config = serverConfig();
        const r = await pruneHistory(catalog, config.jobs);
        cli.stdout(
          `Pruned ${r.events} event(s) (${
            retention(config.jobs.eventRetentionMs)
          }; the log now starts after ` +
            `id ${r.eventsPrunedThrough}) and ${r.jobs} done or cancelled job(s) ` +
            `(${retention(config.jobs.jobRetentionMs)})`,
        );
        return 0;
      }
      default: {
        const config = serverConfig();
        await using decoder = new ParquetPool({ size: 1 });
        const runner = createConfiguredRunner({ catalog, store, log, decoder }, config);
        let failed = 0;
        for (let outcome = await runner.runOnce(); outcome; outcome = await runner.runOnce()) {
          cli.stdout(
            `Job ${outcome.job.id} (${outcome.job.kind}): ${outcome.outcome}` +
              (outcome.error ? `: ${outcome.error}` : ""),
          );
          if (outcome.outcome !== "done") failed++;
        }
        cli.stdout(failed === 0 ? "No due job left" : `No due job left; ${failed} did not complete`);
        return failed === 0 ? 0 : 1;
      }
    }
  },
};

function retention(ms: number): string {
  return ms === 0 ? "kept forever" : `older than ${ms} ms`;
}

function parseStates(raw: string | undefined): JobState[] {
  if (raw === undefined) return ACTIVE;
  const states = raw.split(",").map((s) => s.trim()).filter(Boolean);
  for (const s of states) {
    if (!(JOB_STATES as string[]).includes(s)) {
      throw new ConfigError(`--state must list states among ${JOB_STATES.join(", ")}, got "${s}"`);
    }
  }
  return states as JobState[];
}

function parsePositive(raw: string, what: string): number {
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new ConfigError(`${what} must be a positive integer, got "${raw}"`);
  }
  return n;
}

function jobJson(job: Job) {
  return {
    id: job.id,
    kind: job.kind,
    state: job.state,
    attempts: job.attempts,
    max_attempts: job.maxAttempts,
    run_after: new Date(job.runAfterMs).toISOString(),
    owner: job.owner,
    last_error: job.lastError,
    payload: job.payload,
  };
}

function table(jobs: Job[]): string[] {
  if (jobs.length === 0) return ["No jobs"];
  const rows = jobs.map((j) => [
    String(j.id),
    j.kind,
    j.state,
    `${j.attempts}/${j.maxAttempts}`,
    new Date(j.runAfterMs).toISOString().replace(/\.\d+Z$/, "Z"),
    describePayload(j),
    j.lastError ?? "",
  ]);
  const head = ["ID", "KIND", "STATE", "TRIES", "DUE", "WHAT", "LAST ERROR"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => Math.min(r[i].length, 60))));
  return [head, ...rows].map((r) => r.map((c, i) => c.slice(0, 60).padEnd(widths[i])).join("  ").trimEnd());
}

function describePayload(job: Job): string {
  const p = job.payload as Record<string, unknown>;
  if (typeof p?.topic_uuid === "string") return `topic ${p.topic_uuid}`;
  const r = p?.resource as { prefix?: string } | undefined;
  if (r?.prefix) return r.prefix;
  if (Array.isArray(p?.keys)) return `${p.keys.length} object(s)`;
  return JSON.stringify(job.payload);
}
