/**
 * Flow-control windows (RFC 9113 section 6.9): the receive side returns credit only as the body is
 * consumed, in large increments; the send side never exceeds 2^31 - 1. Imports only frame/.
 *
 * @module
 */

import { MAX_WINDOW } from "../../frame/head.ts";

/** What the peer may still send us on one stream or the connection. */
export class RecvWindow {
  #size: number;
  #available: number;
  #unacked = 0;

  /** @param size the window we announced (SETTINGS_INITIAL_WINDOW_SIZE or the connection's) */
  constructor(size: number) {
    this.#size = size;
    this.#available = size;
  }

  /** Bytes the peer may still send. */
  get available(): number {
    return this.#available;
  }

  /** The peer sent `n` flow-controlled bytes. @returns false when that exceeds the window */
  receive(n: number): boolean {
    if (n > this.#available) return false;
    this.#available -= n;
    return true;
  }

  /**
   * `n` received bytes were consumed (or discarded).
   * @returns the WINDOW_UPDATE increment to send now, 0 while below half the window
   */
  release(n: number): number {
    this.#unacked += n;
    if (this.#unacked < this.#size / 2) return 0;
    const increment = this.#unacked;
    this.#available += increment;
    this.#unacked = 0;
    return increment;
  }
}

/**
 * A send window after `increment` (a WINDOW_UPDATE or a SETTINGS_INITIAL_WINDOW_SIZE change).
 * @returns null when the result would exceed 2^31 - 1 (FLOW_CONTROL_ERROR)
 */
export function growSendWindow(window: number, increment: number): number | null {
  const grown = window + increment;
  return grown > MAX_WINDOW ? null : grown;
}
