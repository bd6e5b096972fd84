/**
 * The content digest of a topic that both ends of a push compute from what DoGet streams: SHA-256 over a
 * canonical encoding of the rows, column by column, independent of how the rows are split into record
 * batches, of how Arrow laid them out (slice offsets, an all-valid bitmap present or absent) and of what a
 * null slot happens to hold. Each column (and each nested child) feeds three running SHA-256s: a validity
 * stream (one byte per row), a lengths stream (variable-width values, lists, maps) and a values stream (the
 * bytes of the valid rows only). Every stream is a concatenation of per-row pieces, so any batching gives the
 * same streams; the digest is SHA-256 of the columns' paths, types, row counts and stream digests.
 *
 * Fixed-width columns without nulls are hashed straight from their buffers (native SHA-256, no per-row
 * work); nulls, booleans and variable-width columns cost one pass over their rows. Types without a layout
 * handled here (unions, dictionaries, views) fall back to a per-row canonical JSON of the value.
 *
 * Layer: `toolkit/sync`; imports only Arrow and `node:crypto`.
 *
 * @module
 */
import { createHash, type Hash } from "node:crypto";
import { type Data, type DataType, makeVector, type RecordBatch, type Schema, Type } from "apache-arrow";

/** The version of the encoding, part of every digest: a change of encoding changes every digest. */
const DIGEST_VERSION = "mosaicod-topic-digest-v1";
const ONES = new Uint8Array(65_536).fill(1);

type Layout = "none" | "bool" | "fixed" | "binary" | "list" | "fixed_list" | "struct" | "generic";

function layoutOf(type: DataType): Layout {
  switch (type.typeId) {
    case Type.Null:
      return "none";
    case Type.Bool:
      return "bool";
    case Type.Int:
    case Type.Float:
    case Type.Date:
    case Type.Time:
    case Type.Timestamp:
    case Type.Duration:
    case Type.Decimal:
    case Type.FixedSizeBinary:
    case Type.Interval:
      return "fixed";
    case Type.Utf8:
    case Type.Binary:
    case Type.LargeUtf8:
    case Type.LargeBinary:
      return "binary";
    case Type.List:
    case Type.LargeList:
    case Type.Map:
      return "list";
    case Type.FixedSizeList:
      return "fixed_list";
    case Type.Struct:
      return "struct";
    default:
      return "generic";
  }
}

function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/** JSON of a value as arrow-js reads it, with bigints and bytes spelled out (for the generic layout). */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => {
    if (typeof v === "bigint") return `${v}n`;
    if (v instanceof Uint8Array) return Array.from(v, (b) => b.toString(16).padStart(2, "0")).join("");
    if (v !== null && typeof v === "object" && typeof (v as { toJSON?: unknown }).toJSON === "function") {
      return (v as { toJSON(): unknown }).toJSON();
    }
    return v;
  }) ?? "null";
}

/** The running hashes of one column or nested child. */
class ColumnHasher {
  readonly layout: Layout;
  readonly children: ColumnHasher[];
  readonly #validity = createHash("sha256");
  readonly #lengths = createHash("sha256");
  readonly #values = createHash("sha256");
  rows = 0;

  constructor(readonly path: string, readonly type: DataType) {
    this.layout = layoutOf(type);
    const nested = this.layout === "list" || this.layout === "fixed_list" || this.layout === "struct";
    this.children = nested ? type.children.map((f) => new ColumnHasher(`${path}.${f.name}`, f.type)) : [];
  }

  /** Feeds rows `[start, end)` of `data` (indices relative to the data, as arrow-js getters take them). */
  add(data: Data, start: number, end: number): void {
    const n = end - start;
    if (n <= 0) return;
    this.rows += n;
    if (this.layout === "none") return;
    if (this.layout === "generic") return this.#addGeneric(data, start, end);
    for (const [a, b] of this.#validRuns(data, start, end)) this.#addValid(data, a, b);
  }

  /** Hashes the validity of `[start, end)` and answers its runs of valid rows. */
  #validRuns(data: Data, start: number, end: number): [number, number][] {
    const bitmap = data.nullBitmap;
    if (data.nullCount <= 0 || bitmap === undefined || bitmap.byteLength === 0) {
      for (let left = end - start; left > 0; left -= ONES.length) {
        this.#validity.update(left >= ONES.length ? ONES : ONES.subarray(0, left));
      }
      return [[start, end]];
    }
    const flags = new Uint8Array(end - start);
    const runs: [number, number][] = [];
    let runStart = -1;
    for (let i = start; i < end; i++) {
      const pos = data.offset + i;
      const valid = (bitmap[pos >> 3] & (1 << (pos & 7))) !== 0;
      flags[i - start] = valid ? 1 : 0;
      if (valid && runStart < 0) runStart = i;
      if (!valid && runStart >= 0) {
        runs.push([runStart, i]);
        runStart = -1;
      }
    }
    if (runStart >= 0) runs.push([runStart, end]);
    this.#validity.update(flags);
    return runs;
  }

  /** Rows `[a, b)`, all valid. */
  #addValid(data: Data, a: number, b: number): void {
    switch (this.layout) {
      case "bool": {
        const bits = new Uint8Array(b - a);
        for (let i = a; i < b; i++) {
          const pos = data.offset + i;
          bits[i - a] = (data.values[pos >> 3] >> (pos & 7)) & 1;
        }
        this.#values.update(bits);
        return;
      }
      case "fixed":
        this.#values.update(bytesOf(data.values.subarray(data.stride * a, data.stride * b)));
        return;
      case "binary":
      case "list": {
        const offsets: Int32Array | BigInt64Array = data.valueOffsets;
        if (offsets instanceof BigInt64Array) {
          const lengths = new BigInt64Array(b - a);
          for (let i = a; i < b; i++) lengths[i - a] = offsets[i + 1] - offsets[i];
          this.#lengths.update(bytesOf(lengths));
        } else {
          const lengths = new Int32Array(b - a);
          for (let i = a; i < b; i++) lengths[i - a] = offsets[i + 1] - offsets[i];
          this.#lengths.update(bytesOf(lengths));
        }
        const from = Number(offsets[a]);
        const to = Number(offsets[b]);
        if (this.layout === "binary") this.#values.update(data.values.subarray(from, to));
        else this.children[0].add(data.children[0], from, to);
        return;
      }
      case "fixed_list": {
        const size = (this.type as DataType & { listSize: number }).listSize;
        this.children[0].add(data.children[0], a * size, b * size);
        return;
      }
      case "struct":
        this.children.forEach((child, k) => child.add(data.children[k], a, b));
        return;
    }
  }

  #addGeneric(data: Data, start: number, end: number): void {
    const vector = makeVector(data);
    const flags = new Uint8Array(end - start);
    for (let i = start; i < end; i++) {
      const value = vector.get(i);
      flags[i - start] = value === null || value === undefined ? 0 : 1;
      if (flags[i - start] === 1) this.#values.update(`${canonicalJson(value)}\n`);
    }
    this.#validity.update(flags);
  }

  /** This column's line of the final digest, then its children's. */
  lines(): string[] {
    const hex = (h: Hash) => h.digest("hex");
    const own = [
      this.path,
      String(this.type),
      this.rows,
      hex(this.#validity),
      hex(this.#lengths),
      hex(this.#values),
    ];
    return [own.join("\t"), ...this.children.flatMap((c) => c.lines())];
  }
}

/**
 * The digest of a topic's rows, fed batch by batch in the order DoGet sends them (`timestamp_ns` order).
 * @example
 * ```ts
 * const digest = new TopicDigest(schema);
 * for await (const batch of reader) digest.update(batch);
 * digest.digest(); // "sha256:…"
 * ```
 */
export class TopicDigest {
  readonly #columns: ColumnHasher[];
  #rows = 0;
  #done: string | null = null;

  constructor(schema: Schema) {
    this.#columns = schema.fields.map((f) => new ColumnHasher(f.name, f.type));
  }

  /** Rows fed so far. */
  get rows(): number {
    return this.#rows;
  }

  /** Feeds one record batch of the topic's schema. */
  update(batch: RecordBatch): void {
    if (this.#done !== null) throw new Error("Cannot update a topic digest after reading it");
    const columns = batch.data.children;
    if (columns.length !== this.#columns.length) {
      throw new Error(
        `Cannot digest a batch of ${columns.length} columns with a schema of ${this.#columns.length}`,
      );
    }
    this.#columns.forEach((c, k) => c.add(columns[k], 0, batch.numRows));
    this.#rows += batch.numRows;
  }

  /** `sha256:<64 hex digits>`; the digest is final once read. */
  digest(): string {
    if (this.#done === null) {
      const all = createHash("sha256");
      all.update(`${DIGEST_VERSION}\n${this.#rows}\n`);
      for (const c of this.#columns) for (const line of c.lines()) all.update(`${line}\n`);
      this.#done = `sha256:${all.digest("hex")}`;
    }
    return this.#done;
  }
}
