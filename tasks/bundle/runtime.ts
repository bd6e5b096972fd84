/**
 * The Deno runtime of each bundle platform: the npm registry's `@deno/linux-*-glibc` package at the version
 * and sha512 integrity pinned in packaging/deno_runtime.json, downloaded once into a cache folder, verified
 * on every use, and its `deno` binary extracted and checked to be an ELF for that CPU. Imports nothing from
 * src/ or tests/.
 *
 * @module
 */
import { run } from "./_run.ts";

/** The Linux CPUs a bundle is built for, named as `uname -m` prints them. */
export type Platform = "x86_64" | "aarch64";
export const PLATFORMS: readonly Platform[] = ["x86_64", "aarch64"];

/** One platform's pinned npm package. */
export interface RuntimePin {
  /** npm package holding `package/deno`, e.g. `@deno/linux-arm64-glibc`. */
  package: string;
  /** The registry's `dist.integrity` of its tarball: `sha512-<base64>`. */
  integrity: string;
}

/** packaging/deno_runtime.json. */
export interface RuntimePins {
  version: string;
  platforms: Record<Platform, RuntimePin>;
}

/** ELF `e_machine` of each platform. */
const ELF_MACHINE: Record<Platform, number> = { x86_64: 62, aarch64: 183 };

/** Reads and checks the pins file. */
export async function loadPins(path: string): Promise<RuntimePins> {
  const pins = JSON.parse(await Deno.readTextFile(path));
  if (typeof pins?.version !== "string" || !/^\d+\.\d+\.\d+$/.test(pins.version)) {
    throw new Error(`Cannot use "${path}": "version" must be a Deno version such as "2.9.6"`);
  }
  for (const platform of PLATFORMS) {
    const pin = pins.platforms?.[platform];
    if (typeof pin?.package !== "string" || !/^sha512-[A-Za-z0-9+/]{86}==$/.test(pin?.integrity ?? "")) {
      throw new Error(`Cannot use "${path}": platforms.${platform} needs "package" and a sha512 "integrity"`);
    }
  }
  return pins;
}

/** The registry URL of a package's tarball (npm's layout: `<registry><name>/-/<basename>-<version>.tgz`). */
export function tarballUrl(registry: string, pkg: string, version: string): string {
  const base = pkg.slice(pkg.lastIndexOf("/") + 1);
  return `${registry.endsWith("/") ? registry : registry + "/"}${pkg}/-/${base}-${version}.tgz`;
}

/** `sha512-<base64>` of some bytes, as npm writes integrities. */
export async function sha512Integrity(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-512", bytes));
  return `sha512-${btoa(String.fromCharCode(...digest))}`;
}

/** Options of {@link ensureTarball}. */
export interface FetchOptions {
  /** Folder holding the downloaded tarballs (created when missing). */
  cacheDir: string;
  /** npm registry base URL. */
  registry: string;
  /** Never download: a tarball missing from the cache is an error. */
  offline: boolean;
  log: (line: string) => void;
}

/**
 * The path of the platform's verified tarball in the cache, downloading it first unless `offline`. A cached
 * file whose integrity does not match is an error (never silently replaced), as is a downloaded one.
 */
export async function ensureTarball(
  pins: RuntimePins,
  platform: Platform,
  opts: FetchOptions,
): Promise<string> {
  const pin = pins.platforms[platform];
  const file = `${opts.cacheDir}/${pin.package.replace("/", "+")}-${pins.version}.tgz`;
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = await Deno.readFile(file);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
    const url = tarballUrl(opts.registry, pin.package, pins.version);
    if (opts.offline) {
      throw new Error(
        `Cannot build offline: "${file}" is missing (a build without --offline downloads ${url})`,
      );
    }
    opts.log(`downloading ${url}`);
    const res = await fetch(url);
    if (!res.ok) {
      await res.body?.cancel();
      throw new Error(`Cannot download "${url}": HTTP ${res.status}`);
    }
    bytes = new Uint8Array(await res.arrayBuffer());
    await checkIntegrity(bytes, pin, url);
    await Deno.mkdir(opts.cacheDir, { recursive: true });
    await Deno.writeFile(`${file}.partial`, bytes);
    await Deno.rename(`${file}.partial`, file);
    return file;
  }
  await checkIntegrity(bytes, pin, file);
  return file;
}

async function checkIntegrity(bytes: Uint8Array<ArrayBuffer>, pin: RuntimePin, where: string): Promise<void> {
  const actual = await sha512Integrity(bytes);
  if (actual !== pin.integrity) {
    throw new Error(
      `Cannot use "${where}": its integrity is ${actual}, the pin of ${pin.package} says ${pin.integrity}`,
    );
  }
}

/**
 * Extracts `package/deno` of a verified tarball to `dest` (mode 0755) and checks that it is a 64-bit
 * little-endian ELF executable for `platform`.
 */
export async function extractDeno(tarball: string, platform: Platform, dest: string): Promise<void> {
  const tmp = await Deno.makeTempDir({ prefix: "mosaicod-runtime-" });
  try {
    await run("tar", ["-xzf", tarball, "-C", tmp, "package/deno"]);
    await Deno.rename(`${tmp}/package/deno`, dest).catch(async () => {
      await Deno.copyFile(`${tmp}/package/deno`, dest); // another file system
    });
    await Deno.chmod(dest, 0o755);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
  const machine = await elfMachine(dest);
  if (machine !== ELF_MACHINE[platform]) {
    throw new Error(
      `Cannot use "${tarball}": its deno is not an ${platform} executable (ELF machine ${machine})`,
    );
  }
}

/** The `e_machine` of a 64-bit little-endian ELF file, or null for anything else. */
export async function elfMachine(path: string): Promise<number | null> {
  using file = await Deno.open(path);
  const head = new Uint8Array(20);
  if ((await file.read(head)) !== 20) return null;
  const isElf64Le = head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46 &&
    head[4] === 2 && head[5] === 1;
  return isElf64Le ? new DataView(head.buffer).getUint16(18, true) : null;
}
