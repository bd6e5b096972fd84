/**
 * `mosaicod server`: run the Flight daemon until SIGINT or SIGTERM.
 *
 * @module
 */
import { ENV_VARS, loadConfig, SERVER_OPTIONS } from "../config.ts";
import { createLogger } from "../log.ts";
import { createApp } from "../app.ts";
import { serveWithWorkers } from "../flight_workers.ts";
import { startMemoryRelease } from "../memory_release.ts";
import { checkPathPermissions, explainPermissionError, launcherOf } from "./_permissions.ts";
import type { CliEnv, Command } from "./mod.ts";

const HELP = {
  usage: "mosaicod server [options]",
  summary:
    "Serve Arrow Flight: ingest, catalog and stream robotics data. Stops cleanly on Ctrl-C or SIGTERM.",
  options: SERVER_OPTIONS,
  notes: [
    "S3 store settings (environment only, so secrets stay out of process listings):",
    "  MOSAICOD_STORE_ENDPOINT      http(s) URL of an S3-compatible endpoint (MinIO); unset for AWS",
    "  MOSAICOD_STORE_REGION        region (default us-east-1)",
    "  MOSAICOD_STORE_ACCESS_KEY    access key id",
    "  MOSAICOD_STORE_SECRET_KEY    secret key (never logged)",
    "  MOSAICOD_STORE_TIMEOUT_MS    time limit of one request attempt (default 60s; a duration as above)",
    "  MOSAICOD_STORE_MAX_ATTEMPTS  attempts per request, retries included (default 3)",
    "",
    `Environment variables read: ${ENV_VARS.join(", ")}`,
  ],
};

export const serveCommand: Command = {
  name: "server",
  summary: "run the Flight daemon (what `deno task start` runs)",
  help: HELP,
  async run(cli: CliEnv): Promise<number> {
    const config = loadConfig({ args: cli.args, env: cli.env, isTerminal: cli.isTerminal });
    const launcher = launcherOf(cli.env);
    checkPathPermissions(config, launcher);
    const log = createLogger({ level: config.logLevel, format: config.logFormat });
    const ac = new AbortController();
    const signals = ["SIGINT", "SIGTERM"] as const;
    const onSignal = () => ac.abort();
    for (const sig of signals) Deno.addSignalListener(sig, onSignal);
    // Process-wide, one for every Flight thread, from when the daemon listens: its first trim takes
    // back what startup freed (a first start's initdb above all).
    let release: Disposable | undefined;
    const onListening = () => {
      if (!config.mallocTrim) return;
      release ??= startMemoryRelease({
        onRelease: ({ rssBefore, rssAfter }) =>
          log.debug("memory returned", { rssBeforeMiB: mib(rssBefore), rssAfterMiB: mib(rssAfter) }),
      });
    };
    try {
      if (config.workers > 1) await serveWithWorkers(config, log, ac.signal, onListening);
      else {
        await using app = await createApp(config, log);
        await app.serve({ signal: ac.signal, onListening });
      }
    } catch (err) {
      throw explainPermissionError(err, config, launcher) ?? err;
    } finally {
      release?.[Symbol.dispose]();
      for (const sig of signals) Deno.removeSignalListener(sig, onSignal);
    }
    log.info("stopped");
    return 0;
  },
};

const mib = (bytes: number) => Math.round(bytes / 2 ** 20);
