/**
 * Configuration: the one place that reads flags and environment variables, once.
 * `loadConfig()` is pure (env and args are passed in) and returns a validated, frozen `Config`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { ConfigError } from "./errors.ts";
import { readDuration } from "./model/duration.ts";
import type { ParquetCodecChoice } from "./model/types.ts";
import { LOG_LEVELS, type LogFormat, type LogLevel } from "./log.ts";

/** Where the bulk data lives. */
export type StoreConfig =
  | { kind: "fs"; root: string }
  | {
    kind: "s3";
    bucket: string;
    /** Key prefix inside the bucket, without leading or trailing `/` ("" for the bucket root). */
    prefix: string;
    endpoint: string | null;
    region: string;
    accessKeyId: string | null;
    secretAccessKey: string | null;
    /** One attempt of one request (answer and body included) taking longer fails (and is retried); default 60 s. */
    requestTimeoutMs?: number;
    /** Attempts per request (first try plus retries, with exponential backoff); default 3. */
    maxAttempts?: number;
  };

/** Where the catalog lives. */
export type CatalogConfig =
  | { kind: "pglite"; dir: string }
  | { kind: "postgres"; url: string };

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  catalog: CatalogConfig;
  store: StoreConfig;
  logLevel: LogLevel;
  logFormat: LogFormat;
  /** How long in-flight calls may run after SIGINT/SIGTERM before they are cancelled. */
  shutdownTimeoutMs: number;
  /** Largest gRPC message accepted or sent. */
  maxMessageBytes: number;
  /** Largest `user_metadata` of a sequence or topic, in bytes of compact JSON. */
  maxMetadataBytes: number;
  /** Longest sequence, topic or layer name, in UTF-8 bytes (a segment is also at most 255). */
  maxNameBytes: number;
  /** Calls (HTTP/2 streams) one client connection may have open at once. */
  maxStreamsPerConnection: number;
  /** A Parquet chunk is sealed after this many bytes of Arrow data. */
  chunkTargetBytes: number;
  /** DoGet sends record batches of about this size. */
  readBatchBytes: number;
  /** Threads that decode Parquet chunks for reads and ontology scans (and topics scanned at once, + 1). */
  parquetWorkers: number;
  /** Threads that Parquet-encode uploaded chunks (started on demand), per Flight worker. */
  encodeWorkers: number;
  /** Which Parquet implementation encodes uploads and decodes DoGet reads (`--parquet-codec`). */
  parquetCodec: ParquetCodecChoice;
  /** Flight worker threads sharing the port (1: the main thread serves). */
  workers: number;
  /** Background jobs: how this daemon runs them, and when the lifecycle enqueues them. */
  jobs: JobConfig;
  /**
   * Every call must present an API key (`mosaico-api-key-token: <token>` as the 2026 SDK sends it, or
   * `authorization: Bearer <token>`) with the permission it needs.
   */
  apiKeyEnabled: boolean;
  /** Whether the daemon hands freed memory back with `malloc_trim` (`src/memory_release.ts`). */
  mallocTrim: boolean;
  /** Serve `grpc+tls://` with these files; null: plaintext `grpc://`. */
  tls: TlsConfig | null;
  /** Gzip responses for clients that accept it ("gzip") or never ("none"); compressed requests always work. */
  grpcCompression: "gzip" | "none";
  /** The Flight server's HTTP/2 and gRPC: grpc-js on `node:http2`, or our own (`src/transport/`). */
  transport: Transport;
  /**
   * The answer shape of a `query` whose body and connection prove no protocol (2026 protocol, section
   * 15): `v2026` (the current SDK) unless fleets of 0.1.0 clients need `v1`.
   */
  queryDefaultDialect: "v1" | "v2026";
  /** Serve Prometheus metrics over HTTP on this port of `host` (`GET /metrics`); null: no endpoint. */
  metricsPort: number | null;
}

/** Which gRPC and HTTP/2 implementation serves Flight. */
export type Transport = "grpc-js" | "native";

/** The TLS certificate chain and private key files (PEM), read at start. */
export interface TlsConfig {
  certFile: string;
  privateKeyFile: string;
}

/** The `--job-*`, retention and compaction options. */
export interface JobConfig {
  /** Jobs run at once by this daemon (0: none; another daemon on the same database runs them). */
  concurrency: number;
  leaseMs: number;
  pollMs: number;
  backoffMs: number;
  maxAttempts: number;
  deletionRetentionMs: number;
  compactionGraceMs: number;
  compactMinChunks: number;
  compactBelowBytes: number;
  /** Events older than this are pruned (0: kept forever). */
  eventRetentionMs: number;
  /** Done and cancelled jobs older than this are pruned (0: kept forever). */
  jobRetentionMs: number;
  /** How often a daemon that runs jobs prunes. */
  pruneIntervalMs: number;
}

/** Options shared by every subcommand that opens the catalog and the store. */
export const COMMON_OPTIONS = {
  "data-dir": {
    type: "string",
    env: "MOSAICOD_DATA_DIR",
    help: "data directory: catalog in <dir>/catalog, store in <dir>/store",
    default: "./data",
  },
  "database-url": {
    type: "string",
    env: "MOSAICOD_DB_URL",
    help: "PostgreSQL URL; without it the embedded catalog in <data-dir>/catalog is used",
  },
  "store": {
    type: "string",
    env: "MOSAICOD_STORE",
    help: "a directory or s3://bucket[/prefix] (default <data-dir>/store)",
  },
  "log-level": {
    type: "string",
    env: "MOSAICOD_LOG_LEVEL",
    help: "debug | info | warn | error",
    default: "info",
  },
  "log-format": {
    type: "string",
    env: "MOSAICOD_LOG_FORMAT",
    help: "json | pretty (default: pretty on a terminal, json otherwise)",
  },
} as const satisfies Record<string, OptionSpec>;

/** Options of the `server` subcommand. */
export const SERVER_OPTIONS = {
  host: { type: "string", env: "MOSAICOD_HOST", help: "address to listen on", default: "127.0.0.1" },
  port: {
    type: "string",
    env: "MOSAICOD_PORT",
    help: "port to listen on (0 picks a free one)",
    default: "6726",
  },
  ...COMMON_OPTIONS,
  "shutdown-timeout-ms": {
    type: "string",
    env: "MOSAICOD_SHUTDOWN_TIMEOUT_MS",
    help: "grace period for in-flight calls on shutdown",
    default: "10000",
  },
  "max-message-bytes": {
    type: "string",
    env: "MOSAICOD_MAX_MESSAGE_BYTES",
    help: "largest gRPC message in either direction",
    default: String(64 * 1024 * 1024),
  },
  "max-metadata-bytes": {
    type: "string",
    env: "MOSAICOD_MAX_METADATA_BYTES",
    help: "largest user_metadata of a sequence or topic, in bytes of compact JSON",
    default: String(1024 * 1024),
  },
  "max-name-bytes": {
    type: "string",
    env: "MOSAICOD_MAX_NAME_BYTES",
    help: "longest sequence, topic or layer name in UTF-8 bytes (each /-separated segment at most 255)",
    default: "512",
  },
  transport: {
    type: "string",
    env: "MOSAICOD_TRANSPORT",
    help:
      "native | grpc-js: the Flight server's gRPC and HTTP/2, our own (src/transport/) or grpc-js on node:http2",
    default: "native",
  },
  "max-conn-streams": {
    type: "string",
    env: "MOSAICOD_MAX_CONN_STREAMS",
    help: "calls one client connection may have open at once (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS)",
    default: "100",
  },
  "chunk-bytes": {
    type: "string",
    env: "MOSAICOD_CHUNK_BYTES",
    help: "seal a Parquet chunk after this many bytes of Arrow data",
    default: String(64 * 1024 * 1024),
  },
  "read-batch-bytes": {
    type: "string",
    env: "MOSAICOD_READ_BATCH_BYTES",
    help: "size of the record batches DoGet sends",
    default: String(4 * 1024 * 1024),
  },
  workers: {
    type: "string",
    env: "MOSAICOD_WORKERS",
    help:
      "Flight worker threads sharing the port (default: one per core with PostgreSQL, 1 with the embedded catalog)",
  },
  "parquet-workers": {
    type: "string",
    env: "MOSAICOD_PARQUET_WORKERS",
    help: "threads decoding Parquet for DoGet and ontology scans (started on demand), per Flight worker",
    default: String(Math.min(4, navigator.hardwareConcurrency || 1)),
  },
  "encode-workers": {
    type: "string",
    env: "MOSAICOD_ENCODE_WORKERS",
    help: "threads Parquet-encoding uploads (started on demand), per Flight worker",
    default: String(Math.max(1, Math.min(4, (navigator.hardwareConcurrency || 1) - 1))),
  },
  "parquet-codec": {
    type: "string",
    env: "MOSAICOD_PARQUET_CODEC",
    help:
      "auto | wasm | native: Parquet for uploads and DoGet, parquet-wasm or Arrow C++'s libparquet (built by deno task build:native; needs --allow-ffi); auto takes native where its library loads",
    default: "auto",
  },
  "job-workers": {
    type: "string",
    env: "MOSAICOD_JOB_WORKERS",
    help: "background jobs run at once by this daemon (0: none, another daemon runs them)",
    default: "1",
  },
  "job-lease-ms": {
    type: "string",
    env: "MOSAICOD_JOB_LEASE_MS",
    help: "a claimed job returns to the queue this long after its daemon stops renewing it",
    default: "60000",
  },
  "job-poll-ms": {
    type: "string",
    env: "MOSAICOD_JOB_POLL_MS",
    help: "longest wait between looks for due jobs (new jobs also wake the runner at once)",
    default: "5000",
  },
  "job-backoff-ms": {
    type: "string",
    env: "MOSAICOD_JOB_BACKOFF_MS",
    help: "delay before retrying a failed job, doubled per attempt (up to 5 minutes)",
    default: "1000",
  },
  "job-max-attempts": {
    type: "string",
    env: "MOSAICOD_JOB_MAX_ATTEMPTS",
    help: "attempts before a job is dead (then `mosaicod jobs retry`)",
    default: "5",
  },
  "deletion-retention-ms": {
    type: "string",
    env: "MOSAICOD_DELETION_RETENTION_MS",
    help: "objects of deleted or aborted sequences and topics are removed this long after the deletion",
    default: "0",
  },
  "compaction-grace-ms": {
    type: "string",
    env: "MOSAICOD_COMPACTION_GRACE_MS",
    help: "chunks replaced by a compaction are removed this long after it (reads under way finish)",
    default: "600000",
  },
  "compact-min-chunks": {
    type: "string",
    env: "MOSAICOD_COMPACT_MIN_CHUNKS",
    help: "finalizing compacts topics with at least this many small chunks (0: never)",
    default: "16",
  },
  "compact-below-bytes": {
    type: "string",
    env: "MOSAICOD_COMPACT_BELOW_BYTES",
    help: "chunks averaging fewer Parquet bytes than this count as small",
    default: String(8 * 1024 * 1024),
  },
  "event-retention-ms": {
    type: "string",
    env: "MOSAICOD_EVENT_RETENTION_MS",
    help: "events older than this are pruned; resuming below them is refused (0: keep forever)",
    default: String(30 * 86_400_000),
  },
  "job-retention-ms": {
    type: "string",
    env: "MOSAICOD_JOB_RETENTION_MS",
    help: "done and cancelled jobs older than this are pruned; failed and dead ones stay (0: keep forever)",
    default: String(7 * 86_400_000),
  },
  "prune-interval-ms": {
    type: "string",
    env: "MOSAICOD_PRUNE_INTERVAL_MS",
    help: "how often a daemon that runs jobs prunes events and jobs past their retention",
    default: "3600000",
  },
  "api-key-enabled": {
    type: "boolean",
    env: "MOSAICOD_API_KEY_ENABLED",
    help: "require an API key on every call (`mosaicod api-key create`); the variable takes true or false",
    default: "false",
  },
  "malloc-trim": {
    type: "string",
    env: "MOSAICOD_MALLOC_TRIM",
    help: "true | false: give memory the C allocator keeps after frees back to the system once listening, " +
      "then whenever the resident set grew by 32 MiB, or a minute after work (glibc only)",
    default: "true",
  },
  "tls-cert-file": {
    type: "string",
    env: "MOSAICOD_TLS_CERT_FILE",
    help: "serve grpc+tls:// with this PEM certificate chain (with --tls-private-key-file)",
  },
  "tls-private-key-file": {
    type: "string",
    env: "MOSAICOD_TLS_PRIVATE_KEY_FILE",
    help: "the PEM private key of --tls-cert-file",
  },
  "grpc-compression": {
    type: "string",
    env: "MOSAICOD_GRPC_COMPRESSION",
    help:
      "gzip: compress responses for clients that accept gzip (costs CPU: DoGet slows down); none: never. " +
      "gzip/deflate requests are accepted either way",
    default: "none",
  },
  "query-default-dialect": {
    type: "string",
    env: "MOSAICOD_QUERY_DEFAULT_DIALECT",
    help: "v2026 | v1: the answer shape of a query when neither its body nor its connection shows the SDK",
    default: "v2026",
  },
  "metrics-port": {
    type: "string",
    env: "MOSAICOD_METRICS_PORT",
    help: "serve Prometheus metrics at http://<host>:<port>/metrics (0 picks a free port; off when unset)",
  },
} as const satisfies Record<string, OptionSpec>;

/** Environment variables read for an S3 store (never taken from flags: they hold secrets). */
export const STORE_ENV = {
  endpoint: "MOSAICOD_STORE_ENDPOINT",
  region: "MOSAICOD_STORE_REGION",
  accessKey: "MOSAICOD_STORE_ACCESS_KEY",
  secretKey: "MOSAICOD_STORE_SECRET_KEY",
  timeoutMs: "MOSAICOD_STORE_TIMEOUT_MS",
  maxAttempts: "MOSAICOD_STORE_MAX_ATTEMPTS",
} as const;

export interface OptionSpec {
  type: "string" | "boolean";
  env?: string;
  help: string;
  default?: string;
}

/** Every environment variable the daemon reads (used for `--allow-env` and in `--help`). */
export const ENV_VARS: readonly string[] = [
  ...new Set([
    ...Object.values(SERVER_OPTIONS).map((o) => o.env),
    ...Object.values(STORE_ENV),
  ]),
];

export interface LoadConfigInput {
  args: string[];
  env: Record<string, string | undefined>;
  /** Whether stderr is a terminal (chooses the default log format). */
  isTerminal?: boolean;
}

/**
 * Parses flags (which win) and environment variables into a `Config`.
 * @throws ConfigError with a one-line message naming the bad flag or variable.
 */
export function loadConfig(input: LoadConfigInput): Readonly<Config> {
  const v = readOptions(SERVER_OPTIONS, input);
  const port = parseIntOption(v, "port", 0, 65535);
  const storage = loadStorageConfig(v, input.env);
  return Object.freeze({
    host: v.host!,
    port,
    ...storage,
    ...loadLogConfig(v, input.isTerminal ?? false),
    shutdownTimeoutMs: parseDurationOption(v, "shutdown-timeout-ms", 0, 3_600_000),
    maxMessageBytes: parseIntOption(v, "max-message-bytes", 17 * 1024 * 1024, 2 ** 31 - 1),
    // At most 16 MiB, so that an action body carrying it stays within the smallest message limit.
    maxMetadataBytes: parseIntOption(v, "max-metadata-bytes", 64, 16 * 1024 * 1024),
    // Names are unique keys of catalog indexes, whose entries PostgreSQL limits to about 2.7 kB.
    maxNameBytes: parseIntOption(v, "max-name-bytes", 16, 2048),
    maxStreamsPerConnection: parseIntOption(v, "max-conn-streams", 1, 1_000_000),
    chunkTargetBytes: parseIntOption(v, "chunk-bytes", 1024 * 1024, 1024 * 1024 * 1024),
    readBatchBytes: parseIntOption(v, "read-batch-bytes", 64 * 1024, 64 * 1024 * 1024),
    parquetWorkers: parseIntOption(v, "parquet-workers", 1, 64),
    encodeWorkers: parseIntOption(v, "encode-workers", 1, 64),
    workers: v.workers === undefined
      ? defaultWorkers(storage.catalog.kind)
      : parseIntOption(v, "workers", 1, 64),
    jobs: Object.freeze({
      concurrency: parseIntOption(v, "job-workers", 0, 64),
      leaseMs: parseDurationOption(v, "job-lease-ms", 1000, 86_400_000),
      pollMs: parseDurationOption(v, "job-poll-ms", 10, 3_600_000),
      backoffMs: parseDurationOption(v, "job-backoff-ms", 0, 3_600_000),
      maxAttempts: parseIntOption(v, "job-max-attempts", 1, 1000),
      deletionRetentionMs: parseDurationOption(v, "deletion-retention-ms", 0, 10 * 365 * 86_400_000),
      compactionGraceMs: parseDurationOption(v, "compaction-grace-ms", 0, 30 * 86_400_000),
      compactMinChunks: parseIntOption(v, "compact-min-chunks", 0, 1_000_000),
      compactBelowBytes: parseIntOption(v, "compact-below-bytes", 0, 2 ** 40),
      eventRetentionMs: parseDurationOption(v, "event-retention-ms", 0, 100 * 365 * 86_400_000),
      jobRetentionMs: parseDurationOption(v, "job-retention-ms", 0, 100 * 365 * 86_400_000),
      pruneIntervalMs: parseDurationOption(v, "prune-interval-ms", 100, 86_400_000),
    }),
    apiKeyEnabled: parseBoolOption(v, "api-key-enabled"),
    mallocTrim: parseBoolOption(v, "malloc-trim"),
    tls: loadTlsConfig(v),
    grpcCompression: parseCompressionOption(v),
    transport: parseTransportOption(v),
    parquetCodec: parseParquetCodec(v["parquet-codec"], v["--source"]["parquet-codec"]),
    queryDefaultDialect: parseDialectOption(v),
    metricsPort: parseMetricsPort(v, port),
  });
}

/** `--metrics-port`: unset (or empty) is off; it may not be the Flight port. */
function parseMetricsPort(v: OptionValues<typeof SERVER_OPTIONS>, flightPort: number): number | null {
  if (v["metrics-port"] === undefined || v["metrics-port"].trim() === "") return null;
  const port = parseIntOption(v, "metrics-port", 0, 65535);
  if (port !== 0 && port === flightPort) {
    throw new ConfigError(`${v["--source"]["metrics-port"]} must differ from the Flight port ${flightPort}`);
  }
  return port;
}

function parseDialectOption(v: OptionValues<typeof SERVER_OPTIONS>): "v1" | "v2026" {
  const raw = v["query-default-dialect"]?.trim();
  if (raw === "v1" || raw === "v2026") return raw;
  throw new ConfigError(
    `${v["--source"]["query-default-dialect"]} must be v1 or v2026, got "${v["query-default-dialect"]}"`,
  );
}

/**
 * A `--parquet-codec` value (the daemon's and `mosaicod export`'s); `source` names where it came from.
 * @throws ConfigError unless it is auto, wasm or native.
 */
export function parseParquetCodec(text: string | undefined, source: string): ParquetCodecChoice {
  const raw = text?.trim().toLowerCase();
  if (raw === "auto" || raw === "wasm" || raw === "native") return raw;
  throw new ConfigError(`${source} must be auto, wasm or native, got "${text}"`);
}

function parseTransportOption(v: OptionValues<typeof SERVER_OPTIONS>): Transport {
  const raw = v.transport?.trim().toLowerCase();
  if (raw === "grpc-js" || raw === "native") return raw;
  throw new ConfigError(`${v["--source"].transport} must be grpc-js or native, got "${v.transport}"`);
}

function parseCompressionOption(v: OptionValues<typeof SERVER_OPTIONS>): "gzip" | "none" {
  const raw = v["grpc-compression"]?.trim().toLowerCase();
  if (raw === "gzip" || raw === "none") return raw;
  throw new ConfigError(
    `${v["--source"]["grpc-compression"]} must be gzip or none, got "${v["grpc-compression"]}"`,
  );
}

/** The TLS files: both or neither. */
function loadTlsConfig(v: OptionValues<typeof SERVER_OPTIONS>): TlsConfig | null {
  const certFile = v["tls-cert-file"]?.trim() || undefined;
  const privateKeyFile = v["tls-private-key-file"]?.trim() || undefined;
  if (certFile === undefined && privateKeyFile === undefined) return null;
  if (certFile === undefined || privateKeyFile === undefined) {
    const missing = certFile === undefined ? "tls-cert-file" : "tls-private-key-file";
    const given = v["--source"][certFile === undefined ? "tls-private-key-file" : "tls-cert-file"];
    const needed = `${SERVER_OPTIONS[missing].env} (or --${missing})`;
    throw new ConfigError(`${given} needs ${needed} too: set both TLS files, or neither`);
  }
  return { certFile, privateKeyFile };
}

function parseBoolOption<T extends Record<string, OptionSpec>>(
  v: OptionValues<T>,
  name: keyof T & string,
): boolean {
  const raw = (v[name] as string | undefined)?.trim().toLowerCase();
  if (raw === "true" || raw === "1" || raw === "yes") return true;
  if (raw === "false" || raw === "0" || raw === "no" || raw === undefined) return false;
  throw new ConfigError(`${v["--source"][name]} must be true or false, got "${v[name]}"`);
}

/** Values resolved from a flag, else its environment variable, else its default. */
export type OptionValues<T extends Record<string, OptionSpec>> = { [K in keyof T]: string | undefined } & {
  "--source": Record<string, string>;
};

/**
 * Reads `specs` from args and env. Unknown flags and stray positionals are errors.
 * The returned object remembers where each value came from, for error messages.
 */
export function readOptions<T extends Record<string, OptionSpec>>(
  specs: T,
  input: LoadConfigInput,
): OptionValues<T> {
  const options: Record<string, { type: "string" | "boolean" }> = {};
  for (const [name, spec] of Object.entries(specs)) options[name] = { type: spec.type };
  let parsed;
  try {
    parsed = parseArgs({ args: input.args, options, allowPositionals: false, strict: true });
  } catch (err) {
    throw new ConfigError(err instanceof Error ? err.message.split("\n")[0] : String(err));
  }
  const out: Record<string, string | undefined> = {};
  const source: Record<string, string> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const flag = (parsed.values as Record<string, string | boolean | undefined>)[name];
    const fromEnv = spec.env ? input.env[spec.env] : undefined;
    if (flag !== undefined) {
      out[name] = String(flag);
      source[name] = `--${name}`;
    } else if (fromEnv !== undefined && fromEnv !== "") {
      out[name] = fromEnv;
      source[name] = spec.env!;
    } else {
      out[name] = spec.default;
      source[name] = `--${name}`;
    }
  }
  return { ...out, "--source": source } as OptionValues<T>;
}

/** The catalog and store part of the config, shared by every subcommand. */
export function loadStorageConfig(
  v: OptionValues<typeof COMMON_OPTIONS>,
  env: Record<string, string | undefined>,
): Pick<Config, "dataDir" | "catalog" | "store"> {
  const dataDir = v["data-dir"]!;
  if (dataDir.trim() === "") throw new ConfigError(`${v["--source"]["data-dir"]} must not be empty`);
  const url = v["database-url"];
  let catalog: CatalogConfig;
  if (url) {
    if (!/^postgres(ql)?:\/\//.test(url)) {
      throw new ConfigError(`${v["--source"]["database-url"]} must be a postgres:// or postgresql:// URL`);
    }
    catalog = { kind: "postgres", url };
  } else {
    catalog = { kind: "pglite", dir: join(dataDir, "catalog") };
  }
  const storeArg = v.store ?? join(dataDir, "store");
  return { dataDir, catalog, store: parseStore(storeArg, v["--source"].store ?? "--store", env) };
}

function parseStore(arg: string, source: string, env: Record<string, string | undefined>): StoreConfig {
  if (!arg.startsWith("s3://")) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(arg)) {
      throw new ConfigError(`${source} must be a directory or s3://bucket[/prefix], got "${arg}"`);
    }
    return { kind: "fs", root: arg };
  }
  const rest = arg.slice("s3://".length);
  const slash = rest.indexOf("/");
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const prefix = slash < 0 ? "" : rest.slice(slash + 1).replace(/^\/+|\/+$/g, "");
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new ConfigError(`${source} has an invalid bucket name "${bucket}"`);
  }
  const endpoint = env[STORE_ENV.endpoint] || null;
  if (endpoint !== null && !/^https?:\/\/[^/]+/.test(endpoint)) {
    throw new ConfigError(`${STORE_ENV.endpoint} must be an http:// or https:// URL`);
  }
  const accessKeyId = env[STORE_ENV.accessKey] || null;
  const secretAccessKey = env[STORE_ENV.secretKey] || null;
  if ((accessKeyId === null) !== (secretAccessKey === null)) {
    throw new ConfigError(`${STORE_ENV.accessKey} and ${STORE_ENV.secretKey} must be set together`);
  }
  return {
    kind: "s3",
    bucket,
    prefix,
    endpoint,
    region: env[STORE_ENV.region] || "us-east-1",
    accessKeyId,
    secretAccessKey,
    requestTimeoutMs: envDuration(env, STORE_ENV.timeoutMs, 60_000, 100, 3_600_000),
    maxAttempts: envInt(env, STORE_ENV.maxAttempts, 3, 1, 20),
  };
}

/** An integer environment variable within bounds, or its default when unset. */
function envInt(
  env: Record<string, string | undefined>,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return n;
}

/** Log level and format, shared by every subcommand. */
export function loadLogConfig(
  v: OptionValues<typeof COMMON_OPTIONS>,
  isTerminal: boolean,
): Pick<Config, "logLevel" | "logFormat"> {
  const level = v["log-level"]!;
  if (!(LOG_LEVELS as string[]).includes(level)) {
    throw new ConfigError(
      `${v["--source"]["log-level"]} must be one of ${LOG_LEVELS.join(", ")}, got "${level}"`,
    );
  }
  const format = v["log-format"] ?? (isTerminal ? "pretty" : "json");
  if (format !== "json" && format !== "pretty") {
    throw new ConfigError(`${v["--source"]["log-format"]} must be json or pretty, got "${format}"`);
  }
  return { logLevel: level as LogLevel, logFormat: format };
}

function parseIntOption<T extends Record<string, OptionSpec>>(
  v: OptionValues<T>,
  name: keyof T & string,
  min: number,
  max: number,
): number {
  const raw = v[name] as string | undefined;
  const n = raw !== undefined && /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new ConfigError(`${v["--source"][name]} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return n;
}

/** A `*-ms` option: milliseconds, or a duration with a unit (`10s`, `5m`, `2h`, `30d`), within bounds. */
function parseDurationOption<T extends Record<string, OptionSpec>>(
  v: OptionValues<T>,
  name: keyof T & string,
  min: number,
  max: number,
): number {
  return durationValue((v[name] as string | undefined) ?? "", v["--source"][name], min, max);
}

/** A duration environment variable (like a `*-ms` option), or its default when unset. */
function envDuration(
  env: Record<string, string | undefined>,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = env[name];
  return raw === undefined || raw === "" ? fallback : durationValue(raw, name, min, max);
}

function durationValue(raw: string, source: string, min: number, max: number): number {
  const r = readDuration(raw, min, max);
  if (!r.ok) throw new ConfigError(`${source} ${r.problem}, got "${raw}"`);
  return r.ms;
}

/**
 * One Flight worker per core when every worker can open its own PostgreSQL connections; one with the
 * embedded catalog, whose single instance the workers would all reach through the main thread.
 */
function defaultWorkers(catalog: CatalogConfig["kind"]): number {
  return catalog === "postgres" ? Math.max(1, Math.min(8, navigator.hardwareConcurrency || 1)) : 1;
}
