/**
 * Arrow Flight calls, typed, over one {@link FlightChannel}: ListFlights, GetFlightInfo, GetSchema,
 * DoAction, DoGet (record batches as they arrive) and DoPut (a schema and a stream of record batches).
 * Every message goes through the server's own codecs (`flight/messages.ts`, `flight/flight_data.ts`,
 * `arrow/ipc.ts`). Knows nothing of the Mosaico protocol: that is `mosaico.ts`.
 *
 * @module
 */
import type { RecordBatch, Schema } from "apache-arrow";
import { decodeEncapsulatedSchema, encodeRecordBatchMessage, encodeSchemaMessage } from "../arrow/ipc.ts";
import { encodeFlightData } from "../flight/flight_data.ts";
import {
  decodeBytesMessage,
  decodeFlightInfo,
  encodeAction,
  encodeBytesMessage,
  encodeDescriptor,
  type FlightDescriptor,
  type FlightInfo,
} from "../flight/messages.ts";
import { type CallOptions, type ChannelOptions, FlightChannel } from "./channel.ts";
import { ClientError, GrpcCode } from "./errors.ts";
import { FlightReader } from "./reader.ts";
import { parseServerUrl, type ServerAddress } from "./url.ts";

export type { FlightDescriptor, FlightInfo };

const utf8 = new TextEncoder();

/** A CMD descriptor holding `command` (JSON text of a value, or bytes as given). */
export function commandDescriptor(command: unknown): FlightDescriptor {
  const cmd = command instanceof Uint8Array
    ? command
    : utf8.encode(typeof command === "string" ? command : JSON.stringify(command));
  return { type: "cmd", cmd, path: [] };
}

/** A PATH descriptor. */
export function pathDescriptor(...path: string[]): FlightDescriptor {
  return { type: "path", cmd: new Uint8Array(0), path };
}

/** Where DoPut reports its progress. */
export interface PutProgress {
  /** Called after each batch was handed to the transport. */
  onBatch?: (rows: number, bytes: number) => void;
}

/** An Arrow Flight client. Close it when done (`using`). */
export class FlightClient implements Disposable {
  /** The raw calls (protobuf bytes in and out), for what the typed calls cannot express. */
  readonly raw: FlightChannel;

  /** Connects lazily: the first call opens the connection. */
  constructor(server: string | ServerAddress, options: ChannelOptions = {}) {
    this.raw = new FlightChannel(typeof server === "string" ? parseServerUrl(server) : server, options);
  }

  /** The server this client calls. */
  get address(): ServerAddress {
    return this.raw.address;
  }

  /** Every FlightInfo ListFlights answers (`criteria` as bytes; none by default). @throws ClientError */
  async listFlights(criteria: Uint8Array = new Uint8Array(0), opts: CallOptions = {}): Promise<FlightInfo[]> {
    const request = criteria.length === 0 ? new Uint8Array(0) : encodeBytesMessage(criteria);
    const answers = await this.raw.serverStream("ListFlights", request, opts).all();
    return answers.map((a) => decode("FlightInfo", () => decodeFlightInfo(a)));
  }

  /** GetFlightInfo. @throws ClientError */
  async getFlightInfo(descriptor: FlightDescriptor, opts: CallOptions = {}): Promise<FlightInfo> {
    const answer = await this.raw.unary("GetFlightInfo", encodeDescriptor(descriptor), opts);
    return decode("FlightInfo", () => decodeFlightInfo(answer));
  }

  /** GetSchema: the schema of what `descriptor` names. @throws ClientError */
  async getSchema(descriptor: FlightDescriptor, opts: CallOptions = {}): Promise<Schema> {
    const answer = await this.raw.unary("GetSchema", encodeDescriptor(descriptor), opts);
    return decode("SchemaResult", () => decodeEncapsulatedSchema(decodeBytesMessage(answer)));
  }

  /** DoAction: the body of every Result, in order. @throws ClientError */
  async doAction(type: string, body: Uint8Array, opts: CallOptions = {}): Promise<Uint8Array[]> {
    const answers = await this.raw.serverStream("DoAction", encodeAction({ type, body }), opts).all();
    return answers.map((a) => decode("Result", () => decodeBytesMessage(a)));
  }

  /** DoGet: the stream of one ticket; iterate it for its record batches. */
  doGet(ticket: Uint8Array, opts: CallOptions = {}): FlightReader {
    return new FlightReader(this.raw.serverStream("DoGet", encodeBytesMessage(ticket), opts));
  }

  /**
   * DoPut: sends `schema` with `descriptor`, then every batch, half-closes, and returns the
   * `app_metadata` of each PutResult. Stops sending at once when the server ends the call.
   * @throws ClientError with the server's status.
   */
  async doPut(
    descriptor: FlightDescriptor,
    schema: Schema,
    batches: Iterable<RecordBatch> | AsyncIterable<RecordBatch>,
    opts: CallOptions & PutProgress = {},
  ): Promise<Uint8Array[]> {
    using call = this.raw.bidi("DoPut", opts);
    await call.write(encodeFlightData(encodeSchemaMessage(schema), { descriptor }));
    for await (const batch of batches) {
      if (call.responses.ended) break;
      const message = encodeRecordBatchMessage(batch);
      await call.write(encodeFlightData(message));
      opts.onBatch?.(batch.numRows, message.bodyLength);
    }
    call.end();
    const answers = await call.responses.all();
    return answers.map((a) => decode("PutResult", () => decodeBytesMessage(a)));
  }

  /** Closes the connection. */
  close(): void {
    this.raw.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** Runs a decoder over a server's answer; a failure is a ClientError naming the message. */
function decode<T>(what: string, decoder: () => T): T {
  try {
    return decoder();
  } catch (err) {
    throw new ClientError(
      GrpcCode.INTERNAL,
      `Cannot decode the server's ${what}: ${err instanceof Error ? err.message : err}`,
      { cause: err },
    );
  }
}
