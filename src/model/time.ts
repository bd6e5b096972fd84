/**
 * The wall clock in the units of the protocols: nanoseconds since the Unix epoch (2026) and milliseconds
 * (0.1.0). Imports nothing.
 *
 * @module
 */

/** The wall clock in nanoseconds (microsecond resolution). */
export function wallClockNs(): bigint {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n;
}

/** Milliseconds of a nanosecond time, rounded down. */
export function nsToMs(ns: bigint): number {
  const ms = ns / 1_000_000n;
  return Number(ns < 0n && ms * 1_000_000n !== ns ? ms - 1n : ms);
}
