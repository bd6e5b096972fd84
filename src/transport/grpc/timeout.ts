/**
 * The `grpc-timeout` request header: at most 8 ASCII digits and a unit (H hours, M minutes, S seconds,
 * m milliseconds, u microseconds, n nanoseconds). Parsing only; the call arms the timer.
 *
 * @module
 */

/** Milliseconds per unit, or (negative) units per millisecond: divisions stay exact. */
const UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: -1000, n: -1_000_000 };

/**
 * The timeout in whole milliseconds (rounded up, so that `1n` still expires), or null when `value` is not
 * a valid `grpc-timeout`. Surrounding blanks are tolerated.
 */
export function parseGrpcTimeout(value: string): number | null {
  const m = /^\s*(\d{1,8})([HMSmun])\s*$/.exec(value);
  if (m === null) return null;
  const n = Number(m[1]);
  const unit = UNIT_MS[m[2]];
  return unit > 0 ? n * unit : Math.ceil(n / -unit);
}

/** Longest delay a timer takes (setTimeout fires at once beyond it); longer deadlines never fire. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
