/**
 * Our own PINGs: the keepalive that finds half-open peers and the one between the two GOAWAYs of a
 * graceful shutdown. Answering the peer's PINGs is the connection's job. Imports only frame/.
 *
 * @module
 */

import { encodePing } from "../frame/ping.ts";

/** Why we sent a PING. */
export type PingPurpose = "keepalive" | "shutdown";

const TAGS: Record<PingPurpose, number> = { keepalive: 0x6b, shutdown: 0x73 };

/** Tracks our outstanding PINGs (at most one per purpose). */
export class PingPong {
  #sentMs = new Map<PingPurpose, number>();

  /** A PING frame for `purpose`, or null while one is still unanswered. */
  ping(purpose: PingPurpose, nowMs: number): Uint8Array | null {
    if (this.#sentMs.has(purpose)) return null;
    this.#sentMs.set(purpose, nowMs);
    const data = new Uint8Array(8);
    data[0] = TAGS[purpose];
    data.set([0x6d, 0x6f, 0x73, 0x61, 0x69, 0x63, 0x6f], 1);
    return encodePing(data, false);
  }

  /** A PING ACK arrived. @returns the purpose of the PING it answers, or null for one we did not send */
  onAck(data: Uint8Array): PingPurpose | null {
    for (const [purpose, tag] of Object.entries(TAGS) as [PingPurpose, number][]) {
      if (data[0] === tag && this.#sentMs.delete(purpose)) return purpose;
    }
    return null;
  }

  /** Milliseconds the PING for `purpose` has waited, or -1 when none is outstanding. */
  waitingMs(purpose: PingPurpose, nowMs: number): number {
    const sent = this.#sentMs.get(purpose);
    return sent === undefined ? -1 : nowMs - sent;
  }
}
