/**
 * Conformance over the public hpack-test-case corpus (github.com/http2jp/hpack-test-case), as shipped
 * in the npm package `hpack@1.0.0` (a dev-only dependency in deno.json: nothing else imports it). The
 * JSON import below puts the package in the module graph, so `deno test` fetches it into Deno's npm
 * cache (offline once the cache is warm) and `import.meta.resolve` then names its folder on disk.
 *
 * For every story in RFC 7541 format (HPACK draft 9 and later: 11 encoders' folders, 350 stories): one
 * decoder, cases in seqno order, tables as large as the story's header_table_size says; each block must
 * decode to exactly the listed headers. Stories of drafts 5, 7 and 8 (hyper-hpack, node-http2-protocol,
 * twitter-hpack) predate the RFC's wire format (reference set, another static table): no RFC decoder
 * reads them, and the test checks that those are the only ones left out. Then every story's header lists
 * (raw-data and old drafts included) go through our encoder and back through our decoder.
 *
 * @module
 */
import assert from "node:assert/strict";
import hpackPackage from "hpack/package.json" with { type: "json" };
import { HpackDecoder } from "./decoder.ts";
import { HpackEncoder } from "./encoder.ts";
import type { HeaderField } from "./header.ts";
import { hex } from "./_test_util.ts";

const CORPUS = new URL("test/hpack-test-case/", import.meta.resolve("hpack/package.json"));
const DEFAULT_TABLE_SIZE = 4096;
/** Larger than any list in the corpus (about 2 KB): the limit is not what is tested here. */
const MAX_HEADER_LIST_SIZE = 1 << 20;

interface StoryCase {
  seqno?: number;
  header_table_size?: number;
  wire?: string;
  headers: Record<string, string>[];
}

interface Story {
  name: string;
  /** HPACK draft the wire blocks follow; absent in raw-data (no wire blocks). */
  draft?: number;
  cases: StoryCase[];
}

/** Draft 9 removed the reference set: from there on the wire format is RFC 7541's. */
const FIRST_RFC_DRAFT = 9;

const UTF8 = new TextEncoder();

/** The corpus writes headers as JSON text; our fields are byte strings (one char per byte). */
function byteString(text: string): string {
  return String.fromCharCode(...UTF8.encode(text));
}

function expectedFields(c: StoryCase): HeaderField[] {
  return c.headers.flatMap((h) =>
    Object.entries(h).map(([n, v]): HeaderField => [byteString(n), byteString(v)])
  );
}

/** The largest table a story asks for: the decoder's limit, which no size update may pass. */
function storyTableSize(story: Story): number {
  return Math.max(DEFAULT_TABLE_SIZE, ...story.cases.map((c) => c.header_table_size ?? 0));
}

async function readStories(folder: string): Promise<Story[]> {
  const dir = new URL(`${folder}/`, CORPUS);
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (/^story_\d+\.json$/.test(entry.name)) names.push(entry.name);
  }
  names.sort();
  return await Promise.all(names.map(async (name) => {
    const story = JSON.parse(await Deno.readTextFile(new URL(name, dir))) as Omit<Story, "name">;
    const cases = [...story.cases].sort((a, b) => (a.seqno ?? 0) - (b.seqno ?? 0));
    return { name: `${folder}/${name}`, draft: story.draft, cases };
  }));
}

async function corpusFolders(): Promise<string[]> {
  const folders: string[] = [];
  for await (const entry of Deno.readDir(CORPUS)) if (entry.isDirectory) folders.push(entry.name);
  return folders.sort();
}

/** Decodes every wire block of a story; returns how many cases were checked. */
function checkDecoding(story: Story): number {
  const decoder = new HpackDecoder({
    maxDynamicTableSize: storyTableSize(story),
    maxHeaderListSize: MAX_HEADER_LIST_SIZE,
  });
  let checked = 0;
  for (const c of story.cases) {
    if (c.wire === undefined) continue;
    assert.deepEqual(decoder.decode(hex(c.wire)), expectedFields(c), `${story.name} seqno ${c.seqno}`);
    checked++;
  }
  return checked;
}

/** Encodes every header list of a story with our encoder and decodes it back. */
function checkRoundTrip(story: Story): number {
  const tableSize = storyTableSize(story);
  const encoder = new HpackEncoder({ maxDynamicTableSize: tableSize });
  const decoder = new HpackDecoder({
    maxDynamicTableSize: tableSize,
    maxHeaderListSize: MAX_HEADER_LIST_SIZE,
  });
  for (const c of story.cases) {
    if (c.header_table_size !== undefined) encoder.setMaxDynamicTableSize(c.header_table_size);
    const fields = expectedFields(c);
    assert.deepEqual(decoder.decode(encoder.encode(fields)), fields, `${story.name} seqno ${c.seqno}`);
  }
  return story.cases.length;
}

Deno.test(`hpack-test-case corpus (npm hpack@${hpackPackage.version}): every RFC story decodes exactly`, async () => {
  let stories = 0;
  let cases = 0;
  const preRfc = new Set<string>();
  for (const folder of await corpusFolders()) {
    for (const story of await readStories(folder)) {
      if (story.draft === undefined) continue;
      if (story.draft < FIRST_RFC_DRAFT) {
        preRfc.add(folder);
        continue;
      }
      cases += checkDecoding(story);
      stories++;
    }
  }
  assert.deepEqual([...preRfc], ["hyper-hpack", "node-http2-protocol", "twitter-hpack"]);
  assert.equal(stories, 350, `stories in RFC format under ${CORPUS}`);
  assert.equal(cases, 36990);
});

Deno.test("hpack-test-case corpus: our encoder's blocks decode back to every story's headers", async () => {
  let cases = 0;
  for (const folder of await corpusFolders()) {
    for (const story of await readStories(folder)) cases += checkRoundTrip(story);
  }
  assert.equal(cases, 50292, `cases under ${CORPUS}`);
});
