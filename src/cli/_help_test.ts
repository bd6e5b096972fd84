import assert from "node:assert/strict";
import { SERVER_OPTIONS } from "../config.ts";
import { renderHelp } from "./_help.ts";

Deno.test("renderHelp() says that *-ms options take durations and shows their defaults in a unit", () => {
  const help = renderHelp({ usage: "mosaicod server", summary: "serve", options: SERVER_OPTIONS });
  assert.match(
    help,
    /Options ending in -ms, and their variables, take milliseconds, or a number with a unit/,
  );
  assert.match(help, /--event-retention-ms <value> .*default 2592000000 = 30d\)/);
  assert.match(help, /--compaction-grace-ms <value> .*default 600000 = 10m\)/);
  assert.match(help, /--deletion-retention-ms <value> .*default 0\)/);
  const plain = renderHelp({ usage: "x", summary: "y", options: { port: SERVER_OPTIONS.port } });
  assert.ok(!plain.includes("-ms"), "no duration note without a duration option");
});
