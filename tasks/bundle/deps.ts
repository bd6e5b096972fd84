/**
 * What a bundle must carry for its entry points to run from the module cache alone, as the building Deno's
 * own `deno info --json` reports it: the local modules they load, and the npm packages those import with all
 * their dependencies (never the test-only ones such as s3rver). Checks that no such package is
 * platform-specific (an `os`/`cpu`/`libc` field, or a native `.node` addon), since one cache serves every
 * platform, and copies the packages from the building machine's npm cache. Imports nothing from src/ or
 * tests/.
 *
 * @module
 */
import { cp } from "node:fs/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { isAbsolute, join, relative } from "node:path";
import { run } from "./_run.ts";

/** One npm package of the closure, as `deno info --json` lists it. */
export interface NpmPackage {
  /** `name@version` (the key of deno.lock's `npm` section). */
  id: string;
  name: string;
  version: string;
  /** Ids of its dependencies. */
  dependencies: string[];
  registryUrl: string;
  /** Its folder in the building machine's npm cache. */
  localPath: string;
}

/** The run-time needs of some entry points. */
export interface ModuleGraph {
  /** The entry points, relative to the root folder: the main module, then the worker modules found. */
  entries: string[];
  /** Absolute paths of the local modules loaded, entry points included, sorted. */
  files: string[];
  /** Ids of the npm packages local modules import directly, sorted. */
  roots: string[];
  /** Every npm package the roots need, by id. */
  packages: Map<string, NpmPackage>;
  /** The building machine's npm cache folder (holding `<registry host>/<name>/<version>/`). */
  npmCache: string;
}

interface InfoModule {
  kind?: string;
  specifier: string;
  npmPackage?: string;
}

interface InfoOutput {
  modules?: InfoModule[];
  npmPackages?: Record<string, Omit<NpmPackage, "id">>;
  npmCache?: string;
}

/** Arguments of `deno install` that fill the module cache for some entry points, from it alone if `offline`. */
export function installArgs(entries: string[], offline: boolean): string[] {
  return ["install", "--entrypoint", "--frozen", ...(offline ? ["--cached-only"] : []), ...entries];
}

/**
 * Caches the dependencies of `main` and of every worker module its graph starts by URL
 * (`new URL("./x.ts", import.meta.url)`: no import graph shows them), in the building machine's module cache
 * (`--frozen`: deno.lock never changes), and reads their module graph.
 */
export async function moduleGraph(
  deno: string,
  rootDir: string,
  opts: { main: string; offline: boolean },
): Promise<ModuleGraph> {
  const entries = [opts.main];
  for (;;) {
    await run(deno, installArgs(entries, opts.offline), { cwd: rootDir });
    const graph = await readGraph(deno, rootDir, entries);
    const workers = (await workerModules(graph.files)).map((f) => relative(rootDir, f));
    const added = workers.filter((w) => !entries.includes(w));
    if (added.length === 0) return graph;
    entries.push(...added);
  }
}

/** Local module files started by URL from `files` (the pattern Worker constructors use). */
export async function workerModules(files: string[]): Promise<string[]> {
  const found = new Set<string>();
  for (const file of files) {
    const text = await Deno.readTextFile(file);
    for (
      const m of text.matchAll(/new\s+URL\(\s*["'](\.{1,2}\/[^"']+\.[jt]s)["']\s*,\s*import\.meta\.url\s*\)/g)
    ) {
      found.add(fileURLToPath(new URL(m[1], pathToFileURL(file))));
    }
  }
  return [...found].sort();
}

async function readGraph(deno: string, rootDir: string, entries: string[]): Promise<ModuleGraph> {
  const files = new Set<string>();
  const roots = new Set<string>();
  const listed = new Map<string, Omit<NpmPackage, "id">>();
  for (const entry of entries) {
    const info: InfoOutput = JSON.parse(await run(deno, ["info", "--json", entry], { cwd: rootDir }));
    for (const m of info.modules ?? []) {
      if (m.kind === "npm" && m.npmPackage) roots.add(m.npmPackage);
      if (m.kind === "esm" && m.specifier.startsWith("file:")) files.add(fileURLToPath(m.specifier));
    }
    for (const [id, pkg] of Object.entries(info.npmPackages ?? {})) listed.set(id, pkg);
  }
  const packages = new Map<string, NpmPackage>();
  const pending = [...roots];
  for (let id = pending.pop(); id !== undefined; id = pending.pop()) {
    if (packages.has(id)) continue;
    const pkg = listed.get(id);
    if (!pkg) throw new Error(`Cannot find npm package "${id}" in the output of deno info`);
    packages.set(id, { ...pkg, id });
    pending.push(...pkg.dependencies);
  }
  const cacheInfo: InfoOutput = JSON.parse(await run(deno, ["info", "--json"], { cwd: rootDir }));
  if (!cacheInfo.npmCache) throw new Error("Cannot find the npm cache folder in the output of deno info");
  for (const file of files) {
    const rel = relative(rootDir, file);
    if (rel.startsWith("..") || isAbsolute(rel)) {
      throw new Error(`Cannot bundle "${file}": outside "${rootDir}"`);
    }
  }
  return {
    entries: [...entries],
    files: [...files].sort(),
    roots: [...roots].sort(),
    packages,
    npmCache: cacheInfo.npmCache,
  };
}

/** The one registry every package came from (the launcher sets it, so that Deno finds their folder). */
export function registryOf(graph: ModuleGraph): string {
  const registries = new Set([...graph.packages.values()].map((p) => p.registryUrl));
  if (registries.size !== 1) {
    throw new Error(`Cannot bundle packages of several registries: ${[...registries].join(", ")}`);
  }
  return [...registries][0];
}

/** Throws naming every package that only works on some platforms. */
export async function checkPlatformNeutral(packages: Iterable<NpmPackage>): Promise<void> {
  const problems: string[] = [];
  for (const pkg of packages) {
    const manifest = JSON.parse(await Deno.readTextFile(join(pkg.localPath, "package.json")));
    for (const field of ["os", "cpu", "libc"]) {
      if (manifest[field] !== undefined) {
        problems.push(`${pkg.id} (${field}: ${JSON.stringify(manifest[field])})`);
      }
    }
    for await (const file of walkFiles(pkg.localPath)) {
      if (file.endsWith(".node")) problems.push(`${pkg.id} (native addon ${relative(pkg.localPath, file)})`);
    }
  }
  if (problems.length > 0) {
    throw new Error(
      `Cannot share one npm cache between platforms: platform-specific packages ${problems.join(", ")}`,
    );
  }
}

async function* walkFiles(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* walkFiles(path);
    else yield path;
  }
}

/** Copies every package folder into `npmDir` (a DENO_DIR's `npm/`), keeping the cache's layout. */
export async function copyPackages(graph: ModuleGraph, npmDir: string): Promise<void> {
  for (const pkg of graph.packages.values()) {
    const rel = relative(graph.npmCache, pkg.localPath);
    if (rel.startsWith("..") || isAbsolute(rel)) {
      throw new Error(`Cannot copy "${pkg.localPath}": outside the npm cache "${graph.npmCache}"`);
    }
    await cp(pkg.localPath, join(npmDir, rel), {
      recursive: true,
      verbatimSymlinks: true,
      // Deno's markers that it already warned about a package's install scripts, one per project folder.
      filter: (src) => !/[/\\]\.scripts-warned-[^/\\]*$/.test(src),
    });
  }
}
