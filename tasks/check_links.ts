/**
 * `deno task check` runs this: every link of the repository's Markdown (README.md, docs/, any other `.md`
 * but tests/fixtures/, node_modules/ and what .gitignore leaves out) must stay inside the repository and
 * land somewhere. A problem is
 *
 * - a URL (`https://…`, `mailto:`, a bare `www.` address…): no allowlist, the docs are read from a checkout,
 *   offline, so standards are cited by name (RFC 9113), never linked;
 * - an absolute path, or a relative one that climbs out of the repository (`../shared/…`);
 * - a relative link to a file that does not exist, or into a directory .gitignore excludes (`data/`);
 * - an anchor `#x` that no heading of the target Markdown file (GitHub's slugs, `_markdown.ts`) or HTML
 *   `id` gives; in another file only line anchors (`#L12`, `#L12-L20`) within its length are accepted.
 *
 * Usage: `deno run --allow-read tasks/check_links.ts [repository root]`; exit code 1 when anything is wrong.
 * Imports only `_markdown.ts`, `node:path` and `node:url`.
 *
 * @module
 */
import { posix } from "node:path";
import { fileURLToPath } from "node:url";
import { extractLinks, headingAnchors, type MarkdownLink } from "./_markdown.ts";

/** One bad link. */
export interface LinkProblem {
  /** The Markdown file, relative to the root, `/`-separated. */
  readonly file: string;
  readonly line: number;
  readonly target: string;
  readonly reason: string;
}

/** What a run looked at and found. */
export interface LinkReport {
  readonly files: readonly string[];
  readonly links: number;
  readonly problems: readonly LinkProblem[];
}

/** Directories outside the repository's content, besides what .gitignore names. */
const NOT_CONTENT = [".git", "node_modules"];
/** Directories whose Markdown is data, not documentation: never scanned (links into them are fine). */
const NOT_SCANNED = ["tests/fixtures"];

/** Directories .gitignore excludes: `/dir/` at the root, `dir/` at any depth (glob patterns are ignored). */
export function ignoredDirectories(gitignore: string): { rooted: string[]; anywhere: string[] } {
  const rooted: string[] = [];
  const anywhere: string[] = [];
  for (const raw of gitignore.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith("!") || !line.endsWith("/")) continue;
    if (/[*?[\\]/.test(line)) continue;
    const name = line.replace(/^\/+|\/+$/g, "");
    if (line.startsWith("/") || name.includes("/")) rooted.push(name);
    else anywhere.push(name);
  }
  return { rooted, anywhere };
}

interface Excluded {
  rooted: string[];
  anywhere: string[];
}

/** The excluded directory holding `path` (relative, `/`-separated), or null. */
function excludedBy(path: string, excluded: Excluded): string | null {
  const rooted = excluded.rooted.find((d) => path === d || path.startsWith(`${d}/`));
  if (rooted !== undefined) return `${rooted}/`;
  const segments = path.split("/");
  const anywhere = excluded.anywhere.find((d) => segments.slice(0, -1).includes(d) || path === d);
  return anywhere === undefined ? null : `${anywhere}/`;
}

async function readText(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
}

async function statOrNull(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.stat(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) return null;
    throw err;
  }
}

/** Every Markdown file under `root` outside the excluded directories, sorted, relative to `root`. */
async function markdownFiles(root: string, excluded: Excluded): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(dir === "" ? root : posix.join(root, dir))) {
      const path = dir === "" ? entry.name : `${dir}/${entry.name}`;
      if (excludedBy(path, excluded) !== null) continue;
      if (entry.isDirectory) await walk(path);
      else if (entry.isFile && /\.md$/i.test(entry.name)) found.push(path);
    }
  };
  await walk("");
  return found.sort();
}

/** Checks the links of `root`'s Markdown files (or of `opts.files`, relative to `root`). */
export async function checkLinks(root: string, opts: { files?: string[] } = {}): Promise<LinkReport> {
  const gitignore = ignoredDirectories((await readText(posix.join(root, ".gitignore"))) ?? "");
  const excluded: Excluded = { rooted: [...NOT_CONTENT, ...gitignore.rooted], anywhere: gitignore.anywhere };
  const scanned: Excluded = { ...excluded, rooted: [...excluded.rooted, ...NOT_SCANNED] };
  const files = opts.files ?? await markdownFiles(root, scanned);
  const anchors = new Map<string, Promise<Set<string>>>();
  const anchorsOf = (file: string, text?: string) => {
    if (!anchors.has(file)) {
      const source = text !== undefined ? Promise.resolve(text) : Deno.readTextFile(posix.join(root, file));
      anchors.set(file, source.then(headingAnchors));
    }
    return anchors.get(file)!;
  };
  const problems: LinkProblem[] = [];
  let links = 0;
  for (const file of files) {
    const text = await Deno.readTextFile(posix.join(root, file));
    for (const link of extractLinks(text)) {
      links++;
      const reason = await checkTarget({
        root,
        file,
        excluded,
        anchorsOf: (f) => anchorsOf(f, f === file ? text : undefined),
      }, link);
      if (reason !== null) problems.push({ file, line: link.line, target: link.target, reason });
    }
  }
  return { files, links, problems };
}

interface TargetContext {
  root: string;
  file: string;
  excluded: Excluded;
  anchorsOf: (file: string) => Promise<Set<string>>;
}

/** Why a link is bad, or null when it is fine. */
async function checkTarget(ctx: TargetContext, link: MarkdownLink): Promise<string | null> {
  const target = link.target;
  if (target === "") return "empty link";
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(target) || target.startsWith("//") || link.form === "bare-url") {
    return "leaves the repository (a URL): link only to files in the repository";
  }
  if (target.startsWith("/")) return "absolute path: write it relative to this file";
  const hash = target.indexOf("#");
  const pathPart = (hash < 0 ? target : target.slice(0, hash)).replace(/\?.*$/, "");
  const fragment = hash < 0 ? null : target.slice(hash + 1);
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathPart);
  } catch {
    return "malformed percent-encoding in the path";
  }
  const resolved = pathPart === "" ? ctx.file : posix.normalize(posix.join(posix.dirname(ctx.file), decoded));
  if (resolved === ".." || resolved.startsWith("../")) return "leaves the repository (a path above its root)";
  const excludedDir = excludedBy(resolved, ctx.excluded);
  if (excludedDir !== null) return `points into ${excludedDir}, which is not part of the repository`;
  const info = await statOrNull(posix.join(ctx.root, resolved));
  if (info === null) return `no such file: ${resolved}`;
  if (fragment === null) return null;
  let anchorFile = resolved;
  if (info.isDirectory) {
    anchorFile = posix.join(resolved, "README.md");
    if ((await statOrNull(posix.join(ctx.root, anchorFile))) === null) {
      return `an anchor on directory ${resolved}/, which has no README.md`;
    }
  }
  return await checkFragment(ctx, anchorFile, fragment);
}

async function checkFragment(ctx: TargetContext, file: string, fragment: string): Promise<string | null> {
  let anchor: string;
  try {
    anchor = decodeURIComponent(fragment);
  } catch {
    return "malformed percent-encoding in the anchor";
  }
  if (anchor === "") return "empty anchor";
  if (/\.md$/i.test(file)) {
    return (await ctx.anchorsOf(file)).has(anchor) ? null : `no heading or id "${anchor}" in ${file}`;
  }
  const lines = /^L(\d+)(?:-L(\d+))?$/.exec(anchor);
  if (lines === null) return `anchor "${anchor}" in ${file}: outside Markdown only line anchors (#L12) work`;
  const count = (await Deno.readTextFile(posix.join(ctx.root, file))).split("\n").length;
  const last = Math.max(Number(lines[1]), Number(lines[2] ?? 0));
  return last >= 1 && last <= count ? null : `line ${last} is beyond the ${count} lines of ${file}`;
}

async function main(args: string[]): Promise<number> {
  if (args.length > 1 || args.some((a) => a.startsWith("-"))) {
    console.error("usage: deno run --allow-read tasks/check_links.ts [repository root]");
    return 2;
  }
  const root = args[0] ?? fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");
  const report = await checkLinks(root);
  for (const p of report.problems) console.error(`${p.file}:${p.line}: "${p.target}": ${p.reason}`);
  const summary = `${report.files.length} Markdown files, ${report.links} links`;
  console.error(
    report.problems.length === 0
      ? `check_links: ${summary}, all inside the repository and found`
      : `check_links: ${summary}, ${report.problems.length} bad`,
  );
  return report.problems.length === 0 ? 0 : 1;
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
