/**
 * Which protocol a client connection speaks (protocol 2026, section 15): the 0.1.0 SDK (`v1`) or the
 * 2026 one (`v2026`). Most calls say so themselves (descriptor type, action name, body keys, ticket
 * format); a `query` body often does not, and is then answered in the dialect the same connection last
 * proved. This file holds that per-connection memory. No gRPC types, no domain calls.
 *
 * @module
 */

/** A protocol dialect: the 0.1.0 SDK's or the 2026 (SDK 0.4.0) one. */
export type Dialect = "v1" | "v2026";

export const DIALECTS: readonly Dialect[] = Object.freeze(["v1", "v2026"]);

/** Connections remembered at once by default; the least recently used is forgotten first. */
export const DEFAULT_DIALECT_ENTRIES = 4096;

/**
 * The dialect each client connection last proved, keyed by its peer address (`CallContext.peer`, one
 * per connection: address and port). A bounded LRU: a server with many short-lived connections keeps
 * at most `maxEntries`; a forgotten connection falls back to the default dialect, as a new one does.
 */
export class DialectMemory {
  readonly #maxEntries: number;
  /** Insertion order is recency order: a hit is moved to the end. */
  readonly #byPeer = new Map<string, Dialect>();

  constructor(maxEntries = DEFAULT_DIALECT_ENTRIES) {
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(`Dialect memory needs at least one entry, not ${maxEntries}`);
    }
    this.#maxEntries = maxEntries;
  }

  /** Number of connections remembered. */
  get size(): number {
    return this.#byPeer.size;
  }

  /** Records that `peer` just made a call only `dialect` makes. */
  remember(peer: string, dialect: Dialect): void {
    this.#byPeer.delete(peer);
    this.#byPeer.set(peer, dialect);
    if (this.#byPeer.size > this.#maxEntries) this.#byPeer.delete(this.#byPeer.keys().next().value!);
  }

  /** The dialect `peer` last proved, or null when it proved none (or was forgotten). */
  recall(peer: string): Dialect | null {
    const dialect = this.#byPeer.get(peer);
    if (dialect === undefined) return null;
    this.#byPeer.delete(peer);
    this.#byPeer.set(peer, dialect);
    return dialect;
  }
}
