/**
 * Bounded, reproducible fuzzing for the tests (unit and end-to-end): a seeded PRNG, byte mutators for
 * binary messages (FlightData, IPC) and text mutators for JSON bodies, and a runner that stops at an
 * iteration count or a time budget, whichever comes first. Every input is derived from the seed and the
 * iteration number alone, so a failure names both and can be replayed. Test-only: nothing in the daemon
 * imports this module.
 *
 * @module
 */

/** A small, fast deterministic PRNG (sfc32); the same seed always gives the same sequence. */
export class Prng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: number) {
    this.#a = 0x9e3779b9;
    this.#b = 0x243f6a88;
    this.#c = 0xb7e15162;
    this.#d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.u32();
  }

  /** A uniform unsigned 32-bit integer. */
  u32(): number {
    const t = (((this.#a + this.#b) >>> 0) + this.#d) >>> 0;
    this.#d = (this.#d + 1) >>> 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) >>> 0;
    this.#c = ((this.#c << 21) | (this.#c >>> 11)) >>> 0;
    this.#c = (this.#c + t) >>> 0;
    return t;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return n <= 0 ? 0 : Math.floor((this.u32() / 2 ** 32) * n);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.u32() / 2 ** 32 < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.u32() & 0xff;
    return out;
  }
}

/** The PRNG of one iteration: derived from the run's seed and the iteration number only. */
export function iterationPrng(seed: number, iteration: number): Prng {
  return new Prng((Math.imul(seed, 0x85ebca6b) ^ Math.imul(iteration + 1, 0xc2b2ae35)) >>> 0);
}

/** Bytes worth trying where a length, an offset or a count is read. */
const INTERESTING_BYTES = [0x00, 0x01, 0x07, 0x08, 0x7f, 0x80, 0xfe, 0xff];
/** 32-bit values worth trying in place of a little-endian int32 (flatbuffer offsets, lengths, counts). */
const INTERESTING_U32 = [
  0,
  1,
  2,
  4,
  7,
  8,
  0x7f,
  0x80,
  0xff,
  0x7fff,
  0xffff,
  0x7fffffff,
  0x80000000,
  0xffffffff,
];

/**
 * One random mutation of `input`: bit flips, interesting bytes, a little-endian int32 replaced, a
 * varint-sized length nudged, truncation, insertion, deletion or duplication of a range. With `focus`,
 * point mutations land inside `[focus.start, focus.end)` (e.g. the IPC header) most of the time.
 */
export function mutateBytes(
  rng: Prng,
  input: Uint8Array,
  focus?: { start: number; end: number },
): Uint8Array {
  const out = input.slice();
  if (out.length === 0) return rng.bytes(1 + rng.int(16));
  // Earlier mutations may have shortened the input: the focus is clamped to what is left.
  const start = Math.min(focus?.start ?? 0, out.length - 1);
  const end = Math.min(focus?.end ?? 0, out.length);
  const at = (): number =>
    end > start && rng.chance(0.75) ? start + rng.int(end - start) : rng.int(out.length);
  switch (rng.int(9)) {
    case 0: { // flip 1–8 bits
      for (let n = 1 + rng.int(8); n > 0; n--) out[at()] ^= 1 << rng.int(8);
      return out;
    }
    case 1: { // an interesting byte
      out[at()] = rng.pick(INTERESTING_BYTES);
      return out;
    }
    case 2: { // an interesting little-endian int32
      const pos = Math.min(at(), Math.max(0, out.length - 4));
      const v = rng.pick(INTERESTING_U32);
      for (let i = 0; i < 4 && pos + i < out.length; i++) out[pos + i] = (v >>> (8 * i)) & 0xff;
      return out;
    }
    case 3: { // a byte nudged by a small amount (lengths and counts off by a few)
      const pos = at();
      out[pos] = (out[pos] + rng.pick([-8, -2, -1, 1, 2, 8])) & 0xff;
      return out;
    }
    case 4: // truncation
      return out.subarray(0, rng.int(out.length));
    case 5: { // insertion of random bytes
      const pos = at();
      const ins = rng.bytes(1 + rng.int(16));
      return concat(out.subarray(0, pos), ins, out.subarray(pos));
    }
    case 6: { // deletion of a range
      const pos = at();
      return concat(out.subarray(0, pos), out.subarray(Math.min(out.length, pos + 1 + rng.int(32))));
    }
    case 7: { // duplication of a range (repeated fields, overlapping structures)
      const pos = at();
      const len = 1 + rng.int(Math.min(64, out.length - pos));
      return concat(out.subarray(0, pos + len), out.subarray(pos, pos + len), out.subarray(pos + len));
    }
    default: { // random bytes over a range
      const pos = at();
      const len = Math.min(out.length - pos, 1 + rng.int(16));
      out.set(rng.bytes(len), pos);
      return out;
    }
  }
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

/** JSON fragments that stress a parser and the code behind it: types, extremes, escapes, odd keys. */
const JSON_VALUES = [
  "null",
  "true",
  "false",
  "0",
  "-0",
  "1",
  "-1",
  "0.5",
  "1e308",
  "1e400",
  "-1e400",
  "1e-400",
  "9007199254740993",
  "18446744073709551616",
  "-9223372036854775809",
  "123456789012345678901234567890",
  '""',
  '"x"',
  '"\\u0000"',
  '"\\ud800"',
  '"\\udfff\\ud800"',
  '"a\\nb\\u001b[31m"',
  '"../../etc/passwd"',
  '"a/../b"',
  '"/"',
  '"//"',
  '"\\\\"',
  '"%_"',
  '"$eq"',
  '"$ex"',
  '"😀é日"',
  "[]",
  "{}",
  "[[[[[[[[]]]]]]]]",
  '{"$eq": 1}',
  '{"$between": [2, 1]}',
  '{"$in": []}',
  '{"__proto__": {"x": 1}}',
  '{"constructor": 1}',
];

const JSON_KEYS = [
  "",
  ".",
  "a.b",
  "$eq",
  "__proto__",
  "constructor",
  "name",
  "key",
  "user_metadata",
  "sequence",
  "topic",
  "ontology",
  "\\u0000",
  "\\ud800",
  "x".repeat(300),
];

/**
 * One random mutation of a JSON text: structural (a value or key replaced by a stress fragment, a
 * container duplicated or emptied), then optionally a byte-level mutation of the UTF-8, so that inputs
 * range from well-typed-but-wrong to not JSON at all.
 */
export function mutateJson(rng: Prng, text: string): Uint8Array {
  let out = text;
  for (let n = 1 + rng.int(3); n > 0; n--) out = mutateJsonText(rng, out);
  const bytes = new TextEncoder().encode(out);
  return rng.chance(0.3) ? mutateBytes(rng, bytes) : bytes;
}

function mutateJsonText(rng: Prng, text: string): string {
  const tokens = scanJsonTokens(text);
  if (tokens.length === 0) return rng.pick(JSON_VALUES);
  const t = rng.pick(tokens);
  const replace = (s: string) => text.slice(0, t.start) + s + text.slice(t.end);
  switch (rng.int(6)) {
    case 0:
    case 1: // a value replaced
      return t.kind === "key" ? replace(`"${rng.pick(JSON_KEYS)}"`) : replace(rng.pick(JSON_VALUES));
    case 2: // a value wrapped, changing its type and depth
      return replace(
        rng.chance(0.5) ? `[${text.slice(t.start, t.end)}]` : `{"$eq": ${text.slice(t.start, t.end)}}`,
      );
    case 3: { // a long string or a deep nesting
      if (rng.chance(0.5)) return replace(`"${"x".repeat(rng.pick([256, 513, 70_000]))}"`);
      const depth = rng.pick([10, 65, 200, 5000]);
      return replace("[".repeat(depth) + "]".repeat(depth));
    }
    case 4: { // an extra member next to a key
      const at = text.indexOf("{", rng.int(text.length));
      if (at < 0) return text;
      return `${text.slice(0, at + 1)}"${rng.pick(JSON_KEYS)}": ${rng.pick(JSON_VALUES)}, ${
        text.slice(at + 1)
      }`;
    }
    default: // the text around a token cut
      return rng.chance(0.5) ? text.slice(0, t.end) : text.slice(t.start);
  }
}

interface JsonToken {
  kind: "key" | "value";
  start: number;
  end: number;
}

/** Strings, numbers and literals of a JSON text with their positions; strings before `:` are keys. */
function scanJsonTokens(text: string): JsonToken[] {
  const out: JsonToken[] = [];
  const re = /"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null|\{\}|\[\]/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const end = m.index + m[0].length;
    const isKey = m[0].startsWith('"') && /^\s*:/.test(text.slice(end));
    out.push({ kind: isKey ? "key" : "value", start: m.index, end });
  }
  return out;
}

/** What a bounded fuzz run did. */
export interface FuzzReport {
  iterations: number;
  ms: number;
  /** Outcomes by label (e.g. the error class), to show the run reached past the first check. */
  outcomes: Record<string, number>;
  /** The slowest iteration, in ms. */
  slowestMs: number;
}

/**
 * Runs `iteration(i)` for i = 0, 1, … until `maxIterations` or `budgetMs` is reached. Each call returns
 * an outcome label. A failing iteration rethrows with the seed and its number, so it can be replayed.
 * For longer runs by hand, `MOSAICOD_FUZZ_SEED` replaces the seed and `MOSAICOD_FUZZ_SCALE` multiplies
 * both bounds (e.g. `MOSAICOD_FUZZ_SCALE=20 deno task test:unit src/flight/`).
 */
export async function runFuzz(
  opts: { seed: number; maxIterations: number; budgetMs: number; name: string },
  iteration: (rng: Prng, i: number) => string | Promise<string>,
): Promise<FuzzReport> {
  const seedEnv = Deno.env.get("MOSAICOD_FUZZ_SEED");
  const scale = Number(Deno.env.get("MOSAICOD_FUZZ_SCALE") ?? "1") || 1;
  opts = {
    ...opts,
    seed: seedEnv ? Number(seedEnv) >>> 0 : opts.seed,
    maxIterations: Math.round(opts.maxIterations * scale),
    budgetMs: opts.budgetMs * scale,
  };
  const started = performance.now();
  const outcomes: Record<string, number> = {};
  let slowestMs = 0;
  let i = 0;
  for (; i < opts.maxIterations && performance.now() - started < opts.budgetMs; i++) {
    const t0 = performance.now();
    let outcome: string;
    try {
      outcome = await iteration(iterationPrng(opts.seed, i), i);
    } catch (err) {
      throw new Error(`${opts.name}: iteration ${i} of seed ${opts.seed} failed: ${err}`, { cause: err });
    }
    slowestMs = Math.max(slowestMs, performance.now() - t0);
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
  }
  const report = { iterations: i, ms: Math.round(performance.now() - started), outcomes, slowestMs };
  console.log(`${opts.name}: ${JSON.stringify(report)}`);
  return report;
}
