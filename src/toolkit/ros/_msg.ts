/**
 * Typed access to a decoded ROS message (ROS 1 or ROS 2 spelling) for the mapping modules: a field
 * of the wrong shape throws a {@link MessageError}, which skips that one message with its reason.
 * Also the shape every mapping has ({@link OntologyMapping}).
 *
 * Layer: imports `apache-arrow` types only.
 *
 * @module
 */
import type { Field } from "apache-arrow";
import type { VectorValue } from "./_fields.ts";

/** A decoded message or nested struct. */
export type Msg = { readonly [key: string]: unknown };

/** A row: column name → value, as the Arrow builders take it. */
export type Row = Record<string, unknown>;

/** A message that cannot become a row; the import skips it and reports `message`. */
export class MessageError extends Error {
  override name = "MessageError";
}

/** How one ROS type becomes an SDK ontology topic. */
export interface OntologyMapping {
  /** The SDK's `ontology_tag`. */
  tag: string;
  /** The SDK's `serialization_format`. */
  format: "default" | "image";
  /** The class columns, after the envelope. */
  fields(): Field[];
  /** The class columns of one message. @throws MessageError */
  toRow(msg: Msg): Row;
}

function fail(what: string, got: unknown): never {
  throw new MessageError(`${what}: unexpected ${got === null ? "null" : typeof got}`);
}

/** The first of `keys` present in `m` (ROS 1 and ROS 2 spell some fields differently). */
function get(m: Msg, keys: string[]): unknown {
  for (const k of keys) if (k in m) return m[k];
  throw new MessageError(`field "${keys[0]}" is missing`);
}

/** A nested struct. */
export function struct(m: Msg, ...keys: string[]): Msg {
  const v = get(m, keys);
  if (v === null || typeof v !== "object" || Array.isArray(v) || ArrayBuffer.isView(v)) fail(keys[0], v);
  return v as Msg;
}

/** A number (a bigint is converted when it is exact). */
export function num(m: Msg, ...keys: string[]): number {
  const v = get(m, keys);
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  return fail(keys[0], v);
}

/** A 64-bit integer as a bigint. */
export function big(m: Msg, ...keys: string[]): bigint {
  const v = get(m, keys);
  if (typeof v === "bigint") return v;
  if (typeof v === "number" && Number.isInteger(v)) return BigInt(v);
  return fail(keys[0], v);
}

/** A boolean (ROS 1 `bool` and `uint8` flags alike). */
export function bool(m: Msg, ...keys: string[]): boolean {
  const v = get(m, keys);
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return v !== 0;
  return fail(keys[0], v);
}

/** A string. */
export function text(m: Msg, ...keys: string[]): string {
  const v = get(m, keys);
  return typeof v === "string" ? v : fail(keys[0], v);
}

/** An array of numbers (typed arrays become plain arrays). */
export function nums(m: Msg, ...keys: string[]): number[] {
  const v = get(m, keys);
  if (Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView))) {
    return Array.from(v as ArrayLike<number | bigint>, (x) => Number(x));
  }
  return fail(keys[0], v);
}

/** An array of nested structs (or strings). */
export function items<T = Msg>(m: Msg, ...keys: string[]): T[] {
  const v = get(m, keys);
  return Array.isArray(v) ? v as T[] : fail(keys[0], v);
}

/** Bytes (`uint8[]`). */
export function bytes(m: Msg, ...keys: string[]): Uint8Array {
  const v = get(m, keys);
  if (v instanceof Uint8Array) return v;
  if (Array.isArray(v)) return Uint8Array.from(v as number[]);
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  return fail(keys[0], v);
}

/** A field that may be absent in older definitions (ROS 1 BatteryState…): null then. */
export function optional<T>(m: Msg, key: string, read: (m: Msg, key: string) => T): T | null {
  return key in m ? read(m, key) : null;
}

/** `{x, y, z}` of a Vector3/Point/Point32 as a V3 value, with an optional covariance. */
export function vec3(v: Msg, covariance: number[] | null = null): VectorValue {
  return { covariance, covariance_type: null, x: num(v, "x"), y: num(v, "y"), z: num(v, "z") };
}

/** `{x, y, z, w}` of a Quaternion as a V4 value. */
export function quat(q: Msg, covariance: number[] | null = null): VectorValue {
  return { ...vec3(q, covariance), w: num(q, "w") };
}

/** The values if any is non-zero, else null (the SDK's rule for IMU and magnetometer covariances). */
export function nonZero(values: number[]): number[] | null {
  return values.some((v) => v !== 0) ? values : null;
}
