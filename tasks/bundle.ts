/**
 * `deno task bundle`: the offline bundle of each Linux platform, `<out>/mosaicod-<version>-linux-<arch>.tar.gz`,
 * holding one folder `mosaicod-<version>-linux-<arch>/` with
 *
 * - `bin/deno`: the Deno runtime for that CPU, from the npm registry's `@deno/linux-*-glibc` package at the
 *   version and integrity pinned in packaging/deno_runtime.json (downloaded once into `--cache-dir`);
 * - `app/`: the modules the entry points load, with deno.json and deno.lock narrowed to what they import;
 * - `deno_dir/npm/`: every npm package they need, copied from this machine's Deno cache;
 * - `mosaicod`: the launcher (packaging/mosaicod.in) with exactly the `start` task's permissions;
 * - `mosaicod.service`: the systemd unit (packaging/mosaicod.service), and `BUNDLE.json`, what was packed.
 *
 * The entry points are main.ts and the worker modules its graph starts by URL (found in the source, since no
 * import graph shows them). Before packing, the staged folder must load them from its own cache with
 * `--cached-only`. `--offline` never downloads: with a warm cache (the runtime tarballs and this machine's npm
 * cache, which `--fetch-only` fills) the bundles build without any network. Needs GNU tar. Imports only
 * src/version.ts from src/.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { DAEMON_VERSION } from "../src/version.ts";
import { checkPlatformNeutral, copyPackages, installArgs, moduleGraph, registryOf } from "./bundle/deps.ts";
import { stageApp } from "./bundle/app.ts";
import { renderLauncher, taskPermissions } from "./bundle/launcher.ts";
import {
  ensureTarball,
  extractDeno,
  loadPins,
  type Platform,
  PLATFORMS,
  type RuntimePins,
} from "./bundle/runtime.ts";
import { run } from "./bundle/_run.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const PACKAGING = join(ROOT, "packaging");

const USAGE = `Usage: deno task bundle [options]

Writes <out>/mosaicod-${DAEMON_VERSION}-linux-<arch>.tar.gz for each platform.

  --out DIR          where the tarballs go (default: dist)
  --platform ARCH    x86_64 or aarch64; repeat for several (default: both)
  --offline          never download: the Deno runtimes and npm packages must be cached already
  --fetch-only       download what a later --offline build needs, build nothing
  --cache-dir DIR    downloaded Deno runtimes (default: .cache/bundle)
  --help             this text`;

/** What {@link buildBundles} builds. */
export interface BundleOptions {
  outDir: string;
  platforms: Platform[];
  offline: boolean;
  /** Stop once the runtimes and npm packages are cached. */
  fetchOnly: boolean;
  cacheDir: string;
  log: (line: string) => void;
}

/** Builds the bundles; returns the tarballs' paths. */
export async function buildBundles(opts: BundleOptions): Promise<string[]> {
  const started = performance.now();
  const pins = await loadPins(join(PACKAGING, "deno_runtime.json"));
  if (Deno.version.deno !== pins.version) {
    throw new Error(
      `Cannot bundle with Deno ${Deno.version.deno}: the pinned runtime is ${pins.version} ` +
        `(run \`npx -y deno@${pins.version} task bundle\`, or change packaging/deno_runtime.json)`,
    );
  }
  const registry = Deno.env.get("NPM_CONFIG_REGISTRY") ?? "https://registry.npmjs.org/";
  const tarballs = new Map<Platform, string>();
  for (const platform of opts.platforms) {
    tarballs.set(platform, await ensureTarball(pins, platform, { ...opts, registry }));
  }
  const config = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  const graph = await moduleGraph(Deno.execPath(), ROOT, { main: "main.ts", offline: opts.offline });
  await checkPlatformNeutral(graph.packages.values());
  opts.log(`entry points ${graph.entries.join(", ")}: ${graph.files.length} modules`);
  opts.log(`${graph.packages.size} npm packages for ${graph.roots.join(", ")}`);
  if (opts.fetchOnly) return [];

  const work = await Deno.makeTempDir({ prefix: "mosaicod-bundle-" });
  try {
    let stage = join(work, "stage");
    const dropped = await stageApp(ROOT, graph, join(stage, "app"));
    if (dropped.length > 0) opts.log(`install scripts not run (as with any global Deno cache): ${dropped}`);
    await copyPackages(graph, join(stage, "deno_dir", "npm"));
    await verifyOffline(stage, graph.entries);
    await Deno.copyFile(join(PACKAGING, "mosaicod.service"), join(stage, "mosaicod.service"));
    const template = await Deno.readTextFile(join(PACKAGING, "mosaicod.in"));
    const permissions = taskPermissions(config, "start");
    await Deno.mkdir(join(stage, "bin"));
    await Deno.mkdir(opts.outDir, { recursive: true });
    const written: string[] = [];
    for (const platform of opts.platforms) {
      const name = `mosaicod-${DAEMON_VERSION}-linux-${platform}`;
      await Deno.rename(stage, join(work, name));
      stage = join(work, name);
      await extractDeno(tarballs.get(platform)!, platform, join(stage, "bin", "deno"));
      const launcher = renderLauncher(template, {
        version: DAEMON_VERSION,
        platform,
        denoVersion: pins.version,
        registry: registryOf(graph),
        permissions,
      });
      await Deno.writeTextFile(join(stage, "mosaicod"), launcher, { mode: 0o755 });
      await Deno.chmod(join(stage, "mosaicod"), 0o755);
      await Deno.writeTextFile(join(stage, "BUNDLE.json"), manifest(pins, platform, graph.packages.keys()));
      const out = join(opts.outDir, `${name}.tar.gz`);
      await run("tar", [
        "--sort=name",
        "--owner=0",
        "--group=0",
        "--numeric-owner",
        "-czf",
        `${out}.partial`,
        "-C",
        work,
        name,
      ]);
      await Deno.rename(`${out}.partial`, out);
      opts.log(`wrote ${out} (${((await Deno.stat(out)).size / 2 ** 20).toFixed(1)} MiB)`);
      written.push(out);
    }
    opts.log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return written;
  } finally {
    await Deno.remove(work, { recursive: true });
  }
}

/**
 * Loads the staged entry points the way the launcher will (`--cached-only`, the staged DENO_DIR, deno.json
 * and frozen lock) so that a bundle missing anything fails here; then drops the caches Deno wrote beside
 * `npm/`, which it rebuilds (in memory when read-only) on the robot.
 */
async function verifyOffline(stage: string, entries: string[]): Promise<void> {
  const denoDir = join(stage, "deno_dir");
  const config = ["--config", join(stage, "app", "deno.json")];
  const args = installArgs(entries.map((e) => join(stage, "app", e)), true);
  await run(Deno.execPath(), [...args.slice(0, 1), ...config, ...args.slice(1)], {
    env: { DENO_DIR: denoDir },
    cwd: stage,
  });
  for await (const entry of Deno.readDir(denoDir)) {
    if (entry.name !== "npm") await Deno.remove(join(denoDir, entry.name), { recursive: true });
  }
}

function manifest(pins: RuntimePins, platform: Platform, packages: Iterable<string>): string {
  const pin = pins.platforms[platform];
  return JSON.stringify(
    {
      name: "mosaicod",
      version: DAEMON_VERSION,
      platform: `linux-${platform}`,
      deno: { version: pins.version, package: pin.package, integrity: pin.integrity },
      npmPackages: [...packages].sort(),
    },
    null,
    2,
  ) + "\n";
}

function parseOptions(args: string[]): BundleOptions | null {
  const { values } = parseArgs({
    args,
    options: {
      out: { type: "string", default: "dist" },
      platform: { type: "string", multiple: true },
      offline: { type: "boolean", default: false },
      "fetch-only": { type: "boolean", default: false },
      "cache-dir": { type: "string", default: ".cache/bundle" },
      help: { type: "boolean", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return null;
  const platforms = values.platform ?? [...PLATFORMS];
  for (const p of platforms) {
    if (!PLATFORMS.includes(p as Platform)) {
      throw new Error(`Cannot build for platform "${p}": expected ${PLATFORMS.join(" or ")}`);
    }
  }
  return {
    outDir: values.out,
    platforms: [...new Set(platforms)] as Platform[],
    offline: values.offline,
    fetchOnly: values["fetch-only"],
    cacheDir: values["cache-dir"],
    log: (line) => console.error(`bundle: ${line}`),
  };
}

if (import.meta.main) {
  let code = 0;
  try {
    const opts = parseOptions(Deno.args);
    if (opts === null) console.log(USAGE);
    else await buildBundles(opts);
  } catch (err) {
    console.error(`bundle: ${err instanceof Error ? err.message : err}`);
    code = 1;
  }
  Deno.exit(code);
}
