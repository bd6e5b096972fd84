/**
 * `--workers N` (N > 1): N Flight worker threads share one port (SO_REUSEPORT), so calls run on every
 * core; the kernel spreads connections across them. The main thread opens and migrates the catalog and
 * checks the store first (so configuration errors read as they do with one worker), starts the workers
 * (the first one binds, the others join its port), and on shutdown stops them all.
 *
 * Catalog: with PostgreSQL each worker opens its own pool. The embedded catalog has one instance, in
 * the main thread; workers call it through a MessagePort (`catalog/remote.ts`).
 *
 * Metrics (`--metrics-port`): the main thread serves the endpoint; on each scrape it asks every worker for
 * its snapshot over a MessagePort of its own (`metrics/worker_link.ts`) and adds them to its own metrics
 * (background jobs' store and catalog work, jobs by state, process memory).
 *
 * @module
 */
import * as net from "node:net";
import type { WorkerEvent, WorkerRequest } from "./_flight_worker.ts";
import { bindFailure, hostPort } from "./flight/server.ts";
import { Catalog } from "./catalog/catalog.ts";
import { serveCatalog } from "./catalog/remote.ts";
import type { Config } from "./config.ts";
import { UnavailableError } from "./errors.ts";
import type { Logger } from "./log.ts";
import { openStore } from "./store/mod.ts";
import { startBackgroundWork } from "./background.ts";
import { loadTlsMaterial } from "./flight/tls.ts";
import { DaemonMetrics } from "./metrics/daemon.ts";
import { MetricsEndpoint } from "./metrics/endpoint.ts";
import { instrumentCatalog, instrumentStore } from "./metrics/seams.ts";
import { WorkerMetricsLink } from "./metrics/worker_link.ts";

const WORKER_URL = new URL("./_flight_worker.ts", import.meta.url);

interface Thread {
  worker: Worker;
  /** Set once it reported `failed` or `stopped`: nothing more will come. */
  ended: boolean;
  /** Its events in order: listening/failed at start, stopped/failed at the end. */
  reader: ReadableStreamDefaultReader<WorkerEvent>;
}

/** Serves Flight on `config.workers` threads until `signal` aborts, then stops them and returns. */
export async function serveWithWorkers(
  config: Readonly<Config>,
  log: Logger,
  signal: AbortSignal,
  onListening?: (port: number) => void,
): Promise<void> {
  // Checked here first, so that a bad file reads as it does with one worker (the workers read it again).
  if (config.tls) await loadTlsMaterial(config.tls);
  await using stack = new AsyncDisposableStack();
  const metrics = config.metricsPort === null ? null : new DaemonMetrics();
  const rawStore = stack.use(await openStore(config.store, log.child({ component: "store" })));
  const store = metrics ? instrumentStore(rawStore, metrics) : rawStore;
  await store.check();
  // Served to the workers as it is: their own proxies measure the calls they make.
  const ownCatalog = stack.use(
    await Catalog.open(config.catalog, { log: log.child({ component: "catalog" }) }),
  );
  const catalog = metrics ? instrumentCatalog(ownCatalog, metrics) : ownCatalog;
  await catalog.ensureDefaultLayer();
  stack.use(await startBackgroundWork({ catalog, store, log, config }));
  const link = metrics ? stack.use(new WorkerMetricsLink()) : null;
  if (metrics && config.metricsPort !== null) {
    stack.use(
      await MetricsEndpoint.start({
        host: config.host,
        port: config.metricsPort,
        log: log.child({ component: "metrics" }),
        metrics,
        catalog,
        workers: () => link!.snapshots(),
      }),
    );
  }
  const threads: Thread[] = [];
  stack.defer(async () => {
    const live = threads.filter((t) => !t.ended);
    for (const t of live) post(t, { type: "stop" });
    // Each drains its calls within the shutdown timeout; a worker that does not answer is stopped anyway.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise((resolve) => timer = setTimeout(resolve, config.shutdownTimeoutMs + 5000));
    await Promise.race([Promise.all(live.map((t) => t.reader.read().catch(() => {}))), deadline]);
    clearTimeout(timer);
    for (const t of threads) t.worker.terminate();
  });
  // Bound once without SO_REUSEPORT first: a port another process holds (even with SO_REUSEPORT, like
  // another daemon's workers) is refused here instead of silently shared; port 0 gets its number here.
  let port = await probePort(config.host, config.port);
  for (let index = 0; index < config.workers; index++) {
    const thread = spawn();
    threads.push(thread);
    let catalogPort: MessagePort | null = null;
    if (config.catalog.kind === "pglite") {
      const channel = new MessageChannel();
      serveCatalog(ownCatalog, channel.port1);
      catalogPort = channel.port2;
    }
    const metricsPort = link?.addWorker() ?? null;
    // The first worker binds (maybe port 0); the others join the port it got.
    const request: WorkerRequest = {
      type: "start",
      config: { ...config, port },
      index,
      catalogPort,
      metricsPort,
    };
    const transfer = [catalogPort, metricsPort].filter((p): p is MessagePort => p !== null);
    thread.worker.postMessage(request, transfer);
    const first = await thread.reader.read();
    if (first.value?.type !== "listening") {
      thread.ended = true;
      const why = first.value?.type === "failed" ? first.value.message : "the worker ended";
      throw new UnavailableError(`Cannot start Flight worker ${index}: ${why}`);
    }
    port = first.value.port;
  }
  log.info("listening", {
    address: `${config.tls ? "grpc+tls" : "grpc"}://${hostPort(config.host, port)}`,
    port,
    workers: config.workers,
    catalog: config.catalog.kind,
    store: store.location,
    apiKeys: config.apiKeyEnabled,
    transport: config.transport,
  });
  onListening?.(port);
  if (!signal.aborted) {
    await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
  }
  log.info("shutting down", { workers: config.workers, timeoutMs: config.shutdownTimeoutMs });
}

function spawn(): Thread {
  const worker = new Worker(WORKER_URL, { type: "module" });
  let controller!: ReadableStreamDefaultController<WorkerEvent>;
  const events = new ReadableStream<WorkerEvent>({ start: (c) => void (controller = c) });
  worker.onmessage = (event: MessageEvent<WorkerEvent>) => controller.enqueue(event.data);
  worker.onerror = (event: ErrorEvent) => {
    event.preventDefault();
    controller.enqueue({ type: "failed", message: event.message });
  };
  return { worker, ended: false, reader: events.getReader() };
}

/** Binds `host:port` exclusively for a moment; returns the port (the one chosen, for 0). */
function probePort(host: string, port: number): Promise<number> {
  const address = hostPort(host, port);
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once(
      "error",
      (err: Error) => reject(new UnavailableError(`Cannot listen on ${address}: ${bindFailure(err)}`)),
    );
    probe.listen({ host, port, exclusive: true }, () => {
      const bound = (probe.address() as net.AddressInfo).port;
      probe.close(() => resolve(bound));
    });
  });
}

function post(thread: Thread, req: WorkerRequest): void {
  thread.worker.postMessage(req);
}
