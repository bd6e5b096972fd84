/**
 * The one test of whether bytes are worth compressing, shared by the Parquet writers (binary columns,
 * `arrow/_incompressible.ts`) and the MCAP export (chunks, `toolkit/export/_zstd_chunk.ts`): a sample of
 * them compressed with zstd that does not get 5% smaller. Imports nothing of the project: any layer (and
 * the export's zstd worker) may use it.
 *
 * @module
 */
import { constants, zstdCompressSync } from "node:zlib";

/** A sample compressed to more than this fraction of its size counts as incompressible. */
const INCOMPRESSIBLE_RATIO = 0.95;

/** Whether zstd at `level` leaves `sample` at more than 95% of its size. */
export function incompressible(sample: Uint8Array, level: number): boolean {
  const params = { params: { [constants.ZSTD_c_compressionLevel]: level } };
  return zstdCompressSync(sample, params).byteLength > INCOMPRESSIBLE_RATIO * sample.byteLength;
}
