/**
 * A verifier for the flatbuffer of an Arrow IPC `Message` (Schema, RecordBatch and DictionaryBatch
 * headers), run before apache-arrow reads it. apache-arrow trusts the bytes, as flatbuffers' generated
 * JavaScript does: out-of-range reads yield zeros instead of failing, and vector lengths are taken as
 * written, so a 136-byte header claiming 2^28 field nodes keeps the decoder allocating until the
 * process dies. This is the check Arrow C++ runs (`flatbuffers::Verifier`), for the tables we decode:
 * every table, vtable, field, string and vector lies inside the buffer, offsets point forward (so there
 * are no cycles), nesting is at most {@link MAX_NESTING} deep, and the whole walk (which counts a shared
 * table at each of its uses, as the decoder will) visits at most {@link MAX_VISITS} tables and vectors.
 *
 * Positions are computed exactly as the flatbuffers runtime computes them (signed 32-bit offsets,
 * signed 16-bit vtable entries), so what passes here is what apache-arrow reads. Folder-private.
 *
 * @module
 */

/** Deepest nesting of tables (a field inside a field inside …), as Arrow C++'s IPC reader allows. */
export const MAX_NESTING = 64;
/** Most tables, strings and vectors one header may make the decoder visit. */
export const MAX_VISITS = 250_000;

type Slot =
  | { kind: "scalar"; size: 1 | 2 | 4 | 8 }
  | { kind: "string" }
  | { kind: "table"; table: () => Table }
  | { kind: "vector"; element: 1 | 2 | 4 | 8 | 16 }
  | { kind: "tables"; table: () => Table }
  /** A union value; its type is the ubyte in slot `typeSlot`; members not listed are not read. */
  | {
    kind: "union";
    typeSlot: number;
    members: Readonly<Record<number, () => Table>>;
    unknown: "refuse" | "skip";
  };

interface Table {
  readonly name: string;
  readonly slots: readonly (Slot | null)[];
}

const u8: Slot = { kind: "scalar", size: 1 };
const i16: Slot = { kind: "scalar", size: 2 };
const i32: Slot = { kind: "scalar", size: 4 };
const i64: Slot = { kind: "scalar", size: 8 };
const str: Slot = { kind: "string" };

const KEY_VALUE: Table = { name: "KeyValue", slots: [str, str] };
const metadata: Slot = { kind: "tables", table: () => KEY_VALUE };
const INT: Table = { name: "Int", slots: [i32, u8] };
const EMPTY = (name: string): Table => ({ name, slots: [] });

/** Members of the `Type` union (Schema.fbs), by type id. */
const TYPES: Record<number, () => Table> = {
  1: () => EMPTY("Null"),
  2: () => INT,
  3: () => ({ name: "FloatingPoint", slots: [i16] }),
  4: () => EMPTY("Binary"),
  5: () => EMPTY("Utf8"),
  6: () => EMPTY("Bool"),
  7: () => ({ name: "Decimal", slots: [i32, i32, i32] }),
  8: () => ({ name: "Date", slots: [i16] }),
  9: () => ({ name: "Time", slots: [i16, i32] }),
  10: () => ({ name: "Timestamp", slots: [i16, str] }),
  11: () => ({ name: "Interval", slots: [i16] }),
  12: () => EMPTY("List"),
  13: () => EMPTY("Struct_"),
  14: () => ({ name: "Union", slots: [i16, { kind: "vector", element: 4 }] }),
  15: () => ({ name: "FixedSizeBinary", slots: [i32] }),
  16: () => ({ name: "FixedSizeList", slots: [i32] }),
  17: () => ({ name: "Map", slots: [u8] }),
  18: () => ({ name: "Duration", slots: [i16] }),
  19: () => EMPTY("LargeBinary"),
  20: () => EMPTY("LargeUtf8"),
  21: () => EMPTY("LargeList"),
  22: () => EMPTY("RunEndEncoded"),
  23: () => EMPTY("BinaryView"),
  24: () => EMPTY("Utf8View"),
  25: () => EMPTY("ListView"),
  26: () => EMPTY("LargeListView"),
};

const DICTIONARY_ENCODING: Table = {
  name: "DictionaryEncoding",
  slots: [i64, { kind: "table", table: () => INT }, u8, i16],
};

const FIELD: Table = {
  name: "Field",
  slots: [
    str, // name
    u8, // nullable
    u8, // type_type
    { kind: "union", typeSlot: 2, members: TYPES, unknown: "refuse" },
    { kind: "table", table: () => DICTIONARY_ENCODING },
    { kind: "tables", table: () => FIELD }, // children
    metadata,
  ],
};

const SCHEMA: Table = {
  name: "Schema",
  slots: [i16, { kind: "tables", table: () => FIELD }, metadata, { kind: "vector", element: 8 }],
};

const RECORD_BATCH: Table = {
  name: "RecordBatch",
  slots: [
    i64, // length
    { kind: "vector", element: 16 }, // nodes (FieldNode structs)
    { kind: "vector", element: 16 }, // buffers (Buffer structs)
    { kind: "table", table: () => ({ name: "BodyCompression", slots: [u8, u8] }) },
    { kind: "vector", element: 8 }, // variadicBufferCounts
  ],
};

const DICTIONARY_BATCH: Table = {
  name: "DictionaryBatch",
  slots: [i64, { kind: "table", table: () => RECORD_BATCH }, u8],
};

const MESSAGE: Table = {
  name: "Message",
  slots: [
    i16, // version
    u8, // header_type
    // Tensor and SparseTensor headers are never decoded: the caller refuses them by type.
    {
      kind: "union",
      typeSlot: 1,
      members: { 1: () => SCHEMA, 2: () => DICTIONARY_BATCH, 3: () => RECORD_BATCH },
      unknown: "skip",
    },
    i64, // bodyLength
    metadata,
  ],
};

/** Why the bytes are not a well-formed Arrow IPC Message flatbuffer, or null when they are. */
export function messageProblem(bytes: Uint8Array): string | null {
  try {
    new Verifier(bytes).root(MESSAGE);
    return null;
  } catch (err) {
    if (err instanceof Malformed) return err.message;
    throw err;
  }
}

class Malformed extends Error {}

class Verifier {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  #visits = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  root(table: Table): void {
    this.#table(this.#follow(0, "root offset"), table, 1);
  }

  #i32(pos: number): number {
    return this.#view.getInt32(pos, true);
  }

  /** `[pos, pos + size)` lies inside the buffer. */
  #need(pos: number, size: number, what: string): void {
    if (!Number.isSafeInteger(pos) || pos < 0 || size < 0 || pos + size > this.#bytes.length) {
      throw new Malformed(
        `${what} at ${pos} (${size} bytes) lies outside the ${this.#bytes.length}-byte header`,
      );
    }
  }

  #visit(depth: number, what: string): void {
    if (depth > MAX_NESTING) throw new Malformed(`${what} is nested deeper than ${MAX_NESTING} levels`);
    if (++this.#visits > MAX_VISITS) throw new Malformed(`more than ${MAX_VISITS} tables and vectors`);
  }

  /** Follows the offset stored at `at` (the runtime's `__indirect`): forward only, inside the buffer. */
  #follow(at: number, what: string): number {
    this.#need(at, 4, what);
    const rel = this.#i32(at);
    if (rel <= 0) throw new Malformed(`${what} at ${at} does not point forward`);
    return at + rel;
  }

  #table(pos: number, table: Table, depth: number): void {
    this.#visit(depth, table.name);
    this.#need(pos, 4, table.name);
    const vtable = pos - this.#i32(pos);
    this.#need(vtable, 4, `${table.name} vtable`);
    const vtableSize = this.#view.getInt16(vtable, true);
    const tableSize = this.#view.getInt16(vtable + 2, true);
    if (vtableSize < 4 || vtableSize % 2 !== 0) {
      throw new Malformed(`${table.name} vtable has size ${vtableSize}`);
    }
    this.#need(vtable, vtableSize, `${table.name} vtable`);
    if (tableSize < 4) throw new Malformed(`${table.name} has size ${tableSize}`);
    this.#need(pos, tableSize, table.name);
    const fieldOffset = (slot: number): number => {
      const entry = 4 + 2 * slot;
      return entry < vtableSize ? this.#view.getInt16(vtable + entry, true) : 0;
    };
    const unionType = (typeSlot: number): number => {
      const off = fieldOffset(typeSlot);
      return off >= 4 && off < tableSize ? this.#bytes[pos + off] : 0;
    };
    table.slots.forEach((slot, i) => {
      if (slot === null) return;
      const off = fieldOffset(i);
      const what = `${table.name} field ${i}`;
      if (off === 0) {
        if (slot.kind === "union" && slot.members[unionType(slot.typeSlot)]) {
          throw new Malformed(`${what} is missing`);
        }
        return;
      }
      const size = slot.kind === "scalar" ? slot.size : 4;
      if (off < 4 || off + size > tableSize) throw new Malformed(`${what} lies outside its table`);
      const at = pos + off;
      switch (slot.kind) {
        case "scalar":
          return;
        case "string":
          return this.#vector(this.#follow(at, what), 1, depth, what);
        case "table":
          return this.#table(this.#follow(at, what), slot.table(), depth + 1);
        case "vector":
          return this.#vector(this.#follow(at, what), slot.element, depth, what);
        case "tables": {
          const start = this.#follow(at, what);
          const n = this.#vector(start, 4, depth, what);
          const element = slot.table();
          for (let k = 0; k < n; k++) this.#table(this.#follow(start + 4 + 4 * k, what), element, depth + 1);
          return;
        }
        case "union": {
          const type = unionType(slot.typeSlot);
          const member = slot.members[type];
          if (member) return this.#table(this.#follow(at, what), member(), depth + 1);
          if (slot.unknown === "refuse" && type !== 0) {
            throw new Malformed(`${what} has unknown type ${type}`);
          }
          return;
        }
      }
    });
  }

  /** Checks a vector (length, then `length` elements of `element` bytes); returns its length. */
  #vector(pos: number, element: number, depth: number, what: string): number {
    this.#visit(depth, what);
    this.#need(pos, 4, `${what} length`);
    const n = this.#i32(pos);
    if (n < 0) throw new Malformed(`${what} has a negative length`);
    this.#need(pos + 4, n * element, what);
    return n;
  }
}
