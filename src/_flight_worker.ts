/**
 * A Flight worker thread (`--workers N`, see `flight_workers.ts`): a whole app (store, Parquet
 * workers, Flight server) on its own event loop, listening on the shared port. Its catalog is its own
 * PostgreSQL pool, or the main thread's embedded catalog through a MessagePort.
 *
 * Main → worker: `start` (config, index, catalog port, metrics port), later `stop`. Worker → main:
 * `listening` (port), `failed` (message), `stopped`. With metrics on, the worker answers snapshot
 * requests on its metrics port (`metrics/worker_link.ts`).
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { createApp } from "./app.ts";
import { Catalog } from "./catalog/catalog.ts";
import { remoteCatalog } from "./catalog/remote.ts";
import type { Config } from "./config.ts";
import { describeError } from "./errors.ts";
import { createLogger } from "./log.ts";
import { answerSnapshots } from "./metrics/worker_link.ts";

export type WorkerRequest =
  | {
    type: "start";
    config: Config;
    index: number;
    catalogPort: MessagePort | null;
    /** Where the main thread asks for this worker's metrics; null when metrics are off. */
    metricsPort: MessagePort | null;
  }
  | { type: "stop" };

export type WorkerEvent =
  | { type: "listening"; port: number }
  | { type: "failed"; message: string }
  | { type: "stopped" };

const stop = new AbortController();

function post(event: WorkerEvent): void {
  self.postMessage(event);
}

async function run(
  config: Config,
  index: number,
  { catalogPort, metricsPort }: { catalogPort: MessagePort | null; metricsPort: MessagePort | null },
): Promise<void> {
  const log = createLogger({ level: config.logLevel, format: config.logFormat }).child({ worker: index });
  await using stack = new AsyncDisposableStack();
  const catalog = stack.use(
    catalogPort
      ? remoteCatalog(catalogPort)
      : await Catalog.open(config.catalog, { log: log.child({ component: "catalog" }), migrate: false }),
  );
  const app = stack.use(
    await createApp(config, log, {
      catalog,
      reusePort: true,
      listeningMessage: "worker listening",
      metricsEndpoint: false,
    }),
  );
  if (metricsPort && app.metrics) answerSnapshots(metricsPort, app.metrics.registry);
  stack.defer(() => metricsPort?.close());
  await app.serve({ signal: stop.signal, onListening: (port) => post({ type: "listening", port }) });
}

self.onmessage = (event: MessageEvent<WorkerRequest>) => {
  const req = event.data;
  if (req.type === "stop") return stop.abort();
  run(req.config, req.index, req).then(
    () => post({ type: "stopped" }),
    (err) => post({ type: "failed", message: describeError(err) }),
  );
};
