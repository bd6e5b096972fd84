/**
 * Markdown as the link checker (`check_links.ts`) reads it: the links a file holds, with their lines, and
 * the anchors its headings get on GitHub. Not a full CommonMark parser: it knows what hides a link (fenced
 * code, code spans, HTML comments) and every form GitHub renders as one (inline links and images, reference
 * definitions, autolinks, bare `http(s)://` and `www.` URLs, HTML `href`/`src`). Pure: no file access.
 * Imports nothing.
 *
 * @module
 */

/** How a link is written. */
export type LinkForm = "inline" | "reference" | "autolink" | "bare-url" | "html";

/** One link of a Markdown file. */
export interface MarkdownLink {
  /** 1-based line of its destination. */
  readonly line: number;
  /** The destination as the renderer reads it (angle brackets dropped, backslash escapes resolved). */
  readonly target: string;
  readonly form: LinkForm;
}

const FENCE = /^\s*(`{3,}|~{3,})(.*)$/;

/** The lines of `text` with fenced code blocks emptied (so line numbers stay those of the file). */
function proseLines(text: string): string[] {
  const out: string[] = [];
  let fence: { char: string; length: number } | null = null;
  for (const line of text.split(/\r\n|\n|\r/)) {
    const m = FENCE.exec(line);
    if (fence === null) {
      // A backtick fence's info string may not hold a backtick (then it is a code span).
      const opens = m !== null && !(m[1][0] === "`" && m[2].includes("`"));
      if (opens) fence = { char: m[1][0], length: m[1].length };
      out.push(opens ? "" : line);
    } else {
      const closes = m !== null && m[1][0] === fence.char && m[1].length >= fence.length &&
        m[2].trim() === "";
      if (closes) fence = null;
      out.push("");
    }
  }
  return out;
}

const blank = (s: string) => s.replace(/[^\n]/g, " ");

/** Whether the character at `i` is escaped by an odd number of backslashes. */
function isEscaped(text: string, i: number): boolean {
  let n = 0;
  for (let j = i - 1; j >= 0 && text[j] === "\\"; j--) n++;
  return n % 2 === 1;
}

/** Where the code span opened by `n` backticks ending at `from` closes, or -1 (then they are literal). */
function closingRun(text: string, from: number, n: number): number {
  let j = from;
  while (j < text.length) {
    if (text[j] === "\n" && /^\n[ \t]*\n/.test(text.slice(j, j + 64))) return -1; // paragraph ends
    if (text[j] !== "`") {
      j++;
      continue;
    }
    let m = 0;
    while (text[j + m] === "`") m++;
    if (m === n) return j;
    j += m;
  }
  return -1;
}

/** `text` with code spans replaced by spaces (newlines kept), or by `keep(content)` when given. */
function replaceCodeSpans(text: string, keep?: (content: string) => string): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    if (text[i] !== "`" || isEscaped(text, i)) {
      out += text[i++];
      continue;
    }
    let n = 0;
    while (text[i + n] === "`") n++;
    const end = closingRun(text, i + n, n);
    if (end < 0) {
      out += text.slice(i, i + n);
      i += n;
      continue;
    }
    out += keep ? keep(text.slice(i + n, end)) : blank(text.slice(i, end + n));
    i = end + n;
  }
  return out;
}

/** Prose only: fenced code, code spans and HTML comments blanked; offsets and lines are the file's. */
function maskCode(text: string): string {
  return replaceCodeSpans(proseLines(text).join("\n")).replace(/<!--[\s\S]*?-->/g, blank);
}

/** A destination read after `](`: the target, and where it ends. Null when this is no inline link. */
function readDestination(text: string, start: number): { target: string; begin: number; end: number } | null {
  let j = start;
  while (text[j] === " " || text[j] === "\t") j++;
  const begin = j;
  let target = "";
  if (text[j] === "<") {
    const close = text.indexOf(">", j + 1);
    const newline = text.indexOf("\n", j + 1);
    if (close < 0 || (newline >= 0 && newline < close)) return null;
    target = text.slice(j + 1, close).replace(/\\([!-/:-@[-`{-~])/g, "$1");
    j = close + 1;
  } else {
    let depth = 0;
    for (; j < text.length; j++) {
      const c = text[j];
      if (c === "\\" && /[!-/:-@[-`{-~]/.test(text[j + 1] ?? "")) {
        target += text[++j];
        continue;
      }
      if (c <= " ") break;
      if (c === "(") depth++;
      else if (c === ")" && depth-- === 0) break;
      target += c;
    }
    if (depth > 0) return null;
  }
  const end = j;
  while (text[j] === " " || text[j] === "\t" || text[j] === "\n") j++;
  // A link's destination is followed by its title or by the closing parenthesis.
  return /[)"'(]/.test(text[j] ?? "") ? { target, begin, end } : null;
}

/** Line starts of `text`, for turning offsets into 1-based line numbers. */
function lineIndex(text: string): (offset: number) => number {
  const starts = [0];
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

const REFERENCE_DEFINITION = /^ {0,3}\[((?:[^\]\\\n]|\\.)+)\]:[ \t]*(?:<([^>\n]*)>|(\S+))/gm;
const AUTOLINK = /<([a-zA-Z][a-zA-Z0-9+.-]{1,31}:[^\s<>]*)>|<([^\s<>@]+@[^\s<>@]+\.[^\s<>@]+)>/g;
const HTML_LINK =
  /<(?:a|img|link|source|area|iframe)\b[^>]*?\b(?:href|src)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/gi;
const BARE_URL = /(^|[\s*_~(])((?:https?:\/\/|www\.)[^\s<]*)/gi;

/** Every link of a Markdown file, in order of appearance. */
export function extractLinks(markdown: string): MarkdownLink[] {
  let text = maskCode(markdown);
  const lineOf = lineIndex(text);
  const found: { offset: number; link: MarkdownLink }[] = [];
  const add = (target: string, offset: number, form: LinkForm) =>
    found.push({ offset, link: { line: lineOf(offset), target, form } });
  // Each link found is blanked, so that the bare-URL pass does not find its destination again.
  const masks: [number, number][] = [];
  let lastEnd = 0;
  for (let i = text.indexOf("]("); i >= 0; i = text.indexOf("](", i + 2)) {
    if (isEscaped(text, i) || !hasOpener(text, i, lastEnd)) continue;
    const dest = readDestination(text, i + 2);
    if (dest === null) continue;
    add(dest.target, dest.begin, "inline");
    masks.push([dest.begin, dest.end]);
    lastEnd = dest.end;
  }
  for (const m of text.matchAll(REFERENCE_DEFINITION)) {
    if (m[1].startsWith("^")) continue; // a footnote, not a link
    const target = m[2] ?? m[3];
    const at = m.index + m[0].length - (m[3] ?? `<${m[2]}>`).length;
    add(target, at, "reference");
    masks.push([at, m.index + m[0].length]);
  }
  for (const m of text.matchAll(AUTOLINK)) {
    add(m[1] ?? `mailto:${m[2]}`, m.index, "autolink");
    masks.push([m.index, m.index + m[0].length]);
  }
  for (const m of text.matchAll(HTML_LINK)) {
    add(m[1] ?? m[2] ?? m[3], m.index, "html");
    masks.push([m.index, m.index + m[0].length]);
  }
  for (const [from, to] of masks) text = text.slice(0, from) + blank(text.slice(from, to)) + text.slice(to);
  for (const m of text.matchAll(BARE_URL)) {
    const url = m[2].replace(/[.,:;!?*_~)'"]+$/, "");
    add(url, m.index + m[1].length, "bare-url");
  }
  return found.sort((a, b) => a.offset - b.offset).map((f) => f.link);
}

/** Whether the `]` at `close` has an unescaped `[` before it, after `floor` and within its paragraph. */
function hasOpener(text: string, close: number, floor: number): boolean {
  let depth = 0;
  for (let j = close - 1; j >= floor; j--) {
    const c = text[j];
    if (c === "\n" && /^\n[ \t]*\n/.test(text.slice(j, j + 64))) return false;
    if ((c !== "[" && c !== "]") || isEscaped(text, j)) continue;
    if (c === "]") depth++;
    else if (depth-- === 0) return true;
  }
  return false;
}

/**
 * GitHub's anchor for a heading's text: lowercased, everything but letters, marks, digits, `_`, `-` and
 * spaces dropped, each space turned into `-` (the rule of GitHub's renderer and of github-slugger).
 */
export function githubSlug(text: string): string {
  return text.toLowerCase().replace(/[^\p{L}\p{M}\p{Nd}\p{Nl}\p{Pc}\p{Alphabetic} -]/gu, "").replace(
    / /g,
    "-",
  );
}

/** A heading's text as rendered: markup dropped, code spans and link texts kept. */
export function headingText(raw: string): string {
  const codes: string[] = [];
  // Code spans are set aside first: nothing inside them is markup.
  let text = replaceCodeSpans(raw, (content) => {
    codes.push(content.length > 2 && /^ .* $/.test(content) ? content.slice(1, -1) : content);
    return `\uE000${codes.length - 1}\uE000`;
  });
  text = text
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, "") // an image has no text
    .replace(/\[([^\]]*)\](?:\([^)]*\)|\[[^\]]*\])/g, "$1")
    .replace(/<[^>]+>/g, "")
    .replace(/(^|[^\p{L}\p{N}\\])_+(?=[\p{L}\p{N}])/gu, "$1") // emphasis, not snake_case
    .replace(/(?<=[\p{L}\p{N}])_+(?=[^\p{L}\p{N}_]|$)/gu, "")
    .replace(/\\([!-/:-@[-`{-~])/g, "$1");
  return text.replace(/\uE000(\d+)\uE000/g, (_, i) => codes[Number(i)]).trim();
}

const ATX = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const SETEXT = /^ {0,3}(?:=+|-+)[ \t]*$/;
const NOT_PARAGRAPH = /^\s*(?:[-*+]\s|\d+[.)]\s|>|\||#)/;
const HTML_ID = /<[a-z][^>]*?\s(?:id|name)\s*=\s*["']([^"']+)["']/gi;

/** Every anchor a file offers: its headings' slugs (repeats numbered `-1`, `-2`…) and HTML `id`/`name`s. */
export function headingAnchors(markdown: string): Set<string> {
  const lines = proseLines(markdown);
  const anchors = new Set<string>();
  const counts = new Map<string, number>();
  const slug = (text: string) => {
    const base = githubSlug(headingText(text));
    let s = base;
    while (counts.has(s)) {
      const n = counts.get(base)! + 1;
      counts.set(base, n);
      s = `${base}-${n}`;
    }
    counts.set(s, 0);
    anchors.add(s);
  };
  let paragraph: string[] = [];
  for (const line of lines) {
    const atx = ATX.exec(line);
    if (atx) {
      slug(atx[2] ?? "");
      paragraph = [];
    } else if (SETEXT.test(line) && paragraph.length > 0 && !NOT_PARAGRAPH.test(paragraph[0])) {
      slug(paragraph.map((l) => l.trim()).join(" "));
      paragraph = [];
    } else if (line.trim() === "") paragraph = [];
    else paragraph.push(line);
  }
  for (const m of maskCode(markdown).matchAll(HTML_ID)) anchors.add(m[1]);
  return anchors;
}
