/**
 * Durations as people write them in options: a bare number of milliseconds (`1500`) or a number with a
 * unit (`1500ms`, `10s`, `1.5m`, `2h`, `30d`), read exactly (no floating-point rounding) and checked
 * against bounds, whose problems are phrased in the unit the user wrote. Imports nothing: `config.ts`
 * turns a problem into its error naming the option.
 *
 * @module
 */

/** The units a duration may carry. */
export type DurationUnit = "ms" | "s" | "m" | "h" | "d";

/** Milliseconds per unit. */
export const UNIT_MS: Readonly<Record<DurationUnit, number>> = Object.freeze({
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
});

/** How the syntax is explained in errors and help. */
export const DURATION_SYNTAX =
  "milliseconds, or a number with a unit: ms, s, m, h or d (1500ms, 10s, 5m, 2h, 30d)";

/** A duration read from text: whole milliseconds, or what is wrong, after "must" ("must be …"). */
export type DurationResult = { ok: true; ms: number } | { ok: false; problem: string };

const SYNTAX = /^(\d+)(?:\.(\d+))?(ms|s|m|h|d)?$/;

/**
 * Reads `text` (surrounding whitespace ignored) as whole milliseconds within `[min, max]` (safe integers).
 * A bare number is milliseconds. Fractions are allowed when they give whole milliseconds (`1.5s`, not
 * `1.0005s`). Values of any size are compared exactly, so an overflow is just out of range.
 *
 * @example
 * readDuration("2h", 0, 86_400_000); // { ok: true, ms: 7_200_000 }
 * readDuration("2d", 0, 86_400_000); // { ok: false, problem: "must be from 0d to 1d" }
 */
export function readDuration(text: string, min: number, max: number): DurationResult {
  const trimmed = text.trim();
  if (trimmed.startsWith("-")) return { ok: false, problem: "must not be negative" };
  const m = SYNTAX.exec(trimmed);
  if (m === null) return { ok: false, problem: `must be a duration: ${DURATION_SYNTAX}` };
  const [, whole, fraction = "", written] = m;
  const unit = (written ?? null) as DurationUnit | null;
  const scale = 10n ** BigInt(fraction.length);
  const scaled = BigInt(whole + fraction) * BigInt(UNIT_MS[unit ?? "ms"]);
  if (scaled % scale !== 0n) {
    return { ok: false, problem: "must be a whole number of milliseconds" };
  }
  const ms = scaled / scale;
  if (ms < BigInt(min) || ms > BigInt(max)) {
    const bounds = `from ${formatDuration(min, unit)} to ${formatDuration(max, unit)}`;
    return { ok: false, problem: `must be ${bounds}${unit === null ? " (milliseconds)" : ""}` };
  }
  return { ok: true, ms: Number(ms) };
}

/**
 * Writes `ms` in `unit` when that takes at most three decimals (`90s`, `0.5s`), else in the largest unit
 * that divides it (`10ms`); `null` writes bare milliseconds (`1500`).
 */
export function formatDuration(ms: number, unit: DurationUnit | null = null): string {
  if (unit === null) return String(ms);
  if ((ms * 1000) % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  return naturalDuration(ms);
}

/** Writes whole milliseconds in the largest unit that divides them: `600000` is `10m`, `1500` is `1500ms`. */
export function naturalDuration(ms: number): string {
  const units = Object.keys(UNIT_MS) as DurationUnit[];
  const unit = units.findLast((u) => ms % UNIT_MS[u] === 0 && ms !== 0) ?? "ms";
  return `${ms / UNIT_MS[unit]}${unit}`;
}
