/**
 * `mosaicod verify [--repair]`: compare the catalog with the object store (`ops/verify.ts`). Prints one
 * line per drift and a summary; exit 0 when there is none, 1 otherwise. `--repair` removes the chunk
 * objects of uploads that never committed to a now locked topic, and nothing else.
 *
 * @module
 */
import { COMMON_OPTIONS } from "../config.ts";
import { verifyStore } from "../ops/verify.ts";
import { openCatalogAndStore } from "./_catalog_and_store.ts";
import type { CliEnv, Command } from "./mod.ts";
import { progressReporter } from "./_progress.ts";

const OPTIONS = {
  ...COMMON_OPTIONS,
  repair: {
    type: "boolean",
    help: "remove chunk objects of uploads that never committed (locked topics only)",
  },
} as const;

const HELP = {
  usage: "mosaicod verify [options]",
  summary: "Compare the catalog with the object store: missing objects, mismatched manifests, sizes and " +
    "statistics, orphan and uncommitted objects. Exit code 1 when anything drifted.",
  options: OPTIONS,
};

export const verifyCommand: Command = {
  name: "verify",
  summary: "compare the catalog with the object store (--repair removes dead uploads)",
  help: HELP,
  async run(cli: CliEnv): Promise<number> {
    await using opened = await openCatalogAndStore(cli, OPTIONS);
    const { catalog, store, log } = opened;
    const report = await verifyStore({ catalog, store }, {
      repair: opened.values.repair === "true",
      onProgress: progressReporter(cli, log, "sequences"),
    });
    for (const d of report.drift) cli.stdout(`${d.kind}: ${d.what}: ${d.detail}`);
    for (const key of report.removed) cli.stdout(`removed: ${key}`);
    const remaining = report.drift.filter((d) => !d.repaired).length;
    cli.stdout(
      `Checked ${report.sequences} sequence(s), ${report.topics} topic(s), ${report.chunks} chunk(s), ` +
        `${report.objects} object(s): ${report.drift.length} drift(s), ${report.removed.length} removed, ` +
        `${report.pendingRemoval} awaiting removal by a job; ${report.sessions} session(s)`,
    );
    return remaining > 0 ? 1 : 0;
  },
};
