/**
 * The metrics endpoint (`--metrics-port`): a plain HTTP server (`Deno.serve`) on the daemon's host that
 * answers `GET /metrics` with the whole process's metrics in the Prometheus text format, and 404 for any
 * other path. A scrape merges this thread's registry with the Flight worker threads' snapshots
 * (`worker_link.ts`), refreshes the jobs-by-state gauge from the catalog (at most every few seconds, and
 * never waiting long for it) and reads the process's memory.
 *
 * Started by the composition root (`app.ts`, `flight_workers.ts`) only; it sits beside them, above the
 * catalog, and nothing below imports it.
 *
 * @module
 */
import type { Catalog } from "../catalog/catalog.ts";
import { UnavailableError } from "../errors.ts";
import { bindFailure, hostPort } from "../flight/server.ts";
import type { Logger } from "../log.ts";
import { JOB_STATES } from "../model/types.ts";
import type { DaemonMetrics } from "./daemon.ts";
import { EXPOSITION_CONTENT_TYPE, renderExposition } from "./exposition.ts";
import { mergeSnapshots, type MetricSnapshot } from "./registry.ts";

/** Where the endpoint listens and what it reports. */
export interface MetricsEndpointOptions {
  host: string;
  /** 0 picks a free port (see {@linkcode MetricsEndpoint.port}). */
  port: number;
  log: Logger;
  /** This thread's instruments; the endpoint also sets the process-wide gauges on them. */
  metrics: DaemonMetrics;
  /** Where jobs are counted by state; null: no jobs gauge. */
  catalog: Catalog | null;
  /** The Flight worker threads' snapshots, when they serve the calls. */
  workers?: () => Promise<MetricSnapshot[][]>;
}

/** Jobs are counted again only when the last count is older than this. */
const JOBS_MAX_AGE_MS = 5000;
/** A scrape waits at most this long for the jobs count (then reports the last one). */
const JOBS_WAIT_MS = 2000;

/** A listening metrics endpoint. */
export class MetricsEndpoint implements AsyncDisposable {
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  readonly port: number;

  private constructor(server: Deno.HttpServer<Deno.NetAddr>) {
    this.#server = server;
    this.port = server.addr.port;
  }

  /** Binds `host:port` and serves. @throws UnavailableError when the address cannot be bound. */
  static start(opts: MetricsEndpointOptions): Promise<MetricsEndpoint> {
    const { metrics, log } = opts;
    metrics.startTimeSeconds.set(undefined, Math.round(performance.timeOrigin) / 1000);
    metrics.registry.onCollect(() => metrics.residentBytes.set(undefined, Deno.memoryUsage().rss));
    if (opts.catalog) metrics.registry.onCollect(jobCounter(opts.catalog, metrics, log));
    const scrape = async () => {
      const own = await metrics.registry.snapshot();
      const workers = opts.workers ? await opts.workers() : [];
      return renderExposition(mergeSnapshots([own, ...workers]));
    };
    const address = hostPort(opts.host, opts.port);
    let server: Deno.HttpServer<Deno.NetAddr>;
    try {
      server = Deno.serve({ hostname: opts.host, port: opts.port, onListen: () => {} }, async (req) => {
        if (new URL(req.url).pathname !== "/metrics") return new Response("Not found\n", { status: 404 });
        if (req.method !== "GET" && req.method !== "HEAD") {
          return new Response("Method not allowed\n", { status: 405, headers: { allow: "GET, HEAD" } });
        }
        try {
          const body = await scrape();
          return new Response(req.method === "HEAD" ? null : body, {
            headers: { "content-type": EXPOSITION_CONTENT_TYPE },
          });
        } catch (err) {
          log.error("metrics scrape failed", { err });
          return new Response("Cannot collect metrics\n", { status: 500 });
        }
      });
    } catch (err) {
      const reason = err instanceof Error ? bindFailure(err) : String(err);
      return Promise.reject(new UnavailableError(`Cannot serve metrics on ${address}: ${reason}`));
    }
    const endpoint = new MetricsEndpoint(server);
    log.info("metrics listening", { address: `http://${hostPort(opts.host, endpoint.port)}/metrics` });
    return Promise.resolve(endpoint);
  }

  /** Stops listening; a scrape in progress finishes first. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.#server.shutdown();
  }
}

/** A collector that sets `mosaicod_jobs{state}` from a recent count, never holding a scrape up for long. */
function jobCounter(catalog: Catalog, metrics: DaemonMetrics, log: Logger): () => Promise<void> {
  let countedAt = -Infinity;
  let counting: Promise<void> | null = null;
  const count = async () => {
    try {
      const counts = await catalog.countJobsByState();
      for (const state of JOB_STATES) metrics.jobs.set({ state }, counts[state] ?? 0);
      countedAt = performance.now();
    } catch (err) {
      log.debug("cannot count jobs for metrics", { err });
    } finally {
      counting = null;
    }
  };
  return async () => {
    if (performance.now() - countedAt < JOBS_MAX_AGE_MS) return;
    counting ??= count();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([counting, new Promise((resolve) => timer = setTimeout(resolve, JOBS_WAIT_MS))]);
    clearTimeout(timer);
  };
}
