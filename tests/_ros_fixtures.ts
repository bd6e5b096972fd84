/**
 * ROS recordings built at test time from the standard message definitions (`@foxglove/rosmsg-msgs-common`):
 * definition texts laid out as rosbag2 writes them, CDR and ROS 1 payloads from the real serializers,
 * MCAP files through `@mcap/core` (none, zstd or lz4 chunks) and ROS 1 v2.0 bags through a small writer
 * here (one chunk, none/bz2/lz4; bz2 by Python's `bz2`, as npm has no bz2 compressor).
 *
 * @module
 */
import { McapWriter } from "@mcap/core";
import { md5, parse, stringify } from "@foxglove/rosmsg";
import { ros1, ros2humble } from "@foxglove/rosmsg-msgs-common";
import { MessageWriter as Ros1Writer } from "@foxglove/rosmsg-serialization";
import { MessageWriter as Ros2Writer } from "@foxglove/rosmsg2-serialization";
import * as zstd from "@foxglove/wasm-zstd";
// @ts-types="../src/toolkit/ros/_lz4js.d.ts"
import * as lz4 from "lz4js";

type Def = ReturnType<typeof parse>[number];
type Definitions = Readonly<Record<string, Def>>;

const RULE = "=".repeat(80);
const NMEA_ROS2 = "std_msgs/Header header\nstring sentence\n";

/** `pkg/Type` or `pkg/msg/Type` → `pkg/Type`. */
const short = (type: string) => type.replace("/msg/", "/");

/** The full definition text of `type` (own text, then `====` + `MSG: pkg/Type` per dependency). */
export function definitionText(type: string, ros2: boolean): string {
  const set = (ros2 ? ros2humble : ros1) as unknown as Definitions;
  const extra: Record<string, Def> = {};
  if (short(type) === "nmea_msgs/Sentence") {
    extra["nmea_msgs/Sentence"] = {
      name: "nmea_msgs/Sentence",
      definitions: parse(NMEA_ROS2, { skipTypeFixup: true })[0].definitions,
    };
  }
  const lookup = (t: string): Def => {
    const d = extra[t] ?? set[t];
    if (!d) throw new Error(`no standard definition for ${t}`);
    return d;
  };
  const order: string[] = [];
  const visit = (t: string) => {
    for (const f of lookup(t).definitions) {
      if (f.isComplex && !order.includes(f.type)) {
        order.push(f.type);
        visit(f.type);
      }
    }
  };
  visit(short(type));
  const text = (t: string) => {
    let s = stringify([{ definitions: lookup(t).definitions }]);
    if (ros2) s = s.replace(/^time (\w+)/gm, "builtin_interfaces/Time $1");
    return s;
  };
  const parts = [text(short(type)), ...order.map((t) => `${RULE}\nMSG: ${t}\n${text(t)}`)];
  if (ros2 && parts.some((p) => p.includes("builtin_interfaces/Time"))) {
    parts.push(`${RULE}\nMSG: builtin_interfaces/Time\nint32 sec\nuint32 nanosec\n`);
  }
  return parts.join("\n");
}

/** A message to record. */
export interface FixtureMessage {
  topic: string;
  /** `pkg/msg/Type` (ROS 2) or `pkg/Type` (ROS 1). */
  type: string;
  logTimeNs: bigint;
  /** Serialized already (for corrupt payloads), else serialized here. */
  data?: Uint8Array;
  value?: Record<string, unknown>;
}

/** Serializers per type, built once per file. */
function serializer(ros2: boolean) {
  const cache = new Map<string, (v: Record<string, unknown>) => Uint8Array>();
  return (type: string, value: Record<string, unknown>) => {
    let write = cache.get(type);
    if (!write) {
      const defs = parse(definitionText(type, ros2), { ros2 });
      const w = ros2 ? new Ros2Writer(defs) : new Ros1Writer(defs);
      write = (v) => w.writeMessage(v);
      cache.set(type, write);
    }
    return write(value);
  };
}

/** Options of an MCAP fixture. */
export interface McapOptions {
  compression?: "none" | "zstd" | "lz4";
  chunkSize?: number;
  /** Per-topic overrides: message encoding (a bad one, say). */
  messageEncoding?: Record<string, string>;
}

/** Writes a ROS 2 MCAP file with the messages (log-time order is the caller's). */
export async function writeMcap(path: string, messages: FixtureMessage[], opts: McapOptions = {}) {
  await zstd.isLoaded;
  using file = await Deno.open(path, { write: true, create: true, truncate: true });
  let position = 0n;
  const compression = opts.compression ?? "zstd";
  const writer = new McapWriter({
    writable: {
      position: () => position,
      write: async (buf: Uint8Array) => {
        let at = 0;
        while (at < buf.length) at += await file.write(buf.subarray(at));
        position += BigInt(buf.length);
      },
    },
    chunkSize: opts.chunkSize ?? 64 * 1024,
    compressChunk: compression === "none" ? undefined : (data: Uint8Array) => ({
      compression,
      compressedData: compression === "zstd" ? zstd.compress(data, 3) : lz4.compress(data),
    }),
  });
  await writer.start({ profile: "ros2", library: "mosaicod-tests" });
  const channels = new Map<string, number>();
  const serialize = serializer(true);
  for (const m of messages) {
    let channelId = channels.get(m.topic);
    if (channelId === undefined) {
      const schemaId = await writer.registerSchema({
        name: m.type,
        encoding: "ros2msg",
        data: new TextEncoder().encode(definitionText(m.type, true)),
      });
      channelId = await writer.registerChannel({
        topic: m.topic,
        schemaId,
        messageEncoding: opts.messageEncoding?.[m.topic] ?? "cdr",
        metadata: new Map([["offered_qos_profiles", ""]]),
      });
      channels.set(m.topic, channelId);
    }
    const data = m.data ?? serialize(m.type, m.value!);
    await writer.addMessage({ channelId, sequence: 0, logTime: m.logTimeNs, publishTime: m.logTimeNs, data });
  }
  await writer.end();
}

// ROS 1 bag v2.0 -----------------------------------------------------------------------------------------

const enc = new TextEncoder();

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}

function u64(n: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
  return b;
}

function time(ns: bigint): Uint8Array {
  return concat([u32(Number(ns / 1_000_000_000n)), u32(Number(ns % 1_000_000_000n))]);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function record(header: Record<string, Uint8Array | string>, data: Uint8Array): Uint8Array {
  const fields = Object.entries(header).map(([k, v]) => {
    const body = concat([enc.encode(`${k}=`), typeof v === "string" ? enc.encode(v) : v]);
    return concat([u32(body.length), body]);
  });
  const head = concat(fields);
  return concat([u32(head.length), head, u32(data.length), data]);
}

const op = (n: number) => Uint8Array.of(n);

async function bz2(data: Uint8Array): Promise<Uint8Array> {
  const child = new Deno.Command("python3", {
    args: ["-c", "import sys,bz2; sys.stdout.buffer.write(bz2.compress(sys.stdin.buffer.read()))"],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(data);
  await w.close();
  const out = await child.output();
  if (!out.success) throw new Error("python3 bz2 failed");
  return out.stdout;
}

/** Writes a ROS 1 bag (v2.0, one chunk) with the messages; types are `pkg/Type`. */
export async function writeBag(
  path: string,
  messages: FixtureMessage[],
  opts: { compression?: "none" | "bz2" | "lz4" } = {},
) {
  const serialize = serializer(false);
  const conns = new Map<string, { id: number; type: string; entries: { time: bigint; offset: number }[] }>();
  const connRecord = (topic: string, c: { id: number; type: string }) => {
    const text = definitionText(c.type, false);
    const fields = {
      topic,
      type: c.type,
      md5sum: md5Of(c.type),
      message_definition: text,
      callerid: "/fixture",
      latching: "0",
    };
    const data = concat(
      Object.entries(fields).map(([k, v]) => {
        const body = enc.encode(`${k}=${v}`);
        return concat([u32(body.length), body]);
      }),
    );
    return record({ op: op(7), conn: u32(c.id), topic }, data);
  };
  const inner: Uint8Array[] = [];
  let size = 0;
  const push = (b: Uint8Array) => {
    inner.push(b);
    size += b.length;
  };
  for (const m of messages) {
    let c = conns.get(m.topic);
    if (!c) {
      c = { id: conns.size, type: m.type, entries: [] };
      conns.set(m.topic, c);
      push(connRecord(m.topic, c));
    }
    c.entries.push({ time: m.logTimeNs, offset: size });
    push(
      record({ op: op(2), conn: u32(c.id), time: time(m.logTimeNs) }, m.data ?? serialize(m.type, m.value!)),
    );
  }
  const raw = concat(inner);
  const compression = opts.compression ?? "none";
  const packed = compression === "bz2" ? await bz2(raw) : compression === "lz4" ? lz4.compress(raw) : raw;
  const magic = enc.encode("#ROSBAG V2.0\n");
  const chunkPos = magic.length + 4096;
  const chunk = record({ op: op(5), compression, size: u32(raw.length) }, packed);
  const indexes = [...conns.values()].map((c) =>
    record(
      { op: op(4), ver: u32(1), conn: u32(c.id), count: u32(c.entries.length) },
      concat(c.entries.flatMap((e) => [time(e.time), u32(e.offset)])),
    )
  );
  const times = messages.map((m) => m.logTimeNs);
  const start = times.reduce((a, b) => a < b ? a : b, times[0] ?? 0n);
  const end = times.reduce((a, b) => a > b ? a : b, times[0] ?? 0n);
  const tail = [
    ...[...conns].map(([topic, c]) => connRecord(topic, c)),
    ...(messages.length === 0 ? [] : [record(
      {
        op: op(6),
        ver: u32(1),
        chunk_pos: u64(chunkPos),
        start_time: time(start),
        end_time: time(end),
        count: u32(conns.size),
      },
      concat([...conns.values()].flatMap((c) => [u32(c.id), u32(c.entries.length)])),
    )]),
  ];
  const body = messages.length === 0 ? [] : [chunk, ...indexes];
  const indexPos = chunkPos + body.reduce((n, b) => n + b.length, 0);
  const headerFields = {
    op: op(3),
    index_pos: u64(indexPos),
    conn_count: u32(conns.size),
    chunk_count: u32(body.length ? 1 : 0),
  };
  const headerProbe = record(headerFields, new Uint8Array());
  const header = record(headerFields, new Uint8Array(4096 - headerProbe.length).fill(0x20));
  await Deno.writeFile(path, concat([magic, header, ...body, ...tail]));
}

function md5Of(type: string): string {
  return md5(parse(definitionText(type, false), { ros2: false }));
}
