/**
 * SQL fragments of the `query` action's catalog part (`query.ts`): one condition per filter entry, over
 * a column or a JSON path. Every value and every key becomes a `$n` parameter; the only SQL text here
 * is fixed (operators, casts, the constant patterns below).
 *
 * Text orders by UTF-8 bytes everywhere (`COLLATE "C"`), as the data scans and the statistics do.
 *
 * Must not import anything outside `src/catalog/` and `src/model/`.
 *
 * @module
 */
import { type GlobToken, parseGlob } from "../model/glob.ts";
import type { MetaCondition, MetaOp, TextOp, TimeOp } from "./query.ts";

/** Collects parameter values and hands out their `$n` placeholders. */
export class Params {
  readonly values: unknown[] = [];
  add(value: string): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

export const COMPARISON = { eq: "=", neq: "<>", lt: "<", leq: "<=", gt: ">", geq: ">=" } as const;

/** Escapes `\`, `%` and `_` so `LIKE ... ESCAPE '\'` matches the value literally. */
export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, "\\$&");
}

/**
 * A PostgreSQL regular expression (ARE) matching exactly what the glob `pattern` matches, anchored at
 * both ends. Literals are escaped (ASCII punctuation with `\`, so no character is special), sets
 * become bracket expressions with every member escaped; `.` matches any character, newline included
 * (PostgreSQL's default, non newline-sensitive mode).
 */
export function globToRegex(pattern: string): string {
  return `^${parseGlob(pattern).map(tokenRegex).join("")}$`;
}

function tokenRegex(token: GlobToken): string {
  switch (token.kind) {
    case "star":
      return ".*";
    case "any":
      return ".";
    case "digit":
      return "[0-9]";
    case "literal":
      return regexChar(token.codePoint);
    case "set": {
      const members = token.ranges.map(([low, high]) =>
        low === high ? regexChar(low) : `${regexChar(low)}-${regexChar(high)}`
      );
      return `[${token.negated ? "^" : ""}${members.join("")}]`;
    }
  }
}

/** One character, literal in and out of brackets: ASCII letters and digits as they are, other ASCII escaped. */
function regexChar(codePoint: number): string {
  const c = String.fromCodePoint(codePoint);
  if (codePoint >= 0x80 || /[A-Za-z0-9]/.test(c)) return c;
  // `\` before a non-alphanumeric character stands for that character (in brackets too, in AREs);
  // control characters go as `\uXXXX` escapes (exactly four digits, so a next digit stays literal).
  return codePoint < 0x20 || codePoint === 0x7f ? `\\u${codePoint.toString(16).padStart(4, "0")}` : `\\${c}`;
}

/** A condition on a NOT NULL text column (names, tag, format). */
export function textCondition(b: Params, column: string, op: TextOp): string {
  const ordered = `${column} COLLATE "C"`;
  const text = (v: string) => `${b.add(v)}::text`;
  switch (op.op) {
    case "eq":
    case "neq":
      return `${column} ${COMPARISON[op.op]} ${text(op.value)}`;
    case "lt":
    case "leq":
    case "gt":
    case "geq":
      return `${ordered} ${COMPARISON[op.op]} ${text(op.value)}`;
    case "between":
      return `${ordered} BETWEEN ${text(op.low)} AND ${text(op.high)}`;
    case "outside":
      return `(${ordered} < ${text(op.low)} OR ${ordered} > ${text(op.high)})`;
    case "match":
      return `${column} LIKE ('%' || ${text(escapeLike(op.value))} || '%') ESCAPE '\\'`;
    case "glob":
      return `${column} ~ ${text(globToRegex(op.pattern))}`;
    case "in":
      return `${column} IN (SELECT jsonb_array_elements_text(${jsonList(b, op.values)}))`;
    case "ex":
      return "TRUE"; // NOT NULL columns: always present
    case "nex":
      return "FALSE";
  }
}

/** A condition on a NOT NULL integer expression (a creation time, in the operator's unit). */
export function timeCondition(b: Params, column: string, op: TimeOp): string {
  const num = (v: bigint) => `${b.add(String(v))}::text::numeric`;
  switch (op.op) {
    case "between":
      return `${column} BETWEEN ${num(op.low)} AND ${num(op.high)}`;
    case "outside":
      return `(${column} < ${num(op.low)} OR ${column} > ${num(op.high)})`;
    case "in":
      return `${column} IN (SELECT jsonb_array_elements_text(${
        jsonList(b, op.values.map(String))
      })::numeric)`;
    case "ex":
      return "TRUE";
    case "nex":
      return "FALSE";
    default:
      return `${column} ${COMPARISON[op.op]} ${num(op.value)}`;
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
 * text (ordering by UTF-8 bytes), numbers numerically and booleans as booleans, each only with stored
 * text that casts to that kind (anything else never matches, `$neq` included); `glob` matches the text.
 * A missing path or JSON null never matches a comparison. With wildcard segments (`*`, `**`), the
 * condition holds when some value the path reaches satisfies it (`$nex`: when none is present).
 */
export function metaCondition(b: Params, column: string, { path, op, wildcards }: MetaCondition): string {
  if (!wildcards) {
    // The path is a text[] parameter (an array literal with every element quoted): never SQL.
    return metaValueCondition(b, `(${column} #>> ${b.add(textArrayLiteral(path))}::text::text[])`, op);
  }
  const { from, value } = wildcardValues(b, column, path);
  if (op.op === "nex") return `NOT EXISTS (SELECT 1 FROM ${from} WHERE ${value} IS NOT NULL)`;
  return `EXISTS (SELECT 1 FROM ${from} WHERE ${metaValueCondition(b, value, op)})`;
}

/**
 * The values a wildcard path reaches from `column`: a FROM list of `jsonb_path_query` steps (`lax $.**{1}`
 * is one level down, into object members and array elements alike; `lax $.**` any number of levels,
 * none included) joined by runs of literal segments (`#>`, as without wildcards), and the text of each
 * reached value.
 */
function wildcardValues(b: Params, column: string, path: readonly string[]): { from: string; value: string } {
  const steps: string[] = [];
  let current = column;
  let literals: string[] = [];
  const descend = () =>
    literals.length === 0 ? current : `(${current} #> ${b.add(textArrayLiteral(literals))}::text::text[])`;
  for (const segment of path) {
    if (segment !== "*" && segment !== "**") {
      literals.push(segment);
      continue;
    }
    const alias = `w${steps.length}`;
    const levels = segment === "*" ? "lax $.**{1}" : "lax $.**";
    steps.push(`jsonb_path_query(${descend()}, '${levels}') AS ${alias}(x)`);
    current = `${alias}.x`;
    literals = [];
  }
  const value = literals.length === 0
    ? `(${current} #>> '{}')`
    : `(${current} #>> ${b.add(textArrayLiteral(literals))}::text::text[])`;
  return { from: steps.join(" CROSS JOIN LATERAL "), value };
}

/** `op` on the text `v` of a user-metadata value (NULL when missing). */
function metaValueCondition(b: Params, v: string, op: MetaOp): string {
  const num = `(CASE WHEN length(${v}) <= 1000 AND ${v} ~ ${NUMERIC_TEXT} THEN ${v}::numeric END)`;
  const ordered = `${v} COLLATE "C"`;
  const bound = (x: string | number | bigint) =>
    typeof x === "string" ? `${b.add(x)}::text` : `${b.add(String(x))}::text::numeric`;
  const side = (x: string | number | bigint) => typeof x === "string" ? ordered : num;
  switch (op.op) {
    case "ex":
      return `${v} IS NOT NULL`; // `#>>` yields SQL NULL for a missing path and for JSON null
    case "nex":
      return `${v} IS NULL`;
    case "between":
      return `${side(op.low)} BETWEEN ${bound(op.low)} AND ${bound(op.high)}`;
    case "outside":
      return `(${side(op.low)} < ${bound(op.low)} OR ${side(op.low)} > ${bound(op.high)})`;
    case "glob":
      return `${v} ~ ${b.add(globToRegex(op.pattern))}::text`;
    case "in": {
      // By kind, so that a long list costs one parameter per kind, not an expression per value.
      const strings = op.values.filter((x) => typeof x === "string");
      const numbers = op.values.filter((x) => typeof x === "number" || typeof x === "bigint");
      const terms = [...new Set(op.values.filter((x) => typeof x === "boolean"))]
        .map((value) => metaValueCondition(b, v, { op: "eq", value }));
      if (strings.length > 0) {
        terms.push(`${v} IN (SELECT jsonb_array_elements_text(${jsonList(b, strings)}))`);
      }
      if (numbers.length > 0) {
        terms.push(
          `${num} IN (SELECT jsonb_array_elements_text(${jsonList(b, numbers.map(String))})::numeric)`,
        );
      }
      return `(${terms.join(" OR ")})`;
    }
    case "eq":
    case "neq": {
      const value = op.value;
      if (typeof value === "string") return `${v} ${COMPARISON[op.op]} ${b.add(value)}::text`;
      if (typeof value === "boolean") {
        const bool = `(CASE WHEN ${v} ~ ${TRUE_TEXT} THEN TRUE WHEN ${v} ~ ${FALSE_TEXT} THEN FALSE END)`;
        return `${bool} ${COMPARISON[op.op]} ${b.add(String(value))}::text::boolean`;
      }
      return `${num} ${COMPARISON[op.op]} ${bound(value)}`;
    }
    default:
      return `${side(op.value)} ${COMPARISON[op.op]} ${bound(op.value)}`;
  }
}

/** A JSON array of strings as a `jsonb` parameter. */
function jsonList(b: Params, items: readonly string[]): string {
  return `${b.add(JSON.stringify(items))}::text::jsonb`;
}

/** A PostgreSQL array literal of quoted elements: `{"a","b\"c"}`. */
export function textArrayLiteral(items: readonly string[]): string {
  return `{${items.map((s) => `"${s.replace(/[\\"]/g, "\\$&")}"`).join(",")}}`;
}
