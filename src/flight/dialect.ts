/**
 * Which protocol a client connection speaks (protocol 2026, section 15; 0.7 delta, section 6): the 0.1.0
 * SDK (`v1`), SDK 0.4 (`v2026`) or SDK 0.6/0.7 (`v07`). Most calls say so themselves (descriptor type,
 * action name, body keys, ticket format); the calls both 2026-line SDKs make alike (0.4 and 0.6/0.7)
 * only say "2026 line", and a `query` body often says nothing: those are answered in the dialect the
 * same connection last proved. This file holds that per-connection memory and the rule that updates
 * it. No gRPC types, no domain calls.
 *
 * @module
 */

/** A protocol dialect: the 0.1.0 SDK's, SDK 0.4's (2026 protocol), or SDK 0.6/0.7's. */
export type Dialect = "v1" | "v2026" | "v07";

export const DIALECTS: readonly Dialect[] = Object.freeze(["v1", "v2026", "v07"]);

/**
 * What one call shows about its connection: a dialect; `"2026-line"` for a call SDK 0.4 and SDK 0.6/0.7
 * make alike (it keeps a `v07` connection `v07` and makes any other one `v2026`); or `"v07-probe"` for
 * the `info` action, the first call of every SDK 0.7 connection (0.6 never sends it).
 */
export type DialectProof = Dialect | "2026-line" | "v07-probe";

/** What a connection proved: its dialect, and whether it is known to be SDK 0.7 (it called `info`). */
export interface ConnectionDialect {
  readonly dialect: Dialect;
  /**
   * The connection called `info`: a 0.7 client, which reads nothing from the `mosaico:*` schema keys.
   * A `v07` connection proven otherwise may be SDK 0.6, which still reads them (delta B7, B8).
   */
  readonly probed: boolean;
}

/** The connection state after a call showing `proof`, from the state before it (null: nothing proved). */
export function applyProof(before: ConnectionDialect | null, proof: DialectProof): ConnectionDialect {
  switch (proof) {
    case "v07-probe":
      return V07_PROBED;
    case "v07":
      return before?.dialect === "v07" ? before : V07;
    case "2026-line":
      return before?.dialect === "v07" ? before : V2026;
    case "v2026":
      return V2026;
    case "v1":
      return V1;
  }
}

const V1: ConnectionDialect = Object.freeze({ dialect: "v1", probed: false });
const V2026: ConnectionDialect = Object.freeze({ dialect: "v2026", probed: false });
const V07: ConnectionDialect = Object.freeze({ dialect: "v07", probed: false });
const V07_PROBED: ConnectionDialect = Object.freeze({ dialect: "v07", probed: true });

/**
 * Whether a connection reads the `mosaico:*` schema-level keys (0.7 delta, B7): every connection but
 * one that called `info` (SDK 0.7, which reads the stored schema untouched). SDK 0.6, also `v07`,
 * still reads them in DoGet.
 */
export function wantsSchemaKeys(connection: ConnectionDialect | null): boolean {
  return !(connection?.dialect === "v07" && connection.probed);
}

/** Connections remembered at once by default; the least recently used is forgotten first. */
export const DEFAULT_DIALECT_ENTRIES = 4096;

/**
 * The dialect each client connection last proved, keyed by `CallContext.connection` (unique per
 * connection while the server runs; a peer address is not: its port is reused). A bounded LRU: a server with many short-lived connections keeps
 * at most `maxEntries`; a forgotten connection falls back to the default dialect, as a new one does.
 */
export class DialectMemory {
  readonly #maxEntries: number;
  /** Insertion order is recency order: a hit is moved to the end. */
  readonly #byPeer = new Map<string, ConnectionDialect>();

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
    this.learn(peer, dialect);
  }

  /** Records what a call of `peer` showed ({@link applyProof}); returns the connection's state now. */
  learn(peer: string, proof: DialectProof): ConnectionDialect {
    const next = applyProof(this.#byPeer.get(peer) ?? null, proof);
    this.#byPeer.delete(peer);
    this.#byPeer.set(peer, next);
    if (this.#byPeer.size > this.#maxEntries) this.#byPeer.delete(this.#byPeer.keys().next().value!);
    return next;
  }

  /** The dialect `peer` last proved, or null when it proved none (or was forgotten). */
  recall(peer: string): Dialect | null {
    return this.connection(peer)?.dialect ?? null;
  }

  /** What `peer` proved so far, or null ({@link recall} with the `info` flag). */
  connection(peer: string): ConnectionDialect | null {
    const state = this.#byPeer.get(peer);
    if (state === undefined) return null;
    this.#byPeer.delete(peer);
    this.#byPeer.set(peer, state);
    return state;
  }
}
