import assert from "node:assert/strict";
import { exactJson, formatBytes, formatDuration, formatTime, table } from "./_format.ts";

Deno.test("formatBytes() uses binary units with three significant digits", () => {
  assert.deepEqual([0, 859, 1024, 1536, 12.34 * 2 ** 20, 5e9, 2 ** 60].map(formatBytes), [
    "0 B",
    "859 B",
    "1 KiB",
    "1.5 KiB",
    "12.3 MiB",
    "4.66 GiB",
    "1024 PiB",
  ]);
});

Deno.test("formatTime() writes UTC ISO 8601 with the fraction digits the nanoseconds need", () => {
  assert.deepEqual(
    [
      0n,
      1_700_000_000_000_000_000n,
      1_700_000_000_500_000_000n,
      1_700_000_000_000_009_000n,
      1_700_000_000_000_000_123n,
      -1n,
    ]
      .map(formatTime),
    [
      "1970-01-01T00:00:00Z",
      "2023-11-14T22:13:20Z",
      "2023-11-14T22:13:20.500Z",
      "2023-11-14T22:13:20.000009Z",
      "2023-11-14T22:13:20.000000123Z",
      "1969-12-31T23:59:59.999999999Z",
    ],
  );
  assert.equal(formatTime(10n ** 30n), String(10n ** 30n), "beyond Date: the raw integer");
});

Deno.test("formatDuration() picks the unit a person reads", () => {
  const s = 1_000_000_000n;
  assert.deepEqual(
    [
      0n,
      9n,
      9_000n,
      12_500_000n,
      3_250_000_000n,
      62n * s + s / 2n,
      7380n * s,
      3n * 86400n * s + 7200n * s,
      -5n,
    ]
      .map(formatDuration),
    ["0s", "9ns", "9µs", "12.5ms", "3.25s", "1m 2.5s", "2h 3m", "3d 2h", "-5ns"],
  );
});

Deno.test("table() pads columns, right-aligns the ones asked, trims line ends", () => {
  assert.deepEqual(table(["NAME", "N", "NOTE"], [["a", "1", ""], ["bbbb", "22", "x"]], new Set([1])), [
    "NAME   N  NOTE",
    "a      1",
    "bbbb  22  x",
  ]);
});

Deno.test("exactJson() keeps bigints exact and lets a mapper replace values", () => {
  assert.equal(exactJson({ ns: 1_700_000_000_000_000_123n, n: [1] }), '{"ns":1700000000000000123,"n":[1]}');
  assert.equal(
    exactJson([Uint8Array.of(1)], undefined, (v) => v instanceof Uint8Array ? "bytes" : v),
    '["bytes"]',
  );
});
