/**
 * What the maintenance commands (`rebuild`, `verify`) open: the options they share with the server
 * (`--data-dir`, `--database-url`, `--store`, logging) plus their own flags, a logger, the store and the
 * catalog (migrated, so a missing catalog is created).
 *
 * @module
 */
import { Catalog } from "../catalog/catalog.ts";
import {
  COMMON_OPTIONS,
  loadLogConfig,
  loadStorageConfig,
  type OptionSpec,
  type OptionValues,
  readOptions,
} from "../config.ts";
import { createLogger, type Logger } from "../log.ts";
import { openStore } from "../store/mod.ts";
import type { ObjectStore } from "../store/store.ts";
import type { CliEnv } from "./mod.ts";

export interface Opened<T extends Record<string, OptionSpec>> extends AsyncDisposable {
  values: OptionValues<typeof COMMON_OPTIONS & T>;
  log: Logger;
  store: ObjectStore;
  catalog: Catalog;
}

/** Parses the options and opens the store, then the catalog; disposing closes both. */
export async function openCatalogAndStore<T extends Record<string, OptionSpec>>(
  cli: CliEnv,
  options: typeof COMMON_OPTIONS & T,
): Promise<Opened<T>> {
  const values = readOptions(options, cli);
  const storage = loadStorageConfig(values, cli.env);
  const { logLevel, logFormat } = loadLogConfig(values, cli.isTerminal);
  const log = createLogger({ level: logLevel, format: logFormat });
  const stack = new AsyncDisposableStack();
  try {
    const store = stack.use(await openStore(storage.store, log.child({ component: "store" })));
    const catalog = stack.use(
      await Catalog.open(storage.catalog, { log: log.child({ component: "catalog" }) }),
    );
    const moved = stack.move();
    return { values, log, store, catalog, [Symbol.asyncDispose]: () => moved.disposeAsync() };
  } catch (err) {
    await stack.disposeAsync();
    throw err;
  }
}
