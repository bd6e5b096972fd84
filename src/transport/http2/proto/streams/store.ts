/**
 * The streams of one connection: the open-stream map, the stream-id rules of RFC 9113 section 5.1.1
 * (client ids odd and increasing), the memory of recently closed and reset ids (so late frames are
 * told apart from protocol errors), and the send scheduler that round-robins ready streams one DATA
 * frame at a time within the connection window. Must not import proto/connection.ts.
 *
 * @module
 */

import type { ServerStream } from "./stream.ts";

/** How many closed stream ids are remembered to classify late frames. */
const REMEMBERED_IDS = 256;

/** What happened to a stream id no longer in the map. */
export type PastStream = "reset" | "closed" | "unknown";

/** A bounded set of ids: the oldest ones are forgotten first. */
class RecentIds {
  #ids = new Map<number, PastStream>();
  add(id: number, how: PastStream): void {
    this.#ids.set(id, how);
    if (this.#ids.size > REMEMBERED_IDS) this.#ids.delete(this.#ids.keys().next().value as number);
  }
  get(id: number): PastStream {
    return this.#ids.get(id) ?? "unknown";
  }
}

/** Open streams, id bookkeeping and the ready list. */
export class StreamStore {
  #open = new Map<number, ServerStream>();
  #past = new RecentIds();
  #ready: ServerStream[] = [];
  /** Highest stream id the peer opened (or tried to). */
  highestId = 0;

  get size(): number {
    return this.#open.size;
  }

  get(id: number): ServerStream | undefined {
    return this.#open.get(id);
  }

  values(): IterableIterator<ServerStream> {
    return this.#open.values();
  }

  add(stream: ServerStream): void {
    this.#open.set(stream.id, stream);
  }

  /** Forgets an open stream, remembering how it ended. */
  remove(stream: ServerStream, how: PastStream): void {
    if (this.#open.get(stream.id) === stream) this.#open.delete(stream.id);
    this.#past.add(stream.id, how);
  }

  /** Remembers an id that never became an open stream (refused, malformed, answered 431). */
  rememberReset(id: number): void {
    this.#past.add(id, "reset");
  }

  /** How a closed id ended, if remembered. */
  past(id: number): PastStream {
    return this.#past.get(id);
  }

  /** Puts a stream on the ready list (once). */
  schedule(stream: ServerStream): void {
    if (stream.scheduled) return;
    stream.scheduled = true;
    this.#ready.push(stream);
  }

  /**
   * Writes frames of ready streams, one DATA frame per stream per round, while `room()` is true.
   * @param connWindow the connection send window
   * @param maxFrame largest DATA payload
   * @returns flow-controlled bytes written (to take off the connection window) and DATA frames sent
   */
  pump(connWindow: number, maxFrame: number, room: () => boolean): { bytes: number; frames: number } {
    let bytes = 0;
    let frames = 0;
    let progress = true;
    while (progress && this.#ready.length > 0 && room()) {
      progress = false;
      const round = this.#ready;
      this.#ready = [];
      for (let i = 0; i < round.length; i++) {
        const stream = round[i];
        if (!room()) {
          this.#ready.push(...round.slice(i));
          break;
        }
        if (stream.isClosed || !stream.canSend(connWindow - bytes)) {
          // Blocked on its own window or empty: WINDOW_UPDATE or a new item schedules it again. Blocked
          // on the connection window: it stays ready.
          if (!stream.isClosed && stream.waitsForConnection(connWindow - bytes)) this.#ready.push(stream);
          else stream.scheduled = false;
          continue;
        }
        const n = stream.flush(connWindow - bytes, maxFrame);
        progress = true;
        if (n > 0) {
          bytes += n;
          frames++;
        }
        if (!stream.isClosed && stream.hasQueued) this.#ready.push(stream);
        else stream.scheduled = false;
      }
    }
    return { bytes, frames };
  }

  /** True when some stream waits to send. */
  get hasReady(): boolean {
    return this.#ready.length > 0;
  }
}
