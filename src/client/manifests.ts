/**
 * The JSON the Mosaico 2026-line protocol answers with (SDK 0.7's reading), parsed into typed values:
 * the `info` probe, a sequence's or session's GetFlightInfo `app_metadata`, each topic endpoint's
 * manifest, and Result envelopes `{"action", "response"}`. Nanosecond times are bigints, exact beyond
 * 2^53 (`model/json.ts` keeps the digits). A missing or mistyped key is a ClientError naming it.
 *
 * @module
 */
import { isRawJson, parseJsonExact } from "../model/json.ts";
import type { JsonValue } from "../model/types.ts";
import { ClientError, GrpcCode } from "./errors.ts";

/** What `info` reports: the daemon's version and its gRPC message limits. */
export interface ServerInfo {
  version: string;
  /** Largest message the server accepts (an upload's batches must stay below it). */
  maxDecodeBytes: number;
  /** Largest message the server sends. */
  maxEncodeBytes: number;
  /** Size of the record batches DoGet sends. */
  targetEncodeBytes: number;
}

/** An inclusive range of `timestamp_ns`. */
export interface TimeSpan {
  startNs: bigint;
  endNs: bigint;
}

/** One session of a sequence. */
export interface SessionInfo {
  /** `<sequence>:<ULID>`. */
  locator: string;
  createdNs: bigint;
  completedNs: bigint | null;
  locked: boolean;
  /** Full locators of the topics it created. */
  topics: string[];
}

/** One topic as an endpoint describes it, with the ticket that reads it. */
export interface TopicManifest {
  /** `<sequence>/<topic path>`. */
  locator: string;
  createdNs: bigint;
  completedNs: bigint | null;
  locked: boolean;
  ontologyTag: string;
  serializationFormat: string;
  userMetadata: JsonValue;
  rows: number;
  bytes: number;
  chunks: number;
  /** Smallest and largest timestamp stored; null without rows. */
  span: TimeSpan | null;
  /** The rows inside the requested window, when the request had a bound. */
  window: { rows: number; span: TimeSpan | null } | null;
  /** The DoGet ticket of the rows (inside the window, if any). */
  ticket: Uint8Array;
}

/** A sequence: its metadata, sessions and topics. */
export interface SequenceInfo {
  locator: string;
  createdNs: bigint;
  userMetadata: JsonValue;
  sessions: SessionInfo[];
  topics: TopicManifest[];
}

type JsonObject = { [key: string]: JsonValue };
const text = new TextDecoder();

function bad(what: string, why: string): ClientError {
  return new ClientError(GrpcCode.INTERNAL, `Cannot read the server's ${what}: ${why}`);
}

/** Reads a JSON object out of bytes (exact integers). */
export function jsonObject(bytes: Uint8Array | undefined, what: string): JsonObject {
  let value: JsonValue;
  try {
    value = parseJsonExact(text.decode(bytes ?? new Uint8Array(0)));
  } catch (err) {
    throw bad(what, err instanceof Error ? err.message : String(err));
  }
  if (!isObject(value)) throw bad(what, "not a JSON object");
  return value;
}

function isObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !isRawJson(v);
}

/** Typed reads of one object's keys. */
class Fields {
  constructor(readonly obj: JsonObject, readonly what: string) {}

  #bad(key: string, expected: string): ClientError {
    return bad(this.what, `"${key}" is not ${expected}`);
  }

  string(key: string): string {
    const v = this.obj[key];
    if (typeof v !== "string") throw this.#bad(key, "a string");
    return v;
  }

  boolean(key: string): boolean {
    const v = this.obj[key];
    if (typeof v !== "boolean") throw this.#bad(key, "a boolean");
    return v;
  }

  int(key: string): number {
    const v = this.obj[key];
    if (typeof v !== "number" || !Number.isSafeInteger(v)) throw this.#bad(key, "an integer");
    return v;
  }

  ns(key: string): bigint {
    const v = this.nsOrNull(key);
    if (v === null) throw this.#bad(key, "an integer");
    return v;
  }

  nsOrNull(key: string): bigint | null {
    const v = this.obj[key];
    if (v === null || v === undefined) return null;
    if (typeof v === "number" && Number.isInteger(v)) return BigInt(v);
    if (isRawJson(v)) return BigInt((v as unknown as { rawJSON: string }).rawJSON);
    throw this.#bad(key, "an integer");
  }

  object(key: string): Fields {
    const v = this.obj[key];
    if (!isObject(v)) throw this.#bad(key, "an object");
    return new Fields(v, `${this.what} ${key}`);
  }

  objectOrNull(key: string): Fields | null {
    return this.obj[key] === null || this.obj[key] === undefined ? null : this.object(key);
  }

  array(key: string): JsonValue[] {
    const v = this.obj[key];
    if (!Array.isArray(v)) throw this.#bad(key, "an array");
    return v;
  }

  /** An object-or-null field read as an inclusive span. */
  span(key: string): TimeSpan | null {
    const f = this.objectOrNull(key);
    return f === null ? null : { startNs: f.ns("start_ns"), endNs: f.ns("end_ns") };
  }
}

/** The `info` response. */
export function parseServerInfo(response: JsonValue): ServerInfo {
  if (!isObject(response)) throw bad("info answer", "not a JSON object");
  const f = new Fields(response, "info answer");
  const config = f.object("config");
  return {
    version: f.string("version"),
    maxDecodeBytes: config.int("grpc_max_decode_message_size"),
    maxEncodeBytes: config.int("grpc_max_encode_message_size"),
    targetEncodeBytes: config.int("grpc_target_encode_message_size"),
  };
}

/** One topic endpoint's manifest. */
export function parseTopicManifest(appMetadata: Uint8Array | undefined, ticket: Uint8Array): TopicManifest {
  const f = new Fields(jsonObject(appMetadata, "topic manifest"), "topic manifest");
  const data = f.object("data_info");
  const window = f.objectOrNull("time_window_info");
  return {
    locator: f.string("resource_locator"),
    createdNs: f.ns("created_at_ns"),
    completedNs: f.nsOrNull("completed_at_ns"),
    locked: f.boolean("locked"),
    ontologyTag: f.string("ontology_tag"),
    serializationFormat: f.string("serialization_format"),
    userMetadata: f.obj.user_metadata ?? {},
    rows: data.int("total_row_count"),
    bytes: data.int("total_bytes"),
    chunks: data.int("total_chunks_count"),
    span: data.span("interval"),
    window: window === null ? null : { rows: window.int("row_count"), span: window.span("interval") },
    ticket,
  };
}

/**
 * A sequence's `app_metadata` and its topics' manifests; or a session's (`{"sequence", "locator", …}`),
 * read as its sequence holding that one session (the sequence's metadata is not in it: `{}`).
 */
export function parseSequenceInfo(
  appMetadata: Uint8Array | undefined,
  topics: TopicManifest[],
): SequenceInfo {
  const obj = jsonObject(appMetadata, "sequence description");
  const f = "sessions" in obj || !("sequence" in obj) ? new Fields(obj, "sequence description") : new Fields(
    { resource_locator: obj.sequence, created_at_ns: obj.created_at_ns, sessions: [obj] },
    "session",
  );
  const sessions = f.array("sessions").map((s, i) => {
    if (!isObject(s)) throw bad("sequence description", `session ${i} is not an object`);
    const sf = new Fields(s, `session ${i}`);
    return {
      locator: sf.string("locator"),
      createdNs: sf.ns("created_at_ns"),
      completedNs: sf.nsOrNull("completed_at_ns"),
      locked: sf.boolean("locked"),
      topics: sf.array("topics").filter((t): t is string => typeof t === "string"),
    };
  });
  return {
    locator: f.string("resource_locator"),
    createdNs: f.ns("created_at_ns"),
    userMetadata: f.obj.user_metadata ?? {},
    sessions,
    topics,
  };
}

/** What a sequence's topics hold together: rows, stored bytes, chunks, and the span of their data. */
export function sequenceTotals(
  info: SequenceInfo,
): { rows: number; bytes: number; chunks: number; span: TimeSpan | null } {
  const spans = info.topics.flatMap((t) => t.span === null ? [] : [t.span]);
  return {
    rows: info.topics.reduce((n, t) => n + t.rows, 0),
    bytes: info.topics.reduce((n, t) => n + t.bytes, 0),
    chunks: info.topics.reduce((n, t) => n + t.chunks, 0),
    span: spans.length === 0 ? null : {
      startNs: spans.map((x) => x.startNs).reduce((a, b) => a < b ? a : b),
      endNs: spans.map((x) => x.endNs).reduce((a, b) => a > b ? a : b),
    },
  };
}

/** The `response` values of an action's Results, each checked to answer `action`. */
export function parseActionResults(action: string, results: Uint8Array[]): JsonValue[] {
  return results.map((r) => {
    const f = new Fields(jsonObject(r, `${action} Result`), `${action} Result`);
    if (f.string("action") !== action) throw bad(`${action} Result`, `it answers "${f.obj.action}"`);
    return f.obj.response ?? null;
  });
}
