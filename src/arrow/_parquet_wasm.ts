/**
 * Lazy, once-only loading of parquet-wasm (a ~5 MB WebAssembly build of the Rust `parquet` crate).
 *
 * Entry point: the package's `bundler` build. It imports its `.wasm` through an ES module import,
 * which Deno instantiates as part of the module graph: no network, no `fetch`, no `fs`, so it needs
 * no permission at all (the file sits in the npm cache; `deno compile` embeds it). The other builds
 * fail without `--allow-read`: the bare `parquet-wasm` specifier resolves to `node/` (CommonJS,
 * `readFileSync` at import) and `esm/` calls `fetch(file://…)` in its init function.
 *
 * Loaded on first use rather than at import so that importing `src/arrow/` costs nothing.
 *
 * @module
 */

// The `bundler` build: Deno loads its .wasm as part of the module graph, so it needs no read
// permission (the bare "parquet-wasm" entry is the Node build, which reads the file with fs).
export type ParquetWasm = typeof import("parquet-wasm/bundler");

let loading: Promise<ParquetWasm> | undefined;

/** The parquet-wasm module, instantiated on the first call and shared afterwards. */
export function loadParquetWasm(): Promise<ParquetWasm> {
  loading ??= import("parquet-wasm/bundler").catch((err) => {
    loading = undefined; // let a later call retry instead of caching the failure
    throw new Error("Cannot load parquet-wasm", { cause: err });
  });
  return loading;
}
