import assert from "node:assert/strict";
import { parseTemporalOperand, type TemporalOperand } from "./temporal_operand.ts";

const S = 1_000_000_000n;
const DAY = 86_400n * S;

Deno.test("parseTemporalOperand(): decimal integers, ISO 8601 dates, date-times and times of day", () => {
  const cases: [string, TemporalOperand | null][] = [
    ["0", { kind: "integer", value: 0n }],
    ["-12", { kind: "integer", value: -12n }],
    ["+9223372036854775807", { kind: "integer", value: 9223372036854775807n }],
    ["1970-01-01", { kind: "instant", ns: 0n }],
    ["1970-01-02", { kind: "instant", ns: DAY }],
    ["1969-12-31", { kind: "instant", ns: -DAY }],
    ["0001-01-01", { kind: "instant", ns: -62135596800n * S }], // years below 100 stay themselves
    ["2024-02-29T12:00", { kind: "instant", ns: 1709208000n * S }],
    ["2024-05-01T12:00:00.5", { kind: "instant", ns: 1714564800n * S + 500_000_000n }],
    ["2024-05-01 12:00:00.500000", { kind: "instant", ns: 1714564800n * S + 500_000_000n }],
    ["2024-05-01T12:00:00.123456789Z", { kind: "instant", ns: 1714564800n * S + 123_456_789n }],
    ["2024-05-01T14:00:00+02:00", { kind: "instant", ns: 1714564800n * S }],
    ["2024-05-01T10:00:00-0200", { kind: "instant", ns: 1714564800n * S }],
    ["12:00", { kind: "time", ns: 43_200n * S }],
    ["23:59:59.999999999", { kind: "time", ns: DAY - 1n }],
    // Not temporal: compared as text
    ["", null],
    ["abc", null],
    ["1.5", null],
    ["2024-05", null],
    ["2024-05-01T00", null],
    ["2023-02-29", null], // not a calendar date
    ["2024-13-01", null],
    ["2024-05-01T24:00:00", null],
    ["2024-05-01T12:60", null],
    ["2024-05-01T12:00:00.1234567891", null], // more than nanoseconds
    ["2024-05-01Z", null],
    ["12:00Z", null],
    [" 12:00", null],
  ];
  for (const [text, want] of cases) assert.deepEqual(parseTemporalOperand(text), want, text);
});
