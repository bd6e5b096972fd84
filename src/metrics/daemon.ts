/**
 * The daemon's metrics: every name, help text, label and bucket in one place, so that the README's list
 * and what a scrape shows cannot drift apart. Each thread that serves or owns the catalog builds one
 * {@linkcode DaemonMetrics}; the endpoint merges the threads' snapshots (`endpoint.ts`).
 *
 * Imports only `registry.ts`: any layer may receive these instruments (through its dependencies, built in
 * `app.ts`), none needs to know how they are exposed.
 *
 * @module
 */
import { type Counter, type Gauge, type Histogram, Registry } from "./registry.ts";

/** Seconds: from a millisecond catalog lookup to a long upload or read. */
const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
/** Fewer for store and catalog operations: there are dozens of them, each its own series. */
const OP_BUCKETS = [0.001, 0.005, 0.025, 0.1, 0.5, 2.5, 10];

/** A call's outcome as a gRPC code name ("OK", "NOT_FOUND", …). */
export type CallLabels = "method" | "code";

/** The instruments of one thread. */
export class DaemonMetrics {
  readonly registry: Registry;
  /** Flight calls ended, by method (`DoPut`, …) and gRPC code name. */
  readonly calls: Counter<CallLabels>;
  /** Flight call durations, first request to status, by method. */
  readonly callSeconds: Histogram<"method">;
  /** Flight calls in progress, by method. */
  readonly activeStreams: Gauge<"method">;
  /** gRPC message bytes received (uncompressed, without the 5-byte prefix), by method. */
  readonly receivedBytes: Counter<"method">;
  /** gRPC message bytes sent (uncompressed, without the 5-byte prefix), by method. */
  readonly sentBytes: Counter<"method">;
  /** Uploads that reached the write path, by outcome (`committed`, `failed`). */
  readonly uploads: Counter<"outcome">;
  /** Rows of committed uploads. */
  readonly ingestedRows: Counter;
  /** Parquet bytes stored by committed uploads. */
  readonly ingestedBytes: Counter;
  /** `query` action latency, by outcome (`ok`, `error`). */
  readonly querySeconds: Histogram<"outcome">;
  /** Object store operation latency, by operation (`put`, `get`, …). */
  readonly storeSeconds: Histogram<"op">;
  /** Object store operations that failed, by operation and error name. */
  readonly storeErrors: Counter<"op" | "error">;
  /** Catalog operation latency, by operation (the `Catalog` method). */
  readonly catalogSeconds: Histogram<"op">;
  /** Catalog operations that failed, by operation and error name. */
  readonly catalogErrors: Counter<"op" | "error">;
  /** Jobs in the catalog by state (read on scrape by the thread that owns the catalog). */
  readonly jobs: Gauge<"state">;
  /** JavaScript heap in use, summed over the process's threads. */
  readonly heapUsedBytes: Gauge;
  /** JavaScript heap reserved, summed over the process's threads. */
  readonly heapTotalBytes: Gauge;
  /** Memory held outside the JavaScript heap (buffers), summed over the process's threads. */
  readonly externalBytes: Gauge;
  /** Resident set size of the whole process (set by the endpoint's thread only). */
  readonly residentBytes: Gauge;
  /** When the process started, in seconds since the epoch (set by the endpoint's thread only). */
  readonly startTimeSeconds: Gauge;

  constructor(registry: Registry = new Registry()) {
    const r = this.registry = registry;
    this.calls = r.counter("mosaicod_grpc_calls_total", "Flight calls ended, by method and gRPC code", [
      "method",
      "code",
    ]);
    this.callSeconds = r.histogram(
      "mosaicod_grpc_call_duration_seconds",
      "Flight call duration, from its start to its status",
      ["method"],
      LATENCY_BUCKETS,
    );
    this.activeStreams = r.gauge("mosaicod_grpc_active_streams", "Flight calls in progress", ["method"]);
    this.receivedBytes = r.counter(
      "mosaicod_grpc_received_bytes_total",
      "gRPC message bytes received (uncompressed, without framing)",
      ["method"],
    );
    this.sentBytes = r.counter(
      "mosaicod_grpc_sent_bytes_total",
      "gRPC message bytes sent (uncompressed, without framing)",
      ["method"],
    );
    this.uploads = r.counter(
      "mosaicod_uploads_total",
      "Topic uploads that reached the write path, by outcome (committed, failed)",
      ["outcome"],
    );
    this.ingestedRows = r.counter("mosaicod_ingested_rows_total", "Rows of committed uploads");
    this.ingestedBytes = r.counter(
      "mosaicod_ingested_bytes_total",
      "Parquet bytes stored by committed uploads",
    );
    this.querySeconds = r.histogram(
      "mosaicod_query_duration_seconds",
      "Query action latency, by outcome (ok, error)",
      ["outcome"],
      LATENCY_BUCKETS,
    );
    this.storeSeconds = r.histogram(
      "mosaicod_store_op_duration_seconds",
      "Object store operation latency, by operation",
      ["op"],
      OP_BUCKETS,
    );
    this.storeErrors = r.counter(
      "mosaicod_store_errors_total",
      "Object store operations that failed, by operation and error",
      ["op", "error"],
    );
    this.catalogSeconds = r.histogram(
      "mosaicod_catalog_op_duration_seconds",
      "Catalog operation latency, by operation",
      ["op"],
      OP_BUCKETS,
    );
    this.catalogErrors = r.counter(
      "mosaicod_catalog_errors_total",
      "Catalog operations that failed, by operation and error",
      ["op", "error"],
    );
    this.jobs = r.gauge("mosaicod_jobs", "Background jobs in the catalog, by state", ["state"]);
    this.heapUsedBytes = r.gauge("mosaicod_heap_used_bytes", "JavaScript heap in use, all threads");
    this.heapTotalBytes = r.gauge("mosaicod_heap_total_bytes", "JavaScript heap reserved, all threads");
    this.externalBytes = r.gauge(
      "mosaicod_external_memory_bytes",
      "Memory outside the JavaScript heap (buffers), all threads",
    );
    this.residentBytes = r.gauge("process_resident_memory_bytes", "Resident memory size in bytes");
    this.startTimeSeconds = r.gauge(
      "process_start_time_seconds",
      "Start time of the process since the epoch, in seconds",
    );
    // Every thread reports its own heap; the sums are the process's.
    r.onCollect(() => {
      const usage = Deno.memoryUsage();
      this.heapUsedBytes.set(undefined, usage.heapUsed);
      this.heapTotalBytes.set(undefined, usage.heapTotal);
      this.externalBytes.set(undefined, usage.external);
    });
  }

  /** Counts an upload that reached the write path (the ingest's `onUploadEnd`). */
  recordUpload(outcome: { committed: true; rows: number; bytes: number } | { committed: false }): void {
    this.uploads.inc({ outcome: outcome.committed ? "committed" : "failed" });
    if (!outcome.committed) return;
    this.ingestedRows.inc(undefined, outcome.rows);
    this.ingestedBytes.inc(undefined, outcome.bytes);
  }

  /** Records a query's latency (the query engine's `onQueryEnd`). */
  recordQuery(seconds: number, ok: boolean): void {
    this.querySeconds.observe({ outcome: ok ? "ok" : "error" }, seconds);
  }
}
