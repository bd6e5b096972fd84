/**
 * The store folder's public surface: the `ObjectStore` interface, its two backends, and `openStore()`,
 * which picks the backend named by the configuration.
 *
 * @module
 */
import type { StoreConfig } from "../config.ts";
import type { Logger } from "../log.ts";
import { FsStore } from "./fs_store.ts";
import { S3Store } from "./s3_store.ts";
import type { ObjectStore } from "./store.ts";

export type { ObjectInfo, ObjectStore, PutOptions } from "./store.ts";
export { FsStore } from "./fs_store.ts";
export { ensureBucket, S3Store, type S3StoreConfig } from "./s3_store.ts";
export { validateKey, validatePrefix } from "./keys.ts";

/**
 * Opens the store that `config` names. Makes no network call: run `check()` to prove it is usable.
 * @example
 * ```ts
 * await using store = await openStore(config.store, log);
 * await store.check();
 * ```
 */
export async function openStore(config: StoreConfig, log: Logger): Promise<ObjectStore> {
  switch (config.kind) {
    case "fs":
      return await FsStore.open(config.root, { log });
    case "s3":
      return S3Store.open(config, { log });
  }
}
