import assert from "node:assert/strict";
import { createLogger } from "./log.ts";

function collect(format: "json" | "pretty", level: "debug" | "info" | "warn" | "error" = "info") {
  const lines: string[] = [];
  const log = createLogger({ format, level, sink: (l) => lines.push(l), now: () => new Date(0) });
  return { log, lines };
}

Deno.test("log: JSON lines carry level, message, child fields and bigint values", () => {
  const { log, lines } = collect("json");
  log.child({ component: "flight" }).info("chunk committed", { rows: 3, startNs: 12n });
  assert.deepEqual(JSON.parse(lines[0]), {
    time: "1970-01-01T00:00:00.000Z",
    level: "info",
    msg: "chunk committed",
    component: "flight",
    rows: 3,
    startNs: "12",
  });
});

Deno.test("log: levels below the minimum are dropped", () => {
  const { log, lines } = collect("json", "warn");
  log.debug("d");
  log.info("i");
  log.warn("w");
  log.error("e");
  assert.deepEqual(lines.map((l) => JSON.parse(l).msg), ["w", "e"]);
});

Deno.test("log: secrets are never written, in either format", () => {
  for (const format of ["json", "pretty"] as const) {
    const { log, lines } = collect(format);
    log.info("connecting", {
      secretAccessKey: "S3CR3T",
      password: "hunter2",
      authorization: "Bearer x",
      host: "db",
    });
    assert.ok(!/S3CR3T|hunter2|Bearer x/.test(lines[0]), lines[0]);
    assert.match(lines[0], /db/);
  }
});

Deno.test("log: errors are written with name, message and cause", () => {
  const { log, lines } = collect("json");
  log.error("unexpected error", { err: new Error("outer", { cause: new Error("inner") }) });
  const entry = JSON.parse(lines[0]);
  assert.equal(entry.err.message, "outer");
  assert.equal(entry.err.cause.message, "inner");
});
