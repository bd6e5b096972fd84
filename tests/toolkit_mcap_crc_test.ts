/**
 * The MCAP source's chunk CRC check (`src/toolkit/ros/mcap_source.ts`, made with zlib's CRC-32 instead of
 * the reader's): every message of intact files, uncompressed and compressed, and a clear error for a
 * chunk whose records do not match its CRC.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { McapIndexedReader } from "@mcap/core";
import { openMcap } from "../src/toolkit/ros/mcap_source.ts";
import { writeMcap } from "./_ros_fixtures.ts";
import { sampleMessages } from "./_ros_samples.ts";

/** Every message of `path`, in order. */
async function readAll(path: string): Promise<number> {
  await using source = await openMcap(path);
  let n = 0;
  for await (const _ of source.messages(new Set(source.channels.map((c) => c.id)), 0)) n++;
  return n;
}

/** Byte offsets of the file's chunk records (from its summary). */
async function chunkOffsets(path: string): Promise<number[]> {
  const bytes = await Deno.readFile(path);
  const reader = await McapIndexedReader.Initialize({
    readable: {
      size: () => Promise.resolve(BigInt(bytes.length)),
      read: (offset, size) => Promise.resolve(bytes.slice(Number(offset), Number(offset + size))),
    },
  });
  return reader.chunkIndexes.map((c) => Number(c.chunkStartOffset));
}

Deno.test("MCAP source: chunk CRCs checked natively, uncompressed and compressed", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "mosaicod-mcap-crc-" });
  const messages = sampleMessages({ ros1: false, repeat: 2 });
  try {
    for (const compression of ["none", "zstd", "lz4"] as const) {
      await t.step(compression, async () => {
        const path = join(dir, `${compression}.mcap`);
        await writeMcap(path, messages, { compression, chunkSize: 4096 });
        assert.equal(await readAll(path), messages.length);
        const offsets = await chunkOffsets(path);
        assert.ok(offsets.length > 2, `${offsets.length} chunks`);
        // The last chunk's recorded CRC off by one: its records no longer match it.
        const bytes = await Deno.readFile(path);
        const at = offsets.at(-1)! + 33; // opcode, length, start, end, uncompressed size
        const view = new DataView(bytes.buffer);
        view.setUint32(at, (view.getUint32(at, true) + 1) >>> 0, true);
        const bad = join(dir, `${compression}-bad.mcap`);
        await Deno.writeFile(bad, bytes);
        await assert.rejects(readAll(bad), /Incorrect chunk CRC \d+ \(expected \d+\)/);
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
