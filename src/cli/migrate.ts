/**
 * `mosaicod migrate`: apply pending catalog migrations and report them. The server also migrates at
 * start; this command lets an operator do it ahead of a rollout.
 *
 * @module
 */
import { COMMON_OPTIONS, loadLogConfig, loadStorageConfig, readOptions } from "../config.ts";
import { createLogger } from "../log.ts";
import { Catalog } from "../catalog/catalog.ts";
import { renderHelp, wantsHelp } from "./_help.ts";
import type { CliEnv, Command } from "./mod.ts";

const HELP = {
  usage: "mosaicod migrate [options]",
  summary: "Apply pending catalog migrations (embedded catalog or PostgreSQL) and list what was applied.",
  options: COMMON_OPTIONS,
};

export const migrateCommand: Command = {
  name: "migrate",
  summary: "apply catalog migrations",
  async run(cli: CliEnv): Promise<number> {
    if (wantsHelp(cli.args)) {
      cli.stdout(renderHelp(HELP));
      return 0;
    }
    const v = readOptions(COMMON_OPTIONS, cli);
    const { catalog: config } = loadStorageConfig(v, cli.env);
    const { logLevel, logFormat } = loadLogConfig(v, cli.isTerminal);
    const log = createLogger({ level: logLevel, format: logFormat });
    await using catalog = await Catalog.open(config, { log, migrate: false });
    const { applied } = await catalog.migrate();
    cli.stdout(
      applied.length
        ? `Applied ${applied.length} migration(s): ${applied.join(", ")}`
        : "Catalog is up to date",
    );
    return 0;
  },
};
