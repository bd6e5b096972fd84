/**
 * Chunk decompressors for MCAP (`zstd`, `lz4`) and ROS 1 bags (`bz2`, `lz4`), pure JS except bz2
 * (wasm): `fzstd`, `lz4js` (LZ4 frames), `@foxglove/wasm-bz2`. Loaded once, on first use.
 *
 * Layer: third-party codecs only.
 *
 * @module
 */
import Bzip2 from "@foxglove/wasm-bz2";
import { decompress as zstdDecompress } from "fzstd";
// @ts-types="./_lz4js.d.ts"
import * as lz4 from "lz4js";

/** `(compressed, size) → bytes` per compression name. */
export type Decompressors = Record<string, (data: Uint8Array, size: number) => Uint8Array>;

function checked(name: string, out: Uint8Array, size: number): Uint8Array {
  if (out.length !== size) {
    throw new Error(`A ${name} chunk decompressed to ${out.length} bytes instead of ${size}`);
  }
  return out;
}

const lz4Frame = (data: Uint8Array, size: number) => checked("lz4", lz4.decompress(data, size), size);

/** MCAP's chunk compressions (the empty name is "none", which the reader handles itself). */
export function mcapDecompressors(): Decompressors {
  return {
    zstd: (data, size) => checked("zstd", zstdDecompress(data, new Uint8Array(size)), size),
    lz4: lz4Frame,
  };
}

let bzip2: Promise<Bzip2> | null = null;

/** ROS 1 bag chunk compressions (`none` is handled by the reader). */
export async function bagDecompressors(): Promise<Decompressors> {
  const bz2 = await (bzip2 ??= Bzip2.init());
  return {
    bz2: (data, size) => checked("bz2", bz2.decompress(data, size, { small: false }), size),
    lz4: lz4Frame,
  };
}
