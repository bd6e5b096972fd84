/**
 * Composition root: opens the store and the catalog, builds the services and the Flight server, and
 * tears everything down in order (server drained → catalog closed → store closed). With `--metrics-port`
 * it also measures the store, the catalog, uploads, queries and Flight calls, and (unless a Flight worker
 * thread, whose metrics the main thread collects) serves them over HTTP while Flight is served.
 *
 * @module
 */
import type { Config } from "./config.ts";
import type { Logger } from "./log.ts";
import { Catalog } from "./catalog/catalog.ts";
import { openStore } from "./store/mod.ts";
import type { ObjectStore } from "./store/store.ts";
import { FlightServer, hostPort } from "./flight/server.ts";
import { NativeFlightServer } from "./flight/native_server.ts";
import { createFlightHandlers } from "./flight/service.ts";
import { withApiKeys } from "./flight/auth.ts";
import { loadTlsMaterial } from "./flight/tls.ts";
import { ApiKeyVerifier } from "./auth/api_keys.ts";
import { EncoderPool } from "./arrow/encoder_pool.ts";
import { ParquetPool } from "./arrow/parquet_pool.ts";
import { resolveParquetCodec } from "./arrow/parquet.ts";
import { startBackgroundWork } from "./background.ts";
import { wallClockNs } from "./model/time.ts";
import { DaemonMetrics } from "./metrics/daemon.ts";
import { MetricsEndpoint } from "./metrics/endpoint.ts";
import { instrumentCatalog, instrumentStore } from "./metrics/seams.ts";
import { BufferRecycler } from "./buffer_recycler.ts";

export interface App extends AsyncDisposable {
  readonly catalog: Catalog;
  readonly store: ObjectStore;
  /** This thread's metrics (`--metrics-port`); null when metrics are off. */
  readonly metrics: DaemonMetrics | null;
  /** Starts serving Flight; resolves after `signal` aborts and in-flight calls have drained. */
  serve(opts: { signal: AbortSignal; onListening?: (port: number) => void }): Promise<void>;
}

export interface AppOptions {
  /**
   * A catalog opened elsewhere (a Flight worker thread's: its own PostgreSQL pool, or the main thread's
   * embedded catalog through a port). The app then neither migrates it nor closes it.
   */
  catalog?: Catalog;
  /** Share the port with other Flight worker threads (`--workers`). */
  reusePort?: boolean;
  /** The log message announcing the port (workers say "worker listening"; the daemon says "listening"). */
  listeningMessage?: string;
  /**
   * Serve `--metrics-port` from this app (default true). A Flight worker thread does not: the main thread
   * serves the whole process's metrics and asks the workers for theirs.
   */
  metricsEndpoint?: boolean;
}

/** Opens every dependency; on failure, closes what was already opened and rethrows. */
export async function createApp(config: Readonly<Config>, log: Logger, opts: AppOptions = {}): Promise<App> {
  const cleanup: AsyncDisposableStack = new AsyncDisposableStack();
  try {
    const tls = config.tls ? await loadTlsMaterial(config.tls) : null;
    // Before anything is opened: a native Parquet library that cannot load stops the start at once.
    const parquetCodec = resolveParquetCodec(config.parquetCodec);
    if (parquetCodec.fallback !== null) {
      log.warn("the native Parquet codec cannot be used: running parquet-wasm", {
        reason: parquetCodec.fallback,
      });
    }
    const metrics = config.metricsPort === null ? null : new DaemonMetrics();
    const rawStore = cleanup.use(await openStore(config.store, log.child({ component: "store" })));
    const store = metrics ? instrumentStore(rawStore, metrics) : rawStore;
    await store.check();
    let catalog = opts.catalog;
    const owned = !catalog;
    if (!catalog) {
      catalog = cleanup.use(await Catalog.open(config.catalog, { log: log.child({ component: "catalog" }) }));
    }
    if (metrics) catalog = instrumentCatalog(catalog, metrics);
    if (owned) {
      await catalog.ensureDefaultLayer();
      cleanup.use(await startBackgroundWork({ catalog, store, log, config }));
    }
    const codec = parquetCodec.codec;
    const parquet = cleanup.use(new ParquetPool({ size: config.parquetWorkers, codec }));
    // Upload messages are read into buffers the encoder workers give back once they are done with them.
    const receiveBuffers = new BufferRecycler();
    cleanup.defer(() => receiveBuffers.clear());
    const encoder = cleanup.use(
      new EncoderPool({ size: config.encodeWorkers, codec, recycler: receiveBuffers }),
    );
    const domainLog = log.child({ component: "domain" });
    const domainHandlers = createFlightHandlers({
      lifecycle: {
        catalog,
        store,
        log: domainLog,
        now: () => Date.now(),
        nowNs: wallClockNs,
        jobs: config.jobs,
      },
      ingest: {
        catalog,
        store,
        log: domainLog,
        chunkTargetBytes: config.chunkTargetBytes,
        encoder,
        onUploadEnd: metrics ? (outcome) => metrics.recordUpload(outcome) : undefined,
      },
      read: { catalog, store, log: domainLog, targetBatchBytes: config.readBatchBytes, decoder: parquet },
      // One topic more than workers, so that fetching the next chunk overlaps scanning.
      query: {
        catalog,
        store,
        scanner: parquet,
        scanConcurrency: config.parquetWorkers + 1,
        onQueryEnd: metrics ? (seconds, ok) => metrics.recordQuery(seconds, ok) : undefined,
      },
    }, {
      limits: { maxMetadataBytes: config.maxMetadataBytes, maxNameBytes: config.maxNameBytes },
      queryDefaultDialect: config.queryDefaultDialect,
      messageLimits: {
        maxDecodeBytes: config.maxMessageBytes,
        maxEncodeBytes: config.maxMessageBytes,
        targetEncodeBytes: config.readBatchBytes,
      },
    });
    const handlers = config.apiKeyEnabled
      ? withApiKeys(domainHandlers, new ApiKeyVerifier(catalog, { log: log.child({ component: "auth" }) }))
      : domainHandlers;
    const stack = cleanup.move();
    const endpointCatalog = catalog;
    return {
      catalog,
      store,
      metrics,
      async serve({ signal, onListening }) {
        if (signal.aborted) return;
        // Up before Flight and down after it, so that a scrape during the drain still answers.
        await using _endpoint = metrics && config.metricsPort !== null && opts.metricsEndpoint !== false
          ? await MetricsEndpoint.start({
            host: config.host,
            port: config.metricsPort,
            log: log.child({ component: "metrics" }),
            metrics,
            catalog: endpointCatalog,
          })
          : null;
        const Server = config.transport === "native" ? NativeFlightServer : FlightServer;
        const server = await Server.start(handlers, {
          host: config.host,
          port: config.port,
          maxMessageBytes: config.maxMessageBytes,
          maxConcurrentStreams: config.maxStreamsPerConnection,
          log: log.child({ component: "flight" }),
          reusePort: opts.reusePort,
          tls,
          responseCompression: config.grpcCompression,
          metrics,
          receiveBuffers,
        });
        log.info(opts.listeningMessage ?? "listening", {
          address: `${config.tls ? "grpc+tls" : "grpc"}://${hostPort(server.host, server.port)}`,
          port: server.port,
          catalog: config.catalog.kind,
          store: store.location,
          apiKeys: config.apiKeyEnabled,
          transport: config.transport,
          parquet: parquetCodec.version,
        });
        onListening?.(server.port);
        await new Promise<void>((resolve) =>
          signal.addEventListener("abort", () => resolve(), { once: true })
        );
        log.info("shutting down", { activeCalls: server.activeCalls, timeoutMs: config.shutdownTimeoutMs });
        await server.shutdown(config.shutdownTimeoutMs);
      },
      [Symbol.asyncDispose]: () => stack.disposeAsync(),
    };
  } catch (err) {
    await cleanup.disposeAsync();
    throw err;
  }
}
