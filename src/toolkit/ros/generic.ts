/**
 * Types the SDK has no adapter for, kept as generic structs derived from their message definitions
 * (rules in `original.ts`, `GENERIC_RULES`): the layout is built once per channel, and each
 * message's values are converted by functions compiled from it. Also the envelope rule shared with the
 * ontology mappings: whether a definition has a top-level `std_msgs/Header header`.
 *
 * Layer: imports `apache-arrow`, `@foxglove/rosmsg` types and this folder's modules.
 *
 * @module
 */
import { type DataType, type Field, Struct } from "apache-arrow";
import type { parse } from "@foxglove/rosmsg";
import { field, fixedListOf, listOf, T } from "./_fields.ts";
import { MessageError, type Msg, type Row } from "./_msg.ts";

/** A parsed message definition (`@foxglove/rosmsg`). */
export type MessageDefinition = ReturnType<typeof parse>[number];
type MessageDefinitionField = MessageDefinition["definitions"][number];

/** Column names the envelope takes. */
export const ENVELOPE_COLUMNS = ["timestamp_ns", "recording_timestamp_ns", "frame_id", "sequence_id"];

/** A generic layout: the columns after the envelope and the row of a message. */
export interface GenericLayout {
  fields: Field[];
  toRow(msg: Msg): Row;
}

type Convert = (v: unknown) => unknown;

const PRIMITIVES: Record<string, () => DataType> = {
  bool: T.bool,
  int8: T.i8,
  uint8: T.u8,
  byte: T.u8,
  char: T.u8,
  int16: T.i16,
  uint16: T.u16,
  int32: T.i32,
  uint32: T.u32,
  int64: T.i64,
  uint64: T.u64,
  float32: T.f32,
  float64: T.f64,
  string: T.utf8,
  wstring: T.utf8,
};

const BYTE_TYPES = new Set(["uint8", "byte", "char"]);
const WIDE = new Set(["int64", "uint64"]);

function timeType(): Struct {
  return new Struct([field("sec", T.i32(), "seconds"), field("nanosec", T.u32(), "nanoseconds")]);
}

function timeValue(v: unknown): unknown {
  if (v === null || typeof v !== "object") throw new MessageError("time value is not a struct");
  const t = v as Msg;
  return { sec: t.sec, nanosec: t.nanosec ?? t.nsec };
}

function scalarConvert(type: string): Convert {
  if (type === "time" || type === "duration") return timeValue;
  if (WIDE.has(type)) return (v) => typeof v === "bigint" ? v : BigInt(v as number);
  return (v) => v;
}

/** Does a definition's root have the standard header (→ the envelope)? */
export function hasStdHeader(root: MessageDefinition): boolean {
  return root.definitions.some((f) =>
    !f.isConstant && f.name === "header" && !f.isArray && /^std_msgs\/(msg\/)?Header$/.test(f.type)
  );
}

/**
 * The generic layout of `defs` (root first, as `@foxglove/rosmsg` parses it).
 * @throws Error when a field name collides with an envelope column or a type is unknown.
 */
export function genericLayout(defs: MessageDefinition[]): GenericLayout {
  const byName = new Map(defs.filter((d) => d.name !== undefined).map((d) => [d.name!, d]));
  const lookup = (type: string): MessageDefinition => {
    const d = byName.get(type) ?? byName.get(type.replace("/msg/", "/"));
    if (d === undefined) throw new Error(`the definition of "${type}" is missing`);
    return d;
  };

  /** A field's Arrow type and converter; null for an empty struct (it has no column). */
  function build(f: MessageDefinitionField, depth: number): { type: DataType; convert: Convert } | null {
    if (depth > 32) throw new Error(`type "${f.type}" nests deeper than 32 levels`);
    let inner: { type: DataType; convert: Convert } | null;
    if (f.isComplex) {
      const children = structOf(lookup(f.type), depth + 1);
      if (children === null) return null;
      inner = children;
    } else if (f.type === "time" || f.type === "duration") {
      inner = { type: timeType(), convert: timeValue };
    } else {
      const make = PRIMITIVES[f.type];
      if (make === undefined) throw new Error(`field "${f.name}" has the unknown type "${f.type}"`);
      if (f.isArray && BYTE_TYPES.has(f.type)) {
        return {
          type: T.binary(),
          convert: (v) => v instanceof Uint8Array ? v.slice() : Uint8Array.from(v as number[]),
        };
      }
      inner = { type: make(), convert: scalarConvert(f.type) };
    }
    if (!f.isArray) return inner;
    const item = inner.convert;
    const convert: Convert = (v) => Array.from(v as ArrayLike<unknown>, item);
    return {
      type: f.arrayLength !== undefined ? fixedListOf(inner.type, f.arrayLength) : listOf(inner.type),
      convert,
    };
  }

  function columns(def: MessageDefinition, depth: number, skipHeader: boolean) {
    const out: { name: string; field: Field; convert: Convert }[] = [];
    for (const f of def.definitions) {
      if (f.isConstant || (skipHeader && f.name === "header")) continue;
      const built = build(f, depth);
      if (built === null) continue;
      out.push({
        name: f.name,
        field: field(f.name, built.type, `${f.type}${f.isArray ? "[]" : ""}`),
        convert: built.convert,
      });
    }
    return out;
  }

  function structOf(def: MessageDefinition, depth: number): { type: DataType; convert: Convert } | null {
    const cols = columns(def, depth, false);
    if (cols.length === 0) return null;
    return {
      type: new Struct(cols.map((c) => c.field)),
      convert: (v) => {
        const m = v as Msg;
        const out: Row = {};
        for (const c of cols) out[c.name] = c.convert(m[c.name]);
        return out;
      },
    };
  }

  const root = defs[0];
  const cols = columns(root, 0, hasStdHeader(root));
  const clash = cols.find((c) => ENVELOPE_COLUMNS.includes(c.name));
  if (clash) throw new Error(`field "${clash.name}" collides with an envelope column`);
  return {
    fields: cols.map((c) => c.field),
    toRow: (m) => {
      const out: Row = {};
      for (const c of cols) out[c.name] = c.convert(m[c.name]);
      return out;
    },
  };
}
