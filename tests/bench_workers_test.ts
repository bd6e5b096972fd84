/**
 * The workers section of `deno task bench` (tasks/bench/workers.ts), on 1 MiB per connection: every way of
 * spreading connections across threads delivers every byte and answers; the acceptor designs spread evenly.
 * And the Deno fact the section's designs rest on: a `Deno.Conn` cannot be handed to a Worker.
 *
 * @module
 */
import assert from "node:assert/strict";
import { benchWorkers, formatSpread } from "../tasks/bench/workers.ts";

Deno.test("Deno.Conn cannot be transferred to a Worker (why one acceptor must relay or hand over an fd)", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  using _client = await Deno.connect({ hostname: "127.0.0.1", port: (listener.addr as Deno.NetAddr).port });
  using conn = await listener.accept();
  const { port1, port2 } = new MessageChannel();
  try {
    assert.throws(
      () => port1.postMessage(conn, [conn as unknown as Transferable]),
      (err: unknown) => err instanceof DOMException && err.name === "DataCloneError",
    );
  } finally {
    port1.close();
    port2.close();
  }
});

Deno.test("formatSpread() counts connections per thread, including idle threads", () => {
  const answers = [{ worker: 1, bytes: 1 }, { worker: 1, bytes: 1 }, { error: "lost" }];
  assert.equal(formatSpread(answers, 3), "0+2+0");
});

Deno.test("benchWorkers() reads every byte with each design; relay and handover alternate threads", async () => {
  const rows = await benchWorkers({ connectionBytes: 1024 ** 2, threads: 2, log: () => {} });
  assert.deepEqual(
    rows.map((r) => `${r.section} ${r.server} ${r.check}`),
    ["reuseport", "relay", "handover"].flatMap((d) => [`workers-2 ${d} ok`, `workers-4 ${d} ok`]),
  );
  for (const row of rows) {
    assert.equal(row.bytes, row.streams * 1024 ** 2);
    const counts = row.spread!.split("+").map(Number);
    assert.equal(counts.reduce((a, b) => a + b), row.streams);
    if (row.server !== "reuseport") assert.deepEqual(counts, [row.streams / 2, row.streams / 2]);
    assert.equal(row.ratio === null, row.server === "reuseport");
  }
});
