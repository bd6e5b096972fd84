/**
 * The event subscription below the wire (`src/read/events.ts`) over real catalogs: embedded PGlite and
 * PostgreSQL (which notify), and the worker-thread proxy of the embedded catalog (which cannot: polling).
 * The catalogs are only observed (listeners and reads counted), never replaced.
 */
import assert from "node:assert/strict";
import type { RecordBatch, Schema } from "apache-arrow";
import type { Catalog } from "../src/catalog/catalog.ts";
import { remoteCatalog, serveCatalog } from "../src/catalog/remote.ts";
import { CancelledError, FailedPreconditionError, UnavailableError } from "../src/errors.ts";
import { silentLogger } from "../src/log.ts";
import { EVENT_STREAM_SCHEMA, type EventSubscription, openEventStream } from "../src/read/mod.ts";
import { freshPgliteCatalog, freshPostgresCatalog } from "./_postgres.ts";
import { zeroOneSequence } from "./_catalog_fixtures.ts";

/** The catalog, with its event listeners and finished event reads counted. */
function observed(catalog: Catalog) {
  const counts = { listening: 0, reads: 0 };
  const proxy = new Proxy(catalog, {
    get(target, prop) {
      if (prop === "listen") {
        return async (channel: "events" | "jobs", wake: () => void) => {
          const stop = await target.listen(channel, wake);
          if (stop === null) return null;
          counts.listening++;
          return async () => {
            counts.listening--;
            await stop();
          };
        };
      }
      if (prop === "listEvents") {
        return async (afterId: number, limit: number) => {
          const page = await target.listEvents(afterId, limit);
          counts.reads++;
          return page;
        };
      }
      return Reflect.get(target, prop, target);
    },
  });
  return { catalog: proxy, counts };
}

async function createSequences(catalog: Catalog, names: string[]) {
  const out = [];
  for (const name of names) {
    out.push(
      await zeroOneSequence(catalog, name),
    );
  }
  return out;
}

function rows(batch: RecordBatch): { id: number; kind: string; sequence: string }[] {
  return batch.toArray().map((r) => {
    const row = r.toJSON();
    return { id: Number(row.id), kind: row.kind, sequence: row.sequence };
  });
}

const sub = (afterId: number, more: Partial<EventSubscription> = {}): EventSubscription => ({
  afterId,
  follow: false,
  kinds: null,
  ...more,
});

async function until(what: string, predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`still not ${what} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Rejects when `p` has not settled within `ms`. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

const log = silentLogger();
/** Long enough that only a notification (or a signal) can end a follower's wait within a test. */
const NEVER_MS = 60_000;

for (
  const [driver, makeCatalog] of [["pglite", freshPgliteCatalog], ["postgres", freshPostgresCatalog]] as const
) {
  Deno.test(`openEventStream() (${driver}): pages through the log in id order, by kind, within the batch size`, async () => {
    await using catalog = await makeCatalog();
    const seqs = await createSequences(catalog, ["s1", "s2", "s3", "s4", "s5", "s6", "s7"]);
    await catalog.deleteSequence(seqs[1].id);
    await catalog.deleteSequence(seqs[4].id);
    const signal = new AbortController().signal;
    const read = async (
      s: EventSubscription,
      opts: { pageSize?: number; targetBatchBytes?: number } = {},
    ) => {
      const batches = [];
      const deps = { catalog, log, targetBatchBytes: opts.targetBatchBytes };
      for await (const b of await openEventStream(deps, s, { signal, pageSize: opts.pageSize })) {
        const fields = (schema: Schema) => schema.fields.map((f) => `${f.name}: ${f.type} ${f.nullable}`);
        assert.deepEqual(fields(b.schema), fields(EVENT_STREAM_SCHEMA));
        batches.push(rows(b));
      }
      return batches;
    };
    const all = await read(sub(0), { pageSize: 3 });
    assert.deepEqual(all.map((b) => b.length), [3, 3, 3]);
    assert.deepEqual(all.flat().map((e) => e.id), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual(all.flat().slice(-2).map((e) => [e.kind, e.sequence]), [
      ["sequence.deleted", "s2"],
      ["sequence.deleted", "s5"],
    ]);
    assert.deepEqual((await read(sub(4), { pageSize: 1000 })).flat().map((e) => e.id), [5, 6, 7, 8, 9]);
    assert.deepEqual(await read(sub(9)), [], "caught up: nothing, and the stream ends");
    // Each event over the byte target goes alone; a filtered page sends only its matches.
    assert.deepEqual((await read(sub(0), { targetBatchBytes: 1 })).map((b) => b.length), Array(9).fill(1));
    const deleted = await read(sub(0, { kinds: ["sequence.deleted"] }), { pageSize: 2 });
    assert.deepEqual(deleted.map((b) => b.map((e) => e.id)), [[8], [9]]);
  });

  Deno.test(`openEventStream() (${driver}): a position in another event log is refused, not mis-resumed`, async () => {
    await using catalog = await makeCatalog();
    await createSequences(catalog, ["a", "b"]);
    const signal = new AbortController().signal;
    const current = await catalog.eventLogId();
    assert.match(current, /^[0-9a-f-]{36}$/);
    const rows: number[] = [];
    for await (const b of await openEventStream({ catalog, log }, sub(1, { log: current }), { signal })) {
      rows.push(...Array.from(b.getChild("id")!.toArray() as BigInt64Array, Number));
    }
    assert.deepEqual(rows, [2]);
    await assert.rejects(
      openEventStream({ catalog, log }, sub(1, { log: crypto.randomUUID() }), { signal }),
      (err: unknown) =>
        err instanceof FailedPreconditionError &&
        /this catalog's event log is .*subscribe again/.test(err.message),
    );
  });

  Deno.test(`openEventStream() (${driver}): a follower is woken by the catalog's notification`, async () => {
    await using real = await makeCatalog();
    const { catalog, counts } = observed(real);
    const ac = new AbortController();
    const opts = { signal: ac.signal, pollMs: NEVER_MS, safetyPollMs: NEVER_MS };
    const stream = await openEventStream({ catalog, log }, sub(0, { follow: true }), opts);
    const it = stream[Symbol.asyncIterator]();
    const next = it.next();
    await until("waiting", () => counts.reads === 1);
    assert.equal(counts.listening, 1);
    await createSequences(real, ["woken"]);
    const got = await within(next, 5000, "notified follower");
    assert.deepEqual(rows(got.value!), [{ id: 1, kind: "sequence.created", sequence: "woken" }]);
    // Cancelled while waiting: ends at once with CancelledError, listener removed.
    const waiting = it.next();
    await until("waiting again", () => counts.reads === 2);
    ac.abort();
    await assert.rejects(within(waiting, 1000, "cancelled follower"), CancelledError);
    assert.equal(counts.listening, 0);
  });

  Deno.test(`openEventStream() (${driver}): stopping ends a waiting follower, not a catch-up`, async () => {
    await using real = await makeCatalog();
    const { catalog, counts } = observed(real);
    await createSequences(real, ["a", "b"]);
    const stopping = new AbortController();
    const opts = { signal: new AbortController().signal, stopping: stopping.signal, safetyPollMs: NEVER_MS };
    const it = (await openEventStream({ catalog, log }, sub(0, { follow: true }), opts))
      [Symbol.asyncIterator]();
    assert.deepEqual(rows((await it.next()).value!).map((e) => e.id), [1, 2]);
    const waiting = it.next();
    await until("waiting", () => counts.reads === 1);
    stopping.abort();
    await assert.rejects(
      within(waiting, 1000, "stopped follower"),
      (err: Error) =>
        err instanceof UnavailableError && /shutting down; resume after id 2$/.test(err.message),
    );
    assert.equal(counts.listening, 0);
    // A stream that ends by itself finishes its catch-up although the server is stopping.
    const caughtUp = [];
    for await (const b of await openEventStream({ catalog, log }, sub(0), opts)) caughtUp.push(...rows(b));
    assert.deepEqual(caughtUp.map((e) => e.id), [1, 2]);
  });

  Deno.test(`openEventStream() (${driver}): a consumer that stops reading releases the listener`, async () => {
    await using real = await makeCatalog();
    const { catalog, counts } = observed(real);
    await createSequences(real, ["a", "b", "c"]);
    const opts = { signal: new AbortController().signal, pageSize: 1, safetyPollMs: NEVER_MS };
    for await (const b of await openEventStream({ catalog, log }, sub(0, { follow: true }), opts)) {
      assert.equal(counts.listening, 1);
      assert.equal(rows(b)[0].id, 1);
      break;
    }
    assert.equal(counts.listening, 0);
  });

  Deno.test(`openEventStream() (${driver}): refuses to resume beyond the newest event, or once cancelled`, async () => {
    await using catalog = await makeCatalog();
    await createSequences(catalog, ["a"]);
    const signal = new AbortController().signal;
    await assert.rejects(
      openEventStream({ catalog, log }, sub(2), { signal }),
      (err: Error) =>
        err instanceof FailedPreconditionError &&
        err.message === "Cannot resume events after id 2: the newest event is 1 (was the catalog replaced?)",
    );
    await openEventStream({ catalog, log }, sub(1), { signal });
    await assert.rejects(
      openEventStream({ catalog, log }, sub(0), { signal: AbortSignal.abort() }),
      CancelledError,
    );
  });
}

Deno.test("openEventStream() (pglite): a catalog failure ends the stream with its error and removes the listener", async () => {
  const real = await freshPgliteCatalog();
  const { catalog, counts } = observed(real);
  const opts = { signal: new AbortController().signal, safetyPollMs: 50 };
  const it = (await openEventStream({ catalog, log }, sub(0, { follow: true }), opts))
    [Symbol.asyncIterator]();
  const next = it.next();
  await until("waiting", () => counts.reads === 1);
  await real.close();
  await assert.rejects(within(next, 5000, "failing follower"));
  assert.equal(counts.listening, 0);
});

Deno.test("openEventStream() through the worker-thread catalog proxy polls, since it cannot listen", async () => {
  await using real = await freshPgliteCatalog();
  const channel = new MessageChannel();
  serveCatalog(real, channel.port1);
  const remote = remoteCatalog(channel.port2);
  try {
    const { catalog, counts } = observed(remote);
    const ac = new AbortController();
    const opts = { signal: ac.signal, pollMs: 100, safetyPollMs: NEVER_MS };
    const it = (await openEventStream({ catalog, log }, sub(0, { follow: true }), opts))
      [Symbol.asyncIterator]();
    const next = it.next();
    await until("polling", () => counts.reads >= 3, 2000);
    assert.equal(counts.listening, 0, "no listener: the proxy cannot carry callbacks");
    await createSequences(real, ["polled"]);
    assert.deepEqual(rows((await within(next, 2000, "polling follower")).value!).map((e) => e.sequence), [
      "polled",
    ]);
    const waiting = it.next();
    ac.abort();
    await assert.rejects(waiting, CancelledError);
  } finally {
    await remote.close();
    channel.port1.close();
  }
});
