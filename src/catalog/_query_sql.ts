/**
 * SQL fragments of the `query` action's catalog part (`query.ts`): one condition per filter entry, over
 * a column or a JSON path. Every value and every key becomes a `$n` parameter; the only SQL text here
 * is fixed (operators, casts, the constant patterns below).
 *
 * Must not import anything outside `src/catalog/` and `src/model/`.
 *
 * @module
 */
import type { MetaCondition, TextOp, TimeOp } from "./query.ts";

/** Collects parameter values and hands out their `$n` placeholders. */
export class Params {
  readonly values: unknown[] = [];
  add(value: string): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

const COMPARISON = { eq: "=", neq: "<>", lt: "<", leq: "<=", gt: ">", geq: ">=" } as const;

/** Escapes `\`, `%` and `_` so `LIKE ... ESCAPE '\'` matches the value literally. */
export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, "\\$&");
}

/** A condition on a NOT NULL text column (names, tag, format). `$match` is a literal substring test. */
export function textCondition(b: Params, column: string, op: TextOp): string {
  switch (op.op) {
    case "eq":
    case "neq":
      return `${column} ${COMPARISON[op.op]} ${b.add(op.value)}::text`;
    case "match":
      return `${column} LIKE ('%' || ${b.add(escapeLike(op.value))}::text || '%') ESCAPE '\\'`;
    case "in":
      return `${column} IN (SELECT jsonb_array_elements_text(${
        b.add(JSON.stringify(op.values))
      }::text::jsonb))`;
    case "ex":
      return "TRUE"; // NOT NULL columns: always present
    case "nex":
      return "FALSE";
  }
}

/** A condition on a NOT NULL integer expression (a creation time, in the operator's unit). */
export function timeCondition(b: Params, column: string, op: TimeOp): string {
  switch (op.op) {
    case "between":
      return `${column} BETWEEN ${b.add(String(op.low))}::text::numeric AND ${
        b.add(String(op.high))
      }::text::numeric`;
    case "ex":
      return "TRUE";
    case "nex":
      return "FALSE";
    default:
      return `${column} ${COMPARISON[op.op]} ${b.add(String(op.value))}::text::numeric`;
  }
}

/**
 * Text that PostgreSQL's numeric input accepts without error; anything else is "not a number".
 * The length bound keeps `::numeric` below its digit limits (regex bounds cannot exceed 255).
 */
const NUMERIC_TEXT = String.raw`'^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]{1,3})?$'`;

/**
 * PostgreSQL's boolean input (`boolin`), as patterns: any case, surrounding C-locale white space, and
 * `true`/`false`/`yes`/`no` or any prefix of them, `on`/`off`/`of`, `1`/`0`. Letters are spelled as
 * `[tT]` classes rather than through a case-insensitive match, so no locale's case folding can widen
 * them. Text matching neither pattern does not cast: it never matches a boolean filter.
 */
const TRUE_TEXT = booleanPattern(["t", "tr", "tru", "true", "y", "ye", "yes", "on", "1"]);
const FALSE_TEXT = booleanPattern(["f", "fa", "fal", "fals", "false", "n", "no", "of", "off", "0"]);

function booleanPattern(words: readonly string[]): string {
  const anyCase = (w: string) => [...w].map((c) => /[a-z]/.test(c) ? `[${c}${c.toUpperCase()}]` : c).join("");
  const space = String.raw`[ \t\n\v\f\r]*`;
  return `'^${space}(${words.map(anyCase).join("|")})${space}$'`;
}

/**
 * A condition on the value at a user-metadata path (9.3), taken as text (`#>>`): strings compare as
 * text, numbers numerically and booleans as booleans, each only with stored text that casts to that
 * kind (anything else never matches, `$neq` included). A missing path or JSON null never matches a
 * comparison.
 */
export function metaCondition(b: Params, column: string, { path, op }: MetaCondition): string {
  // The path is a text[] parameter (an array literal with every element quoted): never SQL.
  const v = `(${column} #>> ${b.add(textArrayLiteral(path))}::text::text[])`;
  const num = `(CASE WHEN length(${v}) <= 1000 AND ${v} ~ ${NUMERIC_TEXT} THEN ${v}::numeric END)`;
  switch (op.op) {
    case "ex":
      return `${v} IS NOT NULL`; // `#>>` yields SQL NULL for a missing path and for JSON null
    case "nex":
      return `${v} IS NULL`;
    case "between":
      return `${num} BETWEEN ${b.add(String(op.low))}::text::numeric AND ${
        b.add(String(op.high))
      }::text::numeric`;
    default: {
      const value = op.value;
      if (typeof value === "string") return `${v} ${COMPARISON[op.op]} ${b.add(value)}::text`;
      if (typeof value === "boolean") {
        const bool = `(CASE WHEN ${v} ~ ${TRUE_TEXT} THEN TRUE WHEN ${v} ~ ${FALSE_TEXT} THEN FALSE END)`;
        return `${bool} ${COMPARISON[op.op]} ${b.add(String(value))}::text::boolean`;
      }
      return `${num} ${COMPARISON[op.op]} ${b.add(String(value))}::text::numeric`;
    }
  }
}

/** A PostgreSQL array literal of quoted elements: `{"a","b\"c"}`. */
export function textArrayLiteral(items: readonly string[]): string {
  return `{${items.map((s) => `"${s.replace(/[\\"]/g, "\\$&")}"`).join(",")}}`;
}
