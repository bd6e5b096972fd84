/**
 * One gRPC call over our HTTP/2 client (`../http2/client.ts`): the request headers (path, authority,
 * `grpc-timeout`, metadata), length-prefixed messages both ways (a pre-framed request goes out as it is;
 * responses are read from the socket straight into each message's own buffer), gzip requests on demand
 * and gzip/deflate responses, the status from trailers or a trailers-only response, a local deadline,
 * and cancellation. Events follow grpc-js's call objects, so that the client's streams take either:
 * `data` (one message), then `end` or `error` (a {@linkcode GrpcStatus}), then `close`; `drain` when a
 * `write` that answered false has been taken.
 *
 * Knows nothing of Flight: must not import src/flight/ or anything above the transport.
 *
 * @module
 */
import { EventEmitter } from "node:events";
import { gunzipSync, gzipSync, inflateSync } from "node:zlib";
import type { ClientStream, Http2ClientConnection, StreamAbort } from "../http2/client.ts";
import { ErrorCode } from "../http2/frame/reason.ts";
import type { HeaderField } from "../http2/hpack/mod.ts";
import type { PreFramedMessage } from "./response.ts";
import { GrpcCode, type GrpcStatus, percentDecode } from "./status.ts";

/** Request bytes queued for the socket past which `write` answers false (as grpc-js's highWaterMark). */
const WRITE_HIGH_WATER = 4 * 1024 * 1024;
/** Largest response message accepted. */
const MAX_MESSAGE_BYTES = 2 ** 31 - 1;

/** What a call sends besides its messages. */
export interface ClientCallOptions {
  /** `/package.Service/Method`. */
  path: string;
  /** `host:port` as the server is addressed. */
  authority: string;
  scheme: "http" | "https";
  /** More request headers (lower-case names): API keys and the like. */
  metadata?: readonly HeaderField[];
  /** The call fails with DEADLINE_EXCEEDED (and is cancelled) this long after it starts. */
  deadlineMs?: number;
  /** Compress request messages with gzip. */
  gzip?: boolean;
}

/** A request message: bytes to frame, or bytes already framed (5-byte prefix included). */
export type ClientMessage = Uint8Array | PreFramedMessage;

/** One call. Send with `write`/`end`; listen for `data`, `end`, `error`, `close`, `drain`. */
export class GrpcClientCall extends EventEmitter {
  #stream: ClientStream | null = null;
  /** Sends in order: the connection, then each write and the end, one after the other. */
  #sends: Promise<void>;
  readonly #gzip: boolean;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #responseEncoding = "identity";
  #sawHeaders = false;
  #status: GrpcStatus | null = null;
  #finished = false;
  #paused = false;
  /** DATA bytes taken while paused, given back to the server on resume. */
  #held = 0;
  /** Request bytes handed to the connection and not yet taken by the socket. */
  #pendingWrites = 0;
  #wantsDrain = false;
  /** The 5-byte prefix being read, then the message being filled. */
  #prefix = new Uint8Array(5);
  #prefixFilled = 0;
  #message: Uint8Array | null = null;
  #compressed = false;
  #filled = 0;

  /** Starts the call once `conn` is connected; a connection that fails ends it with UNAVAILABLE. */
  constructor(conn: Promise<Http2ClientConnection>, opts: ClientCallOptions) {
    super();
    this.#gzip = opts.gzip ?? false;
    const fields: HeaderField[] = [
      [":method", "POST"],
      [":scheme", opts.scheme],
      [":path", opts.path],
      [":authority", opts.authority],
      ["content-type", "application/grpc"],
      ["te", "trailers"],
      ["user-agent", "mosaicod-client"],
      ["grpc-accept-encoding", "identity,gzip,deflate"],
    ];
    if (this.#gzip) fields.push(["grpc-encoding", "gzip"]);
    if (opts.deadlineMs !== undefined) {
      fields.push(["grpc-timeout", `${Math.max(1, Math.ceil(opts.deadlineMs))}m`]);
      this.#timer = setTimeout(
        () => this.#abandon({ code: GrpcCode.DEADLINE_EXCEEDED, details: "Deadline exceeded" }),
        Math.max(0, opts.deadlineMs),
      );
    }
    for (const field of opts.metadata ?? []) fields.push(field);
    this.#sends = conn.then(async (c) => {
      if (this.#finished) return;
      const stream = await c.request(fields, this.#sink(), { endStream: false });
      if (this.#finished) stream.cancel(); // cancelled or timed out while waiting for a stream slot
      else this.#stream = stream;
    }).catch((err) => {
      this.#abandon({ code: GrpcCode.UNAVAILABLE, details: describe(err) }, false);
    });
  }

  /**
   * Sends one message. Answers false once more than {@link WRITE_HIGH_WATER} bytes wait for the socket
   * (`drain` follows when they are taken). A failed send ends the call with its status.
   */
  write(message: ClientMessage): boolean {
    if (this.#finished) return false;
    const pieces = this.#frame(message);
    const bytes = pieces.reduce((n, p) => n + p.length, 0);
    this.#pendingWrites += bytes;
    this.#send(pieces, false, () => {
      this.#pendingWrites -= bytes;
      if (this.#wantsDrain && this.#pendingWrites <= WRITE_HIGH_WATER) {
        this.#wantsDrain = false;
        this.emit("drain");
      }
    });
    if (this.#pendingWrites <= WRITE_HIGH_WATER) return true;
    this.#wantsDrain = true;
    return false;
  }

  /** Half-closes: no more request messages. */
  end(): void {
    if (this.#finished) return;
    this.#send([], true, () => {});
  }

  /** Queues a send after the previous ones; a failed one ends the call (unless it has ended already). */
  #send(pieces: readonly Uint8Array[], endStream: boolean, sent: () => void): void {
    this.#sends = this.#sends.then(async () => {
      if (this.#finished || this.#stream === null) return;
      await this.#stream.send(pieces, endStream);
      sent();
    }).catch((err) => this.#abandon({ code: GrpcCode.UNAVAILABLE, details: describe(err) }, false));
  }

  /** Cancels the call: the server sees RST_STREAM CANCEL; the call ends with CANCELLED. */
  cancel(): void {
    this.#abandon({ code: GrpcCode.CANCELLED, details: "Cancelled on client" });
  }

  /** Stops giving the server room to send: at most one window more arrives. */
  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    const held = this.#held;
    this.#held = 0;
    this.#stream?.release(held);
  }

  #frame(message: ClientMessage): readonly Uint8Array[] {
    if (!(message instanceof Uint8Array)) {
      if (!this.#gzip) return message.parts;
      message = message.framed.subarray(5);
    }
    const body = this.#gzip ? gzipSync(message, { level: 1 }) : message;
    const prefix = new Uint8Array(5);
    prefix[0] = this.#gzip ? 1 : 0;
    new DataView(prefix.buffer).setUint32(1, body.length);
    return [prefix, body];
  }

  #sink() {
    return {
      onHeaders: (fields: HeaderField[], endStream: boolean) => this.#onHeaders(fields, endStream),
      dataTarget: (max: number) => {
        const message = this.#message;
        if (message === null || this.#finished) return null;
        return message.subarray(this.#filled, Math.min(message.length, this.#filled + max));
      },
      onDataPlaced: (n: number) => {
        this.#filled += n;
        this.#taken(n);
        if (this.#filled === this.#message!.length) this.#complete();
      },
      onData: (bytes: Uint8Array) => this.#onData(bytes),
      onEnd: () => this.#onEnd(),
      onAbort: (reason: StreamAbort) => this.#onAbort(reason),
    };
  }

  #onHeaders(fields: HeaderField[], endStream: boolean): void {
    const get = (name: string) => fields.find(([n]) => n === name)?.[1];
    if (!this.#sawHeaders) {
      this.#sawHeaders = true;
      const status = get(":status");
      if (status !== "200") {
        this.#finish({ code: httpToGrpc(Number(status)), details: `Received HTTP status ${status}` });
        return;
      }
      this.#responseEncoding = get("grpc-encoding") ?? "identity";
      if (!endStream) return; // trailers-only otherwise: the status is in these headers
    }
    const code = Number(get("grpc-status"));
    const details = percentDecode(get("grpc-message") ?? "");
    this.#status = Number.isInteger(code)
      ? { code: code as GrpcCode, details }
      : { code: GrpcCode.INTERNAL, details: "The response ended without a gRPC status" };
  }

  #onData(bytes: Uint8Array): void {
    let at = 0;
    while (at < bytes.length && !this.#finished) {
      if (this.#message === null) {
        const n = Math.min(5 - this.#prefixFilled, bytes.length - at);
        this.#prefix.set(bytes.subarray(at, at + n), this.#prefixFilled);
        this.#prefixFilled += n;
        at += n;
        this.#taken(n);
        if (this.#prefixFilled < 5) return;
        this.#startMessage();
        continue;
      }
      const n = Math.min(this.#message.length - this.#filled, bytes.length - at);
      this.#message.set(bytes.subarray(at, at + n), this.#filled);
      this.#filled += n;
      at += n;
      this.#taken(n);
      if (this.#filled === this.#message.length) this.#complete();
    }
  }

  #startMessage(): void {
    const view = new DataView(this.#prefix.buffer);
    this.#compressed = this.#prefix[0] === 1;
    const length = view.getUint32(1);
    this.#prefixFilled = 0;
    if (length > MAX_MESSAGE_BYTES) {
      this.#abandon({ code: GrpcCode.RESOURCE_EXHAUSTED, details: `Received a ${length}-byte message` });
      return;
    }
    this.#message = new Uint8Array(length);
    this.#filled = 0;
    if (length === 0) this.#complete();
  }

  #complete(): void {
    let message = this.#message!;
    this.#message = null;
    if (this.#compressed) {
      try {
        const enc = this.#responseEncoding;
        if (enc !== "gzip" && enc !== "deflate") throw new Error(`unsupported encoding "${enc}"`);
        const out = enc === "gzip" ? gunzipSync(message) : inflateSync(message);
        message = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
      } catch (err) {
        this.#abandon({ code: GrpcCode.INTERNAL, details: `Cannot decompress a response: ${err}` });
        return;
      }
    }
    this.emit("data", message);
  }

  /** `n` response bytes were consumed: the server gets the room back unless the call is paused. */
  #taken(n: number): void {
    if (this.#paused) this.#held += n;
    else this.#stream?.release(n);
  }

  #onEnd(): void {
    if (this.#message !== null || this.#prefixFilled > 0) {
      this.#finish({ code: GrpcCode.INTERNAL, details: "The response ended inside a message" });
      return;
    }
    this.#finish(this.#status ?? { code: GrpcCode.INTERNAL, details: "The response ended without trailers" });
  }

  #onAbort(reason: StreamAbort): void {
    const code = reason.code === ErrorCode.CANCEL
      ? GrpcCode.CANCELLED
      : reason.code === ErrorCode.REFUSED_STREAM || reason.code === null || reason.code === ErrorCode.NO_ERROR
      ? GrpcCode.UNAVAILABLE
      : reason.code === ErrorCode.ENHANCE_YOUR_CALM
      ? GrpcCode.RESOURCE_EXHAUSTED
      : GrpcCode.INTERNAL;
    this.#finish({ code, details: reason.message });
  }

  /** Ends the call from this side: the stream is reset. */
  #abandon(status: GrpcStatus, reset = true): void {
    if (this.#finished) return;
    if (reset) this.#stream?.cancel();
    this.#finish(status);
  }

  #finish(status: GrpcStatus): void {
    if (this.#finished) return;
    this.#finished = true;
    clearTimeout(this.#timer);
    this.#stream?.cancel(); // a no-op once the server ended it
    if (status.code === GrpcCode.OK) this.emit("end");
    else this.emit("error", { code: status.code, details: status.details });
    this.emit("close");
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The gRPC code for a non-200 HTTP status (gRPC's HTTP to gRPC status mapping). */
function httpToGrpc(status: number): GrpcCode {
  if (status === 400) return GrpcCode.INTERNAL;
  if (status === 401) return GrpcCode.UNAUTHENTICATED;
  if (status === 403) return GrpcCode.PERMISSION_DENIED;
  if (status === 404) return GrpcCode.UNIMPLEMENTED;
  if (status === 429 || status === 502 || status === 503 || status === 504) return GrpcCode.UNAVAILABLE;
  return GrpcCode.UNKNOWN;
}
