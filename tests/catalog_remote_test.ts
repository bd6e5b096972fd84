/**
 * The catalog across threads (`src/catalog/remote.ts`): calls through a MessagePort give the same values
 * as direct calls, exact JSON integers included, and errors keep their class.
 */
import assert from "node:assert/strict";
import { remoteCatalog, serveCatalog } from "../src/catalog/remote.ts";
import { NotFoundError, UnavailableError } from "../src/errors.ts";
import { parseJsonExact } from "../src/model/json.ts";
import { freshPgliteCatalog } from "./_postgres.ts";
import { zeroOneSequenceInput } from "./_catalog_fixtures.ts";

/** JSON text with exact integers kept and bigints spelled `<digits>n`. */
const exactJson = (value: unknown) => JSON.stringify(value, (_key, v) => typeof v === "bigint" ? `${v}n` : v);

Deno.test("remoteCatalog() answers like the catalog it fronts, exact integers and error classes included", async () => {
  await using catalog = await freshPgliteCatalog();
  const channel = new MessageChannel();
  serveCatalog(catalog, channel.port1);
  const remote = remoteCatalog(channel.port2);
  try {
    const meta = parseJsonExact(
      '{"id": 18446744073709551615, "tags": ["a"], "nested": {"ns": -9007199254740993}}',
    );
    const created = await remote.createSequence(
      zeroOneSequenceInput("run", { userMetadata: meta, createdNs: 2n ** 62n + 5n }),
    );
    assert.equal(created.createdNs, 2n ** 62n + 5n);
    assert.equal(JSON.stringify(created.userMetadata), JSON.stringify(meta));
    const direct = await catalog.getSequence("run");
    const viaPort = await remote.getSequence("run");
    assert.equal(exactJson(viaPort), exactJson(direct));
    const session = await remote.getSessionByUuid(created.uuid);
    assert.deepEqual(session, await catalog.getSessionByUuid(created.uuid));
    assert.equal(session?.createdNs, 2n ** 62n + 5n);
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
