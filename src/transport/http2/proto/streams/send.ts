/**
 * The send side of one stream: an ordered queue of header blocks and DATA messages. DATA is cut into
 * frames at the windows and the max frame size without copying (a frame may span several buffers of
 * one message); each message's promise settles once its last byte is on the socket.
 * Imports only frame/ and the HPACK field type.
 *
 * @module
 */

import type { HeaderField } from "../../hpack/mod.ts";

interface Settle {
  resolve: () => void;
  reject: (err: Error) => void;
}

/** Headers (or trailers) waiting for their turn: encoded only when written, in wire order. */
export interface HeadersItem {
  kind: "headers";
  fields: readonly HeaderField[];
  endStream: boolean;
  settle: Settle | null;
}

/** A DATA message waiting for window. */
export interface DataItem {
  kind: "data";
  pieces: readonly Uint8Array[];
  index: number;
  offset: number;
  remaining: number;
  settle: Settle;
}

export type SendItem = HeadersItem | DataItem;

/** Wraps what the handler passed to sendData (one buffer or several forming one message). */
export function dataItem(data: Uint8Array | readonly Uint8Array[], settle: Settle): DataItem {
  const pieces = data instanceof Uint8Array ? [data] : data;
  let remaining = 0;
  for (const p of pieces) remaining += p.length;
  return { kind: "data", pieces, index: 0, offset: 0, remaining, settle };
}

/**
 * Takes the next `n` bytes of `item` as views (n <= item.remaining), appending them to `out`.
 */
export function takeBytes(item: DataItem, n: number, out: Uint8Array[]): void {
  item.remaining -= n;
  while (n > 0) {
    const piece = item.pieces[item.index];
    const left = piece.length - item.offset;
    if (left === 0) {
      item.index++;
      item.offset = 0;
      continue;
    }
    const take = Math.min(left, n);
    out.push(
      item.offset === 0 && take === piece.length ? piece : piece.subarray(item.offset, item.offset + take),
    );
    item.offset += take;
    n -= take;
  }
}

/** A FIFO of send items with an index head (no array shifting per item). */
export class SendQueue {
  #items: SendItem[] = [];
  #head = 0;

  get isEmpty(): boolean {
    return this.#head === this.#items.length;
  }

  /** The item to send next, or undefined. */
  peek(): SendItem | undefined {
    return this.#items[this.#head];
  }

  push(item: SendItem): void {
    this.#items.push(item);
  }

  /** Removes the head item. */
  shift(): void {
    this.#head++;
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    }
  }

  /** Empties the queue, rejecting every waiting promise with `err`. */
  clear(err: Error): void {
    const items = this.#items.slice(this.#head);
    this.#items = [];
    this.#head = 0;
    for (const item of items) item.settle?.reject(err);
  }
}
