/**
 * The MCAP export's chunk compression rule: zstd, unless the chunk's bytes do not compress (camera frames
 * already in JPEG or PNG, other compressed payloads), then the chunk is stored as it is (compression "",
 * which every MCAP reader takes). A 64 KiB sample from the middle of a large chunk is compressed first, so
 * that an incompressible chunk costs a sixty-fourth of its compression; a chunk zstd would not make smaller
 * is stored too. Used by the zstd worker (`_zstd_worker.ts`) and the writer's own compressor alike.
 *
 * Imports `node:zlib` and `zstd_sample.ts` only.
 *
 * @module
 */
import { constants, zstdCompressSync } from "node:zlib";
import { incompressible } from "../../zstd_sample.ts";

/** Bytes of a chunk compressed to judge it (only chunks of at least four samples are judged). */
const SAMPLE_BYTES = 64 * 1024;

/** `bytes` compressed with zstd at `level`, or null when they are better stored as they are. */
export function zstdChunk(bytes: Uint8Array, level: number): Uint8Array | null {
  const params = { params: { [constants.ZSTD_c_compressionLevel]: level } };
  if (bytes.length >= 4 * SAMPLE_BYTES) {
    const at = (bytes.length - SAMPLE_BYTES) >> 1;
    if (incompressible(bytes.subarray(at, at + SAMPLE_BYTES), level)) return null;
  }
  const compressed = zstdCompressSync(bytes, params);
  return compressed.length < bytes.length ? compressed : null;
}
