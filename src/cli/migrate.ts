/**
 * `mosaicod migrate`: apply pending catalog migrations and report them. The server also migrates at
 * start; this command lets an operator do it ahead of a rollout.
 *
 * @module
 */
import { COMMON_OPTIONS, loadLogConfig, loadStorageConfig, readOptions } from "../config.ts";
import { createLogger } from "../log.ts";
import { openDriver } from "../catalog/catalog.ts";
import { migrate } from "../catalog/migrate.ts";
import type { CliEnv, Command } from "./mod.ts";

const HELP = {
  usage: "mosaicod migrate [options]",
  summary: "Apply pending catalog migrations (embedded catalog or PostgreSQL) and list what was applied.",
  options: COMMON_OPTIONS,
};

export const migrateCommand: Command = {
  name: "migrate",
  summary: "apply catalog migrations",
  help: HELP,
  async run(cli: CliEnv): Promise<number> {
    const v = readOptions(COMMON_OPTIONS, cli);
    const { catalog: config } = loadStorageConfig(v, cli.env);
    const { logLevel, logFormat } = loadLogConfig(v, cli.isTerminal);
    const log = createLogger({ level: logLevel, format: logFormat });
    const driver = await openDriver(config, { log });
    let applied: string[];
    try {
      ({ applied } = await migrate(driver, log));
    } finally {
      await driver.close();
    }
    cli.stdout(
      applied.length
        ? `Applied ${applied.length} migration(s): ${applied.join(", ")}`
        : "Catalog is up to date",
    );
    return 0;
  },
};
