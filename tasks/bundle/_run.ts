/**
 * Running the programs a bundle build needs (deno, tar) to completion, their failure as one error with the
 * command line and stderr. Imports nothing.
 *
 * @module
 */

/** Runs a program to completion; a failure throws with its stderr. */
export async function run(program: string, args: string[], opts: Deno.CommandOptions = {}): Promise<string> {
  const out = await new Deno.Command(program, {
    ...opts,
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  if (!out.success) {
    throw new Error(
      `Cannot run "${program} ${args.join(" ")}" (exit ${out.code}):\n${dec.decode(out.stderr)}`,
    );
  }
  return dec.decode(out.stdout);
}
