/**
 * Metrics across Flight worker threads (`--workers N`): each worker answers snapshot requests on its own
 * MessagePort; the main thread asks every worker when it is scraped and merges the answers with its own.
 * Pulled on scrape (not pushed periodically), so a scrape sees every call that ended before it. A worker
 * that does not answer in time counts with its last answer, so counters never seem to go back.
 *
 * Imports only `registry.ts`.
 *
 * @module
 */
import type { MetricSnapshot, Registry } from "./registry.ts";

interface SnapshotRequest {
  id: number;
}

interface SnapshotReply {
  id: number;
  metrics: MetricSnapshot[];
}

/** The main thread's side: one port per worker. */
export class WorkerMetricsLink implements Disposable {
  readonly #workers: { port: MessagePort; last: MetricSnapshot[] | null }[] = [];
  readonly #pending = new Map<number, (metrics: MetricSnapshot[]) => void>();
  #nextId = 1;

  /** A port for one more worker: transfer it to the worker, which passes it to {@linkcode answerSnapshots}. */
  addWorker(): MessagePort {
    const channel = new MessageChannel();
    const port = channel.port1;
    port.onmessage = (event: MessageEvent<SnapshotReply>) => {
      const resolve = this.#pending.get(event.data.id);
      this.#pending.delete(event.data.id);
      resolve?.(event.data.metrics);
    };
    this.#workers.push({ port, last: null });
    return channel.port2;
  }

  /** Every worker's snapshot, waiting at most `timeoutMs` for each (then its last one, or none). */
  snapshots(timeoutMs = 2000): Promise<MetricSnapshot[][]> {
    return Promise.all(this.#workers.map(async (worker) => {
      const id = this.#nextId++;
      const { promise, resolve } = Promise.withResolvers<MetricSnapshot[] | null>();
      this.#pending.set(id, resolve);
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        resolve(null);
      }, timeoutMs);
      worker.port.postMessage({ id } satisfies SnapshotRequest);
      const metrics = await promise;
      clearTimeout(timer);
      if (metrics !== null) worker.last = metrics;
      return worker.last ?? [];
    }));
  }

  [Symbol.dispose](): void {
    for (const worker of this.#workers) worker.port.close();
    for (const resolve of this.#pending.values()) resolve([]);
    this.#pending.clear();
  }
}

/** The worker's side: answers every request on `port` with `registry`'s snapshot. */
export function answerSnapshots(port: MessagePort, registry: Registry): void {
  port.onmessage = async (event: MessageEvent<SnapshotRequest>) => {
    const metrics = await registry.snapshot();
    port.postMessage({ id: event.data.id, metrics } satisfies SnapshotReply);
  };
}
