/**
 * Opening glibc with `Deno.dlopen`, for the few things only it offers (direct writes, `malloc_trim`,
 * `_exit`): null where it cannot be had (not Linux, no `--allow-ffi`, another C library such as musl),
 * so that each caller falls back on its own. Imports nothing of the project: any layer may use it.
 *
 * @module
 */

/** The `symbols` of glibc, or null where it cannot be loaded here. */
export function openLibc<const S extends Deno.ForeignLibraryInterface>(
  symbols: S,
): Deno.DynamicLibrary<S>["symbols"] | null {
  if (Deno.build.os !== "linux") return null;
  if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") return null;
  try {
    return Deno.dlopen("libc.so.6", symbols).symbols;
  } catch {
    return null; // another C library (musl), or none
  }
}
