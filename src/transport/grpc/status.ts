/**
 * gRPC status codes, the error that carries one through the gRPC layer, and the status as trailer fields
 * (`grpc-status`, `grpc-message` percent-encoded as the gRPC HTTP/2 protocol says). Knows nothing of the
 * services above it; must not import from `src/flight/` or the domain.
 *
 * @module
 */
import type { HeaderField } from "../http2/hpack/mod.ts";

/** The gRPC status codes (the numbers are the protocol's). */
export const GrpcCode = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

/** A gRPC status code. */
export type GrpcCode = typeof GrpcCode[keyof typeof GrpcCode];

/** What a call ends with. `details` is plain text (encoded on the wire by {@link statusFields}). */
export interface GrpcStatus {
  code: number;
  details: string;
}

/** A failure the gRPC layer itself detects (framing, limits, compression, deadline): its status is final. */
export class GrpcError extends Error {
  override name = "GrpcError";
  constructor(readonly code: GrpcCode, message: string) {
    super(message);
  }

  /** The status this error ends its call with. */
  get status(): GrpcStatus {
    return { code: this.code, details: this.message };
  }
}

/**
 * `grpc-message` encoding: the UTF-8 bytes of `text`, each byte outside printable ASCII (0x20–0x7E) and
 * `%` itself written as `%XX`. The result is ASCII, safe as a header value.
 */
export function percentEncode(text: string): string {
  if (/^[\x20-\x24\x26-\x7e]*$/.test(text)) return text;
  let out = "";
  for (const b of new TextEncoder().encode(text)) {
    const plain = b >= 0x20 && b <= 0x7e && b !== 0x25;
    out += plain ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** Reverses {@link percentEncode} (lenient: a `%` not followed by two hex digits stays as it is). */
export function percentDecode(value: string): string {
  if (!value.includes("%")) return value;
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const hex = value[i] === "%" ? value.slice(i + 1, i + 3) : "";
    if (/^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else bytes.push(value.charCodeAt(i) & 0xff);
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/** The status as trailer fields: `grpc-status`, then `grpc-message` when there are details. */
export function statusFields(status: GrpcStatus): HeaderField[] {
  const fields: HeaderField[] = [["grpc-status", String(status.code)]];
  if (status.details) fields.push(["grpc-message", percentEncode(status.details)]);
  return fields;
}
