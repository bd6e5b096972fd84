/**
 * The responses of a streaming call, as they arrive: read one at a time (with an optional wait limit),
 * iterate them, or collect them all. Flow control reaches the server: the call is paused while
 * {@link HIGH_WATER} unread responses wait, so a slow reader holds the sender back instead of
 * buffering a whole topic. Cancelling, or leaving an iteration early, cancels the call.
 *
 * @module
 */
import { ClientError, toClientError } from "./errors.ts";

/**
 * What a stream needs of a call: grpc-js's call objects and our transport's `GrpcClientCall` both are one.
 * Events: `data` (a message), then `end` (OK) or `error` (the status).
 */
export interface CallEvents {
  on(event: "data", listener: (message: Uint8Array) => void): unknown;
  on(event: "error", listener: (err: unknown) => void): unknown;
  on(event: "end" | "close" | "drain", listener: () => void): unknown;
  off(event: "close" | "drain", listener: () => void): unknown;
  pause(): unknown;
  resume(): unknown;
  cancel(): void;
}

/** Unread responses held before the call is paused. */
const HIGH_WATER = 8;

/** Thrown by {@link ResponseStream.next} when nothing came within its wait limit (the call goes on). */
export class ResponseTimeoutError extends Error {
  override name = "ResponseTimeoutError";
}

/** The responses of one call; see the module doc. */
export class ResponseStream implements AsyncIterable<Uint8Array>, Disposable {
  readonly #call: CallEvents;
  readonly #queue: Uint8Array[] = [];
  #end: { error: ClientError | null } | null = null;
  #notify: (() => void) | null = null;
  #paused = false;

  constructor(call: CallEvents) {
    this.#call = call;
    call.on("data", (message: Uint8Array) => {
      this.#queue.push(message);
      if (this.#queue.length >= HIGH_WATER && !this.#paused) {
        this.#paused = true;
        call.pause();
      }
      this.#wake();
    });
    call.on("error", (err: unknown) => {
      this.#end ??= { error: toClientError(err) };
      this.#wake();
    });
    call.on("end", () => {
      this.#end ??= { error: null };
      this.#wake();
    });
  }

  /** Whether the call has ended (its status came); unread responses may remain. */
  get ended(): boolean {
    return this.#end !== null;
  }

  #wake(): void {
    const notify = this.#notify;
    this.#notify = null;
    notify?.();
  }

  /**
   * The next response, or null once the call ended OK.
   * @throws ClientError with the call's status when it failed.
   * @throws ResponseTimeoutError when nothing came within `timeoutMs` (default: wait as long as it takes).
   */
  async next(timeoutMs?: number): Promise<Uint8Array | null> {
    const deadline = timeoutMs === undefined ? Infinity : performance.now() + timeoutMs;
    while (this.#queue.length === 0 && this.#end === null) {
      const left = deadline - performance.now();
      if (left <= 0) throw new ResponseTimeoutError(`No response within ${timeoutMs} ms`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#notify = resolve;
        if (left !== Infinity) timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
      this.#notify = null;
    }
    const message = this.#queue.shift();
    if (this.#paused && this.#queue.length < HIGH_WATER / 2) {
      this.#paused = false;
      this.#call.resume();
    }
    if (message !== undefined) return message;
    if (this.#end!.error) throw this.#end!.error;
    return null;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    try {
      for (let m = await this.next(); m !== null; m = await this.next()) yield m;
    } finally {
      if (this.#end === null) this.cancel();
    }
  }

  /** Every response, once the call ended. @throws ClientError when it failed. */
  async all(): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    for await (const m of this) out.push(m);
    return out;
  }

  /** Cancels the call: the server sees the client go away; a pending {@link next} ends with CANCELLED. */
  cancel(): void {
    this.#call.cancel();
  }

  [Symbol.dispose](): void {
    if (this.#end === null) this.cancel();
  }
}
