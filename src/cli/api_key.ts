/**
 * `mosaicod api-key <create|list|revoke>`: manage the API keys a daemon started with `--api-key-enabled`
 * accepts.
 *
 * - `create --permissions read,write[,delete] [--expires-in-days N | --expires-at ISO] [--description …]`
 *   prints the token once (alone on stdout, so `TOKEN=$(…)` works); only its hash is stored;
 * - `list` shows every key by fingerprint with its permissions, description, times and state, never a
 *   token (`--json` for one object per line);
 * - `revoke <fingerprint>` stops a key; daemons refuse it within a few seconds (their lookup cache).
 *
 * With the embedded catalog the daemon must be stopped (one process at a time); with PostgreSQL this
 * runs beside the daemons.
 *
 * @module
 */
import { API_KEY_CACHE_MS, issueApiKey } from "../auth/api_keys.ts";
import { Catalog } from "../catalog/catalog.ts";
import { COMMON_OPTIONS, loadLogConfig, loadStorageConfig, type OptionSpec, readOptions } from "../config.ts";
import { ConfigError } from "../errors.ts";
import { createLogger } from "../log.ts";
import { API_KEY_PERMISSIONS, type ApiKey, type ApiKeyPermission, isFingerprint } from "../model/api_keys.ts";
import type { CliEnv, Command } from "./mod.ts";

const OPTIONS = {
  ...COMMON_OPTIONS,
  permissions: {
    type: "string",
    help: `create: what the key may do, comma-separated (${API_KEY_PERMISSIONS.join(", ")})`,
  },
  "expires-in-days": { type: "string", help: "create: the key stops working this many days from now" },
  "expires-at": { type: "string", help: "create: the key stops working at this ISO 8601 time" },
  description: { type: "string", help: "create: a note shown by list (who or what the key is for)" },
  json: { type: "boolean", help: "create, list: JSON output, one object per line" },
} as const satisfies Record<string, OptionSpec>;

const HELP = {
  usage:
    "mosaicod api-key <create --permissions read,write[,delete] | list | revoke <fingerprint>> [options]",
  summary: "Create, list or revoke the API keys that a daemon started with --api-key-enabled accepts. " +
    "create prints the token once; only its hash is stored.",
  options: OPTIONS,
  notes: [
    "Clients send the token as gRPC metadata: authorization: Bearer <token>",
    "With the embedded catalog, stop the daemon first; with PostgreSQL this runs beside it.",
  ],
};

const DAY_MS = 86_400_000;

export const apiKeyCommand: Command = {
  name: "api-key",
  summary: "create, list or revoke API keys",
  help: HELP,
  async run(cli: CliEnv): Promise<number> {
    const [action, ...rest] = cli.args;
    const positional = rest.length > 0 && !rest[0].startsWith("-") ? rest[0] : undefined;
    const args = positional === undefined ? rest : rest.slice(1);
    if (action !== "create" && action !== "list" && action !== "revoke") {
      throw new ConfigError("api-key needs an action: create, list or revoke <fingerprint>");
    }
    if (action === "revoke" && positional === undefined) {
      throw new ConfigError("api-key revoke needs a fingerprint");
    }
    if (action !== "revoke" && positional !== undefined) {
      throw new ConfigError(`api-key ${action} takes no argument, got "${positional}"`);
    }
    const values = readOptions(OPTIONS, { ...cli, args });
    // Parsed before the catalog opens, so that a bad flag costs nothing.
    const create = action === "create" ? parseCreateOptions(values, Date.now()) : null;
    const fingerprint = action === "revoke" ? parseFingerprint(positional!) : null;
    const { catalog: catalogConfig } = loadStorageConfig(values, cli.env);
    const { logLevel, logFormat } = loadLogConfig(values, cli.isTerminal);
    const log = createLogger({ level: logLevel, format: logFormat });
    await using catalog = await Catalog.open(catalogConfig, { log: log.child({ component: "catalog" }) });
    const json = values.json === "true";
    if (create) {
      const { token, key } = await issueApiKey(catalog, create);
      if (json) cli.stdout(JSON.stringify({ token, ...keyJson(key, Date.now()) }));
      else {
        cli.stdout(token);
        cli.stderr(
          `API key ${key.fingerprint} created (${key.permissions.join(", ")}; ` +
            `${key.expiresMs === null ? "never expires" : `expires ${iso(key.expiresMs)}`}). ` +
            "The token is shown only this once: store it now.",
        );
        if (!key.permissions.includes("read")) {
          cli.stderr(
            "Note: without read, clients cannot list sequences; the Mosaico SDK's connection check needs it.",
          );
        }
      }
      return 0;
    }
    if (fingerprint !== null) {
      const key = await catalog.revokeApiKey(fingerprint);
      cli.stdout(
        `API key ${key.fingerprint} revoked at ${iso(key.revokedMs!)}; ` +
          `daemons refuse it within ${API_KEY_CACHE_MS / 1000} s`,
      );
      return 0;
    }
    const keys = await catalog.listApiKeys();
    const now = Date.now();
    if (json) { for (const key of keys) cli.stdout(JSON.stringify(keyJson(key, now))); }
    else for (const line of table(keys, now)) cli.stdout(line);
    return 0;
  },
};

interface CreateOptions {
  permissions: ApiKeyPermission[];
  description: string;
  expiresMs: number | null;
}

function parseCreateOptions(
  v: { permissions?: string; "expires-in-days"?: string; "expires-at"?: string; description?: string },
  nowMs: number,
): CreateOptions {
  if (v.permissions === undefined) {
    throw new ConfigError(`api-key create needs --permissions (${API_KEY_PERMISSIONS.join(", ")})`);
  }
  const wanted = v.permissions.split(",").map((p) => p.trim()).filter(Boolean);
  for (const p of wanted) {
    if (!(API_KEY_PERMISSIONS as string[]).includes(p)) {
      throw new ConfigError(`--permissions must list ${API_KEY_PERMISSIONS.join(", ")}, got "${p}"`);
    }
  }
  const permissions = API_KEY_PERMISSIONS.filter((p) => wanted.includes(p));
  if (permissions.length === 0) throw new ConfigError("--permissions must name at least one permission");
  const inDays = v["expires-in-days"];
  const at = v["expires-at"];
  if (inDays !== undefined && at !== undefined) {
    throw new ConfigError("Give --expires-in-days or --expires-at, not both");
  }
  let expiresMs: number | null = null;
  if (inDays !== undefined) {
    const days = /^\d+$/.test(inDays.trim()) ? Number(inDays.trim()) : NaN;
    if (!Number.isSafeInteger(days) || days < 1 || days > 36_500) {
      throw new ConfigError(`--expires-in-days must be an integer from 1 to 36500, got "${inDays}"`);
    }
    expiresMs = nowMs + days * DAY_MS;
  } else if (at !== undefined) {
    const ms = /^\d{4}-\d{2}-\d{2}/.test(at.trim()) ? Date.parse(at.trim()) : NaN;
    if (Number.isNaN(ms)) {
      throw new ConfigError(`--expires-at must be an ISO 8601 time (2026-12-31T23:59:59Z), got "${at}"`);
    }
    if (ms <= nowMs) throw new ConfigError(`--expires-at must be in the future, got "${at}"`);
    expiresMs = ms;
  }
  return { permissions, description: v.description ?? "", expiresMs };
}

/** A fingerprint, or the fingerprint of a whole token pasted instead. */
function parseFingerprint(raw: string): string {
  const text = raw.trim();
  const fromToken = /^msco_[a-z0-9]{32}_([0-9a-f]{8})$/.exec(text);
  const fingerprint = fromToken ? fromToken[1] : text;
  if (!isFingerprint(fingerprint)) {
    throw new ConfigError(
      `api-key revoke needs a fingerprint (8 hex digits, as api-key list shows), got "${raw}"`,
    );
  }
  return fingerprint;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.000Z$/, "Z");
}

function state(key: ApiKey, nowMs: number): "active" | "expired" | "revoked" {
  if (key.revokedMs !== null) return "revoked";
  return key.expiresMs !== null && nowMs >= key.expiresMs ? "expired" : "active";
}

function keyJson(key: ApiKey, nowMs: number) {
  return {
    fingerprint: key.fingerprint,
    permissions: key.permissions,
    description: key.description,
    created_at: iso(key.createdMs),
    expires_at: key.expiresMs === null ? null : iso(key.expiresMs),
    revoked_at: key.revokedMs === null ? null : iso(key.revokedMs),
    state: state(key, nowMs),
  };
}

function table(keys: ApiKey[], nowMs: number): string[] {
  if (keys.length === 0) return ["No API keys"];
  const rows = keys.map((k) => [
    k.fingerprint,
    k.permissions.join(","),
    state(k, nowMs),
    iso(k.createdMs),
    k.expiresMs === null ? "never" : iso(k.expiresMs),
    k.revokedMs === null ? "" : iso(k.revokedMs),
    k.description,
  ]);
  const head = ["FINGERPRINT", "PERMISSIONS", "STATE", "CREATED", "EXPIRES", "REVOKED", "DESCRIPTION"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => Math.min(r[i].length, 60))));
  return [head, ...rows].map((r) => r.map((c, i) => c.slice(0, 60).padEnd(widths[i])).join("  ").trimEnd());
}
