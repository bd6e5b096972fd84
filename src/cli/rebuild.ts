/**
 * `mosaicod rebuild`: build the catalog again from the object store (`ops/rebuild.ts`), into an empty,
 * missing or partly filled database. Progress on stderr (a bar on a terminal, a log line every few
 * seconds otherwise); a summary on stdout. Exit 0 when everything was restored, 1 when problems were found.
 *
 * @module
 */
import { COMMON_OPTIONS } from "../config.ts";
import { rebuildCatalog, type RebuildReport } from "../ops/rebuild.ts";
import { openCatalogAndStore } from "./_catalog_and_store.ts";
import type { CliEnv, Command } from "./mod.ts";
import { progressReporter } from "./_progress.ts";

const OPTIONS = {
  ...COMMON_OPTIONS,
  "dry-run": { type: "boolean", help: "read and check the store, write nothing to the catalog" },
} as const;

const HELP = {
  usage: "mosaicod rebuild [options]",
  summary:
    "Rebuild the catalog from the object store: sequences, topics, schemas and committed chunks, with their " +
    "keys, metadata and lock states. Safe to run again; what the catalog already holds is kept.",
  options: OPTIONS,
};

export const rebuildCommand: Command = {
  name: "rebuild",
  summary: "rebuild the catalog from the object store",
  help: HELP,
  async run(cli: CliEnv): Promise<number> {
    await using opened = await openCatalogAndStore(cli, OPTIONS);
    const { catalog, store, log } = opened;
    const dryRun = opened.values["dry-run"] === "true";
    const started = performance.now();
    const report = await rebuildCatalog({ catalog, store, log }, {
      dryRun,
      onProgress: progressReporter(cli, log, "sequences"),
    });
    for (const line of summary(report, dryRun, performance.now() - started)) cli.stdout(line);
    for (const problem of report.problems) cli.stderr(`problem: ${problem}`);
    return report.problems.length ? 1 : 0;
  },
};

function summary(r: RebuildReport, dryRun: boolean, ms: number): string[] {
  return [
    `${
      dryRun ? "Would rebuild" : "Rebuilt"
    } ${r.sequences} sequence(s), ${r.topics} topic(s), ${r.chunks} chunk(s), ` +
    `${r.bytes} bytes of data in ${(ms / 1000).toFixed(1)} s`,
    `Restored ${r.sessions} session(s), ${r.notifications} notification(s) and ${r.layers} layer(s)`,
    `Already in the catalog: ${r.alreadyPresent} sequence(s) and topic(s); problems found: ${r.problems.length}`,
  ];
}
