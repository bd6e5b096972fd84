/**
 * Writing a whole buffer to a local file, however many `write()` calls the system takes: shared by the
 * file store and the toolkit's export output. Imports nothing of the project: any layer may use it.
 *
 * @module
 */

/** Writes all of `bytes` at `file`'s position. @throws the file's write errors */
export async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  for (let done = 0; done < bytes.length;) done += await file.write(bytes.subarray(done));
}
