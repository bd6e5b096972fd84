/**
 * HPACK (RFC 7541) for the HTTP/2 transport: a decoder and an encoder per connection, their errors and
 * the header field type. Knows nothing of frames, streams or gRPC; imports only files of this folder
 * (and node:buffer for latin1 strings).
 *
 * @example
 * ```ts
 * const decoder = new HpackDecoder({ maxDynamicTableSize: 4096, maxHeaderListSize: 65536 });
 * const encoder = new HpackEncoder();
 * const fields = decoder.decode(encoder.encode([[":status", "200"], ["content-type", "application/grpc"]]));
 * ```
 *
 * @module
 */
export { HpackDecoder, type HpackDecoderOptions } from "./decoder.ts";
export { HpackEncoder, type HpackEncoderOptions } from "./encoder.ts";
export { fieldSize, type HeaderField, HeaderListTooLargeError, HpackError } from "./header.ts";
