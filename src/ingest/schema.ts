/**
 * The schema side of an upload: what an upload schema must hold, the topic's schema snapshot (written
 * by its first upload, then the reference every later upload must match exactly), and per-batch checks.
 *
 * @module
 */
import { DataType, type Field, type RecordBatch, Schema } from "apache-arrow";
import { decodeEncapsulatedSchema, encodeEncapsulatedSchema, unsupportedField } from "../arrow/ipc.ts";
import { TIMESTAMP_COLUMN } from "../arrow/stats.ts";
import { FailedPreconditionError, InvalidArgumentError } from "../errors.ts";
import { schemaKey } from "../model/store_layout.ts";
import type { Topic } from "../model/types.ts";
import type { IngestDeps } from "./upload.ts";

/**
 * Checks the rules every upload schema follows: a top-level signed int64 `timestamp_ns`, no
 * dictionary-encoded field at any depth, and only types record batches can carry here (no unions or
 * view types), so that a schema accepted is one whose batches can be read.
 * @throws InvalidArgumentError `Invalid schema for topic "x": …`.
 */
export function validateUploadSchema(topicName: string, schema: Schema): void {
  const invalid = (why: string) =>
    new InvalidArgumentError(`Invalid schema for topic "${topicName}": ${why}`);
  const ts = schema.fields.find((f) => f.name === TIMESTAMP_COLUMN);
  if (!ts) throw invalid(`missing "${TIMESTAMP_COLUMN}" field`);
  if (!DataType.isInt(ts.type) || ts.type.bitWidth !== 64 || !ts.type.isSigned) {
    throw invalid(`"${TIMESTAMP_COLUMN}" must be int64, got ${ts.type}`);
  }
  const dictionary = findDictionary(schema.fields, "");
  if (dictionary !== null || schema.dictionaries.size > 0) {
    throw invalid(`field "${dictionary ?? "?"}" is dictionary-encoded, which is not supported`);
  }
  const unsupported = unsupportedField(schema.fields);
  if (unsupported !== null) throw invalid(`field ${unsupported} has a type that is not supported`);
}

function findDictionary(fields: readonly Field[], prefix: string): string | null {
  for (const f of fields) {
    const path = prefix + f.name;
    if (DataType.isDictionary(f.type)) return path;
    const inner = findDictionary(f.type.children ?? [], `${path}.`);
    if (inner !== null) return inner;
  }
  return null;
}

/** The same fields without schema-level metadata: the form chunks and the snapshot store. */
export function stripSchemaMetadata(schema: Schema): Schema {
  return schema.metadata.size === 0 ? schema : new Schema(schema.fields, new Map(), schema.dictionaries);
}

/**
 * Canonical bytes of a schema for comparison: an IPC round trip (so a schema read
 * back from the store and one decoded from the wire encode alike), schema-level metadata dropped,
 * field metadata sorted by key at every depth.
 */
export function normalisedSchemaBytes(schema: Schema): Uint8Array {
  const copy = decodeEncapsulatedSchema(encodeEncapsulatedSchema(stripSchemaMetadata(schema)));
  sortMetadata(copy.fields);
  return encodeEncapsulatedSchema(copy);
}

function sortMetadata(fields: readonly Field[]): void {
  for (const f of fields) {
    // `copy` above is a private decoded instance, so rewriting its fields in place is safe.
    (f as { metadata: Map<string, string> }).metadata = new Map(
      [...f.metadata].sort(([a], [b]) => a < b ? -1 : 1),
    );
    sortMetadata(f.type.children ?? []);
  }
}

/**
 * Makes sure the topic has a schema snapshot equal to `schema`: writes it on the first upload (object
 * first, then the catalog), compares with it afterwards. Returns the topic as it is now.
 * @throws InvalidArgumentError when `schema` differs from the snapshot (nothing written);
 *   FailedPreconditionError when the topic was locked meanwhile or got another schema concurrently.
 */
export async function ensureSchemaSnapshot(
  deps: IngestDeps,
  topic: Topic,
  opts: { schema: Schema; signal?: AbortSignal },
): Promise<Topic> {
  const wanted = normalisedSchemaBytes(opts.schema);
  // Re-read: another daemon may have uploaded since the upload was opened.
  const current = await deps.catalog.getTopicByUuid(topic.uuid) ?? topic;
  if (current.locked) {
    throw new FailedPreconditionError(`Topic "${topic.name}" is locked: its data was already uploaded`);
  }
  if (current.schemaKey !== null) {
    const stored = decodeEncapsulatedSchema(await deps.store.get(current.schemaKey, { signal: opts.signal }));
    if (!bytesEqual(normalisedSchemaBytes(stored), wanted)) {
      throw new InvalidArgumentError(
        `Invalid schema for topic "${topic.name}": it differs from the schema of its first upload` +
          describeDifference(stored, opts.schema),
      );
    }
    return current;
  }
  // The snapshot is the schema as the client sent it (schema-level metadata and field metadata in their
  // order): GetSchema gives it back verbatim (SDK 0.7 compares whole schemas). Comparisons normalise.
  const key = schemaKey(topic.sequenceUuid, topic.uuid);
  const verbatim = encodeEncapsulatedSchema(opts.schema);
  await deps.store.put(key, verbatim, { signal: opts.signal });
  const updated = await deps.catalog.setTopicSchema(topic.id, key);
  // The key is the same for every upload of the topic: a concurrent first upload on another daemon
  // may have replaced the object between our put and our catalog update. Catch it while we can.
  if (!await storedAs(deps, key, verbatim, opts.signal)) {
    throw new FailedPreconditionError(`Topic "${topic.name}" received another schema concurrently`);
  }
  return updated;
}

/** Read again after these pauses before concluding that an object holds other bytes (ms). */
const REREAD_PAUSES_MS = [0, 50, 250];

/**
 * Whether the object at `key` holds `bytes`. Some S3 servers answer a PUT before the object is readable in
 * full (s3rver, the test server, ends its file write after answering), so a difference is read again
 * after a pause or two before it counts: a real concurrent replacement still differs then.
 */
async function storedAs(deps: IngestDeps, key: string, bytes: Uint8Array, signal?: AbortSignal) {
  for (const pause of REREAD_PAUSES_MS) {
    if (pause > 0) await new Promise((r) => setTimeout(r, pause));
    if (bytesEqual(await deps.store.get(key, { signal }), bytes)) return true;
  }
  return false;
}

/** ` (field 2 is "b: Int32", expected "b: Float64")`, or "" when only metadata differs. */
function describeDifference(expected: Schema, got: Schema): string {
  const n = Math.max(expected.fields.length, got.fields.length);
  for (let i = 0; i < n; i++) {
    const want = expected.fields[i];
    const have = got.fields[i];
    const text = (f: Field | undefined) =>
      f ? `"${f.name}: ${f.type}${f.nullable ? "" : " not null"}"` : "none";
    if (text(want) !== text(have)) return ` (field ${i} is ${text(have)}, expected ${text(want)})`;
  }
  return " (field metadata differs)";
}

/**
 * Checks one received batch: it has the upload's schema and no null `timestamp_ns`.
 * @param expected the upload schema's normalised bytes, to compare batches that carry another Schema object.
 * @throws InvalidArgumentError
 */
export function checkBatch(
  topicName: string,
  batch: RecordBatch,
  upload: { schema: Schema; normalised: Uint8Array },
): void {
  if (batch.schema !== upload.schema && !bytesEqual(normalisedSchemaBytes(batch.schema), upload.normalised)) {
    throw new InvalidArgumentError(
      `Invalid data for topic "${topicName}": a record batch does not have the upload's schema`,
    );
  }
  const column = batch.getChild(TIMESTAMP_COLUMN);
  if (column !== null && column.nullCount > 0) {
    throw new InvalidArgumentError(
      `Invalid data for topic "${topicName}": "${TIMESTAMP_COLUMN}" holds ${column.nullCount} null values`,
    );
  }
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
