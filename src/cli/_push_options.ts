/**
 * The options `mosaicod push` and `mosaicod sync` share beyond the toolkit's: the target daemon and its
 * credentials (with their `MOSAICOD_TO*` variables), the upload rate limit and the verification mode.
 * Imports only option types, so that `mod.ts` can list the variables without loading the commands.
 *
 * @module
 */
import type { OptionSpec } from "../config.ts";

/** Options of both commands. */
export const PUSH_OPTIONS = {
  to: {
    type: "string",
    env: "MOSAICOD_TO",
    help: "the target daemon, that receives the sequences: grpc://host:port or grpc+tls://host:port",
  },
  "to-api-key": {
    type: "string",
    env: "MOSAICOD_TO_API_KEY",
    help: "API key token for the target (read, write and delete permissions)",
  },
  "to-tls-ca": {
    type: "string",
    env: "MOSAICOD_TO_TLS_CA",
    help: "PEM file of the certificates to trust for a grpc+tls:// target, instead of the system's",
  },
  "limit-rate": {
    type: "string",
    help: "upload at most this many bytes per second: 500K, 10M, 1G (1024 multiples; default: no limit)",
  },
  verify: {
    type: "string",
    default: "digest",
    help: "how each copied topic is checked: digest (rows, schema, and the SHA-256 digest of the rows " +
      "read back from the target) or rows (row counts and schema only, nothing read back)",
  },
} as const satisfies Record<string, OptionSpec>;

/** The environment variables only push and sync read. */
export const PUSH_ENV_VARS: readonly string[] = Object.values(PUSH_OPTIONS as Record<string, OptionSpec>)
  .flatMap((o) => o.env === undefined ? [] : [o.env]);
