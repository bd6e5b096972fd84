/**
 * Splits a request body (HTTP/2 DATA payloads) into gRPC length-prefixed messages: a 5-byte prefix
 * (compressed flag, 32-bit big-endian length), then the message. Each message gets its own buffer, filled
 * with one copy of its bytes; the size limit is checked on the prefix, before anything is allocated, and a
 * buffer is allocated only once the message's first bytes came (a prefix alone costs nothing). A body that
 * ends inside a message is an error, never a silent end.
 *
 * Alignment: a `bodyOffset` function (given by the service above, which knows its message layout) says
 * where a message's bulk payload starts, judged from its first bytes; the buffer is then placed so that
 * the payload starts 8-byte aligned (an Arrow body can then be viewed without a copy). When the first
 * chunk is too short to tell, up to {@link HEAD_STASH_BYTES} are set aside first (copied twice: the one
 * cheap exception to one copy per byte); past that, or for a compressed message, no alignment.
 *
 * Body chunks are treated as valid only until the next one is asked for (the HTTP/2 layer may reuse its
 * read buffer), so nothing keeps a view of one. A body that can `readInto` a buffer is asked to fill the
 * rest of a message once the current chunk is used up: the HTTP/2 layer then reads the message's bytes
 * from the socket straight into the message buffer, and the copy above is only for its first bytes.
 *
 * @module
 */
import type { MessageBudget } from "./message_budget.ts";
import { GrpcCode, GrpcError } from "./status.ts";

/** A request body: chunks in order, and optionally bytes read into a given buffer (0 at the end). */
export type MessageBody = AsyncIterable<Uint8Array> & { readInto?(dest: Uint8Array): Promise<number> };

/** One message as received: its bytes (still compressed when `compressed`). */
export interface RawMessage {
  compressed: boolean;
  bytes: Uint8Array;
}

export interface MessageReaderOptions {
  /** Largest message accepted (its length prefix is refused beyond it). */
  maxMessageBytes: number;
  /**
   * Where a message's bulk payload starts, judged from its first bytes (`head`, a prefix of the message);
   * -1 when unknown. Messages are placed so that this offset lands 8-byte aligned.
   */
  bodyOffset?: (head: Uint8Array) => number;
  /**
   * Bytes the connection's incomplete messages may hold ({@link MessageBudget}): a message waits for room
   * before its buffer is allocated, and gives it back once complete. None: no bound but the size limit.
   */
  budget?: MessageBudget;
  /** Ends a wait for the budget (the call's signal). */
  signal?: AbortSignal;
  /**
   * The buffer a message of `bytes` (alignment padding included) is read into; it may be larger and hold
   * old bytes (the message's own range is filled before it is returned). Default: a new one.
   */
  allocate?: (bytes: number) => ArrayBuffer;
}

/** Most bytes of a message's beginning set aside to find where its payload starts. */
export const HEAD_STASH_BYTES = 4096;

const EMPTY = new Uint8Array(0);

/** Reads the messages of one request body, one at a time (single consumer). */
export class GrpcMessageReader {
  readonly #it: AsyncIterator<Uint8Array>;
  readonly #readInto: ((dest: Uint8Array) => Promise<number>) | null;
  readonly #opts: MessageReaderOptions;
  #chunk: Uint8Array = EMPTY;
  #pos = 0;
  #ended = false;
  readonly #prefix = new Uint8Array(5);

  constructor(body: MessageBody, opts: MessageReaderOptions) {
    this.#it = body[Symbol.asyncIterator]();
    this.#readInto = body.readInto ? body.readInto.bind(body) : null;
    this.#opts = opts;
  }

  /** Whether the body reached its end (END_STREAM). */
  get ended(): boolean {
    return this.#ended;
  }

  /**
   * The next message, or null when the body ended between messages.
   * @throws GrpcError INVALID_ARGUMENT when the body ends inside a message, RESOURCE_EXHAUSTED for a
   * message over the limit, INTERNAL for a prefix whose flag is neither 0 nor 1.
   */
  async next(): Promise<RawMessage | null> {
    const prefix = this.#prefix;
    let filled = 0;
    while (filled < 5) {
      if (this.#pos === this.#chunk.length && !(await this.#pull())) {
        if (filled === 0) return null;
        throw truncated(`${filled} of the 5 prefix bytes`);
      }
      const n = Math.min(5 - filled, this.#chunk.length - this.#pos);
      prefix.set(this.#chunk.subarray(this.#pos, this.#pos + n), filled);
      this.#pos += n;
      filled += n;
    }
    const flag = prefix[0];
    const size = ((prefix[1] << 24) >>> 0) + (prefix[2] << 16) + (prefix[3] << 8) + prefix[4];
    if (flag > 1) throw new GrpcError(GrpcCode.INTERNAL, `Invalid gRPC message flag ${flag}`);
    const max = this.#opts.maxMessageBytes;
    if (size > max) {
      throw new GrpcError(
        GrpcCode.RESOURCE_EXHAUSTED,
        `Received message larger than max (${size} vs ${max})`,
      );
    }
    const compressed = flag === 1;
    if (size === 0) return { compressed, bytes: new Uint8Array(0) };
    const { pad, head } = compressed || !this.#opts.bodyOffset
      ? { pad: 0, head: EMPTY }
      : await this.#placement(size, this.#opts.bodyOffset);
    const budget = this.#opts.budget;
    if (budget) await budget.acquire(size, this.#opts.signal);
    try {
      return { compressed, bytes: await this.#fill(size, pad, head) };
    } finally {
      budget?.release(size);
    }
  }

  /** The rest of a message of `size` bytes, after `head` (its first bytes, already taken from the body). */
  async #fill(size: number, pad: number, head: Uint8Array): Promise<Uint8Array> {
    const buffer = this.#opts.allocate?.(pad + size) ?? new ArrayBuffer(pad + size);
    const bytes = new Uint8Array(buffer, pad, size);
    bytes.set(head);
    let filled = head.length;
    while (filled < size) {
      if (this.#pos === this.#chunk.length) {
        if (this.#readInto !== null && !this.#ended) {
          const n = await this.#readInto(bytes.subarray(filled));
          if (n === 0) this.#ended = true;
          else filled += n;
          continue;
        }
        if (!(await this.#pull())) throw truncated(`${filled} of ${size} bytes`);
      }
      const n = Math.min(size - filled, this.#chunk.length - this.#pos);
      bytes.set(this.#chunk.subarray(this.#pos, this.#pos + n), filled);
      this.#pos += n;
      filled += n;
    }
    return bytes;
  }

  /**
   * Where to place a message of `size` bytes: `pad` bytes before it align its payload. `head` holds the
   * message's first bytes when they had to be set aside to tell (already consumed from the body).
   */
  async #placement(
    size: number,
    bodyOffset: (head: Uint8Array) => number,
  ): Promise<{ pad: number; head: Uint8Array }> {
    const want = Math.min(size, HEAD_STASH_BYTES);
    let stash: Uint8Array | null = null;
    let stashed = 0;
    for (;;) {
      if (this.#pos === this.#chunk.length && !(await this.#pull())) {
        throw truncated(`${stashed} of ${size} bytes`);
      }
      const available = this.#chunk.subarray(this.#pos, this.#pos + size);
      if (stash === null) {
        const offset = bodyOffset(available);
        if (offset >= 0 || available.length >= want) return { pad: padFor(offset), head: EMPTY };
        stash = new Uint8Array(want);
      }
      // Too short to tell: set the beginning aside (a copy of at most HEAD_STASH_BYTES) and look again.
      const piece = available.subarray(0, want - stashed);
      stash.set(piece, stashed);
      stashed += piece.length;
      this.#pos += piece.length;
      const head = stash.subarray(0, stashed);
      const offset = bodyOffset(head);
      if (offset >= 0 || stashed >= want) return { pad: padFor(offset), head };
    }
  }

  /** Moves to the next body chunk; false at the end of the body. */
  async #pull(): Promise<boolean> {
    if (this.#ended) return false;
    const r = await this.#it.next();
    if (r.done) {
      this.#ended = true;
      this.#chunk = EMPTY;
      this.#pos = 0;
      return false;
    }
    this.#chunk = r.value;
    this.#pos = 0;
    return true;
  }
}

/** The 5-byte gRPC prefix of a message of `size` bytes. */
export function messagePrefix(compressed: 0 | 1, size: number): Uint8Array {
  const prefix = new Uint8Array(5);
  prefix[0] = compressed;
  new DataView(prefix.buffer).setUint32(1, size);
  return prefix;
}

/** Bytes before a message that put its payload at `offset` on an 8-byte boundary (0 when unknown). */
function padFor(offset: number): number {
  return offset < 0 ? 0 : (8 - (offset % 8)) % 8;
}

function truncated(what: string): GrpcError {
  return new GrpcError(
    GrpcCode.INVALID_ARGUMENT,
    `Truncated request: the stream ended inside a message (${what})`,
  );
}
