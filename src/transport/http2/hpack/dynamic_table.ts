/**
 * The HPACK dynamic table (RFC 7541 §2.3.2, §4): a FIFO of fields, newest first, whose size (sum of
 * name + value + 32 per entry) never exceeds its maximum; inserting evicts from the oldest end, and an
 * entry larger than the maximum empties the table. One instance per direction of a connection. Storage is
 * a ring of two string arrays that grows by doubling, so the entry count is bounded by maxSize / 32.
 * Imports only ./header.ts.
 *
 * @module
 */
import { ENTRY_OVERHEAD, fieldSize } from "./header.ts";

/** Called for each evicted entry, oldest first, with its absolute id (see `DynamicTable.insertCount`). */
export type EvictionHook = (name: string, value: string, id: number) => void;

/** A bounded HPACK dynamic table. */
export class DynamicTable {
  #names: string[] = new Array<string>(8).fill("");
  #values: string[] = new Array<string>(8).fill("");
  /** Ring position of the oldest entry. */
  #tail = 0;
  #length = 0;
  #sizeBytes = 0;
  #maxSizeBytes: number;
  /** Entries inserted since creation; the entry with absolute id k is the (k+1)-th inserted. */
  #inserted = 0;
  #onEvict: EvictionHook | null;

  constructor(maxSizeBytes: number, opts: { onEvict?: EvictionHook } = {}) {
    this.#maxSizeBytes = maxSizeBytes;
    this.#onEvict = opts.onEvict ?? null;
  }

  /** Number of entries. */
  get length(): number {
    return this.#length;
  }

  /** Current size in RFC bytes (name + value + 32 per entry). */
  get sizeBytes(): number {
    return this.#sizeBytes;
  }

  /** Maximum size in RFC bytes. */
  get maxSizeBytes(): number {
    return this.#maxSizeBytes;
  }

  /** Entries inserted so far; the newest entry's absolute id is `insertCount - 1`. */
  get insertCount(): number {
    return this.#inserted;
  }

  /** Name of the entry at `position` (0 = newest); the caller checks `position < length`. */
  nameAt(position: number): string {
    return this.#names[this.#slot(position)];
  }

  /** Value of the entry at `position` (0 = newest); the caller checks `position < length`. */
  valueAt(position: number): string {
    return this.#values[this.#slot(position)];
  }

  /** Size in RFC bytes of the entry at `position` (0 = newest). */
  entrySizeAt(position: number): number {
    const slot = this.#slot(position);
    return this.#names[slot].length + this.#values[slot].length + ENTRY_OVERHEAD;
  }

  /** Position (0 = newest) of the entry with absolute id `id`, or -1 once it has been evicted. */
  positionOf(id: number): number {
    const position = this.#inserted - 1 - id;
    return position >= 0 && position < this.#length ? position : -1;
  }

  /** Adds a field as the newest entry, evicting old ones; a field larger than the maximum empties the table. */
  insert(name: string, value: string): void {
    const size = fieldSize(name, value);
    if (size > this.#maxSizeBytes) {
      this.clear();
      return;
    }
    this.#evictTo(this.#maxSizeBytes - size);
    if (this.#length === this.#names.length) this.#grow();
    const slot = (this.#tail + this.#length) & (this.#names.length - 1);
    this.#names[slot] = name;
    this.#values[slot] = value;
    this.#length++;
    this.#sizeBytes += size;
    this.#inserted++;
  }

  /** Evicts every entry: what inserting an entry larger than the maximum does (RFC 7541 §4.4). */
  clear(): void {
    this.#evictTo(0);
    this.#inserted++; // the id is consumed, as if the entry were added then evicted at once
  }

  /** Changes the maximum size (a size update, or a new SETTINGS_HEADER_TABLE_SIZE), evicting as needed. */
  setMaxSize(maxSizeBytes: number): void {
    this.#maxSizeBytes = maxSizeBytes;
    this.#evictTo(maxSizeBytes);
  }

  #slot(position: number): number {
    return (this.#tail + this.#length - 1 - position) & (this.#names.length - 1);
  }

  #evictTo(targetBytes: number): void {
    const mask = this.#names.length - 1;
    while (this.#sizeBytes > targetBytes) {
      const slot = this.#tail;
      const name = this.#names[slot];
      const value = this.#values[slot];
      this.#sizeBytes -= fieldSize(name, value);
      this.#onEvict?.(name, value, this.#inserted - this.#length);
      // Drop the references so the strings can be collected.
      this.#names[slot] = "";
      this.#values[slot] = "";
      this.#tail = (slot + 1) & mask;
      this.#length--;
    }
  }

  #grow(): void {
    const capacity = this.#names.length * 2;
    const names: string[] = new Array<string>(capacity).fill("");
    const values: string[] = new Array<string>(capacity).fill("");
    for (let i = 0; i < this.#length; i++) {
      const slot = (this.#tail + i) & (this.#names.length - 1);
      names[i] = this.#names[slot];
      values[i] = this.#values[slot];
    }
    this.#names = names;
    this.#values = values;
    this.#tail = 0;
  }
}
