/**
 * A raw HTTP/2 client connection over `Deno.connect` for the transport's attack tests: it sends frames
 * built by `_h2_frames.ts` as they are, and a background reader records what the server answers (frame
 * headers, control payloads, GOAWAY, RST_STREAM, the end of the connection). DATA payloads are counted,
 * not kept, so a long read costs the test nothing; a peer may also never read (a slow reader).
 *
 * @module
 */
import { concat } from "../src/_test_fuzz.ts";
import { errName, FLAG, FRAME, pingFrame, PREFACE, settingsAck, settingsFrame } from "./_h2_frames.ts";

/** A frame received from the server (DATA payloads are dropped: `length` says how long it was). */
export interface Frame {
  type: number;
  flags: number;
  streamId: number;
  length: number;
  payload: Uint8Array;
}

export interface Goaway {
  lastStreamId: number;
  code: number;
  debug: string;
}

export interface PeerOptions {
  hostname?: string;
  /** Send the connection preface and a SETTINGS frame, then wait for the server's (default true). */
  preface?: boolean;
  /** Our SETTINGS, sent after the preface. */
  settings?: readonly (readonly [number, number])[];
  /** Acknowledge the server's SETTINGS (default: when `preface` is sent, as an ACK must follow one). */
  ackSettings?: boolean;
  /** Answer the server's PINGs (default false: a peer that has gone away answers none). */
  ackPings?: boolean;
  /** Read the socket (default true); false: a peer that never reads until `startReading()`. */
  read?: boolean;
  /** Keep DATA payloads in `frames` (default false: only their lengths are counted). */
  keepData?: boolean;
}

/** How a write ended: written, the connection broke, or the server stopped reading for `stallMs`. */
export type WriteOutcome = "ok" | "broken" | "stalled";

const decoder = new TextDecoder();

/** One raw HTTP/2 connection to the server under test. */
export class H2Peer implements AsyncDisposable {
  readonly #conn: Deno.Conn;
  readonly #ackSettings: boolean;
  readonly #ackPings: boolean;
  readonly #keepData: boolean;
  #writing: Promise<unknown> = Promise.resolve();
  #reader: Promise<void> | null = null;
  #pending = new Uint8Array(0);
  #waiters: (() => void)[] = [];
  #stalled = false;
  /** Every frame received, in order. */
  readonly frames: Frame[] = [];
  /** DATA payload bytes received, per stream id. */
  readonly dataBytes = new Map<number, number>();
  /** The first GOAWAY received. */
  goaway: Goaway | null = null;
  /** RST_STREAM error codes received, by stream id. */
  readonly resets = new Map<number, number>();
  /** The server's SETTINGS (its first non-ACK SETTINGS frame), once received. */
  serverSettings: Map<number, number> | null = null;
  /** Set when the server closed the connection (EOF or reset), or we did. */
  closed = false;

  private constructor(conn: Deno.Conn, opts: PeerOptions) {
    this.#conn = conn;
    this.#ackSettings = opts.ackSettings ?? (opts.preface ?? true);
    this.#ackPings = opts.ackPings ?? false;
    this.#keepData = opts.keepData ?? false;
  }

  /** Connects; sends the preface and our SETTINGS unless told not to; starts reading unless told not to. */
  static async connect(port: number, opts: PeerOptions = {}): Promise<H2Peer> {
    const conn = await Deno.connect({ hostname: opts.hostname ?? "127.0.0.1", port });
    const peer = new H2Peer(conn, opts);
    if (opts.read ?? true) peer.startReading();
    if (opts.preface ?? true) {
      await peer.write(PREFACE, settingsFrame(opts.settings ?? []));
      // Our ACK of the server's SETTINGS then goes before anything the test sends: its limits apply.
      if (opts.read ?? true) {
        await peer.until(() => peer.serverSettings !== null, 5000, "the server's SETTINGS");
      }
    }
    return peer;
  }

  /** Starts the background reader (once). */
  startReading(): void {
    this.#reader ??= this.#readLoop();
  }

  /**
   * Writes the frames as one buffer, in order after earlier writes. Never throws: a connection the server
   * closed gives "broken", one it stopped reading for `stallMs` gives "stalled".
   */
  write(...parts: Uint8Array[]): Promise<WriteOutcome> {
    return this.writeWithin(Infinity, ...parts);
  }

  /** {@link write} giving up ("stalled") when the server has not taken the bytes within `stallMs`. */
  writeWithin(stallMs: number, ...parts: Uint8Array[]): Promise<WriteOutcome> {
    const bytes = parts.length === 1 ? parts[0] : concat(...parts);
    const run = this.#writing.then(() => this.#writeAll(bytes, stallMs));
    this.#writing = run;
    return run;
  }

  async #writeAll(bytes: Uint8Array, stallMs: number): Promise<WriteOutcome> {
    if (this.#stalled) return "stalled";
    if (this.closed) return "broken";
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stalled = new Promise<"stalled">((r) => {
      if (Number.isFinite(stallMs)) timer = setTimeout(() => r("stalled"), stallMs);
    });
    try {
      for (let at = 0; at < bytes.length;) {
        const n = await Promise.race([this.#conn.write(bytes.subarray(at)), stalled]);
        if (n === "stalled") {
          this.#stalled = true; // a write is still pending: nothing more can go after it
          return "stalled";
        }
        at += n;
      }
      return "ok";
    } catch (err) {
      if (isConnectionError(err)) return "broken";
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Sends `count` frames made by `make(i)` in batches of about `batchBytes`, stopping early when the
   * server sends GOAWAY, closes, or stops reading for `stallMs`. Returns how many were sent and why it
   * stopped.
   */
  async flood(
    make: (i: number) => Uint8Array,
    count: number,
    { batchBytes = 64 * 1024, stallMs = 3000 } = {},
  ): Promise<{ sent: number; outcome: WriteOutcome | "goaway" }> {
    let sent = 0;
    while (sent < count) {
      if (this.goaway) return { sent, outcome: "goaway" };
      const batch: Uint8Array[] = [];
      let size = 0;
      while (sent + batch.length < count && size < batchBytes) {
        const f = make(sent + batch.length);
        batch.push(f);
        size += f.length;
      }
      const outcome = await this.writeWithin(stallMs, ...batch);
      if (outcome !== "ok") return { sent, outcome };
      sent += batch.length;
    }
    return { sent, outcome: "ok" };
  }

  /** Resolves with the first frame (received so far or later) that `match` accepts. */
  async waitFrame(match: (f: Frame) => boolean, timeoutMs = 5000, what = "frame"): Promise<Frame> {
    let found: Frame | undefined;
    await this.until(() => (found = this.frames.find(match)) !== undefined, timeoutMs, what);
    return found!;
  }

  /** The server's GOAWAY; fails when none arrives within `timeoutMs`. */
  async waitGoaway(timeoutMs = 5000): Promise<Goaway> {
    await this.until(() => this.goaway !== null, timeoutMs, "GOAWAY");
    return this.goaway!;
  }

  /** Resolves once the server has closed the connection; fails after `timeoutMs`. */
  waitClosed(timeoutMs = 5000): Promise<void> {
    return this.until(() => this.closed, timeoutMs, "the connection to close");
  }

  /** Resolves once `done()` holds (checked after every read); rejects after `timeoutMs`. */
  async until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (this.closed && !done()) {
        throw new Error(`the connection closed before ${what} (${this.describe()})`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${timeoutMs} ms (${this.describe()})`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
    }
  }

  /** What the server sent so far, for assertion messages. */
  describe(): string {
    const g = this.goaway;
    const resets = [...this.resets].map(([id, code]) => `${id}:${errName(code)}`).join(",");
    return `${this.frames.length} frames, goaway ${
      g ? `${errName(g.code)} last ${g.lastStreamId} "${g.debug}"` : "none"
    }, resets [${resets}], closed ${this.closed}`;
  }

  async #readLoop(): Promise<void> {
    const chunk = new Uint8Array(256 * 1024);
    try {
      for (;;) {
        const n = await this.#conn.read(chunk);
        if (n === null) break;
        this.#parse(chunk.subarray(0, n));
        this.#wake();
      }
    } catch (err) {
      if (!isConnectionError(err)) throw err;
    } finally {
      this.closed = true;
      this.#wake();
    }
  }

  #parse(bytes: Uint8Array): void {
    let buf = this.#pending.length ? concat(this.#pending, bytes) : bytes;
    while (buf.length >= 9) {
      const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      const length = view.getUint32(0) >>> 8;
      if (buf.length < 9 + length) break;
      const f: Frame = {
        type: buf[3],
        flags: buf[4],
        streamId: view.getUint32(5) & 0x7fffffff,
        length,
        payload: buf[3] === FRAME.DATA && !this.#keepData ? new Uint8Array(0) : buf.slice(9, 9 + length),
      };
      this.#record(f);
      buf = buf.subarray(9 + length);
    }
    this.#pending = buf.slice();
  }

  #record(f: Frame): void {
    this.frames.push(f);
    const view = new DataView(f.payload.buffer, f.payload.byteOffset, f.payload.byteLength);
    if (f.type === FRAME.DATA) {
      this.dataBytes.set(f.streamId, (this.dataBytes.get(f.streamId) ?? 0) + f.length);
    } else if (f.type === FRAME.GOAWAY && f.length >= 8) {
      this.goaway ??= {
        lastStreamId: view.getUint32(0) & 0x7fffffff,
        code: view.getUint32(4),
        debug: decoder.decode(f.payload.subarray(8)),
      };
    } else if (f.type === FRAME.RST_STREAM && f.length === 4) {
      this.resets.set(f.streamId, view.getUint32(0));
    } else if (f.type === FRAME.SETTINGS && !(f.flags & FLAG.ACK)) {
      if (this.serverSettings === null) {
        this.serverSettings = new Map();
        for (let i = 0; i + 6 <= f.length; i += 6) {
          this.serverSettings.set(view.getUint16(i), view.getUint32(i + 2));
        }
      }
      if (this.#ackSettings) void this.write(settingsAck());
    } else if (f.type === FRAME.PING && !(f.flags & FLAG.ACK) && this.#ackPings) {
      void this.write(pingFrame(f.payload, true));
    }
  }

  #wake(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** Closes the connection and waits for the reader. */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      try {
        this.#conn.close();
      } catch (err) {
        if (!(err instanceof Deno.errors.BadResource)) throw err;
      }
    }
    await this.#writing.catch(() => {});
    await this.#reader;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

function isConnectionError(err: unknown): boolean {
  return err instanceof Deno.errors.BrokenPipe || err instanceof Deno.errors.ConnectionReset ||
    err instanceof Deno.errors.ConnectionAborted || err instanceof Deno.errors.BadResource ||
    err instanceof Deno.errors.Interrupted || err instanceof Deno.errors.NotConnected;
}
