/**
 * Text form of date, time and timestamp values for chunk statistics (protocol 10.4: temporal columns
 * get text statistics). ISO 8601 with the fraction trimmed to 0, 3, 6 or 9 digits, so that for years
 * 0000..9999 byte order of the text is time order:
 * - date32/date64: `2024-05-01`
 * - timestamp: `2024-05-01T12:00:00.500`; with a timezone, rendered in UTC with a `Z` suffix
 * - time32/time64: `12:00:00.000001`
 * Values outside the JS Date range fall back to the decimal integer.
 *
 * @module
 */
import { DataType, DateUnit, TimeUnit } from "apache-arrow";

const UNIT_PER_SECOND: Record<TimeUnit, bigint> = {
  [TimeUnit.SECOND]: 1n,
  [TimeUnit.MILLISECOND]: 1_000n,
  [TimeUnit.MICROSECOND]: 1_000_000n,
  [TimeUnit.NANOSECOND]: 1_000_000_000n,
};

/** Whether `type` is one of the temporal kinds that {@linkcode temporalToText} renders. */
export function isTemporal(type: DataType): boolean {
  return DataType.isDate(type) || DataType.isTime(type) || DataType.isTimestamp(type);
}

/** Renders one raw stored value (days, or seconds/ms/µs/ns by the type's unit) as text. */
export function temporalToText(type: DataType, raw: bigint): string {
  if (DataType.isDate(type)) {
    return isoDate(type.unit === DateUnit.DAY ? raw * 86_400_000n : raw) ?? String(raw);
  }
  if (DataType.isTimestamp(type)) {
    const [secs, nanos] = splitSeconds(raw, UNIT_PER_SECOND[type.unit]);
    const text = isoDateTime(secs);
    return text === null ? String(raw) : text + fraction(nanos) + (type.timezone ? "Z" : "");
  }
  if (DataType.isTime(type)) {
    const [secs, nanos] = splitSeconds(raw, UNIT_PER_SECOND[type.unit]);
    const s = Number(secs);
    const hh = Math.floor(s / 3600), mm = Math.floor(s / 60) % 60, ss = s % 60;
    return `${pad(hh, 2)}:${pad(mm, 2)}:${pad(ss, 2)}${fraction(nanos)}`;
  }
  throw new TypeError(`Not a temporal type: ${type}`);
}

/** Floor division into whole seconds and the non-negative nanoseconds left over. */
function splitSeconds(raw: bigint, perSecond: bigint): [bigint, number] {
  let secs = raw / perSecond, rest = raw % perSecond;
  if (rest < 0n) secs -= 1n, rest += perSecond;
  return [secs, Number(rest * (1_000_000_000n / perSecond))];
}

function isoDateTime(secs: bigint): string | null {
  const ms = Number(secs) * 1000;
  if (!(Math.abs(ms) <= 8.64e15)) return null;
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "");
}

function isoDate(ms: bigint): string | null {
  const n = Number(ms);
  if (!(Math.abs(n) <= 8.64e15)) return null;
  return new Date(n).toISOString().split("T")[0];
}

function fraction(nanos: number): string {
  if (nanos === 0) return "";
  if (nanos % 1_000_000 === 0) return "." + pad(nanos / 1_000_000, 3);
  if (nanos % 1_000 === 0) return "." + pad(nanos / 1_000, 6);
  return "." + pad(nanos, 9);
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}
