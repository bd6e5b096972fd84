/**
 * The object store interface: flat keys (`a/b/c.parquet`) mapped to immutable byte objects.
 * Two implementations: `FsStore` (a local directory) and `S3Store` (S3 / MinIO).
 * Must not import `catalog/` or `flight/`.
 *
 * @module
 */

/** One listed object. */
export interface ObjectInfo {
  key: string;
  sizeBytes: number;
}

export interface PutOptions {
  signal?: AbortSignal;
}

/**
 * A key/value store of immutable objects.
 *
 * Invariants every implementation keeps (checked by `tests/store_contract.ts`):
 * - `put` is atomic: a reader sees the whole old object, the whole new one, or nothing; never a part.
 * - keys are validated by `validateKey()` before any I/O (no `..`, no absolute paths, no control chars).
 * - a missing key makes `get`/`getRange` throw `NotFoundError`; `head` returns null.
 * - `delete` of a missing key succeeds; `deletePrefix` and `list` take a path-segment prefix
 *   (`"a/b"` matches `a/b/x` but not `a/bc/x`, nor an object named `a/b` itself).
 */
export interface ObjectStore extends AsyncDisposable {
  /** Human-readable location for logs (`file:///data/store`, `s3://bucket/prefix`). Never holds secrets. */
  readonly location: string;
  /** Writes `data` under `key`, replacing any previous object atomically. */
  put(key: string, data: Uint8Array | AsyncIterable<Uint8Array>, opts?: PutOptions): Promise<void>;
  /** Reads the whole object. */
  get(key: string, opts?: PutOptions): Promise<Uint8Array>;
  /** Reads `length` bytes from `offset` (clamped at the end of the object). */
  getRange(key: string, offset: number, length: number, opts?: PutOptions): Promise<Uint8Array>;
  /** Size of the object, or null when missing. */
  head(key: string): Promise<ObjectInfo | null>;
  /**
   * The local file holding `key`, for a reader that opens it and reads ranges itself (e.g. in another
   * thread), when this store keeps objects as local files replaced only by rename (so an open file
   * keeps its version); absent or null otherwise. Does not check that the object exists.
   */
  localPath?(key: string): string | null;
  /** Every object under the path-segment `prefix` ("" for all), in key order. */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /** Removes one object; missing is fine. */
  delete(key: string): Promise<void>;
  /** Removes every object under the path-segment `prefix`; returns how many were removed. */
  deletePrefix(prefix: string): Promise<number>;
  /** Checks that the store is reachable and writable; throws UnavailableError otherwise. */
  check(): Promise<void>;
}
