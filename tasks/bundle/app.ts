/**
 * The `app/` folder of a bundle: the local modules the entry points load (nothing else of the source tree:
 * no tests), and a deno.json and deno.lock narrowed to the npm packages the bundle carries. Deno installs
 * every package of a lockfile before running anything, so the repository's lock, which also pins the
 * test-only packages (s3rver, the hpack test corpus), cannot be used with `--cached-only` as is. Imports
 * nothing from src/ or tests/.
 *
 * @module
 */
import { dirname, join, relative } from "node:path";
import type { ModuleGraph } from "./deps.ts";

/** Config keys that only development tools read. */
const DEV_ONLY_KEYS = ["tasks", "fmt", "lint", "test", "bench", "exclude"];

/** The package name of an `npm:` specifier (`npm:@a/b@1.0.0`, `npm:/@a/b@1.0.0/`), or null for another kind. */
export function npmName(specifier: string): string | null {
  return /^npm:\/?((?:@[^/@]+\/)?[^/@]+)/.exec(specifier)?.[1] ?? null;
}

/** deno.json without development settings, its imports narrowed to the packages in `names`. */
export function pruneConfig(config: Record<string, unknown>, names: Set<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (!DEV_ONLY_KEYS.includes(key)) out[key] = value;
  }
  const imports: Record<string, string> = {};
  for (const [key, target] of Object.entries((config.imports ?? {}) as Record<string, string>)) {
    const name = npmName(target);
    if (name === null && /^(jsr|https?):/.test(target)) {
      throw new Error(`Cannot bundle the import "${key}": "${target}" is not an npm package`);
    }
    if (name === null || names.has(name)) imports[key] = target;
  }
  out.imports = imports;
  return out;
}

/** deno.lock (version 5), as far as a bundle uses it. */
export interface Lockfile {
  version: string;
  specifiers?: Record<string, string>;
  npm?: Record<string, Record<string, unknown>>;
  workspace?: { dependencies?: string[]; [key: string]: unknown };
  [key: string]: unknown;
}

/**
 * The lock narrowed to the package ids in `keep` (and the specifiers and workspace dependencies of the
 * packages named in `names`). The `scripts` flags are dropped and returned: Deno never runs install scripts
 * from its global cache, and the flag only makes it warn about that on every start of a read-only install.
 */
export function pruneLock(
  lock: Lockfile,
  keep: Iterable<string>,
  names: Set<string>,
): { lock: Lockfile; droppedScripts: string[] } {
  if (lock.version !== "5") throw new Error(`Cannot read deno.lock version "${lock.version}" (expected "5")`);
  for (const [key, value] of Object.entries(lock)) {
    const known = ["version", "specifiers", "npm", "workspace"].includes(key);
    if (!known && value && typeof value === "object" && Object.keys(value).length > 0) {
      throw new Error(`Cannot bundle the lockfile's "${key}" entries: only npm packages are supported`);
    }
  }
  const npm: Record<string, Record<string, unknown>> = {};
  const droppedScripts: string[] = [];
  for (const id of [...keep].sort()) {
    const entry = lock.npm?.[id];
    if (!entry) throw new Error(`Cannot find npm package "${id}" in deno.lock`);
    const { scripts, ...rest } = entry;
    if (scripts) droppedScripts.push(id);
    npm[id] = rest;
  }
  const named = (spec: string) => names.has(npmName(spec) ?? "");
  const specifiers = Object.fromEntries(
    Object.entries(lock.specifiers ?? {}).filter(([spec]) => named(spec)),
  );
  const workspace = lock.workspace
    ? { ...lock.workspace, dependencies: (lock.workspace.dependencies ?? []).filter(named) }
    : undefined;
  return { lock: { ...lock, specifiers, npm, ...(workspace ? { workspace } : {}) }, droppedScripts };
}

/**
 * Writes `appDir`: the graph's local modules at their paths relative to `rootDir`, and the narrowed
 * deno.json and deno.lock. Returns the packages whose install-script flag was dropped.
 */
export async function stageApp(rootDir: string, graph: ModuleGraph, appDir: string): Promise<string[]> {
  for (const file of graph.files) {
    const dest = join(appDir, relative(rootDir, file));
    await Deno.mkdir(dirname(dest), { recursive: true });
    await Deno.copyFile(file, dest);
  }
  const names = new Set(graph.roots.map((id) => graph.packages.get(id)?.name ?? id));
  const config = JSON.parse(await Deno.readTextFile(join(rootDir, "deno.json")));
  await Deno.writeTextFile(
    join(appDir, "deno.json"),
    JSON.stringify(pruneConfig(config, names), null, 2) + "\n",
  );
  const lock: Lockfile = JSON.parse(await Deno.readTextFile(join(rootDir, "deno.lock")));
  const pruned = pruneLock(lock, graph.packages.keys(), names);
  await Deno.writeTextFile(join(appDir, "deno.lock"), JSON.stringify(pruned.lock, null, 2) + "\n");
  return pruned.droppedScripts;
}
