/** The Markdown link checker of `deno task check` (tasks/check_links.ts): parsing, GitHub anchors, verdicts. */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { extractLinks, githubSlug, headingAnchors, headingText } from "../tasks/_markdown.ts";
import { checkLinks, ignoredDirectories } from "../tasks/check_links.ts";

const CHECKER = fileURLToPath(new URL("../tasks/check_links.ts", import.meta.url));

/** A throwaway repository holding `files` (relative path → content). */
async function repo(files: Record<string, string>): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "mosaicod-links-" });
  for (const [path, text] of Object.entries(files)) {
    const full = `${root}/${path}`;
    await Deno.mkdir(full.slice(0, full.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(full, text);
  }
  return root;
}

Deno.test("githubSlug() and headingText() give GitHub's anchors", () => {
  const cases: [string, string][] = [
    ["2026 protocol (SDK 0.4): sessions", "2026-protocol-sdk-04-sessions"],
    ["Live events (extension)", "live-events-extension"],
    ["Security: API keys and TLS", "security-api-keys-and-tls"],
    ["`--workers N`: every core", "--workers-n-every-core"],
    ["The `sequence_create` action", "the-sequence_create-action"],
    ["*Emphasis* and _this_ and **bold**", "emphasis-and-this-and-bold"],
    ["A [link](other.md) and ![img](x.png) here", "a-link-and--here"],
    ["Über café — 3½ × ok?", "über-café--3--ok"],
    ["C++ & <b>HTML</b> \\# escaped", "c--html--escaped"],
  ];
  for (const [heading, slug] of cases) assert.equal(githubSlug(headingText(heading)), slug, heading);
});

Deno.test("headingAnchors() numbers repeats, reads setext headings and HTML ids, skips code", () => {
  const md = [
    "# Title",
    "## Usage",
    "## Usage",
    "### Usage #",
    "",
    "Setext one",
    "==========",
    "",
    "- a list item",
    "---",
    "",
    "```sh",
    "# not a heading",
    "```",
    '<a id="custom-anchor"></a>',
    "#not-a-heading-either",
  ].join("\n");
  assert.deepEqual(
    [...headingAnchors(md)].sort(),
    ["custom-anchor", "setext-one", "title", "usage", "usage-1", "usage-2"],
  );
});

Deno.test("extractLinks() finds every form GitHub renders, with lines, and nothing in code", () => {
  const md = [
    'Intro [docs](docs/a.md#part) and ![img](<img dir/x.png> "title").', // 1
    "Wrapped [link](a_(b).md) `[not](code.md)` \\[escaped](no.md)", // 2
    "See https://example.org/x. and www.example.com, <https://auto.example> or <me@example.com>.", // 3
    '<a href="html.md">x</a> <img src="pic.png">', // 4
    "[ref]: ../outside.md", // 5
    "[^note]: a footnote, no link", // 6
    "```", // 7
    "[fenced](fenced.md) https://fenced.example", // 8
    "```", // 9
    "`a span", // 10
    "over two lines [x](span.md)` [after](after.md)", // 11
    "[empty]() and [text] (not a link) and [x](y z)", // 12
  ].join("\n");
  const got = extractLinks(md).map((l) => `${l.line} ${l.form} ${l.target}`).sort();
  assert.deepEqual(got, [
    "1 inline docs/a.md#part",
    "1 inline img dir/x.png",
    "11 inline after.md",
    "12 inline ",
    "2 inline a_(b).md",
    "3 autolink https://auto.example",
    "3 autolink mailto:me@example.com",
    "3 bare-url https://example.org/x",
    "3 bare-url www.example.com",
    "4 html html.md",
    "4 html pic.png",
    "5 reference ../outside.md",
  ]);
});

Deno.test("ignoredDirectories() takes plain directory patterns of .gitignore", () => {
  const got = ignoredDirectories("# c\n/data/\n/dist/\n__pycache__/\n*.cpuprofile\n!keep/\nbuild/*/\na/b/\n");
  assert.deepEqual(got, { rooted: ["data", "dist", "a/b"], anywhere: ["__pycache__"] });
});

Deno.test("checkLinks() accepts links that stay inside and land, and names every bad one", async () => {
  const root = await repo({
    ".gitignore": "/data/\n",
    "README.md": [
      "# Project", // 1
      "[ops](docs/ops.md#backups) [self](#project) [dir](docs/) [code](src/x.ts#L2-L3)", // 2
      "[web](https://example.org) and http://bare.example", // 3
      "[up](../shared/docs/x.md) [abs](/etc/passwd) [gone](docs/missing.md)", // 4
      "[anchor](docs/ops.md#nope) [own](#nope) [data](data/x.md) [line](src/x.ts#L9)", // 5
      "[dir anchor](docs/#ops) [fixture](tests/fixtures/notes.md) [enc](docs/a%20b.md)", // 6
    ].join("\n"),
    "docs/README.md": "# Docs\n\n## Ops\n\n[back](../README.md#project)\n",
    "docs/ops.md": "# Operations\n\n## Backups\n\n[home](../README.md) [sib](README.md#docs)\n",
    "docs/a b.md": "# Spaced\n",
    "src/x.ts": "a\nb\nc\n",
    "data/x.md": "[bad](https://ignored.example)\n",
    "node_modules/m/README.md": "[bad](https://ignored.example)\n",
    "tests/fixtures/notes.md": "[bad](https://fixture.example)\n",
  });
  try {
    const report = await checkLinks(root);
    assert.deepEqual(report.files, ["README.md", "docs/README.md", "docs/a b.md", "docs/ops.md"]);
    const got = report.problems.map((p) => `${p.file}:${p.line} ${p.target} | ${p.reason}`);
    assert.deepEqual(got, [
      "README.md:3 https://example.org | leaves the repository (a URL): link only to files in the repository",
      "README.md:3 http://bare.example | leaves the repository (a URL): link only to files in the repository",
      "README.md:4 ../shared/docs/x.md | leaves the repository (a path above its root)",
      "README.md:4 /etc/passwd | absolute path: write it relative to this file",
      "README.md:4 docs/missing.md | no such file: docs/missing.md",
      'README.md:5 docs/ops.md#nope | no heading or id "nope" in docs/ops.md',
      'README.md:5 #nope | no heading or id "nope" in README.md',
      "README.md:5 data/x.md | points into data/, which is not part of the repository",
      "README.md:5 src/x.ts#L9 | line 9 is beyond the 4 lines of src/x.ts",
    ]);
    assert.equal(report.links, 19);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("check_links.ts exits 1 and prints file:line for a bad link", async () => {
  const root = await repo({ "README.md": "# A\n\n[x](#b)\n" });
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", CHECKER, root],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 1, stderr);
    assert.match(stderr, /^README\.md:3: "#b": no heading or id "b" in README\.md$/m);
    assert.match(stderr, /1 Markdown files, 1 links, 1 bad/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
