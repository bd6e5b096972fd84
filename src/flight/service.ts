/**
 * The Flight RPC handlers: decode the request once, call one domain function, encode the answer.
 * No SQL, no store access and no Arrow internals here; those live below `flight/`.
 *
 * @module
 */
import { InvalidArgumentError, UnimplementedError } from "../errors.ts";
import { DEFAULT_LOCATOR_LIMITS, type LocatorLimits } from "../model/locator.ts";
import { type LifecycleDeps, listSequences } from "../lifecycle/mod.ts";
import type { IngestDeps } from "../ingest/mod.ts";
import type { ReadDeps } from "../read/mod.ts";
import type { QueryDeps } from "../query/run.ts";
import { decodeBytesMessage, encodeFlightInfo } from "./messages.ts";
import type { CallContext, FlightHandlers } from "./server.ts";
import { type ActionLimits, DEFAULT_ACTION_LIMITS } from "./actions.ts";
import { doAction } from "./do_action.ts";
import { doGet } from "./do_get.ts";
import { doPut } from "./do_put.ts";
import { getFlightInfo } from "./flight_info.ts";

/** What the Flight layer needs from the domain: the dependencies of each part. */
export interface FlightDomain {
  lifecycle: LifecycleDeps;
  ingest: IngestDeps;
  read: ReadDeps;
  query: QueryDeps;
}

/** What one request may carry (`--max-metadata-bytes`, `--max-name-bytes`). */
export interface RequestLimits {
  /** Largest `user_metadata`, in bytes of compact JSON (RESOURCE_EXHAUSTED beyond). */
  readonly maxMetadataBytes: number;
  /** Longest name, in UTF-8 bytes; a `/`-separated segment is also at most 255 (INVALID_ARGUMENT beyond). */
  readonly maxNameBytes: number;
}

/** 1 MiB of metadata, 512-byte names. */
export const DEFAULT_REQUEST_LIMITS: RequestLimits = Object.freeze({
  maxMetadataBytes: DEFAULT_ACTION_LIMITS.maxMetadataBytes,
  maxNameBytes: DEFAULT_LOCATOR_LIMITS.maxBytes,
});

/** Room an action body needs next to its metadata (names, keys, JSON punctuation). */
const BODY_OVERHEAD_BYTES = 64 * 1024;

/** The locator and action-body limits that follow from the request limits. */
export function requestLimits(limits: RequestLimits): { locator: LocatorLimits; action: ActionLimits } {
  const locator = Object.freeze({
    maxBytes: limits.maxNameBytes,
    maxSegmentBytes: Math.min(DEFAULT_LOCATOR_LIMITS.maxSegmentBytes, limits.maxNameBytes),
  });
  const action = Object.freeze({
    ...DEFAULT_ACTION_LIMITS,
    // A body can always carry the largest metadata allowed, and is never limited below the default.
    maxBodyBytes: Math.max(DEFAULT_ACTION_LIMITS.maxBodyBytes, limits.maxMetadataBytes + BODY_OVERHEAD_BYTES),
    maxMetadataBytes: limits.maxMetadataBytes,
    locator,
  });
  return { locator, action };
}

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

function unimplemented(rpc: string): never {
  throw new UnimplementedError(`${rpc} is not implemented by mosaicod`);
}

/** Builds the handlers over a domain implementation. */
export function createFlightHandlers(
  domain: FlightDomain,
  opts: { limits?: RequestLimits } = {},
): FlightHandlers {
  const limits = requestLimits(opts.limits ?? DEFAULT_REQUEST_LIMITS);
  return {
    // deno-lint-ignore require-yield
    async *Handshake(_reqs: AsyncIterable<Uint8Array>, _ctx: CallContext) {
      unimplemented("Handshake");
    },
    async *ListFlights(req: Uint8Array) {
      const expression = decodeText(decodeBytesMessage(req), "criteria expression");
      if (expression.trim() !== "" && expression.trim() !== "/") {
        throw new InvalidArgumentError(
          `Cannot list flights for criteria "${expression}": only an empty criteria (or "/") is supported`,
        );
      }
      for (const seq of await listSequences(domain.lifecycle)) {
        yield encodeFlightInfo({
          schema: new Uint8Array(0),
          descriptor: { type: "path", cmd: new Uint8Array(0), path: [seq.name] },
          endpoints: [{ ticket: utf8.encode(seq.name), locations: [] }],
          totalRecords: -1n,
          totalBytes: -1n,
          ordered: false,
        });
      }
    },
    GetFlightInfo: (req: Uint8Array) => getFlightInfo(domain.lifecycle, req, { limits: limits.locator }),
    PollFlightInfo: () => Promise.resolve(unimplemented("PollFlightInfo")),
    GetSchema: () => Promise.resolve(unimplemented("GetSchema")),
    DoGet: (req: Uint8Array, ctx: CallContext) => doGet(domain.read, req, ctx, { limits: limits.locator }),
    // deno-lint-ignore require-yield
    async *DoPut(reqs: AsyncIterable<Uint8Array>, ctx: CallContext) {
      // The reply is an empty PutResult stream.
      await doPut(domain.ingest, reqs, ctx, { limits: { locator: limits.locator } });
    },
    // deno-lint-ignore require-yield
    async *DoExchange() {
      unimplemented("DoExchange");
    },
    async *DoAction(req: Uint8Array) {
      yield await doAction(domain, req, { limits: limits.action });
    },
    // deno-lint-ignore require-yield
    async *ListActions() {
      unimplemented("ListActions");
    },
  };
}

function decodeText(bytes: Uint8Array, what: string): string {
  try {
    return utf8Decoder.decode(bytes);
  } catch (err) {
    throw new InvalidArgumentError(`Cannot read ${what}: not valid UTF-8`, { cause: err });
  }
}
