/**
 * Which topics get a compaction job when their session (or 0.1.0 sequence) is finalized.
 *
 * @module
 */
import { compactTopicJob, DEFAULT_JOB_SETTINGS } from "../model/job_payloads.ts";
import type { NewJob, Topic } from "../model/types.ts";
import type { LifecycleDeps } from "./deps.ts";

/** Compaction jobs for the topics made of many small chunks (enqueued with the lock). */
export async function compactionJobs(deps: LifecycleDeps, topics: readonly Topic[]): Promise<NewJob[]> {
  const settings = deps.jobs ?? DEFAULT_JOB_SETTINGS;
  if (settings.compactMinChunks === 0) return [];
  const jobs: NewJob[] = [];
  for (const topic of topics) {
    const usage = await deps.catalog.topicUsage(topic.id);
    if (
      usage.chunks >= settings.compactMinChunks && usage.sizeBytes / usage.chunks < settings.compactBelowBytes
    ) {
      jobs.push(compactTopicJob(topic.uuid, settings));
    }
  }
  return jobs;
}
