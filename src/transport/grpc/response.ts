/**
 * The response side of one gRPC call over an HTTP/2 stream: response headers sent with the first message,
 * messages framed without copying them (a 5-byte prefix sent beside the bytes, or a pre-framed message as
 * it is), gzip for calls that negotiated it, and the status in trailers, or alone in a trailers-only
 * response when no message went out. Each send waits for the stream (peer windows and socket): that is
 * the backpressure of server streams.
 *
 * @module
 */
import type { HeaderField } from "../http2/hpack/mod.ts";
import type { Http2ServerStream } from "../http2/mod.ts";
import { ACCEPTED_ENCODINGS, gzipMessage, MIN_COMPRESSED_BYTES } from "./compression.ts";
import { messagePrefix } from "./message_reader.ts";
import { GrpcCode, GrpcError, type GrpcStatus, statusFields } from "./status.ts";

/**
 * A message that already carries its 5-byte gRPC prefix (uncompressed flag): sent as it is, its pieces one
 * after the other without joining them.
 */
export interface PreFramedMessage {
  /** The framed bytes in order, prefix first. */
  readonly parts: readonly Uint8Array[];
  /** Bytes of every part, prefix included. */
  readonly byteLength: number;
  /** The same bytes in one piece (for gzip, which compresses them whole). */
  readonly framed: Uint8Array;
}

/** A response message: its bytes, or the bytes already framed. */
export type OutgoingMessage = Uint8Array | PreFramedMessage;

const CONTENT_TYPE: HeaderField = ["content-type", "application/grpc+proto"];

/** Writes one call's response; only the first {@link GrpcResponse.finish} counts. */
export class GrpcResponse {
  readonly #stream: Http2ServerStream;
  readonly #gzip: boolean;
  readonly #maxMessageBytes: number;
  #headersSent = false;
  #finished = false;

  constructor(stream: Http2ServerStream, opts: { gzip: boolean; maxMessageBytes: number }) {
    this.#stream = stream;
    this.#gzip = opts.gzip;
    this.#maxMessageBytes = opts.maxMessageBytes;
  }

  /** Whether the status was sent (or the call given up): nothing more goes out. */
  get finished(): boolean {
    return this.#finished;
  }

  /**
   * Sends one message; resolves once the stream took it.
   * @throws GrpcError RESOURCE_EXHAUSTED for a message over the limit (nothing sent).
   */
  async send(message: OutgoingMessage): Promise<void> {
    const size = message instanceof Uint8Array ? message.length : message.byteLength - 5;
    if (size > this.#maxMessageBytes) {
      throw new GrpcError(
        GrpcCode.RESOURCE_EXHAUSTED,
        `Sent message larger than max (${size} vs. ${this.#maxMessageBytes})`,
      );
    }
    let parts: readonly Uint8Array[];
    if (this.#gzip && size >= MIN_COMPRESSED_BYTES) {
      const compressed = await gzipMessage(
        message instanceof Uint8Array ? message : message.framed.subarray(5),
      );
      parts = [messagePrefix(1, compressed.length), compressed];
    } else {
      parts = message instanceof Uint8Array ? [messagePrefix(0, size), message] : message.parts;
    }
    if (this.#finished) return;
    if (!this.#headersSent) {
      this.#headersSent = true;
      this.#stream.sendHeaders([
        [":status", "200"],
        CONTENT_TYPE,
        ["grpc-accept-encoding", ACCEPTED_ENCODINGS],
        ["grpc-encoding", this.#gzip ? "gzip" : "identity"],
      ]);
    }
    await this.#stream.sendData(parts);
  }

  /**
   * Ends the call with `status`: in trailers after the messages, or as a trailers-only response when none
   * was sent. Does nothing when the call already ended. Resolves once the stream took the trailers. A
   * client still sending its request is then told to stop (the HTTP/2 layer sends RST_STREAM NO_ERROR).
   */
  async finish(status: GrpcStatus): Promise<void> {
    if (this.#finished) return;
    this.#finished = true;
    if (this.#headersSent) return await this.#stream.sendTrailers(statusFields(status));
    this.#stream.sendHeaders([[":status", "200"], CONTENT_TYPE, ...statusFields(status)], {
      endStream: true,
    });
  }

  /** Gives the call up without a status (the client went away): nothing more is sent. */
  abandon(): void {
    this.#finished = true;
  }
}
