/**
 * The HPACK decoder (RFC 7541 §3, §6): one per connection, turning complete header blocks into header
 * lists with its own dynamic table. It enforces the limits that keep a hostile peer cheap: table size
 * updates only at the start of a block and never above our SETTINGS_HEADER_TABLE_SIZE, empty names
 * refused, and the RFC 9113 §6.5.2 list size checked before each field is materialised; once a block
 * passes maxHeaderListSize the rest is only parsed (to keep the table in step), never collected.
 * Imports ./header.ts, ./static_table.ts, ./dynamic_table.ts, ./block_reader.ts.
 *
 * @module
 */
import { BlockReader, MAX_INTEGER } from "./block_reader.ts";
import { DynamicTable } from "./dynamic_table.ts";
import { ENTRY_OVERHEAD, type HeaderField, HeaderListTooLargeError, HpackError } from "./header.ts";
import { STATIC_TABLE_LENGTH, staticName, staticValue } from "./static_table.ts";

/** Limits of one decoder, both in RFC bytes (name + value + 32 per entry). */
export interface HpackDecoderOptions {
  /**
   * Our SETTINGS_HEADER_TABLE_SIZE: the table's initial maximum, and the cap on size updates. Keep it at
   * 4096 or more: a peer encodes with 4096 until it has seen our SETTINGS, and a decoder table smaller
   * than the encoder's would evict entries the peer still references.
   */
  maxDynamicTableSize: number;
  /** Our SETTINGS_MAX_HEADER_LIST_SIZE: a larger list throws HeaderListTooLargeError. */
  maxHeaderListSize: number;
}

/** Decodes header blocks of one connection, in the order they arrive. */
export class HpackDecoder {
  #table: DynamicTable;
  #maxTableSize: number;
  #maxListSize: number;
  #reader = new BlockReader();
  /** After an HpackError the shared context is lost: every later block is refused too. */
  #broken = false;

  constructor(opts: HpackDecoderOptions) {
    if (!(opts.maxDynamicTableSize >= 0 && opts.maxDynamicTableSize <= MAX_INTEGER)) {
      throw new RangeError(
        `Cannot create HPACK decoder: bad maxDynamicTableSize ${opts.maxDynamicTableSize}`,
      );
    }
    this.#maxTableSize = opts.maxDynamicTableSize;
    this.#maxListSize = opts.maxHeaderListSize;
    this.#table = new DynamicTable(opts.maxDynamicTableSize);
  }

  /** Current dynamic table size in RFC bytes (for tests and metrics). */
  get dynamicTableSize(): number {
    return this.#table.sizeBytes;
  }

  /** Current dynamic table maximum, as last set by a size update. */
  get dynamicTableMaxSize(): number {
    return this.#table.maxSizeBytes;
  }

  /**
   * Decodes one complete header block (after CONTINUATION reassembly). Throws HpackError when the block
   * breaks RFC 7541 (the connection must end with COMPRESSION_ERROR), HeaderListTooLargeError when the
   * list is over maxHeaderListSize (the table is still in step: refusing the stream is enough).
   */
  decode(block: Uint8Array): HeaderField[] {
    if (this.#broken) throw new HpackError("Cannot decode header block: an earlier block broke the context");
    const reader = this.#reader;
    reader.reset(block);
    try {
      this.#readSizeUpdates();
      const fields: HeaderField[] = [];
      /** List size so far; -1 once past the limit: the rest is parsed but not collected. */
      let listSize = 0;
      while (!reader.done) {
        const first = reader.peek();
        if ((first & 0xe0) === 0x20) {
          throw new HpackError("Cannot decode header block: a table size update follows a field");
        }
        let field: HeaderField | null = null;
        if ((first & 0x80) !== 0) {
          // Indexed field (§6.1): its size is known before anything is allocated.
          const index = reader.readInteger(7);
          const size = this.#entrySize(index);
          if (listSize >= 0 && listSize + size <= this.#maxListSize) {
            field = [this.#name(index), this.#value(index)];
          }
        } else {
          field = this.#readLiteral((first & 0x40) !== 0, listSize < 0 ? -1 : this.#maxListSize - listSize);
        }
        const size = field === null ? 0 : field[0].length + field[1].length + ENTRY_OVERHEAD;
        if (field === null || listSize < 0 || listSize + size > this.#maxListSize) {
          listSize = -1;
          continue;
        }
        listSize += size;
        fields.push(field);
      }
      if (listSize < 0) throw new HeaderListTooLargeError(this.#maxListSize);
      return fields;
    } catch (err) {
      if (err instanceof HpackError) this.#broken = true;
      throw err;
    } finally {
      reader.release();
    }
  }

  /**
   * A literal field (§6.2): 01 with incremental indexing (6-bit name index), 0000 without and 0001 never
   * indexed (4-bit). Returns null, having read it and updated the table, when its strings are longer
   * than `budgetBytes` (what the list has left, or -1) allows: refused strings are not materialised
   * unless the table needs them.
   */
  #readLiteral(indexing: boolean, budgetBytes: number): HeaderField | null {
    const reader = this.#reader;
    const nameIndex = reader.readInteger(indexing ? 6 : 4);
    const budget = budgetBytes - ENTRY_OVERHEAD;
    const tableRoom = indexing ? this.#table.maxSizeBytes - ENTRY_OVERHEAD : -1;
    const room = Math.max(budget, tableRoom);
    let name: string | null;
    if (nameIndex === 0) {
      name = reader.readString(room);
      if (name === "") throw new HpackError("Cannot decode header block: a field has an empty name");
    } else {
      this.#checkIndex(nameIndex);
      name = this.#name(nameIndex);
    }
    const value = name === null ? reader.readString(-1) : reader.readString(room - name.length);
    if (indexing) {
      // null means the entry is larger than the table could hold: inserting it empties the table.
      if (name !== null && value !== null) this.#table.insert(name, value);
      else this.#table.clear();
    }
    return name === null || value === null ? null : [name, value];
  }

  /** Dynamic table size updates (§6.3), allowed only before the first field of a block. */
  #readSizeUpdates(): void {
    const reader = this.#reader;
    while (!reader.done && (reader.peek() & 0xe0) === 0x20) {
      const size = reader.readInteger(5);
      if (size > this.#maxTableSize) {
        throw new HpackError(
          `Cannot decode header block: table size update to ${size} exceeds our limit ${this.#maxTableSize}`,
        );
      }
      this.#table.setMaxSize(size);
    }
  }

  #checkIndex(index: number): void {
    if (index === 0 || index > STATIC_TABLE_LENGTH + this.#table.length) {
      throw new HpackError(`Cannot decode header block: index ${index} is not in the table`);
    }
  }

  #entrySize(index: number): number {
    this.#checkIndex(index);
    if (index <= STATIC_TABLE_LENGTH) {
      return staticName(index).length + staticValue(index).length + ENTRY_OVERHEAD;
    }
    return this.#table.entrySizeAt(index - STATIC_TABLE_LENGTH - 1);
  }

  #name(index: number): string {
    return index <= STATIC_TABLE_LENGTH
      ? staticName(index)
      : this.#table.nameAt(index - STATIC_TABLE_LENGTH - 1);
  }

  #value(index: number): string {
    return index <= STATIC_TABLE_LENGTH
      ? staticValue(index)
      : this.#table.valueAt(index - STATIC_TABLE_LENGTH - 1);
  }
}
