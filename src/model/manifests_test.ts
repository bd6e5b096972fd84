import assert from "node:assert/strict";
import { chunkManifest, chunkStatsFromManifest, encodeManifest } from "./manifests.ts";
import type { ColumnStats } from "./types.ts";

Deno.test("chunk manifests keep infinite and null statistics bounds through JSON", () => {
  const stats: ColumnStats[] = [
    { column: "x", kind: "numeric", min: -Infinity, max: Infinity, hasNull: false, hasNan: true },
    { column: "y", kind: "numeric", min: null, max: null, hasNull: true, hasNan: false },
    { column: "z", kind: "numeric", min: -0.5, max: 2 ** 60, hasNull: false, hasNan: false },
    { column: "frame", kind: "text", min: "a", max: "z", hasNull: false },
  ];
  const manifest = chunkManifest({
    uuid: "c",
    index: 0,
    key: "k",
    sizeBytes: 1,
    rowCount: 1,
    startNs: -(2n ** 63n),
    endNs: 2n ** 63n - 1n,
    stats,
  }, "t");
  const read = JSON.parse(new TextDecoder().decode(encodeManifest(manifest)));
  assert.deepStrictEqual(chunkStatsFromManifest(read), stats);
  assert.equal(read.start_ns, "-9223372036854775808");
});
