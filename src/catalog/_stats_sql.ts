/**
 * Chunk pruning by column statistics for ontology conditions (`query.ts` `findChunkCandidates`): the
 * SQL test "may chunk `c` hold a row satisfying this condition?". It must never say no when a row
 * does (the scan decides exactly afterwards), so every test is a necessary condition:
 *
 * - statistics are min/max per column and kind: `numeric` (numbers, booleans as 0/1, rounded to
 *   float64) or `text` (strings and temporal values, UTF-8 byte order). A chunk without statistics of
 *   the operand's kind for the column (missing, not comparable, another kind) or with only nulls is
 *   ruled out: no row of it can match.
 * - bounds compare non-strictly with the operand rounded like the statistics, so rounding never
 *   drops a match. `$outside [a, b]` keeps a chunk when `min < a` or `max > b`, non-strictly for
 *   numbers of 2^53 or more in magnitude (where int64 values and their float64 images can fall on
 *   either side).
 * - `$neq v` rules out only a chunk whose values all equal `v` (min = max = v); for numbers only when
 *   |v| < 2^53, where equal float64 images mean equal values.
 * - `$in` keeps a chunk when some value lies within [min, max].
 * - `glob` needs text statistics; a literal prefix `p` further needs `max >= p` and `min`'s first
 *   characters `<= p` (every match starts with `p`).
 * - a string a date, time or timestamp column may read as a time (`model/temporal_operand.ts`)
 *   compares as an instant there, not as text: such an operand only needs non-null text statistics.
 *
 * Must not import anything outside `src/catalog/` and `src/model/`.
 *
 * @module
 */
import { globPrefix, parseGlob } from "../model/glob.ts";
import { parseTemporalOperand } from "../model/temporal_operand.ts";
import type { Scalar, ValueCondition, ValueOp } from "../model/types.ts";
import type { Params } from "./_query_sql.ts";

/** One kind of statistics: where its bounds are and how an operand is cast to compare with them. */
interface Side {
  kind: "text" | "numeric";
  min: string;
  max: string;
  cast: string;
}

// Text in UTF-8 byte order (how the statistics were computed): the "C" collation.
const TEXT: Side = {
  kind: "text",
  min: `cs.min_text COLLATE "C"`,
  max: `cs.max_text COLLATE "C"`,
  cast: `::text COLLATE "C"`,
};
const NUMERIC: Side = { kind: "numeric", min: "cs.min_num", max: "cs.max_num", cast: "::text::float8" };

/** Largest magnitude below which two numbers with equal float64 images are equal. */
const EXACT_LIMIT = 2 ** 53;

/** Whether chunk `c`'s statistics admit a value at `path` satisfying `op` (an EXISTS over `cs`). */
export function statsCondition(b: Params, { path, op }: ValueCondition): string {
  return `EXISTS (SELECT 1 FROM chunk_stats cs
       WHERE cs.chunk_id = c.id AND cs.column_name = ${b.add(path.join("."))}::text
         AND (${admits(b, op)}))`;
}

function admits(b: Params, op: ValueOp): string {
  switch (op.op) {
    case "in": {
      const texts = op.values.filter((v) => typeof v === "string");
      const numbers = op.values.filter((v) => typeof v !== "string");
      const terms: string[] = [];
      if (texts.length > 0) {
        terms.push(
          texts.some(readsAsTime)
            ? kinded(TEXT, `${TEXT.min} IS NOT NULL`)
            : kinded(TEXT, anyWithin(b, TEXT, texts)),
        );
      }
      if (numbers.length > 0) terms.push(kinded(NUMERIC, anyWithin(b, NUMERIC, numbers)));
      return terms.join(" OR ");
    }
    case "glob": {
      const prefix = globPrefix(parseGlob(op.pattern));
      if (prefix === "") return kinded(TEXT, `${TEXT.min} IS NOT NULL`);
      const p = param(b, TEXT, prefix);
      return kinded(TEXT, `${TEXT.max} >= ${p} AND left(cs.min_text, length(${p})) COLLATE "C" <= ${p}`);
    }
    case "between":
    case "outside": {
      const side = sideOf(op.low);
      if (readsAsTime(op.low) || readsAsTime(op.high)) return kinded(side, `${side.min} IS NOT NULL`);
      const low = param(b, side, op.low), high = param(b, side, op.high);
      if (op.op === "between") return kinded(side, `${side.min} <= ${high} AND ${side.max} >= ${low}`);
      // Strict where the statistics hold the bound's exact value, as text or numbers below 2^53 do.
      const [below, above] = [exact(op.low) ? "<" : "<=", exact(op.high) ? ">" : ">="];
      return kinded(side, `(${side.min} ${below} ${low} OR ${side.max} ${above} ${high})`);
    }
    default: {
      const side = sideOf(op.value);
      if (readsAsTime(op.value)) return kinded(side, `${side.min} IS NOT NULL`);
      if (op.op === "neq" && !exact(op.value)) return kinded(side, `${side.min} IS NOT NULL`);
      const v = param(b, side, op.value);
      switch (op.op) {
        case "eq":
          return kinded(side, `${side.min} <= ${v} AND ${side.max} >= ${v}`);
        case "neq":
          return kinded(side, `NOT (${side.min} = ${v} AND ${side.max} = ${v})`);
        case "lt":
        case "leq":
          return kinded(side, `${side.min} <= ${v}`);
        case "gt":
        case "geq":
          return kinded(side, `${side.max} >= ${v}`);
      }
    }
  }
}

/** `pred` on statistics of `side`'s kind only. */
function kinded(side: Side, pred: string): string {
  return `(cs.kind = '${side.kind}' AND ${pred})`;
}

/** Some of `values` lies within [min, max] (one jsonb parameter for the whole list). */
function anyWithin(b: Params, side: Side, values: readonly Scalar[]): string {
  const list = b.add(JSON.stringify(values.map(operandText)));
  const x = `v.x${side.cast}`;
  return `EXISTS (SELECT 1 FROM jsonb_array_elements_text(${list}::text::jsonb) AS v(x)
           WHERE ${side.min} <= ${x} AND ${side.max} >= ${x})`;
}

/**
 * Whether statistics compare with `v` as they would with the values themselves: text always; numbers
 * below 2^53 in magnitude, where a value and its float64 image are on the same side of `v` (beyond,
 * two int64 values may share an image).
 */
function exact(v: Scalar): boolean {
  return typeof v === "string" || typeof v === "boolean" || Math.abs(Number(v)) < EXACT_LIMIT;
}

function sideOf(v: Scalar): Side {
  return typeof v === "string" ? TEXT : NUMERIC;
}

function param(b: Params, side: Side, v: Scalar): string {
  return b.add(operandText(v)) + side.cast;
}

/** An operand as the statistics hold it: booleans as 0/1, numbers in decimal. */
function operandText(v: Scalar): string {
  return typeof v === "boolean" ? (v ? "1" : "0") : String(v);
}

/** Whether a string operand may compare with temporal columns as a time rather than as text. */
function readsAsTime(v: Scalar): boolean {
  return typeof v === "string" && parseTemporalOperand(v) !== null;
}
