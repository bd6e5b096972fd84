/**
 * The bundle's `mosaicod` launcher, rendered from packaging/mosaicod.in with the permission flags of the
 * `start` task read from deno.json (never retyped), so that the bundle runs with exactly what
 * `deno task start` grants; its `--allow-write` list is the one the launcher widens at run time for the data
 * directory. Imports nothing from src/ or tests/.
 *
 * @module
 */

/** The `--allow-*` / `--deny-*` flags of a deno.json task's command, in order. */
export function taskPermissions(config: { tasks?: Record<string, unknown> }, name: string): string[] {
  const task = config.tasks?.[name];
  const command = typeof task === "string" ? task : (task as { command?: string } | undefined)?.command;
  if (typeof command !== "string") throw new Error(`Cannot find the "${name}" task in deno.json`);
  return command.split(/\s+/).filter((token) => /^--(allow|deny)-/.test(token));
}

/** A word for sh, quoted so that nothing in it is expanded. */
export function shQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** What {@link renderLauncher} fills in. */
export interface LauncherValues {
  version: string;
  platform: string;
  denoVersion: string;
  /** npm registry URL the bundled cache belongs to. */
  registry: string;
  /** The start task's permission flags; one must be `--allow-write=<paths>`. */
  permissions: string[];
}

/** The launcher script: the template with every `@NAME@` placeholder replaced (an unknown one throws). */
export function renderLauncher(template: string, values: LauncherValues): string {
  const writes = values.permissions.filter((flag) => flag.startsWith("--allow-write"));
  if (writes.length !== 1 || !writes[0].startsWith("--allow-write=")) {
    throw new Error(`Cannot write the launcher: the start task must have one --allow-write=<paths> flag`);
  }
  const permissions = values.permissions.map((flag) =>
    flag.startsWith("--allow-write=") ? '"--allow-write=$write"' : shQuote(flag)
  );
  const fill: Record<string, string> = {
    VERSION: values.version,
    ARCH: values.platform,
    DENO_VERSION: values.denoVersion,
    REGISTRY: shQuote(values.registry),
    BASE_WRITE: shQuote(writes[0].slice("--allow-write=".length)),
    PERMISSIONS: permissions.join(" "),
  };
  return template.replace(/@([A-Z_]+)@/g, (_, key: string) => {
    const value = fill[key];
    if (value === undefined) throw new Error(`Cannot write the launcher: unknown placeholder @${key}@`);
    return value;
  });
}
