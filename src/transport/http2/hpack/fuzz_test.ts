/**
 * Seeded, bounded fuzzing of the HPACK codec (MOSAICOD_FUZZ_SEED / MOSAICOD_FUZZ_SCALE replay or widen a
 * run, see src/_test_fuzz.ts): random and mutated header blocks must fail only with HpackError or
 * HeaderListTooLargeError and never hold more than the limits allow, and random header lists must come
 * back unchanged through our encoder and decoder, table size changes included.
 *
 * @module
 */
import assert from "node:assert/strict";
import { iterationPrng, mutateBytes, type Prng, runFuzz } from "../../../_test_fuzz.ts";
import { HpackDecoder } from "./decoder.ts";
import { HpackEncoder } from "./encoder.ts";
import { fieldSize, type HeaderField, HeaderListTooLargeError, HpackError } from "./header.ts";
import { hex, RFC_VECTORS } from "./_test_util.ts";

const NAMES = [
  ":method",
  ":path",
  ":status",
  "content-type",
  "grpc-timeout",
  "grpc-encoding",
  "authorization",
  "mosaico-api-key-token",
  "cookie",
  "x-custom",
  "user-agent",
];

/** A byte string: mostly printable ASCII, sometimes any byte, sometimes long. */
function randomString(rng: Prng, maxLength: number): string {
  const length = rng.chance(0.1) ? rng.int(maxLength) : rng.int(24);
  const any = rng.chance(0.2);
  let s = "";
  for (let i = 0; i < length; i++) s += String.fromCharCode(any ? rng.int(256) : 0x20 + rng.int(95));
  return s;
}

function randomFields(rng: Prng, pool: HeaderField[]): HeaderField[] {
  const fields: HeaderField[] = [];
  for (let n = rng.int(12); n > 0; n--) {
    if (pool.length > 0 && rng.chance(0.4)) {
      fields.push([...rng.pick(pool)]); // repeats exercise the dynamic table
      continue;
    }
    const name = rng.chance(0.6) ? rng.pick(NAMES) : "x-" + randomString(rng, 64);
    const field: HeaderField = [name, randomString(rng, 3000)];
    fields.push(field);
    pool.push(field);
  }
  return fields;
}

/** Connections worth mutating: the RFC examples and what our encoder writes for random lists. */
function seedSessions(): Uint8Array[][] {
  const { c3, c4, c5, c6 } = RFC_VECTORS;
  const sessions = [c3, c4, c5, c6].map((wires) => wires.map((w) => hex(w)));
  const rng = iterationPrng(7, 0);
  for (let s = 0; s < 6; s++) {
    const encoder = new HpackEncoder();
    const pool: HeaderField[] = [];
    sessions.push(Array.from({ length: 6 }, () => encoder.encode(randomFields(rng, pool))));
  }
  sessions.push([hex("3fe11f 20 3f00 82")], [hex("ffffffffffffff")], [hex("7f80808080808001")]);
  return sessions;
}

Deno.test("HpackDecoder on random and mutated blocks throws only its two errors, within its limits", async () => {
  const sessions = seedSessions();
  const limits = { maxDynamicTableSize: 4096, maxHeaderListSize: 2048 };
  const report = await runFuzz(
    { seed: 0x4a3c, maxIterations: 60_000, budgetMs: 2500, name: "hpack decode fuzz" },
    (rng) => {
      const decoder = new HpackDecoder(limits);
      const session = rng.chance(0.05) ? [rng.bytes(rng.int(64))] : rng.pick(sessions);
      const mutated = rng.int(session.length);
      let outcome = "ok";
      for (const [i, original] of session.entries()) {
        let block = original;
        if (i >= mutated && (i === mutated || rng.chance(0.2))) {
          for (let m = 1 + rng.int(2); m > 0; m--) block = mutateBytes(rng, block);
        }
        try {
          const fields = decoder.decode(block);
          const size = fields.reduce((n, [name, value]) => n + fieldSize(name, value), 0);
          assert.ok(size <= limits.maxHeaderListSize, `list of ${size} bytes`);
          assert.ok(fields.every(([name]) => name.length > 0), "empty name");
        } catch (err) {
          if (err instanceof HpackError) return "HpackError";
          if (!(err instanceof HeaderListTooLargeError)) throw err;
          outcome = "HeaderListTooLargeError";
        }
        assert.ok(decoder.dynamicTableSize <= decoder.dynamicTableMaxSize);
        assert.ok(decoder.dynamicTableMaxSize <= limits.maxDynamicTableSize);
      }
      return outcome;
    },
  );
  assert.ok(report.iterations >= 1000, `only ${report.iterations} iterations`);
  for (const outcome of ["ok", "HpackError", "HeaderListTooLargeError"]) {
    assert.ok((report.outcomes[outcome] ?? 0) > 100, `too few "${outcome}" outcomes`);
  }
});

Deno.test("HpackDecoder reads back what HpackEncoder writes for random lists and table sizes", async () => {
  const report = await runFuzz(
    { seed: 0x7541, maxIterations: 5000, budgetMs: 2500, name: "hpack round-trip fuzz" },
    (rng) => {
      const cap = rng.pick([0, 64, 256, 4096, 65536]);
      const encoder = new HpackEncoder({ maxDynamicTableSize: cap });
      const decoder = new HpackDecoder({ maxDynamicTableSize: cap, maxHeaderListSize: 1 << 20 });
      const pool: HeaderField[] = [];
      for (let block = 0; block < 8; block++) {
        if (rng.chance(0.2)) encoder.setMaxDynamicTableSize(rng.pick([0, 100, 1000, 4096, 1 << 20]));
        const fields = randomFields(rng, pool);
        assert.deepEqual(decoder.decode(encoder.encode(fields)), fields);
      }
      return "ok";
    },
  );
  assert.ok(report.iterations >= 100, `only ${report.iterations} iterations`);
});
