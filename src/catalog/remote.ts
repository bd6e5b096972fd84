/**
 * The catalog across threads: with the embedded catalog (PGlite, one instance, one writer) and several
 * Flight worker threads, the main thread owns the catalog and the workers call it through a
 * MessagePort. Every `Catalog` method takes and returns plain data (strings, numbers, bigints, arrays,
 * objects), which structured cloning carries as is, except exact JSON integers (`JSON.rawJSON` values
 * in user metadata), which cross as marked strings; errors keep their class (NotFoundError…), so the
 * worker's status mapping is unchanged. A call costs one message each way (~0.1 ms).
 *
 * @module
 */
import * as errors from "../errors.ts";
import { isRawJson, parseJsonExact } from "../model/json.ts";
import type { Catalog } from "./catalog.ts";

interface CallMessage {
  id: number;
  method: string;
  args: unknown[];
}

type ReplyMessage =
  | { id: number; value: unknown }
  | { id: number; error: { name: string; message: string } };

/** Domain error classes by name, so a rejected call rethrows the same kind of error. */
const ERROR_CLASSES = new Map<string, new (message: string) => Error>();
for (const value of Object.values(errors) as unknown[]) {
  if (typeof value === "function" && value.prototype instanceof Error) {
    ERROR_CLASSES.set(value.name, value as new (message: string) => Error);
  }
}

/** Marks an exact JSON integer on the way across: `{[RAW]: "18446744073709551615"}`. */
const RAW = "\u0000rawJSON";

/** `value` with every raw JSON integer replaced by a marker object (structured cloning refuses them). */
function toPort(value: unknown): unknown {
  if (isRawJson(value)) return { [RAW]: JSON.stringify(value) };
  if (Array.isArray(value)) return value.map(toPort);
  if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toPort(v)]));
  }
  return value;
}

/** The inverse of {@linkcode toPort}. */
function fromPort(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromPort);
  if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const record = value as Record<string, unknown>;
    if (typeof record[RAW] === "string" && Object.keys(record).length === 1) {
      return parseJsonExact(record[RAW]);
    }
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, fromPort(v)]));
  }
  return value;
}

/** Answers calls arriving on `port` with `catalog`'s methods, until the port closes. */
export function serveCatalog(catalog: Catalog, port: MessagePort): void {
  port.onmessage = async (event: MessageEvent<CallMessage>) => {
    const { id, method, args } = event.data;
    let reply: ReplyMessage;
    try {
      const fn = (catalog as unknown as Record<string, unknown>)[method];
      if (typeof fn !== "function" || method.startsWith("_") || method === "close") {
        throw new Error(`Catalog has no method "${method}"`);
      }
      reply = { id, value: toPort(await fn.apply(catalog, fromPort(args) as unknown[])) };
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      reply = { id, error: { name: e.name, message: e.message } };
    }
    try {
      port.postMessage(reply);
    } catch (err) {
      // A value structured cloning refuses: answer with the error rather than leave the caller waiting
      // (and never let it escape this handler, where it would end the process).
      const message = `Cannot return the result of catalog.${method}(): ${
        err instanceof Error ? err.message : err
      }`;
      port.postMessage({ id, error: { name: "Error", message } } satisfies ReplyMessage);
    }
  };
}

/**
 * A `Catalog` whose methods run on the other side of `port` (see {@linkcode serveCatalog}). Closing it
 * closes the port only; the catalog itself belongs to the main thread.
 */
export function remoteCatalog(port: MessagePort): Catalog {
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  port.onmessage = (event: MessageEvent<ReplyMessage>) => {
    const reply = event.data;
    const call = pending.get(reply.id);
    if (!call) return;
    pending.delete(reply.id);
    if ("error" in reply) {
      const Cls = ERROR_CLASSES.get(reply.error.name) ?? Error;
      call.reject(new Cls(reply.error.message));
    } else call.resolve(fromPort(reply.value));
  };
  let closed = false;
  const close = () => {
    closed = true;
    port.close();
    for (const call of pending.values()) {
      call.reject(new errors.UnavailableError("Catalog connection closed"));
    }
    pending.clear();
    return Promise.resolve();
  };
  return new Proxy({}, {
    get(_target, property) {
      if (property === "close" || property === Symbol.asyncDispose) return close;
      // A callback cannot cross the port: listeners in worker threads poll instead.
      if (property === "listen") return () => Promise.resolve(null);
      if (typeof property !== "string" || property === "then") return undefined;
      return (...args: unknown[]) =>
        new Promise((resolve, reject) => {
          if (closed) return reject(new errors.UnavailableError("Catalog connection closed"));
          const id = nextId++;
          pending.set(id, { resolve, reject });
          port.postMessage({ id, method: property, args: toPort(args) as unknown[] } satisfies CallMessage);
        });
    },
  }) as Catalog;
}
