/**
 * Creating a fresh embedded catalog directory without leaving its cost in the daemon. initdb makes
 * PGlite's wasm heaps grow to several hundred MiB and the allocator keeps much of what it frees: run in
 * the daemon's thread, a first start left the process at ~650 MiB resident, against ~200 MiB after a
 * restart. So initdb runs in a short-lived worker thread (`_pglite_init_worker.ts`) whose memory goes
 * when it ends, and the daemon opens the finished directory like an existing one.
 *
 * The worker writes into `<dir>/.initdb`; once it has shut its database down, that folder is renamed
 * `<dir>/.initdb-ready` and its entries are moved into `<dir>`, `PG_VERSION` last. A crash while
 * initdb runs leaves `.initdb`, removed and redone at the next start; a crash while moving leaves
 * `.initdb-ready`, whose move the next start finishes. `PG_VERSION` in `<dir>` means complete.
 *
 * Also owns the compiled PGlite wasm module, compiled once per thread and handed to the worker.
 * Imports the domain errors only: nothing else of `catalog/`.
 *
 * @module
 */
import { join } from "node:path";
import { UnavailableError } from "../errors.ts";

/** postgresql.conf of every embedded catalog (PGlite rewrites the file at each open). */
export const POSTGRESQL_CONF: string[] = [
  // The catalog is small and the daemon's memory is for data: PostgreSQL's default 128 MB of shared
  // buffers put an idle daemon at ~310 MiB resident; 16 MB puts it at ~200 MiB.
  "shared_buffers=16MB",
];

/** What the daemon's thread asks the worker. */
export interface InitRequest {
  /** An empty folder to create the data directory in. */
  dir: string;
  pgliteModule: WebAssembly.Module;
}

/** The worker's answer. */
export type InitReply = { ok: true; initdbMs: number } | { ok: false; message: string };

/** How a data directory was created. */
export interface Created {
  /** initdb ran in a worker thread, never in the caller's. */
  thread: "worker";
  /** Time to run initdb and shut down, in the worker. */
  initdbMs: number;
}

const STAGING = ".initdb";
const READY = ".initdb-ready";
const VERSION_FILE = "PG_VERSION";
const WORKER_URL = new URL("./_pglite_init_worker.ts", import.meta.url);

let compiled: Promise<WebAssembly.Module> | undefined;

/**
 * PGlite's wasm module, compiled on first use and shared by every instance of this thread and by the
 * init worker: the worker does not compile its own copy.
 */
export function pgliteModule(): Promise<WebAssembly.Module> {
  compiled ??= (async () => {
    const url = new URL(import.meta.resolve("@electric-sql/pglite/pglite.wasm"));
    return await WebAssembly.compile(await Deno.readFile(url));
  })();
  compiled.catch(() => compiled = undefined); // a failure is retried by the next open
  return compiled;
}

/** Whether `dir` holds a complete data directory. */
export async function isDataDir(dir: string): Promise<boolean> {
  return await exists(join(dir, VERSION_FILE));
}

/**
 * Makes `dir` a complete data directory, running initdb in a worker thread unless a previous start
 * got as far as moving its result in. The caller holds the directory's lock.
 * @returns how it was created, or null when it already was a data directory.
 * @throws UnavailableError when initdb fails or the files cannot be moved.
 */
export async function createDataDir(dir: string): Promise<Created | null> {
  if (await isDataDir(dir)) return null;
  const staging = join(dir, STAGING);
  const ready = join(dir, READY);
  let initdbMs = 0;
  if (!await exists(ready)) {
    await Deno.remove(staging, { recursive: true }).catch(ignoreNotFound);
    await Deno.mkdir(staging);
    initdbMs = await initdbInWorker(staging);
    await Deno.rename(staging, ready);
  }
  const entries = await Array.fromAsync(Deno.readDir(ready));
  // PG_VERSION last: until it is in place, the next start sees an incomplete directory and resumes.
  for (const name of entries.map((e) => e.name).filter((n) => n !== VERSION_FILE)) {
    await moveEntry(join(ready, name), join(dir, name));
  }
  await moveEntry(join(ready, VERSION_FILE), join(dir, VERSION_FILE));
  await Deno.remove(ready);
  return { thread: "worker", initdbMs };
}

async function moveEntry(from: string, to: string): Promise<void> {
  try {
    await Deno.rename(from, to);
  } catch (err) {
    throw new UnavailableError(`Cannot move "${from}" to "${to}": ${errorText(err)}`, { cause: err });
  }
}

/** Runs initdb into the empty folder `dir` in a new worker thread; resolves with its time in ms. */
async function initdbInWorker(dir: string): Promise<number> {
  const request: InitRequest = { dir, pgliteModule: await pgliteModule() };
  const worker = new Worker(WORKER_URL, { type: "module" });
  try {
    const reply = await new Promise<InitReply>((resolve) => {
      worker.onmessage = (event: MessageEvent<InitReply>) => resolve(event.data);
      worker.onerror = (event: ErrorEvent) => {
        event.preventDefault();
        resolve({ ok: false, message: event.message });
      };
      worker.postMessage(request);
    });
    if (!reply.ok) throw new UnavailableError(`Cannot run initdb in "${dir}": ${reply.message}`);
    return reply.initdbMs;
  } finally {
    worker.terminate();
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

function ignoreNotFound(err: unknown): void {
  if (!(err instanceof Deno.errors.NotFound)) throw err;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
