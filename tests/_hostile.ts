/**
 * Helpers for the hostile-input tests: hand-made Flight messages (well-formed or not), raw HTTP/2 calls
 * for what a gRPC client cannot send (a request cut inside a message, more streams than the server
 * allows), and a watch over one daemon that proves hostile calls changed nothing: the daemon still runs
 * and answers, the kept data reads back byte for byte, no event was logged, no object was written, and
 * nothing was logged at error level.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import * as http2 from "node:http2";
import { join } from "node:path";
import type { RecordBatch } from "apache-arrow";
import type { Schema } from "apache-arrow";
import {
  decodeIpcHeader,
  decodeRecordBatch,
  encodeRecordBatchMessage,
  encodeSchemaMessage,
} from "../src/arrow/ipc.ts";
import { decodeFlightData, encodeFlightData, serializeFramed } from "../src/flight/flight_data.ts";
import {
  decodeFlightInfo,
  encodeAction,
  encodeBytesMessage,
  type FlightDescriptor,
} from "../src/flight/messages.ts";
import { encodeEventsTicket } from "../src/flight/ticket.ts";
import type { Daemon } from "./_daemon.ts";
import { type FlightChannel } from "../src/client/mod.ts";

const utf8 = new TextEncoder();

// Messages

/** A FlightData message (protobuf bytes, no gRPC prefix) with exactly these parts. */
export function flightData(
  m: { descriptor?: FlightDescriptor; header?: Uint8Array; body?: Uint8Array },
): Uint8Array {
  const body = m.body ?? new Uint8Array(0);
  const ipc = {
    header: m.header ?? new Uint8Array(0),
    bodyLength: body.length,
    bodyParts: [{ offset: 0, bytes: body }],
  };
  return new Uint8Array(serializeFramed(encodeFlightData(ipc, { descriptor: m.descriptor })));
}

/** The CMD descriptor of an upload: `{"topic": {"name", "key"}}`. */
export function putDescriptor(topic: string, key: string): FlightDescriptor {
  return { type: "cmd", cmd: utf8.encode(JSON.stringify({ topic: { name: topic, key } })), path: [] };
}

/** The first message of an upload: the command and the schema. */
export function schemaMessage(schema: Schema, descriptor?: FlightDescriptor): Uint8Array {
  return flightData({ descriptor, header: encodeSchemaMessage(schema).header });
}

/** A record batch's IPC header and body. */
export function batchParts(batch: RecordBatch): { header: Uint8Array; body: Uint8Array } {
  const msg = encodeRecordBatchMessage(batch);
  const body = new Uint8Array(msg.bodyLength);
  for (const p of msg.bodyParts) body.set(p.bytes, p.offset);
  return { header: msg.header, body };
}

export function batchMessage(batch: RecordBatch): Uint8Array {
  return flightData(batchParts(batch));
}

/** A DoAction request whose body is `body` as given (bytes) or as JSON. */
export function action(type: string, body: unknown): Uint8Array {
  return encodeAction({ type, body: body instanceof Uint8Array ? body : utf8.encode(JSON.stringify(body)) });
}

/** The record batches of a DoGet answer (schema message first). */
export function decodeStream(responses: Uint8Array[]): RecordBatch[] {
  if (responses.length === 0) return [];
  const head = decodeIpcHeader(decodeFlightData(responses[0]).header);
  if (head.kind !== "schema") throw new Error("a DoGet answer starts with its schema");
  return responses.slice(1).map((r) => {
    const fd = decodeFlightData(r);
    const h = decodeIpcHeader(fd.header);
    if (h.kind !== "record_batch") throw new Error(`unexpected ${h.kind} in a DoGet answer`);
    return decodeRecordBatch(head.schema, h.header, fd.body);
  });
}

// Raw HTTP/2

export interface RawStatus {
  code: number;
  details: string;
}

/**
 * One call over a fresh HTTP/2 connection, writing `chunks` as given (gRPC prefixes included, so a
 * message may be cut anywhere) and then half-closing. Resolves with the gRPC status.
 */
export function rawGrpcCall(
  port: number,
  method: string,
  chunks: Uint8Array[],
  timeoutMs = 10_000,
): Promise<RawStatus> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    const timer = setTimeout(
      () => finish(new Error(`${method}: no status within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const finish = (outcome: RawStatus | Error) => {
      clearTimeout(timer);
      session.close();
      outcome instanceof Error ? reject(outcome) : resolve(outcome);
    };
    session.on("error", (err) => finish(err));
    const req = session.request({
      ":method": "POST",
      ":path": `/arrow.flight.protocol.FlightService/${method}`,
      "content-type": "application/grpc",
      te: "trailers",
    });
    const statusOf = (headers: http2.IncomingHttpHeaders) => {
      const code = headers["grpc-status"];
      if (code === undefined) return;
      finish({ code: Number(code), details: decodeURIComponent(String(headers["grpc-message"] ?? "")) });
    };
    req.on("response", statusOf); // a trailers-only answer
    req.on("trailers", statusOf);
    req.on("data", () => {});
    req.on("error", (err) => finish(err));
    for (const chunk of chunks) req.write(Buffer.from(chunk));
    req.end();
  });
}

/** A message with its 5-byte gRPC prefix (uncompressed). */
export function grpcFrame(message: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + message.length);
  new DataView(out.buffer).setUint32(1, message.length);
  out.set(message, 5);
  return out;
}

const H2_PREFACE = utf8.encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
const FRAME_HEADERS = 0x1;
const FRAME_RST_STREAM = 0x3;
const FRAME_SETTINGS = 0x4;
const FRAME_GOAWAY = 0x7;
const FLAG_END_HEADERS = 0x4;

function h2Frame(type: number, flags: number, stream: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(9 + payload.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, payload.length << 8);
  out[3] = type;
  out[4] = flags;
  view.setUint32(5, stream);
  out.set(payload, 9);
  return out;
}

/** HPACK: a literal header without indexing, with a literal name and no Huffman coding. */
function hpackLiteral(name: string, value: string): number[] {
  const n = utf8.encode(name);
  const v = utf8.encode(value);
  if (n.length > 126 || v.length > 126) throw new Error("header too long for this encoder");
  return [0x00, n.length, ...n, v.length, ...v];
}

/**
 * Opens `streams` calls at once on one raw HTTP/2 connection, before acknowledging the server's
 * SETTINGS, as a client that ignores SETTINGS_MAX_CONCURRENT_STREAMS would. The calls never send a
 * message, so they stay open. Resolves with the RST_STREAM error code the server sent per stream id
 * (and GOAWAY, if any) once nothing arrived for `quietMs`.
 */
export async function openRawStreams(
  port: number,
  method: string,
  streams: number,
  quietMs = 500,
): Promise<{ reset: Map<number, number>; goaway: number | null }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const headers = Uint8Array.from([
      0x83, // :method POST
      0x86, // :scheme http
      ...hpackLiteral(":path", `/arrow.flight.protocol.FlightService/${method}`),
      ...hpackLiteral(":authority", `127.0.0.1:${port}`),
      ...hpackLiteral("content-type", "application/grpc"),
      ...hpackLiteral("te", "trailers"),
    ]);
    const out = [H2_PREFACE, h2Frame(FRAME_SETTINGS, 0, 0, new Uint8Array(0))];
    for (let i = 0; i < streams; i++) out.push(h2Frame(FRAME_HEADERS, FLAG_END_HEADERS, 1 + 2 * i, headers));
    for (const bytes of out) await conn.write(bytes);
    const reset = new Map<number, number>();
    let goaway: number | null = null;
    let buf = new Uint8Array(0);
    const chunk = new Uint8Array(64 * 1024);
    for (;;) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const n = await Promise.race([
        conn.read(chunk),
        new Promise<"quiet">((r) => timer = setTimeout(() => r("quiet"), quietMs)),
      ]);
      clearTimeout(timer);
      if (n === "quiet" || n === null) break;
      const joined = new Uint8Array(buf.length + n);
      joined.set(buf);
      joined.set(chunk.subarray(0, n), buf.length);
      buf = joined;
      while (buf.length >= 9) {
        const view = new DataView(buf.buffer, buf.byteOffset);
        const len = view.getUint32(0) >>> 8;
        if (buf.length < 9 + len) break;
        const type = buf[3];
        const stream = view.getUint32(5) & 0x7fffffff;
        if (type === FRAME_RST_STREAM) reset.set(stream, view.getUint32(9));
        if (type === FRAME_GOAWAY) goaway = view.getUint32(13);
        buf = buf.subarray(9 + len);
      }
    }
    return { reset, goaway };
  } finally {
    conn.close();
  }
}

// The watch

/** Hashes of every object in the store directory, by path. */
async function storeFiles(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const path = join(dir, entry.name);
      if (entry.isDirectory) await walk(path);
      else out.set(path.slice(root.length + 1), await sha256(await Deno.readFile(path)));
    }
  };
  await walk(root);
  return out;
}

async function sha256(bytes: Uint8Array | Uint8Array[]): Promise<string> {
  const parts = Array.isArray(bytes) ? bytes : [bytes];
  const whole = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    whole.set(p, at);
    at += p.length;
  }
  const digest = await crypto.subtle.digest("SHA-256", whole);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** What a client sees of the daemon that hostile calls must not change. */
export interface Snapshot {
  /** Sequence names ListFlights answers, sorted. */
  sequences: string[];
  /** SHA-256 of the whole DoGet answer of each watched topic. */
  reads: Record<string, string>;
  /** The newest event id. */
  lastEventId: number;
  store: Map<string, string>;
}

/** Watches one daemon: takes a baseline, then checks that nothing changed and that it still serves. */
export class DaemonWatch {
  readonly #daemon: Daemon;
  readonly #client: FlightChannel;
  readonly #topics: string[];
  #exited = false;
  baseline: Snapshot | null = null;
  /** Checks passed so far. */
  checks = 0;

  constructor(daemon: Daemon, client: FlightChannel, topics: string[]) {
    this.#daemon = daemon;
    this.#client = client;
    this.#topics = topics;
    daemon.exited.then(() => this.#exited = true);
  }

  async snapshot(): Promise<Snapshot> {
    const infos = await this.#client.serverStream("ListFlights", new Uint8Array(0)).all();
    const sequences = infos.map((b) => decodeFlightInfo(b).descriptor!.path[0]).sort();
    const reads: Record<string, string> = {};
    for (const topic of this.#topics) {
      reads[topic] = await sha256(
        await this.#client.serverStream("DoGet", encodeBytesMessage(utf8.encode(topic))).all(),
      );
    }
    const events = await this.events(0);
    return {
      sequences,
      reads,
      lastEventId: events.length === 0 ? 0 : events[events.length - 1].id,
      store: await storeFiles(join(this.#daemon.cwd, "data", "store")),
    };
  }

  /** The events after `afterId`, as `{id, kind, topic}`. */
  async events(
    afterId: number,
  ): Promise<{ id: number; kind: string; sequence: string; topic: string | null }[]> {
    const ticket = encodeBytesMessage(encodeEventsTicket({ afterId, follow: false, kinds: null }));
    const batches = decodeStream(await this.#client.serverStream("DoGet", ticket).all());
    return batches.flatMap((b) =>
      b.toArray().map((r) => {
        const row = r.toJSON();
        return { id: Number(row.id), kind: row.kind, sequence: row.sequence, topic: row.topic };
      })
    );
  }

  async takeBaseline(): Promise<Snapshot> {
    this.baseline = await this.snapshot();
    return this.baseline;
  }

  /** The daemon runs, answers, and shows exactly the baseline; nothing was logged at error level. */
  async check(after: string): Promise<void> {
    assert.ok(!this.#exited, `the daemon exited after ${after}`);
    const base = this.baseline!;
    const now = await this.snapshot();
    assert.deepEqual(now.sequences, base.sequences, `sequences changed after ${after}`);
    assert.deepEqual(now.reads, base.reads, `data read back differs after ${after}`);
    assert.deepEqual(await this.events(base.lastEventId), [], `events were logged after ${after}`);
    const added = [...now.store.keys()].filter((k) => !base.store.has(k));
    const changed = [...base.store.keys()].filter((k) => now.store.get(k) !== base.store.get(k));
    assert.deepEqual({ added, changed }, { added: [], changed: [] }, `the store changed after ${after}`);
    this.assertNoErrorLogs(after);
    this.checks++;
  }

  assertNoErrorLogs(after: string): void {
    const errors = this.#daemon.logs.filter((l) => l.level === "error");
    assert.deepEqual(errors, [], `the daemon logged errors (INTERNAL answers) after ${after}`);
  }

  get alive(): boolean {
    return !this.#exited;
  }
}
