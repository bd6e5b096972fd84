/**
 * The Mosaico protocol as SDK 0.7 speaks it (the daemon's current dialect), over a {@link FlightClient}:
 * `connect()` opens a connection and sends the `info` probe first, which makes the daemon answer this
 * connection as SDK 0.7 (stored schemas as sent, session locators, no write tokens in descriptions).
 * Reads: sequences (ListFlights), sequence, session and topic descriptions (GetFlightInfo with a CMD
 * `{"resource_locator", "timestamp_ns_start"?, "timestamp_ns_end"?}`), schemas (GetSchema), rows by
 * window (the endpoint's ticket, DoGet), `query`. Writes: sequence, session and topic creation, DoPut
 * with `{"resource_locator", "topic_uuid"}`, session finalize and deletes, for import and push.
 *
 * @module
 */
import type { RecordBatch, Schema } from "apache-arrow";
import { decodeEncapsulatedSchema } from "../arrow/ipc.ts";
import type { JsonValue } from "../model/types.ts";
import type { CallOptions } from "./channel.ts";
import { ClientError, GrpcCode } from "./errors.ts";
import { commandDescriptor, FlightClient, type PutProgress } from "./flight_client.ts";
import {
  parseActionResults,
  parseSequenceInfo,
  parseServerInfo,
  parseTopicManifest,
  type SequenceInfo,
  type ServerInfo,
  type TopicManifest,
} from "./manifests.ts";
import type { FlightReader } from "./reader.ts";
import { parseServerUrl } from "./url.ts";

/** How to reach a daemon (the SDK's options). */
export interface ConnectOptions {
  /** API key token, sent with every call. */
  apiKey?: string;
  /** PEM certificates to trust for `grpc+tls://` (the file's contents). */
  tlsCa?: string | Uint8Array;
  /** gzip the requests. */
  gzip?: boolean;
  /** How long the `info` probe may take (default 10 s). */
  connectTimeoutMs?: number;
}

/** A half-open window `[startNs, endNs)` of `timestamp_ns`; a null bound is open. */
export interface Window {
  startNs?: bigint | null;
  endNs?: bigint | null;
}

/** A topic with its schema. */
export interface TopicInfo extends TopicManifest {
  /** The schema as its first upload sent it; null before any upload. */
  schema: Schema | null;
}

/** What `topic_create` needs. */
export interface NewTopic {
  /** `<sequence>/<topic path>`. */
  locator: string;
  sessionUuid: string;
  ontologyTag: string;
  serializationFormat?: "default" | "ragged" | "image";
  userMetadata?: JsonValue;
}

/** What a locator names, described. */
export type Described = { kind: "sequence"; sequence: SequenceInfo } | { kind: "topic"; topic: TopicInfo };

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

function notA(kind: string, locator: string): ClientError {
  return new ClientError(GrpcCode.INVALID_ARGUMENT, `"${locator}" is not a ${kind}`);
}

/**
 * Connects to a daemon and probes it with `info`.
 * @throws ClientError: INVALID_ARGUMENT for a bad address, UNAVAILABLE when nothing answers, or the
 *   probe's status (UNAUTHENTICATED for a missing or unknown API key…).
 * @example
 * ```ts
 * using client = await connect("grpc://127.0.0.1:6726");
 * for (const name of await client.listSequences()) console.log(name);
 * ```
 */
export async function connect(url: string, opts: ConnectOptions = {}): Promise<MosaicoClient> {
  const address = parseServerUrl(url);
  const tlsCaPem = typeof opts.tlsCa === "string" ? new TextEncoder().encode(opts.tlsCa) : opts.tlsCa;
  const flight = new FlightClient(address, { apiKey: opts.apiKey, tlsCaPem, gzip: opts.gzip });
  try {
    const probe = await actionOn(flight, "info", {}, {
      deadlineMs: opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    });
    return new MosaicoClient(flight, parseServerInfo(probe[0] ?? null));
  } catch (err) {
    flight.close();
    if (
      err instanceof ClientError &&
      (err.code === GrpcCode.UNAVAILABLE || err.code === GrpcCode.DEADLINE_EXCEEDED)
    ) {
      // grpc-js ends its connection errors with an empty "Resolution note: " for literal addresses.
      const why = err.details.replace(/\s*Resolution note:\s*$/, "");
      throw new ClientError(err.code, `Cannot reach ${address.url}: ${why}`);
    }
    throw err;
  }
}

async function actionOn(flight: FlightClient, name: string, body: JsonValue, opts: CallOptions = {}) {
  const bytes = new TextEncoder().encode(JSON.stringify(body));
  return parseActionResults(name, await flight.doAction(name, bytes, opts));
}

/** A connection that speaks the Mosaico protocol; see the module doc. Close it when done. */
export class MosaicoClient implements Disposable {
  /** The Flight calls underneath. */
  readonly flight: FlightClient;
  /** What the `info` probe reported. */
  readonly server: ServerInfo;

  constructor(flight: FlightClient, server: ServerInfo) {
    this.flight = flight;
    this.server = server;
  }

  /** Runs an action; returns each Result's `response`. @throws ClientError */
  action(name: string, body: JsonValue, opts: CallOptions = {}): Promise<JsonValue[]> {
    return actionOn(this.flight, name, body, opts);
  }

  async #one(name: string, body: JsonValue): Promise<JsonValue> {
    const all = await this.action(name, body);
    if (all.length !== 1) {
      throw new ClientError(
        GrpcCode.INTERNAL,
        `Cannot read the server's ${name} answer: ${all.length} Results`,
      );
    }
    return all[0];
  }

  /** Every sequence name, as ListFlights answers them. @throws ClientError */
  async listSequences(): Promise<string[]> {
    const infos = await this.flight.listFlights();
    return infos.map((i) => i.descriptor?.path[0]).filter((n): n is string => typeof n === "string");
  }

  #describe(locator: string, window: Window = {}) {
    const cmd: Record<string, string> = { resource_locator: locator };
    if (window.startNs !== undefined && window.startNs !== null) {
      cmd.timestamp_ns_start = String(window.startNs);
    }
    if (window.endNs !== undefined && window.endNs !== null) cmd.timestamp_ns_end = String(window.endNs);
    return this.flight.getFlightInfo(commandDescriptor(cmd));
  }

  /**
   * Whatever `locator` names: a sequence (or a session `<sequence>:<ULID>`, as its sequence with that one
   * session) or a topic. @throws ClientError (NOT_FOUND for an unknown name)
   */
  async describe(locator: string, window: Window = {}): Promise<Described> {
    const info = await this.#describe(locator, window);
    const topics = info.endpoints.map((e) => parseTopicManifest(e.appMetadata, e.ticket));
    // Sequences and sessions describe themselves in app_metadata; a topic only in its endpoint.
    if (info.appMetadata !== undefined && info.appMetadata.length > 0) {
      return { kind: "sequence", sequence: parseSequenceInfo(info.appMetadata, topics) };
    }
    if (topics.length !== 1) {
      throw new ClientError(GrpcCode.INTERNAL, `Cannot read the server's description of "${locator}"`);
    }
    const schema = info.schema.length === 0 ? null : decodeEncapsulatedSchema(info.schema);
    return { kind: "topic", topic: { ...topics[0], schema: schema?.fields.length ? schema : null } };
  }

  /** A sequence (or a session): metadata, sessions, topics. @throws ClientError */
  async sequenceInfo(locator: string, window: Window = {}): Promise<SequenceInfo> {
    const found = await this.describe(locator, window);
    if (found.kind !== "sequence") throw notA("sequence", locator);
    return found.sequence;
  }

  /** A topic `<sequence>/<path>`: its manifest, schema and read ticket. @throws ClientError */
  async topicInfo(locator: string, window: Window = {}): Promise<TopicInfo> {
    const found = await this.describe(locator, window);
    if (found.kind !== "topic") throw notA("topic", locator);
    return found.topic;
  }

  /** The rows of a topic inside `window`, in `timestamp_ns` order. @throws ClientError */
  async readTopic(locator: string, window: Window = {}): Promise<FlightReader> {
    const topic = await this.topicInfo(locator, window);
    return this.flight.doGet(topic.ticket);
  }

  /** Runs a query (the 0.7 grammar); returns its `response` (`{"items": [...]}`). @throws ClientError */
  query(body: JsonValue): Promise<JsonValue> {
    return this.#one("query", body);
  }

  /** Creates an empty sequence. @throws ClientError (ALREADY_EXISTS…) */
  async createSequence(locator: string, userMetadata: JsonValue = {}): Promise<void> {
    await this.#one("sequence_create", { locator, user_metadata: userMetadata });
  }

  /** Opens a session in a sequence; returns its write token and its locator. @throws ClientError */
  async createSession(sequence: string): Promise<{ uuid: string; locator: string | null }> {
    const response = await this.#one("session_create", { locator: sequence });
    const r = response as { uuid?: unknown; locator?: unknown } | null;
    if (typeof r?.uuid !== "string") {
      throw new ClientError(GrpcCode.INTERNAL, "Cannot read the server's session_create answer: no uuid");
    }
    return { uuid: r.uuid, locator: typeof r.locator === "string" ? r.locator : null };
  }

  /** Creates a topic in a session; returns its uuid, the token of its upload. @throws ClientError */
  async createTopic(topic: NewTopic): Promise<string> {
    const response = await this.#one("topic_create", {
      locator: topic.locator,
      session_uuid: topic.sessionUuid,
      serialization_format: topic.serializationFormat ?? "default",
      ontology_tag: topic.ontologyTag,
      user_metadata: topic.userMetadata ?? {},
    });
    const uuid = (response as { uuid?: unknown } | null)?.uuid;
    if (typeof uuid !== "string") {
      throw new ClientError(GrpcCode.INTERNAL, "Cannot read the server's topic_create answer: no uuid");
    }
    return uuid;
  }

  /**
   * Uploads a topic's rows (one DoPut; the topic locks when it completes). Batches must each encode below
   * {@link ServerInfo.maxDecodeBytes}. @throws ClientError
   */
  async putTopic(
    locator: string,
    topicUuid: string,
    schema: Schema,
    batches: Iterable<RecordBatch> | AsyncIterable<RecordBatch>,
    opts: PutProgress = {},
  ): Promise<void> {
    const descriptor = commandDescriptor({ resource_locator: locator, topic_uuid: topicUuid });
    await this.flight.doPut(descriptor, schema, batches, opts);
  }

  /** Finalizes (locks) a session. @throws ClientError */
  async finalizeSession(sessionUuid: string): Promise<void> {
    await this.#one("session_finalize", { session_uuid: sessionUuid });
  }

  /** Deletes a session (`<sequence>:<ULID>`) with its topics, finalized or not. @throws ClientError */
  async deleteSession(locator: string): Promise<void> {
    await this.#one("session_delete", { locator });
  }

  /** Deletes a topic, locked or not (a failed upload's, before its session is finalized). @throws ClientError */
  async deleteTopic(locator: string): Promise<void> {
    await this.#one("topic_delete", { locator });
  }

  /** Deletes a sequence with everything in it. @throws ClientError */
  async deleteSequence(locator: string): Promise<void> {
    await this.#one("sequence_delete", { locator });
  }

  /** Closes the connection. */
  close(): void {
    this.flight.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
