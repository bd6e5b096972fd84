/**
 * Checks a record-batch header against its schema before apache-arrow builds views over the body:
 * the right number of field nodes and buffers for every type, and buffers large enough for their
 * row counts. apache-arrow itself trusts the header (a short buffer silently yields wrong values), so
 * this is what turns a batch that does not match its schema into a clear client error.
 * Folder-private to `arrow/`.
 *
 * @module
 */
import { type DataType, type Field, Type } from "apache-arrow";
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

/** Walks fields depth-first, consuming nodes and buffers in IPC order; returns a problem or null. */
export function headerProblem(
  fields: readonly Field[],
  nodes: readonly FieldNode[],
  buffers: readonly BufferRegion[],
): string | null {
  let n = 0;
  let b = 0;
  const buffer = () => (b < buffers.length ? Number(buffers[b++].length) : -1);
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
    const validity = buffer();
    if (validity < 0) return `too few buffers (at "${field.name}")`;
    if (nulls > 0 && validity < Math.ceil(rows / 8)) {
      return `field "${field.name}": validity buffer too short`;
    }
    const need = (bytes: number, what: string) => {
      const len = buffer();
      if (len < 0) return `too few buffers (at "${field.name}")`;
      return len < bytes ? `field "${field.name}": ${what} buffer has ${len} bytes, needs ${bytes}` : null;
    };
    const width = fixedWidth(type);
    if (width !== null) return need(rows * width, "data");
    const offsets = rows > 0 ? rows + 1 : 0;
    switch (type.typeId) {
      case Type.Bool:
        return need(Math.ceil(rows / 8), "data");
      case Type.Utf8:
      case Type.Binary:
        return need(offsets * 4, "offsets") ?? need(0, "data");
      case Type.LargeUtf8:
      case Type.LargeBinary:
        return need(offsets * 8, "offsets") ?? need(0, "data");
      case Type.List:
      case Type.Map:
        return need(offsets * 4, "offsets") ?? visit(type.children[0], 0);
      case Type.LargeList:
        return need(offsets * 8, "offsets") ?? visit(type.children[0], 0);
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
    const problem = visit(field, 0);
    if (problem) return problem;
  }
  if (n !== nodes.length) return `${nodes.length} field nodes for a schema with ${n}`;
  if (b !== buffers.length) return `${buffers.length} buffers for a schema with ${b}`;
  return null;
}
