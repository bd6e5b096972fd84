/**
 * Cell values of record batches, read straight from the Arrow buffers, for the text outputs of the
 * toolkit (export's CSV and MCAP JSON messages; `cat`'s rows use {@link plainValue}): 64-bit integers as exact bigints, timestamps converted to nanoseconds,
 * binary as bytes, lists as arrays, structs and maps as objects. A reader is built once per column and
 * batch, then called per row, so that a row costs no type dispatch. Types without a fast path (decimals,
 * dictionaries, unions, intervals, views, float16) go through apache-arrow's own `get()`.
 *
 * Imports apache-arrow and `node:buffer` only.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import {
  type Data,
  type DataType,
  type FixedSizeBinary,
  type FixedSizeList,
  type Int,
  makeVector,
  type Timestamp,
  TimeUnit,
  Type,
} from "apache-arrow";

/** A value as the text formats write it. */
export type Cell = null | boolean | number | bigint | string | Uint8Array | Cell[] | { [key: string]: Cell };

/** Reads the cell of one row (an index into the column's Data). */
export type CellReader = (row: number) => Cell;

/** Nanoseconds in one unit of each Arrow time unit. */
export const NS_PER_UNIT: Record<TimeUnit, bigint> = {
  [TimeUnit.SECOND]: 1_000_000_000n,
  [TimeUnit.MILLISECOND]: 1_000_000n,
  [TimeUnit.MICROSECOND]: 1_000n,
  [TimeUnit.NANOSECOND]: 1n,
};

const utf8 = new TextDecoder();

/** A reader of the cells of `data` (one column of one batch, or a child of one). */
export function cellReader(data: Data): CellReader {
  const value = valueReader(data);
  if (data.typeId === Type.Null) return () => null;
  if (data.nullCount === 0) return value;
  return (row) => data.getValid(row) ? value(row) : null;
}

/** The value of a row known to be valid. */
function valueReader(data: Data): CellReader {
  const type: DataType = data.type;
  switch (data.typeId) {
    case Type.Int: {
      const values = data.values as ArrayLike<number | bigint>;
      return (type as Int).bitWidth === 64 ? (row) => values[row] : (row) => Number(values[row]);
    }
    case Type.Float:
      if (data.values instanceof Float32Array || data.values instanceof Float64Array) {
        const values = data.values;
        return (row) => values[row];
      }
      return generic(data);
    case Type.Bool: {
      const bits = data.values as Uint8Array;
      const offset = data.offset; // bit buffers are not sliced: their index carries the offset
      return (row) => ((bits[(offset + row) >> 3] >> ((offset + row) & 7)) & 1) === 1;
    }
    case Type.Utf8:
    case Type.LargeUtf8: {
      const bytes = bytesReader(data);
      return (row) => utf8.decode(bytes(row));
    }
    case Type.Binary:
    case Type.LargeBinary:
      return bytesReader(data);
    case Type.FixedSizeBinary: {
      const width = (type as FixedSizeBinary).byteWidth;
      const values = data.values as Uint8Array;
      return (row) => values.subarray(row * width, (row + 1) * width);
    }
    case Type.Timestamp: {
      const values = data.values as BigInt64Array;
      const scale = NS_PER_UNIT[(type as Timestamp).unit];
      return (row) => values[row] * scale;
    }
    case Type.Date:
    case Type.Time:
    case Type.Duration: {
      // Their stored integer (days, milliseconds, or the type's unit).
      const values = data.values as ArrayLike<number | bigint>;
      return (row) => values[row];
    }
    case Type.List:
    case Type.LargeList: {
      const offsets = data.valueOffsets as ArrayLike<number | bigint>;
      const item = cellReader(data.children[0]);
      return (row) => range(Number(offsets[row]), Number(offsets[row + 1]), item);
    }
    case Type.FixedSizeList: {
      const size = (type as FixedSizeList).listSize;
      const item = cellReader(data.children[0]);
      return (row) => range(row * size, (row + 1) * size, item);
    }
    case Type.Struct: {
      const names = type.children.map((f) => f.name);
      const readers = data.children.map(cellReader);
      return (row) => {
        const out: { [key: string]: Cell } = {};
        for (let i = 0; i < names.length; i++) out[names[i]] = readers[i](row);
        return out;
      };
    }
    case Type.Map: {
      const offsets = data.valueOffsets as Int32Array;
      const entries = data.children[0];
      const key = cellReader(entries.children[0]);
      const value = cellReader(entries.children[1]);
      return (row) => {
        const out: { [key: string]: Cell } = {};
        for (let i = offsets[row]; i < offsets[row + 1]; i++) out[keyText(key(i))] = value(i);
        return out;
      };
    }
    default:
      return generic(data);
  }
}

function range(start: number, end: number, item: CellReader): Cell[] {
  const out = new Array<Cell>(end - start);
  for (let i = start; i < end; i++) out[i - start] = item(i);
  return out;
}

/** The bytes of a variable-width value (a view of the batch's buffer). */
function bytesReader(data: Data): (row: number) => Uint8Array {
  const offsets = data.valueOffsets as ArrayLike<number | bigint>;
  const values = data.values as Uint8Array;
  return (row) => values.subarray(Number(offsets[row]), Number(offsets[row + 1]));
}

function keyText(key: Cell): string {
  return typeof key === "string" ? key : cellJson(key);
}

/** Through apache-arrow's `get()`, for the types without a fast path. */
function generic(data: Data): CellReader {
  const vector = makeVector(data);
  return (row) => plainValue(vector.get(row));
}

/**
 * A value as apache-arrow's `get()` answers it, made plain: typed arrays and list vectors as arrays, struct
 * and map rows as objects (through their `toJSON`), dates as ISO 8601 text; bigints and bytes kept.
 */
export function plainValue(value: unknown): Cell {
  if (value === null || value === undefined) return null;
  if (typeof value === "boolean" || typeof value === "number" || typeof value === "bigint") return value;
  if (typeof value === "string" || value instanceof Uint8Array) return value;
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as Iterable<unknown>, plainValue);
  if (Array.isArray(value)) return value.map(plainValue);
  const json = (value as { toJSON?: () => unknown }).toJSON;
  if (typeof json === "function") return plainValue(json.call(value));
  if (typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plainValue(v)]));
  }
  return String(value);
}

/**
 * JSON text of a cell: integers exact (bigints as digits), bytes as base64 strings, floats that JSON
 * cannot write (NaN, ±Infinity) as null.
 */
export function cellJson(cell: Cell): string {
  if (cell === null) return "null";
  switch (typeof cell) {
    case "boolean":
    case "bigint":
      return String(cell);
    case "number":
      return Number.isFinite(cell) ? String(cell) : "null";
    case "string":
      return JSON.stringify(cell);
  }
  if (cell instanceof Uint8Array) return `"${base64(cell)}"`;
  if (Array.isArray(cell)) return `[${cell.map(cellJson).join(",")}]`;
  let out = "{";
  for (const key in cell) out += `${out.length > 1 ? "," : ""}${JSON.stringify(key)}:${cellJson(cell[key])}`;
  return `${out}}`;
}

/** Standard base64 (with padding) of bytes. */
export function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}
