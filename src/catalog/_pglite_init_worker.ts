/**
 * The short-lived thread that runs initdb for a fresh embedded catalog (see `_pglite_init.ts`): it
 * creates a PostgreSQL data directory in the folder it is given, shuts the database down cleanly and
 * answers. initdb grows PGlite's wasm heaps to several hundred MiB, which never shrink; ending this
 * thread gives that memory back, so the daemon's own instance starts from a small heap.
 *
 * The files are written straight to disk: the in-memory filesystem below is PGlite's `MemoryFS` (for
 * which PGlite points the initdb instance at this instance's files) with the directory mounted the way
 * PGlite's `NodeFS` mounts it. A plain `dataDir` would build the directory in memory, copy it into a
 * tarball and unpack that: about three more copies of the directory in memory.
 *
 * Imports PGlite and `_pglite_init.ts` only.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { resolve } from "node:path";
import { MemoryFS, PGlite, type PGliteInterface } from "@electric-sql/pglite";
import { type InitReply, type InitRequest, POSTGRESQL_CONF } from "./_pglite_init.ts";

type EmscriptenOptions = Parameters<MemoryFS["init"]>[1];

/** PGlite's in-memory filesystem class with `root` mounted at PGDATA, as `NodeFS` mounts it. */
class DirectNodeFs extends MemoryFS {
  readonly #root: string;

  constructor(root: string) {
    super();
    this.#root = resolve(root);
  }

  override init(pg: PGliteInterface, opts: EmscriptenOptions): ReturnType<MemoryFS["init"]> {
    const pgdata = PGlite.paths.PGDATA;
    const mount: NonNullable<EmscriptenOptions["preRun"]>[number] = (mod) => {
      mod.FS.mkdirTree(pgdata);
      mod.FS.mount(mod.NODEFS, { root: this.#root }, pgdata);
    };
    return super.init(pg as PGlite, { ...opts, preRun: [...(opts.preRun ?? []), mount] });
  }
}

self.onmessage = async (event: MessageEvent<InitRequest>) => {
  const { dir, pgliteModule } = event.data;
  let reply: InitReply;
  try {
    const started = performance.now();
    const db = await PGlite.create({
      fs: new DirectNodeFs(dir),
      pgliteWasmModule: pgliteModule,
      postgresqlconf: POSTGRESQL_CONF,
    });
    await db.close();
    reply = { ok: true, initdbMs: Math.round(performance.now() - started) };
  } catch (err) {
    reply = { ok: false, message: err instanceof Error ? err.message : String(err) };
  }
  self.postMessage(reply);
};
