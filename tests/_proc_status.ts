/**
 * A process's memory as the kernel reports it (Linux `/proc/<pid>/status`), read through `cat`: Deno
 * asks for every permission to read `/proc` directly, and the test task does not grant them all.
 *
 * @module
 */

/** The `/proc/<pid>/status` field `field` (`VmRSS`, `VmHWM`), in bytes. */
export async function procStatusBytes(pid: number, field: "VmRSS" | "VmHWM"): Promise<number> {
  const out = await new Deno.Command("cat", { args: [`/proc/${pid}/status`], stdout: "piped" }).output();
  const status = new TextDecoder().decode(out.stdout);
  const kib = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1];
  if (kib === undefined) throw new Error(`No ${field} in /proc/${pid}/status (is the process gone?)`);
  return Number(kib) * 1024;
}
