/**
 * The Flight control messages (everything but FlightData) as typed values, with their protobuf codecs.
 * Field numbers follow `proto/Flight.proto`. Bytes fields decode as zero-copy subarrays.
 *
 * @module
 */
import { LEN, PbReader, PbWriter, ProtobufError, VARINT } from "./_pb.ts";

export { ProtobufError };

export type DescriptorType = "unknown" | "path" | "cmd";

export interface FlightDescriptor {
  type: DescriptorType;
  cmd: Uint8Array;
  path: string[];
}

export interface FlightEndpoint {
  ticket: Uint8Array;
  locations: string[];
  appMetadata?: Uint8Array;
}

export interface FlightInfo {
  /** Encapsulated IPC schema message, or empty. */
  schema: Uint8Array;
  descriptor: FlightDescriptor | null;
  endpoints: FlightEndpoint[];
  totalRecords: bigint;
  totalBytes: bigint;
  ordered: boolean;
  appMetadata?: Uint8Array;
}

export interface Action {
  type: string;
  body: Uint8Array;
}

const DESCRIPTOR_TYPES: DescriptorType[] = ["unknown", "path", "cmd"];

/** Decodes a FlightDescriptor (GetFlightInfo, GetSchema, PollFlightInfo requests; DoPut's first message). */
export function decodeDescriptor(buf: Uint8Array, start = 0, end = buf.length): FlightDescriptor {
  const r = new PbReader(buf, start, end);
  const out: FlightDescriptor = { type: "unknown", cmd: new Uint8Array(0), path: [] };
  while (!r.done()) {
    const [field, wt] = r.tag();
    if (field === 1) {
      r.expect(field, wt, VARINT);
      const t = r.varint();
      if (t > 2) throw new ProtobufError(`unknown descriptor type ${t}`);
      out.type = DESCRIPTOR_TYPES[t];
    } else if (field === 2) {
      r.expect(field, wt, LEN);
      out.cmd = r.bytes();
    } else if (field === 3) {
      r.expect(field, wt, LEN);
      out.path.push(r.string());
    } else r.skip(wt);
  }
  return out;
}

export function encodeDescriptor(d: FlightDescriptor): Uint8Array {
  const w = new PbWriter().uintField(1, DESCRIPTOR_TYPES.indexOf(d.type)).bytesField(2, d.cmd);
  for (const p of d.path) w.repeatedString(3, p);
  return w.finish();
}

/** Decodes a message made of a single bytes field 1 (Ticket, Criteria, Result, PutResult, SchemaResult). */
export function decodeBytesMessage(buf: Uint8Array): Uint8Array {
  const r = new PbReader(buf);
  let out: Uint8Array = new Uint8Array(0);
  while (!r.done()) {
    const [field, wt] = r.tag();
    if (field === 1) {
      r.expect(field, wt, LEN);
      out = r.bytes();
    } else r.skip(wt);
  }
  return out;
}

/** Encodes a message made of a single bytes field 1 (Ticket, Criteria, Result, PutResult, SchemaResult). */
export function encodeBytesMessage(value: Uint8Array): Uint8Array {
  return new PbWriter().bytesField(1, value).finish();
}

export function decodeAction(buf: Uint8Array): Action {
  const r = new PbReader(buf);
  const out: Action = { type: "", body: new Uint8Array(0) };
  while (!r.done()) {
    const [field, wt] = r.tag();
    if (field === 1) {
      r.expect(field, wt, LEN);
      out.type = r.string();
    } else if (field === 2) {
      r.expect(field, wt, LEN);
      out.body = r.bytes();
    } else r.skip(wt);
  }
  return out;
}

export function encodeAction(a: Action): Uint8Array {
  return new PbWriter().stringField(1, a.type).bytesField(2, a.body).finish();
}

export function encodeActionType(type: string, description: string): Uint8Array {
  return new PbWriter().stringField(1, type).stringField(2, description).finish();
}

export function encodeEndpoint(e: FlightEndpoint): Uint8Array {
  const w = new PbWriter().messageField(1, encodeBytesMessage(e.ticket));
  for (const uri of e.locations) w.messageField(2, new PbWriter().stringField(1, uri).finish());
  return w.bytesField(4, e.appMetadata).finish();
}

export function encodeFlightInfo(info: FlightInfo): Uint8Array {
  const w = new PbWriter().bytesField(1, info.schema);
  if (info.descriptor) w.messageField(2, encodeDescriptor(info.descriptor));
  for (const e of info.endpoints) w.messageField(3, encodeEndpoint(e));
  return w.int64Field(4, info.totalRecords)
    .int64Field(5, info.totalBytes)
    .boolField(6, info.ordered)
    .bytesField(7, info.appMetadata)
    .finish();
}

/** Decodes a FlightInfo (used by tests and tools that act as clients). */
export function decodeFlightInfo(buf: Uint8Array): FlightInfo {
  const r = new PbReader(buf);
  const out: FlightInfo = {
    schema: new Uint8Array(0),
    descriptor: null,
    endpoints: [],
    totalRecords: 0n,
    totalBytes: 0n,
    ordered: false,
  };
  while (!r.done()) {
    const [field, wt] = r.tag();
    if (field === 1 && wt === LEN) out.schema = r.bytes();
    else if (field === 2 && wt === LEN) {
      const b = r.bytes();
      out.descriptor = decodeDescriptor(b);
    } else if (field === 3 && wt === LEN) out.endpoints.push(decodeEndpoint(r.bytes()));
    else if (field === 4 && wt === VARINT) out.totalRecords = r.int64();
    else if (field === 5 && wt === VARINT) out.totalBytes = r.int64();
    else if (field === 6 && wt === VARINT) out.ordered = r.varint() !== 0;
    else if (field === 7 && wt === LEN) out.appMetadata = r.bytes();
    else r.skip(wt);
  }
  return out;
}

function decodeEndpoint(buf: Uint8Array): FlightEndpoint {
  const r = new PbReader(buf);
  const out: FlightEndpoint = { ticket: new Uint8Array(0), locations: [] };
  while (!r.done()) {
    const [field, wt] = r.tag();
    if (field === 1 && wt === LEN) out.ticket = decodeBytesMessage(r.bytes());
    else if (field === 2 && wt === LEN) {
      const loc = new PbReader(r.bytes());
      while (!loc.done()) {
        const [f, t] = loc.tag();
        if (f === 1 && t === LEN) out.locations.push(loc.string());
        else loc.skip(t);
      }
    } else if (field === 4 && wt === LEN) out.appMetadata = r.bytes();
    else r.skip(wt);
  }
  return out;
}
