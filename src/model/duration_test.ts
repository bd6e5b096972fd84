import assert from "node:assert/strict";
import { formatDuration, naturalDuration, readDuration } from "./duration.ts";

const DAY = 86_400_000;
const ms = (text: string, min = 0, max = Number.MAX_SAFE_INTEGER) => {
  const r = readDuration(text, min, max);
  assert.ok(r.ok, `${text}: ${r.ok ? "" : r.problem}`);
  return r.ms;
};
const problem = (text: string, min = 0, max = Number.MAX_SAFE_INTEGER) => {
  const r = readDuration(text, min, max);
  assert.ok(!r.ok, `${text} was accepted as ${r.ok ? r.ms : ""}`);
  return r.problem;
};

Deno.test("readDuration() takes bare milliseconds and ms, s, m, h, d, exactly", () => {
  const cases: [string, number][] = [
    ["0", 0],
    ["1500", 1500],
    ["1500ms", 1500],
    ["10s", 10_000],
    ["5m", 300_000],
    ["2h", 7_200_000],
    ["30d", 30 * DAY],
    ["1.5s", 1500],
    ["0.001s", 1],
    ["1.25h", 4_500_000],
    ["  7s\n", 7000],
    ["007s", 7000],
    ["0.1s", 100], // no floating-point rounding: 0.1 * 1000 is computed exactly
    [`${Number.MAX_SAFE_INTEGER}`, Number.MAX_SAFE_INTEGER],
  ];
  for (const [text, want] of cases) assert.equal(ms(text), want, text);
});

Deno.test("readDuration() refuses malformed text, negatives and partial milliseconds", () => {
  for (
    const text of ["", " ", "5x", "1.5.s", "s", "1 s", "1S", "1e3", "+1s", ".5s", "5.s", "1s2", "Infinity"]
  ) {
    assert.match(problem(text), /^must be a duration: milliseconds, or a number with a unit/, text);
  }
  for (const text of ["-1s", "-0", " -5"]) assert.equal(problem(text), "must not be negative", text);
  for (const text of ["1.5", "1.0005s", "0.1ms"]) {
    assert.equal(problem(text), "must be a whole number of milliseconds", text);
  }
});

Deno.test("readDuration() reports the bounds in the unit the user wrote", () => {
  assert.equal(problem("2h", 10, 3_600_000), "must be from 10ms to 1h");
  assert.equal(problem("90m", 10, 3_600_000), "must be from 10ms to 60m");
  assert.equal(problem("5ms", 10, 3_600_000), "must be from 10ms to 3600000ms");
  assert.equal(problem("0.005s", 10, 3_600_000), "must be from 0.01s to 3600s");
  assert.equal(problem("4000000", 10, 3_600_000), "must be from 10 to 3600000 (milliseconds)");
  assert.equal(problem("3651d", 0, 3650 * DAY), "must be from 0d to 3650d");
  // An overflow is out of range, compared exactly.
  assert.equal(problem("99999999999999999999999d", 0, 100 * 365 * DAY), "must be from 0d to 36500d");
  assert.equal(
    problem(`${Number.MAX_SAFE_INTEGER + 2}`),
    `must be from 0 to ${Number.MAX_SAFE_INTEGER} (milliseconds)`,
  );
  assert.equal(ms("1h", 10, 3_600_000), 3_600_000, "the bounds are inclusive");
  assert.equal(ms("10ms", 10, 3_600_000), 10);
});

Deno.test("formatDuration() writes the user's unit when exact to 3 decimals, else the largest exact unit", () => {
  assert.equal(formatDuration(1500), "1500");
  assert.equal(formatDuration(1500, "s"), "1.5s");
  assert.equal(formatDuration(1, "s"), "0.001s");
  assert.equal(formatDuration(10, "h"), "10ms");
  assert.equal(formatDuration(90_000, "d"), "90s");
  assert.equal(formatDuration(7_200_000, "d"), "2h");
  assert.equal(formatDuration(0, "d"), "0d");
});

Deno.test("naturalDuration() writes the largest unit that divides the milliseconds", () => {
  const cases: [number, string][] = [
    [0, "0ms"],
    [1500, "1500ms"],
    [60_000, "1m"],
    [600_000, "10m"],
    [
      3_600_000,
      "1h",
    ],
    [30 * DAY, "30d"],
    [43_200_000, "12h"],
  ];
  for (const [ms, want] of cases) assert.equal(naturalDuration(ms), want);
});
