import assert from "node:assert/strict";
import { type CliEnv, DAEMON_COMMANDS, runCli, TOOLKIT_COMMANDS } from "./mod.ts";

async function run(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const cli: CliEnv = {
    args,
    env: {},
    isTerminal: false,
    stdout: (l) => out.push(l),
    stderr: (l) => err.push(l),
  };
  return { code: await runCli(cli), out: out.join("\n"), err: err.join("\n") };
}

Deno.test("runCli(): --help lists the daemon and admin commands, then the toolkit's, each with its summary", async () => {
  const top = await run("--help");
  assert.equal(top.code, 0);
  const daemon = top.out.indexOf("Daemon and administration:");
  const toolkit = top.out.indexOf("Toolkit (");
  assert.ok(daemon > 0 && toolkit > daemon, top.out);
  for (
    const [group, start, end] of [[DAEMON_COMMANDS, daemon, toolkit], [
      TOOLKIT_COMMANDS,
      toolkit,
      Infinity,
    ]] as const
  ) {
    for (const entry of group) {
      const at = top.out.indexOf(`\n  ${entry.name} `, start);
      assert.ok(at > start && at < end, `${entry.name} in its group`);
      // The list shows what the command itself says it does.
      assert.equal((await entry.load()).summary, entry.summary, entry.name);
    }
  }
});

Deno.test("runCli(): each toolkit command's --help names the connection options and their variables", async () => {
  for (const entry of TOOLKIT_COMMANDS) {
    const help = await run(entry.name, "--help");
    assert.equal(help.code, 0, entry.name);
    assert.match(help.out, new RegExp(`^Usage: mosaicod ${entry.name} `));
    for (
      const text of [
        "--server <value>",
        "env MOSAICOD_SERVER",
        "default grpc://127.0.0.1:6726",
        "--api-key",
        "env MOSAICOD_API_KEY",
        "--tls-ca",
        "env MOSAICOD_TLS_CA",
        "--json",
        "--quiet",
      ]
    ) {
      assert.ok(help.out.includes(text), `${entry.name} --help: ${text}`);
    }
  }
});
