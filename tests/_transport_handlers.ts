/**
 * A fake-work `FlightHandlers` set that measures the transport alone (`deno task bench --sections
 * transport`): no catalog, no store, no Parquet. Used only by the bench and tests; never by the daemon.
 *
 * - DoPut with the path descriptor `["sink", …]` reads every message, counts the rows from the IPC header
 *   (no body is touched) and drops it; its one PutResult says `{"rows", "messages", "bytes"}`.
 * - DoPut with `["pool"]` keeps the uploaded messages, pre-framed for gRPC (one copy, once).
 * - DoGet of the ticket `{"repeat": n}` sends the pool's schema, then its record batches n times, as the
 *   same pre-framed buffers every time (the data path of a real DoGet without the reading).
 * - ListFlights answers nothing (pyarrow's `wait_for_available` calls it); the rest is UNIMPLEMENTED.
 *
 * Imports only the Flight codecs and the handler types of src/flight/.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { decodeIpcHeader } from "../src/arrow/ipc.ts";
import { InvalidArgumentError, UnimplementedError } from "../src/errors.ts";
import { decodeFlightData, FramedMessage } from "../src/flight/flight_data.ts";
import { decodeBytesMessage, encodeBytesMessage } from "../src/flight/messages.ts";
import type { FlightHandlers } from "../src/flight/server.ts";
import type { ResponseMessage } from "../src/flight/service_def.ts";

/** What a sink upload saw. */
export interface SinkCount {
  rows: number;
  messages: number;
  /** Bytes of the FlightData messages (protobuf), prefixes excluded. */
  bytes: number;
}

/** The bench's handler set; each call of this function has its own pool. */
export function transportBenchHandlers(): FlightHandlers {
  let pool: { schema: FramedMessage; batches: FramedMessage[] } | null = null;
  const unimplemented = (name: string) => (): Promise<ResponseMessage> =>
    Promise.reject(new UnimplementedError(`${name} is not part of the transport bench`));
  const unimplementedStream = (name: string) =>
    async function* (): AsyncIterable<ResponseMessage> {
      yield* [];
      throw new UnimplementedError(`${name} is not part of the transport bench`);
    };
  return {
    Handshake: unimplementedStream("Handshake"),
    ListFlights: async function* () {},
    GetFlightInfo: unimplemented("GetFlightInfo"),
    PollFlightInfo: unimplemented("PollFlightInfo"),
    GetSchema: unimplemented("GetSchema"),
    DoExchange: unimplementedStream("DoExchange"),
    DoAction: unimplementedStream("DoAction"),
    ListActions: async function* () {},
    async *DoPut(reqs) {
      const it = reqs[Symbol.asyncIterator]();
      const first = await it.next();
      if (first.done) throw new InvalidArgumentError("Cannot upload nothing: no first message");
      const kind = decodeFlightData(first.value).descriptor?.path[0];
      const rest = { [Symbol.asyncIterator]: () => it };
      if (kind === "pool") {
        const batches: FramedMessage[] = [];
        for await (const msg of rest) batches.push(framed(msg));
        pool = { schema: framed(first.value), batches };
        yield encodeBytesMessage(json({ messages: batches.length + 1 }));
      } else if (kind === "sink") {
        const count: SinkCount = { rows: 0, messages: 1, bytes: first.value.length };
        for await (const msg of rest) {
          count.messages++;
          count.bytes += msg.length;
          const head = decodeIpcHeader(decodeFlightData(msg).header);
          if (head.kind === "record_batch") count.rows += head.header.length;
        }
        yield encodeBytesMessage(json(count));
      } else {
        throw new InvalidArgumentError(`Cannot upload to "${kind}": expected the path "sink" or "pool"`);
      }
    },
    async *DoGet(req) {
      const ticket = JSON.parse(new TextDecoder().decode(decodeBytesMessage(req)));
      const repeat = Number(ticket.repeat);
      if (!Number.isSafeInteger(repeat) || repeat < 0) {
        throw new InvalidArgumentError(`Cannot send ${ticket.repeat} repeats`);
      }
      if (!pool) throw new InvalidArgumentError("Cannot send the pool before it is uploaded");
      yield pool.schema;
      for (let i = 0; i < repeat; i++) yield* pool.batches;
    },
  };
}

/** The message with its 5-byte gRPC prefix, in a buffer of its own. */
function framed(message: Uint8Array): FramedMessage {
  const out = Buffer.allocUnsafe(5 + message.length);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return new FramedMessage(out);
}

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
