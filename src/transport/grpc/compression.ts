/**
 * gRPC message compression: which encodings requests may use (`gzip`, `deflate`, `identity`), inflating a
 * compressed request within the message limit, whether a client accepts gzip responses, and gzipping a
 * response. A "gzip bomb" is stopped as soon as its output passes the limit: it never costs more than the
 * limit itself. Shared with the grpc-js server (`src/flight/grpc_compression.ts` uses the same rules).
 *
 * @module
 */
import type { Buffer } from "node:buffer";
import { promisify } from "node:util";
import zlib from "node:zlib";
import { GrpcCode, GrpcError } from "./status.ts";

/** Messages smaller than this are sent uncompressed even on a gzip call (gzip adds ~20 bytes). */
export const MIN_COMPRESSED_BYTES = 1024;

/** The request encodings this server inflates, as it announces them in `grpc-accept-encoding`. */
export const ACCEPTED_ENCODINGS = "identity,deflate,gzip";

/** Whether a `grpc-accept-encoding` value (`identity,deflate,gzip`) lists gzip. */
export function acceptsGzip(value: string | readonly string[] | undefined | null): boolean {
  const text = Array.isArray(value) ? value.join(",") : (value as string | undefined | null) ?? "";
  return text.split(",").some((e) => e.trim().toLowerCase() === "gzip");
}

type Inflate = (data: Uint8Array, opts: zlib.ZlibOptions & { maxOutputLength: number }) => Promise<Buffer>;
const gunzip = promisify(zlib.gunzip) as Inflate;
const inflate = promisify(zlib.inflate) as Inflate;
const gzip = promisify(zlib.gzip) as (data: Uint8Array, opts: zlib.ZlibOptions) => Promise<Buffer>;

/**
 * Inflates one compressed message of a call whose `grpc-encoding` is `encoding`.
 * @throws GrpcError UNIMPLEMENTED for an encoding other than gzip/deflate, RESOURCE_EXHAUSTED when the
 * output would pass `maxBytes` (stopped there, never allocated whole), INTERNAL for a corrupt stream.
 */
export async function inflateMessage(
  compressed: Uint8Array,
  encoding: string,
  maxBytes: number,
): Promise<Uint8Array> {
  const codec = encoding === "gzip" ? gunzip : encoding === "deflate" ? inflate : null;
  if (codec === null) {
    throw new GrpcError(
      GrpcCode.UNIMPLEMENTED,
      `Received message compressed with unsupported encoding "${encoding}"`,
    );
  }
  try {
    const out = await codec(compressed, { maxOutputLength: Math.max(1, maxBytes) });
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (err) {
    if ((err as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") {
      throw new GrpcError(
        GrpcCode.RESOURCE_EXHAUSTED,
        `Received message that decompresses to a size larger than ${maxBytes}`,
      );
    }
    throw new GrpcError(GrpcCode.INTERNAL, "Failed to decompress message");
  }
}

/** Gzips a response message's bytes (level 1: Arrow data gains little from more, and it costs CPU). */
export function gzipMessage(message: Uint8Array): Promise<Uint8Array> {
  return gzip(message, { level: 1 });
}
