/**
 * `FsStore`: an ObjectStore in a local directory, where key `a/b/c` is the file `<root>/a/b/c`.
 * Writes go to a temp file in `<root>/.tmp/` (same file system), are fsynced, then renamed over the
 * target, so readers see the whole old object or the whole new one. Must not import `catalog/` or `flight/`.
 *
 * @module
 */
import { rmdir } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { CancelledError, InvalidArgumentError } from "../errors.ts";
import { readAt } from "../file_reader.ts";
import type { Logger } from "../log.ts";
import {
  errorCode,
  ioError,
  isMissing,
  nullIfMissing,
  readError,
  unavailableError,
  writeError,
} from "./_fs_errors.ts";
import { checkRange, compareKeys, keyProblem, validateKey, validatePrefix } from "./keys.ts";
import type { ObjectInfo, ObjectStore, PutOptions } from "./store.ts";
import { writeAll } from "../file_writer.ts";

/** Folder under the root that holds in-progress writes; never listed, and not usable as a key. */
export const TMP_DIR = ".tmp";

/** Temp files older than this are leftovers of a crashed writer, removed on open. */
const STALE_TEMP_MS = 60 * 60 * 1000;

export interface FsStoreOptions {
  log: Logger;
}

/** An object store in a local directory. Safe for concurrent use by one or more processes. */
export class FsStore implements ObjectStore {
  readonly location: string;
  readonly #root: string;
  readonly #tmp: string;
  readonly #log: Logger;

  private constructor(root: string, log: Logger) {
    this.#root = root;
    this.#tmp = join(root, TMP_DIR);
    this.#log = log;
    this.location = pathToFileURL(root).href;
  }

  /**
   * Opens (creating if needed) the store rooted at `root`.
   * @throws UnavailableError when the directory cannot be created.
   */
  static async open(root: string, opts: FsStoreOptions): Promise<FsStore> {
    const abs = resolve(root);
    try {
      await Deno.mkdir(join(abs, TMP_DIR), { recursive: true });
    } catch (err) {
      throw unavailableError(`Cannot open store "${abs}"`, err);
    }
    const store = new FsStore(abs, opts.log.child({ store: pathToFileURL(abs).href }));
    await store.#sweepTemp(STALE_TEMP_MS);
    return store;
  }

  /** Streams `data` to a temp file, fsyncs it, then renames it over `key`. An abort leaves nothing behind. */
  async put(key: string, data: Uint8Array | AsyncIterable<Uint8Array>, opts: PutOptions = {}): Promise<void> {
    this.#checkKey(key);
    const { signal } = opts;
    if (signal?.aborted) {
      throw new CancelledError(`Cannot write object "${key}": cancelled`, { cause: signal.reason });
    }
    const tmp = join(this.#tmp, `${crypto.randomUUID()}.part`);
    let file: Deno.FsFile | undefined;
    // A write that failed on the disk (full, read-only) is the reason, even if the caller aborts because
    // of it: stopping the data source runs its cleanup, which may abort `signal` before we get here.
    let diskError: { error: unknown } | undefined;
    const write = async (f: Deno.FsFile, chunk: Uint8Array) => {
      try {
        await writeAll(f, chunk);
      } catch (err) {
        diskError ??= { error: err };
        throw err;
      }
    };
    try {
      file = await Deno.open(tmp, { write: true, createNew: true, mode: 0o644 });
      if (data instanceof Uint8Array) {
        await write(file, data);
      } else {
        for await (const chunk of data) {
          signal?.throwIfAborted();
          await write(file, chunk);
        }
      }
      await file.sync();
      file.close();
      file = undefined;
      signal?.throwIfAborted(); // the last moment at which cancelling can leave nothing visible
      await this.#moveIntoPlace(tmp, this.#path(key));
    } catch (err) {
      file?.close();
      await Deno.remove(tmp).catch(nullIfMissing).catch((e) =>
        this.#log.warn("cannot remove temp file", { tmp, err: e })
      );
      throw diskError ? writeError(key, diskError.error) : writeError(key, err, signal);
    }
  }

  async get(key: string, opts: PutOptions = {}): Promise<Uint8Array> {
    this.#checkKey(key);
    try {
      return await Deno.readFile(this.#path(key), { signal: opts.signal });
    } catch (err) {
      throw readError(key, err, opts.signal);
    }
  }

  async getRange(key: string, offset: number, length: number, opts: PutOptions = {}): Promise<Uint8Array> {
    this.#checkKey(key);
    checkRange(key, offset, length);
    let file: Deno.FsFile | undefined;
    try {
      // One open file descriptor: a concurrent put renames a new inode in, this read keeps the old one.
      file = await Deno.open(this.#path(key), { read: true });
      const info = await file.stat();
      if (!info.isFile) throw new Deno.errors.IsADirectory(`"${key}" is a folder`);
      const start = Math.min(offset, info.size);
      return await readAt(file, start, Math.min(length, info.size - start), opts.signal);
    } catch (err) {
      throw readError(key, err, opts.signal);
    } finally {
      file?.close();
    }
  }

  localPath(key: string): string {
    this.#checkKey(key);
    return this.#path(key);
  }

  async head(key: string): Promise<ObjectInfo | null> {
    this.#checkKey(key);
    try {
      const info = await Deno.stat(this.#path(key));
      return info.isFile ? { key, sizeBytes: info.size } : null;
    } catch (err) {
      if (isMissing(err)) return null;
      throw ioError(`Cannot read object "${key}"`, err);
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const p = this.#checkPrefix(prefix);
    yield* this.#walk(p === "" ? this.#root : this.#path(p), p);
  }

  async delete(key: string): Promise<void> {
    this.#checkKey(key);
    const path = this.#path(key);
    try {
      await Deno.remove(path);
    } catch (err) {
      // ENOTEMPTY: `key` names a folder of other objects, so there is no object `key` to delete.
      if (isMissing(err) || errorCode(err) === "ENOTEMPTY") return;
      throw ioError(`Cannot delete object "${key}"`, err);
    }
    await this.#pruneParents(dirname(path));
  }

  async deletePrefix(prefix: string): Promise<number> {
    const p = this.#checkPrefix(prefix);
    let count = 0;
    // Safe while walking: #walk reads each folder whole before yielding what is in it.
    for await (const { key } of this.list(p)) {
      try {
        await Deno.remove(this.#path(key));
        count++;
      } catch (err) {
        if (!isMissing(err)) throw ioError(`Cannot delete object "${key}"`, err);
      }
    }
    const top = p === "" ? this.#root : this.#path(p);
    await this.#removeEmptyDirs(top);
    if (p !== "") await this.#pruneParents(dirname(top));
    this.#log.debug("prefix deleted", { prefix: p, count });
    return count;
  }

  /** Writes and removes a probe file: proves the root exists and is writable. */
  async check(): Promise<void> {
    const probe = join(this.#tmp, `check-${crypto.randomUUID()}`);
    try {
      await Deno.writeFile(probe, new Uint8Array([1]), { createNew: true });
      await Deno.remove(probe);
    } catch (err) {
      throw unavailableError(`Cannot write to store "${this.location}"`, err);
    }
  }

  /** Nothing to release: every call closes its own files. */
  [Symbol.asyncDispose](): Promise<void> {
    return Promise.resolve();
  }

  async #sweepTemp(maxAgeMs: number): Promise<void> {
    let removed = 0;
    for await (const e of Deno.readDir(this.#tmp)) {
      const path = join(this.#tmp, e.name);
      const info = await Deno.stat(path).catch(nullIfMissing); // another writer may finish meanwhile
      if (info?.isFile && Date.now() - (info.mtime?.getTime() ?? Date.now()) > maxAgeMs) {
        if (await Deno.remove(path).catch(nullIfMissing) !== null) removed++;
      }
    }
    if (removed > 0) this.#log.info("stale temp files removed", { count: removed });
  }

  #checkKey(key: string): void {
    validateKey(key);
    if (key === TMP_DIR || key.startsWith(TMP_DIR + "/")) {
      throw new InvalidArgumentError(
        `Cannot use object key "${key}": "${TMP_DIR}" is reserved by the file store`,
      );
    }
  }

  #checkPrefix(prefix: string): string {
    const p = validatePrefix(prefix);
    if (p !== "") this.#checkKey(p);
    return p;
  }

  #path(key: string): string {
    return join(this.#root, ...key.split("/"));
  }

  async #moveIntoPlace(tmp: string, target: string): Promise<void> {
    const parent = dirname(target);
    for (let attempt = 1;; attempt++) {
      await Deno.mkdir(parent, { recursive: true });
      try {
        await Deno.rename(tmp, target);
        break;
      } catch (err) {
        // A concurrent delete may prune the (then empty) parent between mkdir and rename: make it again.
        if (!(err instanceof Deno.errors.NotFound) || attempt >= 5) throw err;
      }
    }
    // Persist the rename itself: fsync the folder that holds the new entry (unless deleted meanwhile).
    const dir = await Deno.open(parent, { read: true }).catch(nullIfMissing);
    try {
      await dir?.sync();
    } finally {
      dir?.close();
    }
  }

  /** Yields the objects below `dir` in key order; a folder sorts as its name plus "/" (how its keys start). */
  async *#walk(dir: string, keyPrefix: string): AsyncGenerator<ObjectInfo> {
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(dir));
    } catch (err) {
      if (isMissing(err)) return; // no such prefix, or it names an object rather than a folder
      throw ioError(`Cannot list objects under "${keyPrefix}"`, err);
    }
    const items = entries
      .filter((e) => e.isFile || e.isDirectory)
      .filter((e) => keyPrefix !== "" || e.name !== TMP_DIR)
      .map((e) => ({ ...e, sortName: e.isDirectory ? e.name + "/" : e.name }))
      .sort((a, b) => compareKeys(a.sortName, b.sortName));
    for (const item of items) {
      const key = keyPrefix === "" ? item.name : `${keyPrefix}/${item.name}`;
      if (keyProblem(key) !== null) continue; // a foreign file no key can name
      const path = join(dir, item.name);
      if (item.isDirectory) {
        yield* this.#walk(path, key);
        continue;
      }
      try {
        yield { key, sizeBytes: (await Deno.stat(path)).size };
      } catch (err) {
        if (!isMissing(err)) throw ioError(`Cannot list object "${key}"`, err); // else deleted meanwhile
      }
    }
  }

  /** Removes the empty folders under and including `dir` (never the root or `.tmp`). */
  async #removeEmptyDirs(dir: string): Promise<void> {
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(dir));
    } catch (err) {
      if (isMissing(err)) return;
      throw ioError(`Cannot list folder "${dir}"`, err);
    }
    for (const e of entries) {
      if (e.isDirectory && !(dir === this.#root && e.name === TMP_DIR)) {
        await this.#removeEmptyDirs(join(dir, e.name));
      }
    }
    if (dir !== this.#root) await this.#removeDirIfEmpty(dir);
  }

  /** Removes `dir` and its ancestors below the root while they are empty. */
  async #pruneParents(dir: string): Promise<void> {
    while (dir !== this.#root && dir.startsWith(this.#root) && await this.#removeDirIfEmpty(dir)) {
      dir = dirname(dir);
    }
  }

  /** rmdir(2), unlike Deno.remove(), never removes a file that took the folder's place meanwhile. */
  async #removeDirIfEmpty(dir: string): Promise<boolean> {
    try {
      await rmdir(dir);
      return true;
    } catch (err) {
      if (["ENOENT", "ENOTDIR", "ENOTEMPTY", "EEXIST"].includes(errorCode(err) ?? "")) return false;
      throw ioError(`Cannot remove folder "${dir}"`, err);
    }
  }
}
