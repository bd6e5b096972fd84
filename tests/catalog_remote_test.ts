/**
 * The catalog across threads (`src/catalog/remote.ts`): calls through a MessagePort give the same values
 * as direct calls, exact JSON integers included, and errors keep their class.
 */
import assert from "node:assert/strict";
import { remoteCatalog, serveCatalog } from "../src/catalog/remote.ts";
import { NotFoundError, UnavailableError } from "../src/errors.ts";
import { parseJsonExact } from "../src/model/json.ts";
import { freshPgliteCatalog } from "./_postgres.ts";

Deno.test("remoteCatalog() answers like the catalog it fronts, exact integers and error classes included", async () => {
  await using catalog = await freshPgliteCatalog();
  const channel = new MessageChannel();
  serveCatalog(catalog, channel.port1);
  const remote = remoteCatalog(channel.port2);
  try {
    const meta = parseJsonExact(
      '{"id": 18446744073709551615, "tags": ["a"], "nested": {"ns": -9007199254740993}}',
    );
    const created = await remote.createSequence({
      uuid: crypto.randomUUID(),
      name: "run",
      userMetadata: meta,
      createdMs: 5,
    });
    assert.equal(JSON.stringify(created.userMetadata), JSON.stringify(meta));
    const direct = await catalog.getSequence("run");
    const viaPort = await remote.getSequence("run");
    assert.equal(JSON.stringify(viaPort), JSON.stringify(direct));
    assert.equal(await remote.getSequence("missing"), null);
    await assert.rejects(remote.deleteSequence(987654), NotFoundError);
    await assert.rejects(
      (remote as unknown as Record<string, () => Promise<unknown>>).noSuchMethod(),
      /Catalog has no method "noSuchMethod"/,
    );
  } finally {
    await remote.close();
    channel.port1.close();
  }
  await assert.rejects(remote.getSequence("run"), UnavailableError);
});
