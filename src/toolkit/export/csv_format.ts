/**
 * CSV export: one file per topic, RFC 4180 (comma, CRLF line ends, a field quoted when it holds a
 * comma, a quote or a line break, quotes doubled), UTF-8 without a byte order mark. The header names
 * the columns with struct fields flattened (`pose.position.x`); lists and maps are JSON text; binary is
 * base64; timestamps are nanoseconds since the epoch; 64-bit integers are exact; a null (or a field of
 * a null struct) is an empty field.
 *
 * Imports apache-arrow only.
 *
 * @module
 */
import { type Data, type DataType, type Field, type RecordBatch, Type } from "apache-arrow";
import { base64, type Cell, cellJson, cellReader } from "../../arrow/cells.ts";
import { type ExportFormat, filePerTopic } from "./format.ts";

/** The CSV export format. */
export const csvFormat: ExportFormat = {
  name: "csv",
  extension: "csv",
  layout: "topic",
  open() {
    return Promise.resolve(filePerTopic(async (topic, out) => {
      const encoder = new TextEncoder();
      const header = csvColumns(topic.schema.fields).map((c) => c.name);
      await out.write(encoder.encode(csvLine(header)));
      let rows = 0;
      for await (const { batch } of topic.batches) {
        for (const text of csvRows(batch)) await out.write(encoder.encode(text));
        rows += batch.numRows;
        topic.onProgress?.(rows, out.bytes);
      }
      return rows;
    }));
  },
};

/** A CSV column: its flattened name and the path of struct fields that leads to it. */
export interface CsvColumn {
  name: string;
  /** Indexes of the fields from the top-level column down to this leaf. */
  path: number[];
}

/** The columns of `fields`, struct fields flattened to their leaves (`a.b.c`). */
export function csvColumns(fields: readonly Field[], prefix = "", path: number[] = []): CsvColumn[] {
  return fields.flatMap((f, i) =>
    f.type.typeId === Type.Struct
      ? csvColumns((f.type as DataType).children, `${prefix}${f.name}.`, [...path, i])
      : [{ name: `${prefix}${f.name}`, path: [...path, i] }]
  );
}

/** A reader per CSV column: a leaf is null when it, or any struct above it, is null. */
function leafReaders(batch: RecordBatch): ((row: number) => string)[] {
  return csvColumns(batch.schema.fields).map((column) => {
    const chain: Data[] = [];
    let data: Data = batch.data;
    for (const i of column.path) {
      data = data.children[i];
      chain.push(data);
    }
    const read = cellReader(data);
    const parents = chain.slice(0, -1).filter((d) => d.nullCount > 0);
    return (row) => parents.some((p) => !p.getValid(row)) ? "" : csvText(read(row));
  });
}

/** Characters of CSV text handed out at once. */
const PIECE_CHARS = 1 << 20;

/** Every row of a batch as CSV lines, in pieces of about {@linkcode PIECE_CHARS} characters. */
export function* csvRows(batch: RecordBatch): Generator<string> {
  const readers = leafReaders(batch);
  let text = "";
  for (let row = 0; row < batch.numRows; row++) {
    text += csvLine(readers.map((read) => read(row)));
    if (text.length >= PIECE_CHARS) {
      yield text;
      text = "";
    }
  }
  if (text !== "") yield text;
}

function csvText(cell: Cell): string {
  if (cell === null) return "";
  if (typeof cell === "string") return cell;
  if (typeof cell === "number" || typeof cell === "bigint" || typeof cell === "boolean") return String(cell);
  if (cell instanceof Uint8Array) return base64(cell);
  return cellJson(cell);
}

function csvLine(fields: string[]): string {
  return `${fields.map((f) => /[",\r\n]/.test(f) ? `"${f.replaceAll('"', '""')}"` : f).join(",")}\r\n`;
}
