/**
 * Query operands for date, time and timestamp data columns (0.7 delta Q7): the SDK sends a Python
 * `date`/`time`/`datetime` as its ISO 8601 text (`isoformat()`) and an integer as its decimal text.
 * `parseTemporalOperand()` reads both; the row filter compares them with column values exactly, the
 * catalog only needs to know that such a string may be read this way (it then cannot prune by text).
 *
 * Accepted (anything else is null, and is compared as plain text):
 * - decimal integer `[+-]?digits`: the column's raw stored value (days, ms, µs, ns… per its type);
 * - date `YYYY-MM-DD`: midnight UTC of that day;
 * - date-time `YYYY-MM-DD[T ]HH:MM[:SS[.fraction]]` with an optional `Z` or `±HH:MM` offset: the
 *   instant, to the nanosecond (1 to 9 fraction digits); without offset read as UTC;
 * - time of day `HH:MM[:SS[.fraction]]`: nanoseconds since midnight.
 *
 * Imports nothing.
 *
 * @module
 */

/** A parsed operand: a raw integer, an instant (ns since the Unix epoch) or a time of day (ns). */
export type TemporalOperand =
  | { kind: "integer"; value: bigint }
  | { kind: "instant"; ns: bigint }
  | { kind: "time"; ns: bigint };

const INTEGER = /^[+-]?[0-9]+$/;
const DATE_TIME =
  /^([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:[.,]([0-9]{1,9}))?)?(Z|[+-][0-9]{2}:?[0-9]{2})?)?$/;
const TIME = /^([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:[.,]([0-9]{1,9}))?)?$/;

const NS_PER_SECOND = 1_000_000_000n;
const NS_PER_MINUTE = 60n * NS_PER_SECOND;
const NS_PER_DAY = 86_400n * NS_PER_SECOND;

/** `text` as a temporal operand, or null when it is none of the accepted forms (or out of range). */
export function parseTemporalOperand(text: string): TemporalOperand | null {
  if (INTEGER.test(text)) return { kind: "integer", value: BigInt(text) };
  const time = TIME.exec(text);
  if (time !== null) {
    const ns = clock(time[1], time[2], time[3], time[4]);
    return ns === null ? null : { kind: "time", ns };
  }
  const m = DATE_TIME.exec(text);
  if (m === null) return null;
  const day = epochDay(Number(m[1]), Number(m[2]), Number(m[3]));
  if (day === null) return null;
  let ns = day * NS_PER_DAY;
  if (m[4] !== undefined) {
    const inDay = clock(m[4], m[5], m[6], m[7]);
    if (inDay === null) return null;
    ns += inDay;
    const offset = m[8];
    if (offset !== undefined && offset !== "Z") {
      const digits = offset.slice(1).replace(":", "");
      const hours = Number(digits.slice(0, 2)), minutes = Number(digits.slice(2));
      if (hours > 23 || minutes > 59) return null;
      const shift = BigInt(hours * 60 + minutes) * NS_PER_MINUTE;
      ns += offset[0] === "+" ? -shift : shift; // 12:00+02:00 is 10:00 UTC
    }
  }
  return { kind: "instant", ns };
}

/** Nanoseconds since midnight, or null when a field is out of range. */
function clock(hh: string, mm: string, ss: string | undefined, fraction: string | undefined): bigint | null {
  const h = Number(hh), m = Number(mm), s = Number(ss ?? "0");
  if (h > 23 || m > 59 || s > 59) return null;
  const nanos = BigInt((fraction ?? "").padEnd(9, "0"));
  return BigInt(h * 3600 + m * 60 + s) * NS_PER_SECOND + nanos;
}

/** Days since 1970-01-01 of a valid calendar date (years 0000–9999), or null. */
function epochDay(year: number, month: number, day: number): bigint | null {
  if (month < 1 || month > 12 || day < 1) return null;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day); // unlike Date.UTC, years 0–99 stay themselves
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    return null;
  }
  return BigInt(Math.round(date.getTime() / 86_400_000));
}
