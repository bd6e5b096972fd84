/**
 * `mosaicod api-key <create|list|status|revoke>`: manage the API keys a daemon started with
 * `--api-key-enabled` accepts.
 *
 * - `create --permissions read,write[,delete][,manage]` (independent permissions) or `create --level
 *   read|write|delete|manage` (`-p`, as the 2026 daemon's CLI: a level and every one below it), with
 *   `[--expires-in-days N | --expires-at ISO] [--description …]`, prints the token once (alone on stdout,
 *   so `TOKEN=$(…)` works); only its hash is stored;
 * - `list` shows every key by fingerprint with its permissions, description, times and state, never a
 *   token (`--json` for one object per line); `status <fingerprint>` shows one key (revoked ones too);
 * - `revoke <fingerprint>` stops a key; daemons refuse it within a few seconds (their lookup cache).
 *
 * With the embedded catalog the daemon must be stopped (one process at a time); with PostgreSQL this
 * runs beside the daemons.
 *
 * @module
 */
import { API_KEY_CACHE_MS } from "../auth/api_keys.ts";
import { createApiKey } from "../auth/key_admin.ts";
import { Catalog } from "../catalog/catalog.ts";
import { COMMON_OPTIONS, loadLogConfig, loadStorageConfig, type OptionSpec, readOptions } from "../config.ts";
import { ConfigError, NotFoundError } from "../errors.ts";
import { createLogger } from "../log.ts";
import {
  API_KEY_PERMISSIONS,
  type ApiKey,
  type ApiKeyPermission,
  expandHierarchical,
  isApiKeyPermission,
  isExpired,
  isFingerprint,
  normalizePermissions,
  NS_PER_MS,
} from "../model/api_keys.ts";
import type { CliEnv, Command } from "./mod.ts";

const PERMISSION_LIST = API_KEY_PERMISSIONS.join(", ");

const OPTIONS = {
  ...COMMON_OPTIONS,
  permissions: {
    type: "string",
    help: `create: what the key may do, comma-separated independent permissions (${PERMISSION_LIST}): ` +
      "write does not include read",
  },
  level: {
    type: "string",
    help: `create (or -p): one 2026 permission level (${API_KEY_PERMISSIONS.join(" | ")}) granting every ` +
      "level below it too: write = read,write; manage = all four",
  },
  "expires-in-days": { type: "string", help: "create: the key stops working this many days from now" },
  "expires-at": { type: "string", help: "create: the key stops working at this ISO 8601 time" },
  description: { type: "string", help: "create: a note shown by list (who or what the key is for)" },
  json: { type: "boolean", help: "create, list, status: JSON output, one object per line" },
} as const satisfies Record<string, OptionSpec>;

const HELP = {
  usage:
    "mosaicod api-key <create (--permissions read,write,… | --level read|write|delete|manage) | list | " +
    "status <fingerprint> | revoke <fingerprint>> [options]",
  summary:
    "Create, list, show or revoke the API keys that a daemon started with --api-key-enabled accepts. " +
    "create prints the token once; only its hash is stored.",
  options: OPTIONS,
  notes: [
    "--permissions lists independent permissions (exactly those); --level (-p) names a 2026 level that",
    "includes the ones below it (read < write < delete < manage), as `mosaicod api-key create -p manage`.",
    "manage lets a key create, show and revoke keys (2026 actions api_key_*).",
    "Clients send the token as gRPC metadata: mosaico-api-key-token: <token> (2026 SDK), or",
    "authorization: Bearer <token>.",
    "With the embedded catalog, stop the daemon first; with PostgreSQL this runs beside it.",
  ],
};

const DAY_MS = 86_400_000;
/** The last millisecond whose nanoseconds fit in int64 (2262-04-11): the latest expiry a key can have. */
const MAX_EXPIRY_MS = 9_223_372_036_854;

type Action = "create" | "list" | "status" | "revoke";

export const apiKeyCommand: Command = {
  name: "api-key",
  summary: "create, list, show or revoke API keys",
  help: HELP,
  async run(cli: CliEnv): Promise<number> {
    const [first, ...rest] = cli.args;
    const action = first as Action;
    const positional = rest.length > 0 && !rest[0].startsWith("-") ? rest[0] : undefined;
    const args = shortFlags(positional === undefined ? rest : rest.slice(1));
    if (!["create", "list", "status", "revoke"].includes(action)) {
      throw new ConfigError(
        "api-key needs an action: create, list, status <fingerprint> or revoke <fingerprint>",
      );
    }
    const byFingerprint = action === "status" || action === "revoke";
    if (byFingerprint && positional === undefined) {
      throw new ConfigError(`api-key ${action} needs a fingerprint`);
    }
    if (!byFingerprint && positional !== undefined) {
      throw new ConfigError(`api-key ${action} takes no argument, got "${positional}"`);
    }
    const values = readOptions(OPTIONS, { ...cli, args });
    // Parsed before the catalog opens, so that a bad flag costs nothing.
    const create = action === "create" ? parseCreateOptions(values, Date.now()) : null;
    const fingerprint = byFingerprint ? parseFingerprint(action, positional!) : null;
    const { catalog: catalogConfig } = loadStorageConfig(values, cli.env);
    const { logLevel, logFormat } = loadLogConfig(values, cli.isTerminal);
    const log = createLogger({ level: logLevel, format: logFormat });
    await using catalog = await Catalog.open(catalogConfig, { log: log.child({ component: "catalog" }) });
    const json = values.json === "true";
    if (create) {
      const { token, key } = await createApiKey(catalog, create);
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
    if (action === "revoke") {
      const key = await catalog.revokeApiKey(fingerprint!);
      cli.stdout(
        `API key ${key.fingerprint} revoked at ${iso(key.revokedMs!)}; ` +
          `daemons refuse it within ${API_KEY_CACHE_MS / 1000} s`,
      );
      return 0;
    }
    if (action === "status") {
      const key = await catalog.findApiKey(fingerprint!);
      if (key === null) throw new NotFoundError(`Cannot find API key "${fingerprint}"`);
      const { tokenSha256: _, ...listed } = key;
      if (json) cli.stdout(JSON.stringify(keyJson(listed, Date.now())));
      else for (const line of table([listed], Date.now())) cli.stdout(line);
      return 0;
    }
    const keys = await catalog.listApiKeys();
    const now = Date.now();
    if (json) { for (const key of keys) cli.stdout(JSON.stringify(keyJson(key, now))); }
    else for (const line of table(keys, now)) cli.stdout(line);
    return 0;
  },
};

/** `-p X` and `-pX`, the 2026 daemon's spelling, as `--level X`. */
function shortFlags(args: string[]): string[] {
  return args.flatMap((a) =>
    a === "-p" ? ["--level"] : a.startsWith("-p") && a.length > 2 ? ["--level", a.slice(2)] : [a]
  );
}

interface CreateOptions {
  permissions: ApiKeyPermission[];
  description: string;
  expiresNs: bigint | null;
}

function parseCreateOptions(
  v: {
    permissions?: string;
    level?: string;
    "expires-in-days"?: string;
    "expires-at"?: string;
    description?: string;
  },
  nowMs: number,
): CreateOptions {
  const permissions = parsePermissions(v);
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
    if (ms > MAX_EXPIRY_MS) {
      throw new ConfigError(`--expires-at must be before 2262-04-11 (nanoseconds in 64 bits), got "${at}"`);
    }
    expiresMs = ms;
  }
  const expiresNs = expiresMs === null ? null : BigInt(expiresMs) * NS_PER_MS;
  return { permissions, description: v.description ?? "", expiresNs };
}

/** The permissions of `--permissions` (independent) or `--level` (hierarchical): exactly one of them. */
function parsePermissions(v: { permissions?: string; level?: string }): ApiKeyPermission[] {
  if (v.permissions !== undefined && v.level !== undefined) {
    throw new ConfigError("Give --permissions or --level (-p), not both");
  }
  if (v.level !== undefined) {
    const level = v.level.trim();
    if (!isApiKeyPermission(level)) {
      throw new ConfigError(`--level must be one of ${PERMISSION_LIST}, got "${v.level}"`);
    }
    return expandHierarchical(level);
  }
  if (v.permissions === undefined) {
    throw new ConfigError(`api-key create needs --permissions (${PERMISSION_LIST}) or --level (-p)`);
  }
  const wanted = v.permissions.split(",").map((p) => p.trim()).filter(Boolean);
  for (const p of wanted) {
    if (!isApiKeyPermission(p)) {
      throw new ConfigError(`--permissions must list ${PERMISSION_LIST}, got "${p}"`);
    }
  }
  const permissions = normalizePermissions(wanted as ApiKeyPermission[]);
  if (permissions.length === 0) throw new ConfigError("--permissions must name at least one permission");
  return permissions;
}

/** A fingerprint, or the fingerprint of a whole token pasted instead. */
function parseFingerprint(action: string, raw: string): string {
  const text = raw.trim();
  const fromToken = /^msco_[a-z0-9]{32}_([0-9a-f]{8})$/.exec(text);
  const fingerprint = fromToken ? fromToken[1] : text;
  if (!isFingerprint(fingerprint)) {
    throw new ConfigError(
      `api-key ${action} needs a fingerprint (8 hex digits, as api-key list shows), got "${raw}"`,
    );
  }
  return fingerprint;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.000Z$/, "Z");
}

function state(key: ApiKey, nowMs: number): "active" | "expired" | "revoked" {
  if (key.revokedMs !== null) return "revoked";
  return isExpired(key.expiresNs, nowMs) ? "expired" : "active";
}

function keyJson(key: ApiKey, nowMs: number) {
  return {
    fingerprint: key.fingerprint,
    permissions: key.permissions,
    description: key.description,
    created_at: iso(key.createdMs),
    expires_at: key.expiresMs === null ? null : iso(key.expiresMs),
    created_at_ns: exactInt(key.createdNs),
    expires_at_ns: key.expiresNs === null ? null : exactInt(key.expiresNs),
    revoked_at: key.revokedMs === null ? null : iso(key.revokedMs),
    state: state(key, nowMs),
  };
}

/** An integer that `JSON.stringify` writes exactly, beyond 2^53 too. */
function exactInt(n: bigint): unknown {
  return (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON(String(n));
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
