/**
 * The Arrow form of catalog events: the fixed schema of the event stream and the record batch of a
 * page of events. Folder-private: used by `events.ts` (and, through `mod.ts`, the schema by FlightInfo).
 *
 * @module
 */
import { Field, Int64, makeData, RecordBatch, Schema, Struct, Utf8 } from "apache-arrow";
import type { Data } from "apache-arrow";
import type { CatalogEvent } from "../model/types.ts";

/**
 * The schema of every event stream. `created_ms` is int64 milliseconds since the epoch (the catalog's
 * clock), like `created_ms` everywhere else; `detail` is the kind's facts as compact JSON text. Uuids
 * (write keys) are never part of it.
 */
export const EVENT_STREAM_SCHEMA = new Schema([
  new Field("id", new Int64(), false),
  new Field("kind", new Utf8(), false),
  new Field("created_ms", new Int64(), false),
  new Field("sequence", new Utf8(), true),
  new Field("topic", new Utf8(), true),
  new Field("detail", new Utf8(), false),
]);

/** The stream schema as sent: {@link EVENT_STREAM_SCHEMA} naming its log (`mosaico:event_log`). */
export function eventStreamSchema(logId: string): Schema {
  return new Schema(EVENT_STREAM_SCHEMA.fields, new Map([[EVENT_LOG_METADATA_KEY, logId]]));
}

/** Schema metadata key carrying the event log's identity (resume with `"log"` set to it). */
export const EVENT_LOG_METADATA_KEY = "mosaico:event_log";

const utf8 = new TextEncoder();

/** One record batch of {@link EVENT_STREAM_SCHEMA} holding `events` in the given order. */
export function eventBatch(events: readonly CatalogEvent[]): RecordBatch {
  const children = [
    int64Data(events.map((e) => e.id)),
    utf8Data(events.map((e) => e.kind)),
    int64Data(events.map((e) => e.createdMs)),
    utf8Data(events.map((e) => e.sequence)),
    utf8Data(events.map((e) => e.topic)),
    utf8Data(events.map((e) => JSON.stringify(e.detail))),
  ];
  const data = makeData({
    type: new Struct(EVENT_STREAM_SCHEMA.fields),
    length: events.length,
    nullCount: 0,
    children,
  });
  return new RecordBatch(EVENT_STREAM_SCHEMA, data);
}

function int64Data(values: readonly number[]): Data<Int64> {
  const data = BigInt64Array.from(values, (v) => BigInt(v));
  return makeData({ type: new Int64(), length: values.length, nullCount: 0, data });
}

/** A utf8 column; nulls get a validity bitmap (only when there is one). */
function utf8Data(values: readonly (string | null)[]): Data<Utf8> {
  const encoded = values.map((v) => v === null ? null : utf8.encode(v));
  const offsets = new Int32Array(values.length + 1);
  let total = 0;
  encoded.forEach((bytes, i) => {
    total += bytes?.length ?? 0;
    offsets[i + 1] = total;
  });
  const bytes = new Uint8Array(total);
  encoded.forEach((b, i) => b && bytes.set(b, offsets[i]));
  const nullCount = encoded.filter((b) => b === null).length;
  let nullBitmap: Uint8Array | undefined;
  if (nullCount > 0) {
    nullBitmap = new Uint8Array(Math.ceil(values.length / 8));
    encoded.forEach((b, i) => {
      if (b !== null) nullBitmap![i >> 3] |= 1 << (i & 7);
    });
  }
  return makeData({
    type: new Utf8(),
    length: values.length,
    nullCount,
    nullBitmap,
    valueOffsets: offsets,
    data: bytes,
  });
}
