import assert from "node:assert/strict";
import { ENV_VARS, loadConfig, SERVER_OPTIONS } from "./config.ts";
import { DURATION_SYNTAX } from "./model/duration.ts";
import { ConfigError } from "./errors.ts";

Deno.test("config: defaults give 127.0.0.1:6726, embedded catalog and a local store under ./data", () => {
  const c = loadConfig({ args: [], env: {} });
  assert.equal(c.host, "127.0.0.1");
  assert.equal(c.port, 6726);
  assert.deepEqual(c.catalog, { kind: "pglite", dir: "data/catalog" });
  assert.deepEqual(c.store, { kind: "fs", root: "data/store" });
  assert.equal(c.logFormat, "json");
  assert.equal(c.parquetCodec, "auto");
  assert.ok(Object.isFrozen(c));
});

Deno.test("config: flags win over environment variables, which win over defaults", () => {
  const env = { MOSAICOD_PORT: "7000", MOSAICOD_HOST: "0.0.0.0", MOSAICOD_DATA_DIR: "/srv/m" };
  const fromEnv = loadConfig({ args: [], env });
  assert.equal(fromEnv.port, 7000);
  assert.equal(fromEnv.host, "0.0.0.0");
  assert.deepEqual(fromEnv.store, { kind: "fs", root: "/srv/m/store" });
  const fromFlags = loadConfig({ args: ["--port", "6276", "--data-dir", "./scratch"], env });
  assert.equal(fromFlags.port, 6276);
  assert.deepEqual(fromFlags.catalog, { kind: "pglite", dir: "scratch/catalog" });
  assert.equal(loadConfig({ args: [], env: { MOSAICOD_PARQUET_CODEC: " Native" } }).parquetCodec, "native");
  const codec = loadConfig({ args: ["--parquet-codec", "wasm"], env: { MOSAICOD_PARQUET_CODEC: "native" } });
  assert.equal(codec.parquetCodec, "wasm");
  assert.equal(loadConfig({ args: ["--parquet-codec", "AUTO"], env: {} }).parquetCodec, "auto");
});

Deno.test("config: --database-url selects PostgreSQL and --store s3:// reads credentials from the environment", () => {
  const c = loadConfig({
    args: ["--database-url", "postgres://u:p@db:5432/m", "--store", "s3://robot-data/fleet/a/"],
    env: {
      MOSAICOD_STORE_ENDPOINT: "http://minio:9000",
      MOSAICOD_STORE_ACCESS_KEY: "ak",
      MOSAICOD_STORE_SECRET_KEY: "sk",
      MOSAICOD_STORE_TIMEOUT_MS: "2500",
    },
  });
  assert.deepEqual(c.catalog, { kind: "postgres", url: "postgres://u:p@db:5432/m" });
  assert.deepEqual(c.store, {
    kind: "s3",
    bucket: "robot-data",
    prefix: "fleet/a",
    endpoint: "http://minio:9000",
    region: "us-east-1",
    accessKeyId: "ak",
    secretAccessKey: "sk",
    requestTimeoutMs: 2500,
    maxAttempts: 3,
  });
});

Deno.test("config: bad values are one-line ConfigErrors naming the flag or variable", () => {
  const cases: [string[], Record<string, string>, RegExp][] = [
    [["--port", "70000"], {}, /--port must be an integer from 0 to 65535, got "70000"/],
    [[], { MOSAICOD_PORT: "http" }, /MOSAICOD_PORT must be an integer/],
    [
      ["--store", "s3://bucket"],
      { MOSAICOD_STORE_MAX_ATTEMPTS: "0" },
      /MOSAICOD_STORE_MAX_ATTEMPTS must be an integer from 1 to 20/,
    ],
    [["--log-level", "loud"], {}, /--log-level must be one of debug, info, warn, error/],
    [["--log-format", "xml"], {}, /--log-format must be json or pretty/],
    [["--database-url", "mysql://x"], {}, /--database-url must be a postgres/],
    [["--store", "s3://A_B"], {}, /invalid bucket name "A_B"/],
    [["--store", "gs://bucket"], {}, /--store must be a directory or s3:/],
    [["--store", "s3://bucket"], { MOSAICOD_STORE_ACCESS_KEY: "x" }, /must be set together/],
    [["--bogus"], {}, /Unknown option '--bogus'/],
    [["stray"], {}, /unexpected argument|positional/i],
    [["--max-message-bytes", "1024"], {}, /--max-message-bytes must be an integer from 17825792/],
    [["--parquet-codec", "arrow"], {}, /--parquet-codec must be auto, wasm or native, got "arrow"/],
    [
      [],
      { MOSAICOD_PARQUET_CODEC: "rust" },
      /MOSAICOD_PARQUET_CODEC must be auto, wasm or native, got "rust"/,
    ],
  ];
  for (const [args, env, re] of cases) {
    assert.throws(() => loadConfig({ args, env }), (err: unknown) => {
      assert.ok(err instanceof ConfigError, `${args} → ${err}`);
      assert.match(err.message, re);
      assert.ok(!err.message.includes("\n"), "one line");
      return true;
    });
  }
});

Deno.test("config: every documented variable is in ENV_VARS (the --allow-env list)", () => {
  for (
    const v of [
      "MOSAICOD_HOST",
      "MOSAICOD_PORT",
      "MOSAICOD_DATA_DIR",
      "MOSAICOD_DB_URL",
      "MOSAICOD_STORE",
      "MOSAICOD_STORE_ENDPOINT",
      "MOSAICOD_STORE_REGION",
      "MOSAICOD_STORE_ACCESS_KEY",
      "MOSAICOD_STORE_SECRET_KEY",
    ]
  ) assert.ok(ENV_VARS.includes(v), v);
});

Deno.test("config: API keys are off by default; --api-key-enabled or MOSAICOD_API_KEY_ENABLED=true turns them on", () => {
  assert.equal(loadConfig({ args: [], env: {} }).apiKeyEnabled, false);
  assert.equal(loadConfig({ args: ["--api-key-enabled"], env: {} }).apiKeyEnabled, true);
  assert.equal(loadConfig({ args: [], env: { MOSAICOD_API_KEY_ENABLED: "true" } }).apiKeyEnabled, true);
  assert.equal(loadConfig({ args: [], env: { MOSAICOD_API_KEY_ENABLED: "false" } }).apiKeyEnabled, false);
  assert.throws(
    () => loadConfig({ args: [], env: { MOSAICOD_API_KEY_ENABLED: "on please" } }),
    new ConfigError('MOSAICOD_API_KEY_ENABLED must be true or false, got "on please"'),
  );
});

Deno.test("config: --malloc-trim is on by default and takes true or false", () => {
  assert.equal(loadConfig({ args: [], env: {} }).mallocTrim, true);
  assert.equal(loadConfig({ args: ["--malloc-trim", "false"], env: {} }).mallocTrim, false);
  assert.equal(loadConfig({ args: [], env: { MOSAICOD_MALLOC_TRIM: "0" } }).mallocTrim, false);
  assert.throws(
    () => loadConfig({ args: ["--malloc-trim", "sometimes"], env: {} }),
    new ConfigError('--malloc-trim must be true or false, got "sometimes"'),
  );
});

Deno.test("config: TLS takes both files or neither", () => {
  assert.equal(loadConfig({ args: [], env: {} }).tls, null);
  const env = { MOSAICOD_TLS_CERT_FILE: "/etc/m/cert.pem", MOSAICOD_TLS_PRIVATE_KEY_FILE: "/etc/m/key.pem" };
  assert.deepEqual(loadConfig({ args: [], env }).tls, {
    certFile: "/etc/m/cert.pem",
    privateKeyFile: "/etc/m/key.pem",
  });
  assert.deepEqual(loadConfig({ args: ["--tls-cert-file", "c.pem"], env }).tls, {
    certFile: "c.pem",
    privateKeyFile: "/etc/m/key.pem",
  });
  for (
    const [args, env, re] of [
      [
        [],
        { MOSAICOD_TLS_CERT_FILE: "c.pem" },
        /^MOSAICOD_TLS_CERT_FILE needs MOSAICOD_TLS_PRIVATE_KEY_FILE/,
      ],
      [["--tls-private-key-file", "k.pem"], {}, /^--tls-private-key-file needs MOSAICOD_TLS_CERT_FILE/],
    ] as [string[], Record<string, string>, RegExp][]
  ) {
    assert.throws(() => loadConfig({ args, env }), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, re);
      assert.ok(!err.message.includes("\n"));
      return true;
    });
  }
  for (const v of ["MOSAICOD_API_KEY_ENABLED", "MOSAICOD_TLS_CERT_FILE", "MOSAICOD_TLS_PRIVATE_KEY_FILE"]) {
    assert.ok(ENV_VARS.includes(v), v);
  }
});

Deno.test("config: request limits have defaults, flags and variables, and bounds", () => {
  const d = loadConfig({ args: [], env: {} });
  assert.deepEqual(
    [d.maxMetadataBytes, d.maxNameBytes, d.maxStreamsPerConnection],
    [1024 * 1024, 512, 100],
  );
  const env = {
    MOSAICOD_MAX_METADATA_BYTES: "4096",
    MOSAICOD_MAX_NAME_BYTES: "128",
    MOSAICOD_MAX_CONN_STREAMS: "4",
  };
  const c = loadConfig({ args: ["--max-name-bytes", "64"], env });
  assert.deepEqual([c.maxMetadataBytes, c.maxNameBytes, c.maxStreamsPerConnection], [4096, 64, 4]);
  for (
    const [flag, value, message] of [
      ["--max-metadata-bytes", "16777217", "--max-metadata-bytes must be an integer from 64 to 16777216"],
      ["--max-name-bytes", "2049", "--max-name-bytes must be an integer from 16 to 2048"],
      ["--max-name-bytes", "15", "--max-name-bytes must be an integer from 16 to 2048"],
      [
        "--max-conn-streams",
        "0",
        "--max-conn-streams must be an integer from 1 to 1000000",
      ],
    ]
  ) {
    assert.throws(
      () => loadConfig({ args: [flag, value], env: {} }),
      new ConfigError(`${message}, got "${value}"`),
    );
  }
  for (const v of Object.keys(env)) assert.ok(ENV_VARS.includes(v), v);
});

Deno.test("config: every *-ms option and its variable take a duration (1500ms, 10s, 5m, 2h, 30d) or bare ms", () => {
  const msOptions = Object.entries(SERVER_OPTIONS).filter(([name]) => name.endsWith("-ms"));
  assert.ok(msOptions.length >= 9, "the retention, job and shutdown options");
  for (const [name, spec] of msOptions) {
    assert.doesNotThrow(() => loadConfig({ args: [`--${name}`, "1h"], env: {} }), name);
    assert.doesNotThrow(() => loadConfig({ args: [], env: { [spec.env]: "3600000" } }), spec.env);
    assert.throws(
      () => loadConfig({ args: [`--${name}`, "5x"], env: {} }),
      new ConfigError(`--${name} must be a duration: ${DURATION_SYNTAX}, got "5x"`),
    );
    assert.throws(
      () => loadConfig({ args: [], env: { [spec.env]: "-1s" } }),
      new ConfigError(`${spec.env} must not be negative, got "-1s"`),
    );
  }
  const c = loadConfig({
    args: ["--shutdown-timeout-ms", "1500ms", "--job-lease-ms", "2m", "--event-retention-ms", "30d"],
    env: {
      MOSAICOD_JOB_POLL_MS: "10s",
      MOSAICOD_DELETION_RETENTION_MS: "2h",
      MOSAICOD_PRUNE_INTERVAL_MS: "1.5h",
    },
  });
  assert.deepEqual(
    [c.shutdownTimeoutMs, c.jobs.leaseMs, c.jobs.eventRetentionMs, c.jobs.pollMs],
    [1500, 120_000, 30 * 86_400_000, 10_000],
  );
  assert.deepEqual([c.jobs.deletionRetentionMs, c.jobs.pruneIntervalMs], [7_200_000, 5_400_000]);
  // Bounds are reported in the unit the user wrote.
  assert.throws(
    () => loadConfig({ args: ["--job-poll-ms", "2h"], env: {} }),
    new ConfigError('--job-poll-ms must be from 10ms to 1h, got "2h"'),
  );
  assert.throws(
    () => loadConfig({ args: [], env: { MOSAICOD_COMPACTION_GRACE_MS: "31d" } }),
    new ConfigError('MOSAICOD_COMPACTION_GRACE_MS must be from 0d to 30d, got "31d"'),
  );
  assert.throws(
    () => loadConfig({ args: ["--job-lease-ms", "999"], env: {} }),
    new ConfigError('--job-lease-ms must be from 1000 to 86400000 (milliseconds), got "999"'),
  );
});

Deno.test("config: MOSAICOD_STORE_TIMEOUT_MS takes a duration too", () => {
  const load = (timeout: string) =>
    loadConfig({ args: ["--store", "s3://bucket"], env: { MOSAICOD_STORE_TIMEOUT_MS: timeout } }).store;
  const s = load("2.5s");
  assert.equal(s.kind === "s3" ? s.requestTimeoutMs : null, 2500);
  assert.throws(
    () => load("2h"),
    new ConfigError('MOSAICOD_STORE_TIMEOUT_MS must be from 100ms to 1h, got "2h"'),
  );
});
