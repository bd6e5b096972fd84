/**
 * `mosaicod sync --to URL [--every 5m]`: pushes every sequence of the source (`--server`) to the target,
 * as `mosaicod push` does for the ones it names: one pass, or with `--every` a pass at that interval until
 * SIGINT or SIGTERM, which stops the current transfer (the next run resumes it) and exits 0. In a loop a
 * pass that stops (the link is down, say) is reported and the next one tries again.
 *
 * @module
 */
import { ConfigError, describeError } from "../errors.ts";
import { readDuration } from "../model/duration.ts";
import { PUSH_OPTIONS } from "./_push_options.ts";
import { parseToolkitArgs, TOOLKIT_OPTIONS } from "./_toolkit.ts";
import type { CliEnv, Command } from "./mod.ts";
import { passSettings, runPass } from "./push.ts";

const USAGE = "mosaicod sync --to grpc://host:port [--every 5m] [--limit-rate 10M] [options]";

const OPTIONS = {
  ...PUSH_OPTIONS,
  every: {
    type: "string",
    help: "run a pass at this interval (1s to 30d: 30s, 5m, 1h) until SIGINT or SIGTERM (default: one pass)",
  },
} as const;

const MAX_EVERY_MS = 30 * 86_400_000;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

export const syncCommand: Command = {
  name: "sync",
  summary: "push every finalized sequence to another daemon, once or --every interval",
  help: {
    usage: USAGE,
    summary: "Push every sequence of the daemon of --server to the daemon of --to (see `mosaicod push " +
      "--help`: what the target holds is skipped, cut transfers resume, copies are verified). Without " +
      "--every, one pass; with it, a pass at that interval, new finalized sessions going out as they " +
      "appear, until SIGINT or SIGTERM.",
    options: { ...TOOLKIT_OPTIONS, ...OPTIONS },
    notes: [
      "Examples: mosaicod sync --to grpc://fleet:6726",
      "          mosaicod sync --to grpc+tls://fleet:6726 --to-api-key $TOKEN --every 5m --limit-rate 1M",
      "Exit code 1 when a single pass failed; a loop exits 0 when a signal stops it.",
    ],
  },
  async run(cli: CliEnv): Promise<number> {
    const args = parseToolkitArgs(cli, OPTIONS, { min: 0, max: 0, usage: USAGE });
    passSettings(args.values);
    const all = async (source: { listSequences(): Promise<string[]> }) =>
      (await source.listSequences()).sort();
    if (args.values.every === undefined) {
      const summary = await runPass(cli, args, all);
      return summary.failed > 0 ? 1 : 0;
    }
    const every = readDuration(args.values.every, 1000, MAX_EVERY_MS);
    if (!every.ok) throw new ConfigError(`--every ${every.problem}, got "${args.values.every}"`);
    const stop = new AbortController();
    const onSignal = () => stop.abort(new Error("Stopped by a signal"));
    const signals = ["SIGINT", "SIGTERM"] as const;
    for (const s of signals) Deno.addSignalListener(s, onSignal);
    try {
      while (!stop.signal.aborted) {
        try {
          await runPass(cli, args, all, stop.signal);
        } catch (err) {
          if (stop.signal.aborted) break;
          cli.stderr(`mosaicod sync: ${describeError(err)}; next pass in ${args.values.every}`);
        }
        await sleep(every.ms, stop.signal);
      }
    } finally {
      for (const s of signals) Deno.removeSignalListener(s, onSignal);
    }
    if (!args.quiet) cli.stderr("mosaicod sync: stopped");
    return 0;
  },
};
