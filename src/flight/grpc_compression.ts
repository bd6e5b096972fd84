/**
 * gRPC message compression for responses (2026 protocol section 12), added to grpc-js's server at run
 * time like `grpc_patch.ts` (no source copied or vendored).
 *
 * Requests need nothing here: grpc-js servers always accept messages compressed with `gzip` or `deflate`
 * (`grpc-encoding`), inflating them as a stream that stops with RESOURCE_EXHAUSTED as soon as the output
 * passes `grpc.max_receive_message_length` (a small "gzip bomb" costs at most that much), and answer
 * `grpc-accept-encoding: identity,deflate,gzip`. They never compress responses, though: this module does,
 * with gzip, when the server was started with `responseCompression: "gzip"` and the call's client lists
 * gzip in its `grpc-accept-encoding`. Such a call's response headers say `grpc-encoding: gzip`; each
 * message of at least {@link MIN_COMPRESSED_BYTES} is then gzipped (level 1) and flagged compressed,
 * smaller ones go as they are (the per-message flag allows both).
 *
 * Cost: Deno's zlib runs on the calling thread even when asked asynchronously, about 140 MB/s at level 1
 * on Arrow data (which shrinks by a quarter at best): a big DoGet becomes CPU-bound on it. Off by default.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { promisify } from "node:util";
import zlib from "node:zlib";
import interceptorsExports from "@grpc/grpc-js/build/src/server-interceptors.js";
import { FramedMessage } from "./flight_data.ts";
import type { Logger } from "../log.ts";
import { acceptsGzip, MIN_COMPRESSED_BYTES } from "../transport/grpc/compression.ts";

// The rules both transports share live with ours; re-exported for the grpc-js side's users.
export { acceptsGzip, MIN_COMPRESSED_BYTES };

/** What the server does to responses: gzip them for clients that accept it, or never compress. */
export type ResponseCompression = "gzip" | "none";

/** Server option (grpc-js hands every server option to each call) naming the response compression. */
export const RESPONSE_COMPRESSION_OPTION = "mosaicod.response_compression";

const gzip = promisify(zlib.gzip) as (data: Uint8Array, opts: zlib.ZlibOptions) => Promise<Buffer>;

/** Marks a call's HTTP/2 stream whose responses are gzipped. */
const GZIP = Symbol("mosaicod.gzipResponses");

interface Http2StreamLike {
  [GZIP]?: boolean;
  respond(headers: Record<string, unknown>, options?: unknown): void;
}

interface BaseCall {
  stream: Http2StreamLike;
  maxSendMessageSize: number;
  serializeMessage(value: unknown): Buffer;
  sendMessage(message: unknown, callback: () => void): void;
  sendStatus(status: { code: number; details: string; metadata: null }): void;
}

type GetCall = (
  interceptors: unknown[],
  stream: Http2StreamLike,
  headers: Record<string, string | string[] | undefined>,
  tracker: unknown,
  handler: unknown,
  options: Record<string, unknown>,
) => unknown;

let applied: boolean | null = null;

/**
 * Installs response compression once per process (it acts only on servers created with
 * {@link RESPONSE_COMPRESSION_OPTION} = "gzip"); returns whether it is active. Needs `grpc_patch.ts`'s
 * pre-framed send (a compressed message leaves as a `FramedMessage`).
 */
export function applyCompressionPatch(log: Logger, framedSendPatched: boolean): boolean {
  if (applied !== null) return applied;
  const exports = interceptorsExports as unknown as {
    getServerInterceptingCall?: GetCall;
    BaseServerInterceptingCall?: { prototype: BaseCall };
  };
  const getCall = exports.getServerInterceptingCall;
  const proto = exports.BaseServerInterceptingCall?.prototype;
  const originalSend = proto?.sendMessage;
  if (!framedSendPatched || typeof getCall !== "function" || !proto || typeof originalSend !== "function") {
    log.warn("grpc-js internals changed; responses are never compressed");
    applied = false;
    return applied;
  }
  // grpc-js's server looks this export up at each call: the wrapper sees the request headers.
  exports.getServerInterceptingCall = function (interceptors, stream, headers, tracker, handler, options) {
    if (options[RESPONSE_COMPRESSION_OPTION] === "gzip" && acceptsGzip(headers["grpc-accept-encoding"])) {
      markGzip(stream);
    }
    return getCall(interceptors, stream, headers, tracker, handler, options);
  };
  proto.sendMessage = function (this: BaseCall, message: unknown, callback: () => void) {
    if (!this.stream[GZIP]) return originalSend.call(this, message, callback);
    const framed = this.serializeMessage(message);
    const size = framed.length - 5;
    // Too small to gain, or too large to send at all (the original refuses it with RESOURCE_EXHAUSTED).
    if (size < MIN_COMPRESSED_BYTES || (this.maxSendMessageSize !== -1 && size > this.maxSendMessageSize)) {
      return originalSend.call(this, new FramedMessage(framed), callback);
    }
    gzip(framed.subarray(5), { level: 1 }).then(
      (body) => {
        const out = Buffer.allocUnsafe(5 + body.length);
        out.writeUInt8(1, 0);
        out.writeUInt32BE(body.length, 1);
        body.copy(out, 5);
        originalSend.call(this, new FramedMessage(out), callback);
      },
      (err: Error) => {
        log.warn("response compression failed", { err });
        this.sendStatus({
          code: 13,
          details: "Internal error: cannot compress the response",
          metadata: null,
        });
      },
    );
  };
  applied = true;
  return applied;
}

/** The stream's response headers will say `grpc-encoding: gzip` (metadata cannot carry `grpc-` keys). */
function markGzip(stream: Http2StreamLike): void {
  stream[GZIP] = true;
  const respond = stream.respond;
  stream.respond = function (this: Http2StreamLike, headers, options) {
    // A trailers-only answer (an error before any message) carries no message: leave it as it is.
    const withEncoding = "grpc-status" in headers ? headers : { ...headers, "grpc-encoding": "gzip" };
    return respond.call(this, withEncoding, options);
  };
}
