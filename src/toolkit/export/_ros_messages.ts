/**
 * A topic imported from ROS (`toolkit/ros/original.ts`, the contract: `ros:*` keys in its user
 * metadata) as the messages it was recorded as: the channel gets the recorded topic name, type,
 * definition and channel metadata back; each row is turned back into the message (`_ros_shapes.ts` for
 * the SDK ontology layouts, the row itself for generic ones; the envelope's `timestamp_ns` and `frame_id`
 * become `header.stamp` and `header.frame_id`, `sequence_id` ROS 1's `header.seq`) and serialized with
 * the recorded encoding: CDR (`ros2msg`) or the ROS 1 serialization (`ros1msg`, MCAP's `ros1` encoding).
 * Log and publish time are the row's `recording_timestamp_ns`.
 *
 * Imports `@foxglove/rosmsg*`, `toolkit/ros/original.ts` and `png_pool.ts` (type), and this folder.
 *
 * @module
 */
import { parse } from "@foxglove/rosmsg";
import { MessageWriter as Ros1Writer } from "@foxglove/rosmsg-serialization";
import { MessageWriter as Ros2Writer } from "@foxglove/rosmsg2-serialization";
import type { RecordBatch } from "apache-arrow";
import { InvalidArgumentError } from "../../errors.ts";
import type { JsonValue } from "../../model/types.ts";
import { readRosOrigin } from "../ros/original.ts";
import type { PngPool } from "../ros/png_pool.ts";
import { type CellReader, cellReader } from "../../arrow/cells.ts";
import { decodesPng, type Obj, ontologyShape } from "./_ros_shapes.ts";
import type { TopicSource } from "./format.ts";
import type { ChannelEncoding, ChannelMessage } from "./mcap_format.ts";

type Definition = ReturnType<typeof parse>[number];
type DefinitionField = Definition["definitions"][number];

const NS = 1_000_000_000n;
const WIDE = new Set(["int64", "uint64"]);
const BYTES = new Set(["uint8", "int8", "byte", "char"]);

/** The MCAP profile of a file holding these topics: their recorded one when they all share it, else "". */
export function rosProfile(userMetadata: readonly JsonValue[]): string {
  const profiles = new Set(userMetadata.map((m) => readRosOrigin(m)?.profile ?? ""));
  return profiles.size === 1 ? [...profiles][0] : "";
}

/**
 * The channel of a topic imported from ROS, with its original messages; null for any other topic. The
 * PNGs of `sensor_msgs/Image` rows are decoded on `pngs` when given (several at once, off this thread),
 * else here.
 * @throws InvalidArgumentError when the stored definition cannot be parsed.
 */
export function rosChannel(topic: TopicSource, pngs: PngPool | null = null): ChannelEncoding | null {
  const origin = readRosOrigin(topic.userMetadata);
  if (origin === null) return null;
  const ros1 = origin.schemaEncoding === "ros1msg";
  let defs: Definition[];
  let write: (message: Obj) => Uint8Array;
  try {
    defs = parse(origin.definition, { ros2: !ros1 });
    const writer = ros1 ? new Ros1Writer(defs) : new Ros2Writer(defs);
    write = (m) => writer.writeMessage(m);
  } catch (err) {
    throw new InvalidArgumentError(
      `Cannot export "${topic.locator}" as ROS messages: its stored definition of ${origin.type} does not parse`,
      { cause: err },
    );
  }
  const conform = conformer(defs, ros1);
  const images = origin.mapping === "ontology" && decodesPng(origin.type) ? pngs : null;
  const root = defs[0];
  const header = root.definitions.some((f) =>
    f.name === "header" && !f.isArray && /(^|\/)Header$/.test(f.type)
  );
  const serialize = function* (rows: Iterable<Obj>): Iterable<ChannelMessage> {
    for (const row of rows) {
      const logTime = (row.recording_timestamp_ns ?? row.timestamp_ns) as bigint;
      const message = origin.mapping === "ontology"
        ? ontologyShape(origin.type, row, origin.imageFormat)
        : { ...row };
      if (header) message.header = headerOf(row, ros1);
      let data: Uint8Array;
      try {
        data = write(conform(root, message));
      } catch (err) {
        throw new InvalidArgumentError(
          `Cannot export "${topic.locator}" as ${origin.type}: the row at ${row.timestamp_ns} does not fit its ` +
            `definition (${(err as Error).message})`,
          { cause: err },
        );
      }
      yield { logTime, publishTime: logTime, data };
    }
  };
  return {
    schema: {
      name: origin.type,
      encoding: origin.schemaEncoding,
      data: new TextEncoder().encode(origin.definition),
    },
    channel: {
      topic: origin.topic,
      messageEncoding: origin.messageEncoding,
      metadata: new Map(Object.entries(origin.channelMetadata)),
    },
    messages(batch: RecordBatch): Iterable<ChannelMessage> | Promise<Iterable<ChannelMessage>> {
      if (images === null) return serialize(rowsOf(batch));
      const rows = [...rowsOf(batch)];
      return decodeImages(rows, images).then(() => serialize(rows));
    },
  };
}

/** The rows of a batch as objects, column name → cell. */
function* rowsOf(batch: RecordBatch): Iterable<Obj> {
  const names = batch.schema.fields.map((f) => f.name);
  const readers: CellReader[] = batch.data.children.map(cellReader);
  for (let i = 0; i < batch.numRows; i++) {
    const row: Obj = {};
    for (let c = 0; c < names.length; c++) row[names[c]] = readers[c](i);
    yield row;
  }
}

/** Replaces the PNG of each image row by its pixels (`format` becomes `raw`), decoded on `pool`. */
async function decodeImages(rows: Obj[], pool: PngPool): Promise<void> {
  const done: Promise<void>[] = [];
  for (const row of rows) {
    if (row.format !== "png" || !(row.data instanceof Uint8Array)) continue;
    const job = await pool.decode(row.data);
    const decoded = job.result.then((image) => {
      row.data = image.pixels;
      row.format = "raw";
    });
    decoded.catch(() => {});
    done.push(decoded);
  }
  await Promise.all(done);
}

/** `std_msgs/Header` from the envelope columns. */
function headerOf(row: Obj, ros1: boolean): Obj {
  const ns = typeof row.timestamp_ns === "bigint" ? row.timestamp_ns : 0n;
  const sec = ns / NS - (ns % NS < 0n ? 1n : 0n);
  const sub = Number(ns - sec * NS);
  return {
    stamp: ros1 ? { sec: Number(sec), nsec: sub } : { sec: Number(sec), nanosec: sub },
    frame_id: row.frame_id ?? "",
    seq: row.sequence_id ?? 0,
  };
}

/**
 * A function giving a message object every field of its definition expects, from `value`: names
 * matched exactly, else ignoring case (ROS 1 CameraInfo's `D`, `K`…), numbers of the field's kind
 * (bigint only for 64-bit fields, 0/1 for a bool stored in an integer field), times as the serializer
 * wants them. Missing or null values are left out: the serializer writes the definition's default.
 */
function conformer(defs: Definition[], ros1: boolean): (def: Definition, value: unknown) => Obj {
  const byName = new Map<string, Definition>();
  for (const d of defs) if (d.name) byName.set(d.name, d);
  const resolve = (type: string) => {
    const d = byName.get(type) ?? byName.get(type.replace("/msg/", "/"));
    if (!d) throw new Error(`no definition of ${type}`);
    return d;
  };
  const conform = (def: Definition, value: unknown): Obj => {
    const source = value !== null && typeof value === "object" ? value as Obj : {};
    const out: Obj = {};
    for (const f of def.definitions) {
      if (f.isConstant) continue;
      const v = pick(source, f.name);
      if (v === null || v === undefined) continue;
      out[f.name] = f.isComplex
        ? (f.isArray ? (v as unknown[]).map((e) => conform(resolve(f.type), e)) : conform(resolve(f.type), v))
        : primitive(f, v, ros1);
    }
    return out;
  };
  return conform;
}

function pick(source: Obj, name: string): unknown {
  if (name in source) return source[name];
  const lower = name.toLowerCase();
  for (const key of Object.keys(source)) if (key.toLowerCase() === lower) return source[key];
  return undefined;
}

function primitive(f: DefinitionField, v: unknown, ros1: boolean): unknown {
  if (f.isArray) {
    if (v instanceof Uint8Array && BYTES.has(f.type)) return v;
    return Array.from(v as ArrayLike<unknown>, (e) => scalar(f.type, e, ros1));
  }
  return scalar(f.type, v, ros1);
}

function scalar(type: string, v: unknown, ros1: boolean): unknown {
  if (v === null || v === undefined) return undefined;
  if (type === "time" || type === "duration") {
    const t = v as Obj;
    const sec = Number(t.sec ?? t.secs ?? 0);
    const nanosec = Number(t.nanosec ?? t.nsec ?? t.nsecs ?? 0);
    return ros1 ? { sec, nsec: nanosec } : { sec, nanosec };
  }
  if (type === "string" || type === "wstring") return String(v);
  if (type === "bool") return typeof v === "boolean" ? v : Number(v) !== 0;
  if (WIDE.has(type)) return typeof v === "bigint" ? v : BigInt(Math.trunc(Number(v)));
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "boolean") return v ? 1 : 0;
  return v;
}
