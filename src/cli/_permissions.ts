/**
 * Deno permissions that explain themselves. Before the daemon opens anything, every path its
 * configuration names (the embedded catalog and a directory store, usually both under `--data-dir`, and
 * the TLS files) is checked with `Deno.permissions.querySync`; a path the process may not use stops it
 * with one line naming the path, its option and how to grant it (`deno task start` may write only under
 * the project directory and cannot take permission flags). A permission error raised later, while
 * opening, gets the same kind of line. Imports only the config types and the error classes: no
 * catalog, store or Flight code.
 *
 * @module
 */
import { resolve } from "node:path";
import type { Config } from "../config.ts";
import { ConfigError, describeError } from "../errors.ts";

type Access = "read" | "write";

/** A path the configuration makes the daemon use. */
export interface PathNeed {
  /** The path as the daemon will use it, made absolute. */
  path: string;
  /** What it is and which option names it: `the data directory "/x" (--data-dir)`. */
  what: string;
  /** The path to grant (the data directory for the catalog and store inside it). */
  grant: string;
  access: readonly Access[];
}

/** A need the process's permissions do not cover, with the accesses missing. */
export interface DeniedPath {
  need: PathNeed;
  missing: Access[];
}

/** The part of the configuration that names paths (the maintenance commands have no TLS). */
export type PathConfig = Pick<Config, "dataDir" | "catalog" | "store"> & Partial<Pick<Config, "tls">>;

/** Every path `config` makes the daemon read or write (none for PostgreSQL with an S3 store). */
export function pathNeeds(config: Readonly<PathConfig>): PathNeed[] {
  const dataDir = resolve(config.dataDir);
  const dir = (path: string, fromDataDir: boolean): PathNeed => {
    const abs = resolve(path);
    const access = ["read", "write"] as const;
    return fromDataDir
      ? { path: abs, what: `the data directory "${dataDir}" (--data-dir)`, grant: dataDir, access }
      : { path: abs, what: `the store directory "${abs}" (--store)`, grant: abs, access };
  };
  const needs: PathNeed[] = [];
  // The embedded catalog is always <data-dir>/catalog; the store is <data-dir>/store unless --store moves it.
  if (config.catalog.kind === "pglite") needs.push(dir(config.catalog.dir, true));
  if (config.store.kind === "fs") {
    needs.push(dir(config.store.root, resolve(config.store.root) === resolve(config.dataDir, "store")));
  }
  if (config.tls) {
    for (
      const [file, what, option] of [
        [config.tls.certFile, "certificate", "--tls-cert-file"],
        [config.tls.privateKeyFile, "private key", "--tls-private-key-file"],
      ]
    ) {
      const abs = resolve(file);
      needs.push({
        path: abs,
        what: `the TLS ${what} file "${abs}" (${option})`,
        grant: abs,
        access: ["read"],
      });
    }
  }
  return needs;
}

/** The needs this process's Deno permissions do not grant (a permission that would prompt counts as denied). */
export function deniedPaths(needs: readonly PathNeed[]): DeniedPath[] {
  const denied: DeniedPath[] = [];
  for (const need of needs) {
    const missing = need.access.filter((name) =>
      Deno.permissions.querySync({ name, path: need.path }).state !== "granted"
    );
    if (missing.length > 0) denied.push({ need, missing });
  }
  return denied;
}

/**
 * How the process was started, for the advice on granting a permission: `"bundle"` is the offline bundle's
 * launcher (it sets `MOSAICOD_LAUNCHER=bundle` and grants writes through `MOSAICOD_ALLOW_WRITE`).
 */
export type Launcher = "bundle" | undefined;

/** The launcher named by the environment's `MOSAICOD_LAUNCHER`, if it is one this module knows. */
export function launcherOf(env: Record<string, string | undefined>): Launcher {
  return env.MOSAICOD_LAUNCHER === "bundle" ? "bundle" : undefined;
}

/** One line: what is denied and how to grant it, for `deno run`, the bundle's launcher or a compiled binary. */
export function permissionMessage(denied: readonly DeniedPath[], launcher?: Launcher): string {
  const items = new Set<string>();
  const grants: Record<Access, Set<string>> = { read: new Set(), write: new Set() };
  for (const { need, missing } of denied) {
    const verb = missing.join(" and ");
    items.add(`${verb} ${need.what}`);
    for (const access of missing) grants[access].add(need.grant);
  }
  const flags = (["read", "write"] as const).filter((a) => grants[a].size > 0)
    .map((a) => `--allow-${a}=${[...grants[a]].join(",")}`).join(" ");
  const cwd = Deno.cwd();
  const writesHere = Deno.permissions.querySync({ name: "write", path: cwd }).state === "granted";
  const lead = `Deno's permissions do not let mosaicod ${[...items].join(", nor ")}`;
  if (launcher === "bundle") return `${lead}. ${bundleGrant([...grants.write], [...grants.read])}`;
  if (Deno.build.standalone) {
    const here = grants.write.size > 0 && writesHere
      ? `; this binary may write under the directory it runs in: start it from a directory that contains ` +
        `${[...grants.write].map((p) => `"${p}"`).join(" and ")}, or`
      : ";";
    return `${lead}${here} compile it again with ${flags}`;
  }
  const alternative = grants.write.size > 0 && writesHere
    ? `, or choose a path inside "${cwd}", where this process may write`
    : "";
  return `${lead}. Grant ${
    items.size > 1 ? "them" : "it"
  }: deno run ${flags} with the other flags of the start task in deno.json, ` +
    `then main.ts server and your options (deno task start cannot take permission flags)${alternative}`;
}

/** The bundle launcher's way to grant `write` paths (it grants every read already). */
function bundleGrant(write: readonly string[], read: readonly string[]): string {
  const parts: string[] = [];
  if (write.length > 0) {
    parts.push(
      `Grant ${write.length > 1 ? "them" : "it"}: start the launcher with MOSAICOD_ALLOW_WRITE=${
        write.join(",")
      } (comma-separated paths it may write, besides the data directory)`,
    );
  }
  if (read.length > 0) {
    parts.push(`The launcher reads everywhere: check the owner and mode of ${read.join(", ")}`);
  }
  return parts.join(". ");
}

/**
 * Checks every path of `config` against Deno's permissions, before anything is opened.
 * @throws ConfigError naming the paths and the flags (or launcher setting) that grant them.
 */
export function checkPathPermissions(config: Readonly<PathConfig>, launcher?: Launcher): void {
  const denied = deniedPaths(pathNeeds(config));
  if (denied.length > 0) throw new ConfigError(permissionMessage(denied, launcher));
}

/**
 * The same kind of one-line error for a permission failure raised while opening (a path outside the
 * configured ones, or the operating system refusing this user), or null when `err` is something else.
 */
export function explainPermissionError(
  err: unknown,
  config: Readonly<PathConfig>,
  launcher?: Launcher,
): ConfigError | null {
  let notCapable: Error | null = null;
  let osDenied: Error | null = null;
  for (let cur: unknown = err, depth = 0; cur instanceof Error && depth < 8; cur = cur.cause, depth++) {
    if (cur instanceof Deno.errors.NotCapable) notCapable ??= cur;
    if (cur instanceof Deno.errors.PermissionDenied) osDenied ??= cur;
  }
  if (notCapable !== null) {
    const denied = deniedPaths(pathNeeds(config));
    if (denied.length > 0) return new ConfigError(permissionMessage(denied, launcher), { cause: err });
    if (launcher === "bundle") {
      return new ConfigError(
        `Deno's permissions stopped mosaicod: ${notCapable.message}. The bundle's launcher grants writes to ` +
          `the data directory and to the comma-separated paths of MOSAICOD_ALLOW_WRITE: add the path there`,
        { cause: err },
      );
    }
    return new ConfigError(
      `Deno's permissions stopped mosaicod: ${notCapable.message}. deno task start cannot take permission ` +
        `flags: run deno run with that flag and the other flags of the start task in deno.json, then ` +
        `main.ts server and your options`,
      { cause: err },
    );
  }
  if (osDenied !== null) {
    const paths = [...new Set(pathNeeds(config).map((n) => n.what))].join(", ");
    return new ConfigError(
      `The operating system denies mosaicod access: ${describeError(err)}. The user running it needs to ` +
        `use ${paths || "the paths it is given"} (check their owner and mode)`,
      { cause: err },
    );
  }
  return null;
}
