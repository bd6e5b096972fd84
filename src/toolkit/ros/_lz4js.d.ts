// Types for the parts of `lz4js` (no types of its own) that the importer and the tests use.
export function decompress(src: Uint8Array, maxSize?: number): Uint8Array;
export function compress(src: Uint8Array, maxSize?: number): Uint8Array;
