/**
 * Latency and errors of the two storage seams, measured at their interfaces so that every driver and
 * backend is covered by one wrapper: an `ObjectStore` decorator (per operation) and a `Catalog` proxy (per
 * method). Errors are counted by name (`UnavailableError`, `NotFoundError`, …) and rethrown untouched.
 *
 * Sits above `catalog/` and `store/` (it imports their types) and below `app.ts`, which wires it; nothing
 * in `catalog/`, `store/` or the domain imports it.
 *
 * @module
 */
import type { Catalog } from "../catalog/catalog.ts";
import type { ObjectInfo, ObjectStore, PutOptions } from "../store/store.ts";
import type { Counter, Histogram } from "./registry.ts";

interface OpMetrics {
  seconds: Histogram<"op">;
  errors: Counter<"op" | "error">;
}

/** Times `run`, counting a rejection as an error of `op`. */
async function timed<T>(m: OpMetrics, op: string, run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await run();
  } catch (err) {
    m.errors.inc({ op, error: errorName(err) });
    throw err;
  } finally {
    m.seconds.observeSince({ op }, started);
  }
}

function errorName(err: unknown): string {
  return err instanceof Error ? err.name : typeof err;
}

/** `store`, with each operation's latency and failures recorded. */
export function instrumentStore(
  store: ObjectStore,
  m: { storeSeconds: Histogram<"op">; storeErrors: Counter<"op" | "error"> },
): ObjectStore {
  return new InstrumentedStore(store, { seconds: m.storeSeconds, errors: m.storeErrors });
}

class InstrumentedStore implements ObjectStore {
  readonly #inner: ObjectStore;
  readonly #m: OpMetrics;

  constructor(inner: ObjectStore, m: OpMetrics) {
    this.#inner = inner;
    this.#m = m;
  }

  get location(): string {
    return this.#inner.location;
  }

  put(key: string, data: Uint8Array | AsyncIterable<Uint8Array>, opts?: PutOptions): Promise<void> {
    return timed(this.#m, "put", () => this.#inner.put(key, data, opts));
  }

  get(key: string, opts?: PutOptions): Promise<Uint8Array> {
    return timed(this.#m, "get", () => this.#inner.get(key, opts));
  }

  getRange(key: string, offset: number, length: number, opts?: PutOptions): Promise<Uint8Array> {
    return timed(this.#m, "get_range", () => this.#inner.getRange(key, offset, length, opts));
  }

  head(key: string): Promise<ObjectInfo | null> {
    return timed(this.#m, "head", () => this.#inner.head(key));
  }

  /** Timed from the first page to the last (or to the caller leaving the loop). */
  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const started = performance.now();
    try {
      yield* this.#inner.list(prefix);
    } catch (err) {
      this.#m.errors.inc({ op: "list", error: errorName(err) });
      throw err;
    } finally {
      this.#m.seconds.observeSince({ op: "list" }, started);
    }
  }

  delete(key: string): Promise<void> {
    return timed(this.#m, "delete", () => this.#inner.delete(key));
  }

  deletePrefix(prefix: string): Promise<number> {
    return timed(this.#m, "delete_prefix", () => this.#inner.deletePrefix(prefix));
  }

  check(): Promise<void> {
    return timed(this.#m, "check", () => this.#inner.check());
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#inner[Symbol.asyncDispose]();
  }
}

/** Methods that are not catalog operations: passed through untimed. */
const UNTIMED = new Set(["close", "constructor", "listen"]);

/**
 * `catalog`, with each method's latency and failures recorded under the method's name (`commitTopic`,
 * `findTopics`, …): a bounded label set, the methods of `Catalog`. Works on a local catalog and on a
 * worker thread's remote one alike.
 */
export function instrumentCatalog(
  catalog: Catalog,
  m: { catalogSeconds: Histogram<"op">; catalogErrors: Counter<"op" | "error"> },
): Catalog {
  const ops: OpMetrics = { seconds: m.catalogSeconds, errors: m.catalogErrors };
  const wrapped = new Map<string, (...args: unknown[]) => unknown>();
  return new Proxy(catalog, {
    get(target, property) {
      const value = Reflect.get(target, property);
      if (typeof property !== "string" || typeof value !== "function" || UNTIMED.has(property)) {
        return typeof value === "function" ? value.bind(target) : value;
      }
      let fn = wrapped.get(property);
      if (fn === undefined) {
        fn = (...args: unknown[]) => {
          const started = performance.now();
          const failed = (err: unknown) => {
            ops.errors.inc({ op: property, error: errorName(err) });
            ops.seconds.observeSince({ op: property }, started);
            throw err;
          };
          let result: unknown;
          try {
            result = value.apply(target, args);
          } catch (err) {
            failed(err);
          }
          if (!(result instanceof Promise)) {
            ops.seconds.observeSince({ op: property }, started);
            return result;
          }
          return result.then((v) => {
            ops.seconds.observeSince({ op: property }, started);
            return v;
          }, failed);
        };
        wrapped.set(property, fn);
      }
      return fn;
    },
  });
}
