/**
 * Checks a record-batch header against its schema before apache-arrow builds views over the body:
 * the right number of field nodes and buffers for every type, and buffers large enough for their
 * row counts. apache-arrow itself trusts the header (a short buffer silently yields wrong values), so
 * this is what turns a batch that does not match its schema into a clear client error. Also checks a
 * decoded schema's own consistency ({@link schemaProblem}) and which types uploads support.
 * Folder-private to `arrow/`.
 *
 * @module
 */
import { DataType, Field, type Schema, Type } from "apache-arrow";
import type { BufferRegion, FieldNode } from "apache-arrow/ipc/metadata/message";

/** Byte width of the values of fixed-width types; null when the type is not fixed-width. */
function fixedWidth(type: DataType): number | null {
  // deno-lint-ignore no-explicit-any
  const t = type as any;
  switch (type.typeId) {
    case Type.Int:
    case Type.Time:
      return t.bitWidth / 8;
    case Type.Float:
      return [2, 4, 8][t.precision];
    case Type.Decimal:
      return (t.bitWidth ?? 128) / 8;
    case Type.Date:
      return t.unit === 0 ? 4 : 8;
    case Type.Timestamp:
    case Type.Duration:
      return 8;
    case Type.Interval:
      return [4, 8, 16][t.unit];
    case Type.FixedSizeBinary:
      return t.byteWidth;
    default:
      return null;
  }
}

/**
 * Walks fields depth-first, consuming nodes and buffers in IPC order; returns a problem or null.
 * Top-level columns must hold at least the batch's `rows`, as a child holds at least its parent's.
 * Offsets (strings, binaries, lists) are read from `body` too: they must start at 0 or more, never
 * decrease, and end within the data buffer or the child column, or reading values would run past them.
 */
export function headerProblem(
  fields: readonly Field[],
  nodes: readonly FieldNode[],
  buffers: readonly BufferRegion[],
  rows: number,
  body: Uint8Array,
): string | null {
  let n = 0;
  let b = 0;
  const next = (): BufferRegion | null => (b < buffers.length ? buffers[b++] : null);
  const visit = (field: Field, minRows: number): string | null => {
    if (n >= nodes.length) return `too few field nodes (at "${field.name}")`;
    const node = nodes[n++];
    const rows = Number(node.length);
    const nulls = Number(node.nullCount);
    if (rows < minRows) return `field "${field.name}" has ${rows} rows, expected at least ${minRows}`;
    if (nulls < 0 || nulls > rows) return `field "${field.name}" has an invalid null count ${nulls}`;
    const type = field.type;
    if (type.typeId === Type.Null) return null;
    if (type.typeId === Type.Union) return `field "${field.name}": union types are not supported`;
    const validity = next();
    if (validity === null) return `too few buffers (at "${field.name}")`;
    if (nulls > 0 && Number(validity.length) < Math.ceil(rows / 8)) {
      return `field "${field.name}": validity buffer too short`;
    }
    const need = (bytes: number, what: string): string | null => {
      const region = next();
      if (region === null) return `too few buffers (at "${field.name}")`;
      const len = Number(region.length);
      return len < bytes ? `field "${field.name}": ${what} buffer has ${len} bytes, needs ${bytes}` : null;
    };
    /** Reads the offsets buffer (`width` 4 or 8); the last offset must not pass `limit()`. */
    const offsets = (width: 4 | 8, limit: () => number | string): string | null => {
      const region = next();
      if (region === null) return `too few buffers (at "${field.name}")`;
      const count = rows > 0 ? rows + 1 : 0;
      if (Number(region.length) < count * width) {
        return `field "${field.name}": offsets buffer has ${region.length} bytes, needs ${count * width}`;
      }
      if (count === 0) return null;
      const values = offsetValues(body, Number(region.offset), count, width);
      const first = Number(values[0]);
      if (first < 0) return `field "${field.name}": negative offset ${first}`;
      const row = firstDecrease(values);
      if (row >= 0) return `field "${field.name}": offsets decrease at row ${row}`;
      const last = Number(values[count - 1]);
      const max = limit();
      if (typeof max === "string") return max;
      return last > max ? `field "${field.name}": offsets run to ${last}, past ${max}` : null;
    };
    const width = fixedWidth(type);
    if (width !== null) return need(rows * width, "data");
    switch (type.typeId) {
      case Type.Bool:
        return need(Math.ceil(rows / 8), "data");
      case Type.Utf8:
      case Type.Binary:
      case Type.LargeUtf8:
      case Type.LargeBinary: {
        const wide = type.typeId === Type.LargeUtf8 || type.typeId === Type.LargeBinary;
        // The data buffer follows the offsets.
        const dataBytes = () =>
          b < buffers.length ? Number(buffers[b].length) : `too few buffers (at "${field.name}")`;
        return offsets(wide ? 8 : 4, dataBytes) ?? need(0, "data");
      }
      case Type.List:
      case Type.Map:
      case Type.LargeList: {
        // The child's node follows: its row count bounds the offsets.
        const childRows = () =>
          n < nodes.length ? Number(nodes[n].length) : `too few field nodes (at "${field.name}")`;
        return offsets(type.typeId === Type.LargeList ? 8 : 4, childRows) ?? visit(type.children[0], 0);
      }
      case Type.FixedSizeList:
        // deno-lint-ignore no-explicit-any
        return visit(type.children[0], rows * (type as any).listSize);
      case Type.Struct:
        for (const child of type.children) {
          const problem = visit(child, rows);
          if (problem) return problem;
        }
        return null;
      default:
        return `field "${field.name}": type ${type} is not supported`;
    }
  };
  for (const field of fields) {
    const problem = visit(field, rows);
    if (problem) return problem;
  }
  if (n !== nodes.length) return `${nodes.length} field nodes for a schema with ${n}`;
  if (b !== buffers.length) return `${buffers.length} buffers for a schema with ${b}`;
  return null;
}

/**
 * `count` offsets of `width` bytes at `at` in `body`, viewed in place when aligned (the usual case: the
 * server aligns bodies), else copied. Little-endian, as Arrow IPC bodies are on every platform we run on.
 */
function offsetValues(body: Uint8Array, at: number, count: number, width: 4 | 8): Int32Array | BigInt64Array {
  const start = body.byteOffset + at;
  if (start % width === 0) {
    return width === 4
      ? new Int32Array(body.buffer, start, count)
      : new BigInt64Array(body.buffer, start, count);
  }
  const copy = new Uint8Array(body.subarray(at, at + count * width)); // a copy (a Buffer's slice() is not)
  return width === 4 ? new Int32Array(copy.buffer) : new BigInt64Array(copy.buffer);
}

/** The row at which offsets first decrease, or -1. */
function firstDecrease(values: Int32Array | BigInt64Array): number {
  for (let i = 1; i < values.length; i++) {
    if (values[i] < values[i - 1]) return i - 1;
  }
  return -1;
}

const TIME_UNITS = 4; // second, millisecond, microsecond, nanosecond
const MAX_WIDTH = 2 ** 31 - 1;

/**
 * Why a decoded schema cannot be used, or null. apache-arrow builds types from whatever the header says
 * (a list without a child, a 3-bit integer, a field without a name), and code further on (encoding
 * the schema again, reading values) would then fail with a TypeError; this refuses such a schema while
 * it is still a client error. Every valid Arrow schema passes, supported by uploads or not.
 */
export function schemaProblem(schema: Schema): string | null {
  if (!Array.isArray(schema.fields)) return "no field list";
  const metadata = metadataProblem(schema.metadata, "the schema");
  if (metadata) return metadata;
  for (const field of schema.fields) {
    const problem = fieldProblem(field, "");
    if (problem) return problem;
  }
  return null;
}

function metadataProblem(metadata: Map<string, string>, owner: string): string | null {
  for (const [key, value] of metadata) {
    if (typeof key !== "string" || typeof value !== "string") {
      return `${owner} has a metadata key without a value`;
    }
  }
  return null;
}

function fieldProblem(field: Field, prefix: string): string | null {
  if (!(field instanceof Field)) return `a field of "${prefix}" is missing`;
  if (typeof field.name !== "string") return `a field of "${prefix}" has no name`;
  const path = prefix + field.name;
  const bad = (why: string) => `field "${path}": ${why}`;
  const type = field.type;
  if (!(type instanceof DataType)) return bad("no type");
  const metadata = metadataProblem(field.metadata, `field "${path}"`);
  if (metadata) return metadata;
  // deno-lint-ignore no-explicit-any
  const t = type as any;
  const children: Field[] = t.children ?? [];
  const oneChild = () =>
    children.length === 1 ? null : bad(`${type} must have exactly one child, not ${children.length}`);
  let problem: string | null = null;
  switch (type.typeId) {
    case Type.Int:
      problem = [8, 16, 32, 64].includes(t.bitWidth) ? null : bad(`integer width ${t.bitWidth}`);
      break;
    case Type.Float:
      problem = [0, 1, 2].includes(t.precision) ? null : bad(`floating-point precision ${t.precision}`);
      break;
    case Type.Decimal:
      problem = [32, 64, 128, 256].includes(t.bitWidth) && t.precision >= 1 && t.precision <= 76
        ? null
        : bad(`decimal of ${t.bitWidth} bits and precision ${t.precision}`);
      break;
    case Type.Date:
      problem = t.unit === 0 || t.unit === 1 ? null : bad(`date unit ${t.unit}`);
      break;
    case Type.Time: {
      const width = t.unit <= 1 ? 32 : 64;
      problem = t.unit >= 0 && t.unit < TIME_UNITS && t.bitWidth === width
        ? null
        : bad(`time unit ${t.unit} with width ${t.bitWidth}`);
      break;
    }
    case Type.Timestamp:
    case Type.Duration:
      problem = t.unit >= 0 && t.unit < TIME_UNITS ? null : bad(`time unit ${t.unit}`);
      break;
    case Type.Interval:
      problem = [0, 1, 2].includes(t.unit) ? null : bad(`interval unit ${t.unit}`);
      break;
    case Type.FixedSizeBinary:
      problem = Number.isInteger(t.byteWidth) && t.byteWidth >= 1 && t.byteWidth <= MAX_WIDTH
        ? null
        : bad(`byte width ${t.byteWidth}`);
      break;
    case Type.FixedSizeList:
      problem = Number.isInteger(t.listSize) && t.listSize >= 1 && t.listSize <= MAX_WIDTH
        ? oneChild()
        : bad(`list size ${t.listSize}`);
      break;
    case Type.List:
    case Type.LargeList:
      problem = oneChild();
      break;
    case Type.Map: {
      problem = oneChild();
      const entries = children[0]?.type;
      if (!problem && !(entries?.typeId === Type.Struct && entries.children.length === 2)) {
        problem = bad("map entries must be a struct of a key and a value");
      }
      break;
    }
    case Type.Union:
      problem = t.typeIds?.length === children.length
        ? null
        : bad("union type ids do not match its children");
      break;
    case Type.Dictionary: {
      const indices = t.indices;
      problem = indices?.typeId === Type.Int && [8, 16, 32, 64].includes(indices.bitWidth)
        ? fieldProblem(new Field(field.name, t.dictionary, true), prefix)
        : bad("dictionary indices must be integers");
      break;
    }
  }
  if (problem) return problem;
  for (const child of children) {
    const inner = fieldProblem(child, `${path}.`);
    if (inner) return inner;
  }
  return null;
}

/** The first field (dotted path) whose type record batches cannot carry here, with the type; or null. */
export function unsupportedField(fields: readonly Field[], prefix = ""): string | null {
  for (const field of fields) {
    const path = prefix + field.name;
    const type = field.type;
    if (type.typeId === Type.Null || fixedWidth(type) !== null) continue;
    switch (type.typeId) {
      case Type.Bool:
      case Type.Utf8:
      case Type.Binary:
      case Type.LargeUtf8:
      case Type.LargeBinary:
        continue;
      case Type.List:
      case Type.LargeList:
      case Type.Map:
      case Type.FixedSizeList:
      case Type.Struct: {
        const inner = unsupportedField(type.children, `${path}.`);
        if (inner) return inner;
        continue;
      }
      default:
        return `"${path}" (${type})`;
    }
  }
  return null;
}
