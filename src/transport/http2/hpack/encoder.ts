/**
 * The HPACK encoder (RFC 7541 §2, §6): one per connection, turning header lists into header blocks with
 * its own dynamic table, sized by the peer's SETTINGS_HEADER_TABLE_SIZE and capped by ours. Exact
 * matches become indexed fields (static table first), repeated fields are indexed, sensitive ones
 * (credentials, cookies) are sent never-indexed so no intermediary keeps them, and strings are
 * Huffman-coded when shorter. Imports ./header.ts, ./static_table.ts, ./dynamic_table.ts,
 * ./block_writer.ts.
 *
 * @module
 */
import { BlockWriter } from "./block_writer.ts";
import { DynamicTable } from "./dynamic_table.ts";
import { fieldSize, type HeaderField } from "./header.ts";
import { findStaticField, findStaticName, STATIC_TABLE_LENGTH } from "./static_table.ts";

/** The SETTINGS_HEADER_TABLE_SIZE every peer starts with (RFC 9113 §6.5.2). */
const DEFAULT_TABLE_SIZE = 4096;

/** Names whose values are secrets: never indexed, anywhere (RFC 7541 §7.1.3). */
const SENSITIVE_NAMES: ReadonlySet<string> = new Set([
  "authorization",
  "proxy-authorization",
  "cookie",
  "set-cookie",
  "mosaico-api-key-token",
]);

/** Names whose values rarely repeat from one message to the next: indexing them would only evict useful entries. */
const UNINDEXED_NAMES: ReadonlySet<string> = new Set(["content-length", "grpc-message"]);

/** Options of an encoder. */
export interface HpackEncoderOptions {
  /** Our cap on the table's memory whatever the peer allows, in RFC bytes (default 4096). */
  maxDynamicTableSize?: number;
}

/** Encodes header lists of one connection, in the order the blocks are sent. */
export class HpackEncoder {
  #cap: number;
  #table: DynamicTable;
  #writer = new BlockWriter();
  /** Size updates owed at the start of the next block: the smallest size since the last one, then the current. */
  #pendingMin = -1;
  /** name → value → absolute id of the newest entry with that field. */
  #byField = new Map<string, Map<string, number>>();
  /** name → absolute id of the newest entry with that name. */
  #byName = new Map<string, number>();

  constructor(opts: HpackEncoderOptions = {}) {
    this.#cap = opts.maxDynamicTableSize ?? DEFAULT_TABLE_SIZE;
    if (!(this.#cap >= 0)) {
      throw new RangeError(`Cannot create HPACK encoder: bad maxDynamicTableSize ${this.#cap}`);
    }
    const size = Math.min(DEFAULT_TABLE_SIZE, this.#cap);
    this.#table = new DynamicTable(size, { onEvict: (name, value, id) => this.#forget(name, value, id) });
    // The peer's decoder starts at 4096: a smaller table must be announced in the first block.
    if (size !== DEFAULT_TABLE_SIZE) this.#pendingMin = size;
  }

  /** The peer's SETTINGS_HEADER_TABLE_SIZE (the encoder emits a size update at the next block). */
  setMaxDynamicTableSize(size: number): void {
    const effective = Math.min(size, this.#cap);
    if (effective === this.#table.maxSizeBytes) return;
    this.#pendingMin = this.#pendingMin < 0 ? effective : Math.min(this.#pendingMin, effective);
    this.#table.setMaxSize(effective);
  }

  /**
   * Encodes one header list as one header block. Throws RangeError on a char above 0xff, before any
   * state changes: the encoder stays in step with the peer's decoder.
   */
  encode(fields: readonly HeaderField[]): Uint8Array {
    for (const [name, value] of fields) {
      checkByteString(name);
      checkByteString(value);
    }
    const writer = this.#writer;
    if (this.#pendingMin >= 0) {
      // A shrink then a growth since the last block needs both updates (RFC 7541 §4.2).
      if (this.#pendingMin < this.#table.maxSizeBytes) writer.writeInteger(5, 0x20, this.#pendingMin);
      writer.writeInteger(5, 0x20, this.#table.maxSizeBytes);
      this.#pendingMin = -1;
    }
    for (const [name, value] of fields) this.#encodeField(name, value);
    return writer.finish();
  }

  #encodeField(name: string, value: string): void {
    const writer = this.#writer;
    if (SENSITIVE_NAMES.has(name)) {
      this.#writeLiteral(0x10, 4, name, value); // never indexed (§6.2.3)
      return;
    }
    const staticIndex = findStaticField(name, value);
    if (staticIndex !== 0) {
      writer.writeInteger(7, 0x80, staticIndex);
      return;
    }
    const id = this.#byField.get(name)?.get(value);
    if (id !== undefined) {
      writer.writeInteger(7, 0x80, STATIC_TABLE_LENGTH + 1 + this.#table.positionOf(id));
      return;
    }
    const size = fieldSize(name, value);
    if (UNINDEXED_NAMES.has(name) || size > (this.#table.maxSizeBytes * 3) / 4) {
      this.#writeLiteral(0x00, 4, name, value); // without indexing (§6.2.2)
      return;
    }
    this.#writeLiteral(0x40, 6, name, value); // with incremental indexing (§6.2.1)
    this.#table.insert(name, value);
    const newId = this.#table.insertCount - 1;
    let values = this.#byField.get(name);
    if (values === undefined) this.#byField.set(name, values = new Map());
    values.set(value, newId);
    this.#byName.set(name, newId);
  }

  /** A literal field whose name is indexed when the static or dynamic table has it. */
  #writeLiteral(flags: number, prefixBits: number, name: string, value: string): void {
    const writer = this.#writer;
    let nameIndex = findStaticName(name);
    if (nameIndex === 0) {
      const id = this.#byName.get(name);
      if (id !== undefined) nameIndex = STATIC_TABLE_LENGTH + 1 + this.#table.positionOf(id);
    }
    writer.writeInteger(prefixBits, flags, nameIndex);
    if (nameIndex === 0) writer.writeString(name);
    writer.writeString(value);
  }

  /** Drops the lookups of an evicted entry unless a newer entry took them over. */
  #forget(name: string, value: string, id: number): void {
    const values = this.#byField.get(name);
    if (values !== undefined && values.get(value) === id) {
      values.delete(value);
      if (values.size === 0) this.#byField.delete(name);
    }
    if (this.#byName.get(name) === id) this.#byName.delete(name);
  }
}

/** Header strings are byte strings: one char per byte. */
function checkByteString(s: string): void {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0xff) {
      throw new RangeError(`Cannot encode header string: char ${s.charCodeAt(i)} at ${i} is not a byte`);
    }
  }
}
