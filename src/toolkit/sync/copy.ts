/**
 * Moving one session's topics from a source daemon to a target daemon: each topic is read by DoGet and
 * written by DoPut as its batches arrive (never a whole topic in memory), split to the target's message
 * limit, paced by the rate limit, digested on the way ({@link TopicDigest}) and verified once the target
 * locked it: locked, same row count, same schema, and (with `verify: "digest"`) the same digest read back
 * from the target. Also the comparison of a session the target holds without naming this source.
 *
 * Layer: `toolkit/sync`; imports `client/`, `model/` and this folder.
 *
 * @module
 */
import type { Field, Schema } from "apache-arrow";
import type { MosaicoClient, SessionInfo, TopicManifest } from "../../client/mod.ts";
import { SERIALIZATION_FORMATS } from "../../model/types.ts";
import { TopicDigest } from "./digest.ts";
import { sameJson, withoutSource, withSource } from "./plan.ts";
import { splitBatch, type TokenBucket } from "./rate.ts";

/** How a copy is checked: `digest` reads the target's rows back; `rows` trusts its counts and schema. */
export type VerifyMode = "digest" | "rows";

/** A push's conflict or failed check: its sequence fails, the push goes on with the others. */
export class SyncError extends Error {
  override name = "SyncError";
}

/** What a transfer works with. */
export interface TransferContext {
  source: MosaicoClient;
  target: MosaicoClient;
  bucket: TokenBucket | null;
  verify: VerifyMode;
  signal?: AbortSignal;
  /** After each batch the target took: the topic, its rows sent so far, the batch's bytes. */
  onBatch?: (topic: TopicManifest, rows: number, batchBytes: number) => void;
}

/** What a copy moved. */
export interface Moved {
  topics: number;
  rows: number;
  bytes: number;
}

/** A topic's rows as read: schema, row count and digest. */
interface Content {
  schema: Schema;
  rows: number;
  digest: string;
}

function fieldText(f: Field): unknown {
  return [f.name, String(f.type), f.nullable, [...f.metadata], f.type.children?.map(fieldText) ?? []];
}

/** A schema's fields (names, types, nullability, metadata, nested) and metadata as comparable text. */
export function schemaText(schema: Schema | null): string {
  return schema === null ? "null" : JSON.stringify([schema.fields.map(fieldText), [...schema.metadata]]);
}

/** Reads a whole topic through `client` and digests it. */
export async function readContent(client: MosaicoClient, topic: TopicManifest): Promise<Content> {
  using reader = client.flight.doGet(topic.ticket);
  const schema = await reader.schema();
  if (schema === null) throw new SyncError(`Cannot read "${topic.locator}": it has no schema`);
  const digest = new TopicDigest(schema);
  for await (const batch of reader) digest.update(batch);
  return { schema, rows: digest.rows, digest: digest.digest() };
}

/** Uploads one topic from the source into the target topic `topicUuid`; answers what was read and sent. */
async function copyTopic(ctx: TransferContext, topic: TopicManifest, topicUuid: string) {
  using reader = ctx.source.flight.doGet(topic.ticket);
  const schema = await reader.schema();
  if (schema === null) throw new SyncError(`Cannot read "${topic.locator}" at the source: it has no schema`);
  const digest = new TopicDigest(schema);
  // Half the target's limit leaves room for IPC framing; a rate limit wants pieces of ~1/8 s.
  const rateBytes = ctx.bucket === null ? Infinity : Math.max(65_536, ctx.bucket.bytesPerS / 8);
  const maxBytes = Math.min(ctx.target.server.maxDecodeBytes / 2, rateBytes);
  const { bucket, signal } = ctx;
  async function* pieces() {
    for await (const batch of reader) {
      digest.update(batch);
      for (const piece of splitBatch(batch, maxBytes)) {
        signal?.throwIfAborted();
        await bucket?.take(piece.bytes, signal);
        yield piece.batch;
      }
    }
  }
  let rows = 0;
  let bytes = 0;
  await ctx.target.putTopic(topic.locator, topicUuid, schema, pieces(), {
    onBatch: (r, b) => {
      rows += r;
      bytes += b;
      ctx.onBatch?.(topic, rows, b);
    },
  });
  if (digest.rows !== topic.rows) {
    throw new SyncError(
      `The source's "${topic.locator}" changed while it was read: ${digest.rows} rows, ` +
        `${topic.rows} described`,
    );
  }
  return { content: { schema, rows: digest.rows, digest: digest.digest() }, bytes };
}

/** Checks the target's copy of a topic against what was sent. @throws SyncError */
async function verifyTopic(ctx: TransferContext, sent: Content, locator: string): Promise<void> {
  const held = await ctx.target.topicInfo(locator);
  const fail = (why: string) => new SyncError(`Verification of "${locator}" failed: ${why}`);
  if (!held.locked) throw fail("the target did not lock it");
  if (held.rows !== sent.rows) throw fail(`the target holds ${held.rows} rows, ${sent.rows} were sent`);
  if (schemaText(held.schema) !== schemaText(sent.schema)) throw fail("the target's schema differs");
  if (ctx.verify === "rows") return;
  const back = await readContent(ctx.target, held);
  if (back.digest !== sent.digest) {
    throw fail(`the target's rows digest ${back.digest}, ${sent.digest} was sent`);
  }
}

/**
 * Copies a finalized source session into a new session of the target's `sequence` (deleting first the target
 * sessions in `clear`), verifies every topic, then finalizes. A copy that fails a check is deleted from
 * the target; one cut by the link stays unfinalized, for the next push to clear.
 * @throws SyncError, ClientError
 */
export async function copySession(
  ctx: TransferContext,
  plan: { sequence: string; session: SessionInfo; topics: TopicManifest[]; clear: string[] },
): Promise<Moved> {
  for (const locator of plan.clear) await ctx.target.deleteSession(locator);
  const session = await ctx.target.createSession(plan.sequence);
  try {
    const uuids: string[] = [];
    for (const t of plan.topics) {
      const format = SERIALIZATION_FORMATS.find((f) => f === t.serializationFormat);
      if (format === undefined) {
        throw new SyncError(
          `Cannot copy "${t.locator}": unknown serialization format "${t.serializationFormat}"`,
        );
      }
      uuids.push(
        await ctx.target.createTopic({
          locator: t.locator,
          sessionUuid: session.uuid,
          ontologyTag: t.ontologyTag,
          serializationFormat: format,
          userMetadata: withSource(t.userMetadata, plan.session.locator),
        }),
      );
    }
    const moved: Moved = { topics: 0, rows: 0, bytes: 0 };
    for (const [i, t] of plan.topics.entries()) {
      const { content, bytes } = await copyTopic(ctx, t, uuids[i]);
      await verifyTopic(ctx, content, t.locator);
      moved.topics++;
      moved.rows += content.rows;
      moved.bytes += bytes;
    }
    await ctx.target.finalizeSession(session.uuid);
    return moved;
  } catch (err) {
    if ((err instanceof SyncError || ctx.signal?.aborted) && session.locator !== null) {
      await ctx.target.deleteSession(session.locator).catch(() => {}); // the next push clears it otherwise
    }
    throw err;
  }
}

/**
 * Compares a source session with the target session holding its topic names (not marked as its copy):
 * tags, formats, metadata, rows, schemas and digests. Equal: nothing to do. @throws SyncError if not.
 */
export async function compareSession(
  ctx: TransferContext,
  plan: { topics: TopicManifest[]; target: string; targetTopics: TopicManifest[] },
): Promise<void> {
  const held = new Map(plan.targetTopics.map((t) => [t.locator, t]));
  for (const mine of plan.topics) {
    const theirs = held.get(mine.locator)!;
    const differ = (what: string) =>
      new SyncError(
        `The target already holds "${mine.locator}" (session "${plan.target}") with other ${what}`,
      );
    if (mine.ontologyTag !== theirs.ontologyTag) throw differ("ontology tag");
    if (mine.serializationFormat !== theirs.serializationFormat) throw differ("serialization format");
    if (!sameJson(withoutSource(mine.userMetadata), withoutSource(theirs.userMetadata))) {
      throw differ("metadata");
    }
    if (mine.rows !== theirs.rows) throw differ(`rows (${theirs.rows}, not ${mine.rows})`);
    const [a, b] = [await readContent(ctx.source, mine), await readContent(ctx.target, theirs)];
    if (schemaText(a.schema) !== schemaText(b.schema)) throw differ("schema");
    if (a.digest !== b.digest) throw differ("data (digest)");
  }
}
