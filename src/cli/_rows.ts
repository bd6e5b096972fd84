/**
 * Rows of record batches as text, for `mosaicod cat`: `table` (aligned columns, widths taken from the
 * first page of rows), `csv` (RFC 4180) and `jsonl` (one JSON object per row). Values: 64-bit integers
 * exact; timestamp columns as their stored integer (ISO 8601 in tables); binary as base64 (its size in
 * tables); lists and structs as JSON. Pure except for the `emit` callback.
 *
 * @module
 */
import { type Data, type RecordBatch, type Timestamp, Type, type Vector } from "apache-arrow";
import { base64, type Cell, NS_PER_UNIT, plainValue } from "../arrow/cells.ts";
import { exactJson, formatTime } from "./_format.ts";

/** The output formats of `cat`. */
export const ROW_FORMATS = ["table", "csv", "jsonl"] as const;
export type RowFormat = typeof ROW_FORMATS[number];

/** Rows a table measures before it prints (later rows reuse these widths). */
const TABLE_PAGE_ROWS = 200;
/** Longest table cell, in characters (longer ones are cut with `…`). */
const TABLE_CELL_CHARS = 60;

/** The cell values of one column: raw integers for timestamps (apache-arrow's get() would round them). */
function columnReader(vector: Vector): (row: number) => { value: Cell; timestampNs: bigint | null } {
  const data = vector.data[0] as Data | undefined;
  if (vector.type.typeId === Type.Timestamp && data !== undefined && vector.data.length === 1) {
    const scale = NS_PER_UNIT[(vector.type as Timestamp).unit];
    const values = data.values as BigInt64Array;
    return (row) => {
      if (!vector.isValid(row)) return { value: null, timestampNs: null };
      const raw = values[data.offset + row];
      return { value: raw, timestampNs: raw * scale };
    };
  }
  return (row) => ({ value: plainValue(vector.get(row)), timestampNs: null });
}

/** JSON of a plain value: bigints exact, bytes as base64. */
function jsonOf(value: Cell): string {
  return exactJson(value, undefined, (v) => v instanceof Uint8Array ? base64(v) : v);
}

function textOf(value: Cell): string {
  if (value === null) return "";
  if (typeof value === "string") return value;
  if (typeof value === "bigint" || typeof value === "number" || typeof value === "boolean") {
    return String(value);
  }
  if (value instanceof Uint8Array) return base64(value);
  return jsonOf(value);
}

function csvCell(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function tableCell(value: Cell, timestampNs: bigint | null): string {
  if (timestampNs !== null) return formatTime(timestampNs);
  if (value === null) return "null";
  if (value instanceof Uint8Array) return `<${value.length} bytes>`;
  const text = textOf(value).replaceAll(/[\r\n\t]/g, " ");
  return text.length > TABLE_CELL_CHARS ? `${text.slice(0, TABLE_CELL_CHARS - 1)}…` : text;
}

/** Writes rows of the chosen columns in one format; `emit` gets whole lines. Call `end()` last. */
export class RowWriter {
  readonly #format: RowFormat;
  readonly #columns: string[];
  readonly #emit: (line: string) => void;
  #page: string[][] | null = [];
  #widths: number[] = [];

  constructor(format: RowFormat, columns: string[], emit: (line: string) => void) {
    this.#format = format;
    this.#columns = columns;
    this.#emit = emit;
    if (format === "csv") emit(columns.map(csvCell).join(","));
  }

  /** Writes rows `[0, count)` of a batch. */
  write(batch: RecordBatch, count = batch.numRows): void {
    const readers = this.#columns.map((name) => columnReader(batch.getChild(name)!));
    for (let row = 0; row < count; row++) {
      const cells = readers.map((read) => read(row));
      if (this.#format === "csv") this.#emit(cells.map((c) => csvCell(textOf(c.value))).join(","));
      else if (this.#format === "jsonl") {
        this.#emit(
          `{${
            this.#columns.map((name, i) => `${JSON.stringify(name)}:${jsonOf(cells[i].value)}`).join(",")
          }}`,
        );
      } else this.#tableRow(cells.map((c) => tableCell(c.value, c.timestampNs)));
    }
  }

  #tableRow(cells: string[]): void {
    if (this.#page !== null) {
      this.#page.push(cells);
      if (this.#page.length >= TABLE_PAGE_ROWS) this.#flushPage();
      return;
    }
    this.#emit(this.#line(cells));
  }

  #flushPage(): void {
    const page = this.#page ?? [];
    this.#page = null;
    this.#widths = this.#columns.map((c, i) => Math.max(c.length, ...page.map((r) => r[i].length)));
    this.#emit(this.#line(this.#columns));
    for (const cells of page) this.#emit(this.#line(cells));
  }

  #line(cells: string[]): string {
    return cells.map((c, i) => i === cells.length - 1 ? c : c.padEnd(this.#widths[i])).join("  ").trimEnd();
  }

  /** Flushes what a table still holds. */
  end(): void {
    if (this.#format === "table" && this.#page !== null) this.#flushPage();
  }
}
