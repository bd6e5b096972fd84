/**
 * The Flight RPC handlers: decode the request once, call one domain function, encode the answer.
 * No SQL, no store access and no Arrow internals here; those live below `flight/`.
 *
 * Three SDK generations share the port (2026 protocol, section 15; 0.7 delta, section 6): each call goes
 * to the 0.1.0 adapter (this folder) or the 2026-line one (`v2026/`, with what only SDK 0.6/0.7 has in
 * `v07/`) as its request shows (`v2026/route.ts`), and every call that shows something teaches the
 * connection's dialect (`dialect.ts`). Where SDK 0.4 and 0.6/0.7 need different answers to the same
 * request (`session_create`, sequence sessions, schema metadata), the connection's dialect decides; a
 * `query` that shows nothing is answered in that dialect, else in the configured default (2026 unless
 * `--query-default-dialect v1`).
 *
 * @module
 */
import { InvalidArgumentError, UnimplementedError } from "../errors.ts";
import { DEFAULT_LOCATOR_LIMITS, type LocatorLimits } from "../model/locator.ts";
import { type LifecycleDeps, listSequences } from "../lifecycle/mod.ts";
import type { IngestDeps } from "../ingest/mod.ts";
import { DEFAULT_TARGET_BATCH_BYTES, type ReadDeps } from "../read/mod.ts";
import type { QueryDeps } from "../query/run.ts";
import { resolveQueryDialect } from "../query/dialect.ts";
import {
  decodeAction,
  decodeBytesMessage,
  decodeDescriptor,
  encodeBytesMessage,
  encodeFlightInfo,
} from "./messages.ts";
import type { CallContext, FlightHandlers } from "./server.ts";
import { type ActionLimits, DEFAULT_ACTION_LIMITS, encodeActionResult, parseAction } from "./actions.ts";
import { authorizeAction } from "./auth.ts";
import { type ConnectionDialect, DialectMemory, type DialectProof } from "./dialect.ts";
import { decodeJsonObject } from "./_json_fields.ts";
import { dispatchAction } from "./do_action.ts";
import { doGet } from "./do_get.ts";
import { doPut, type PutCommandParser } from "./do_put.ts";
import { getFlightInfo } from "./flight_info.ts";
import { parsePutCommand } from "./put_command.ts";
import { parseTicket } from "./ticket.ts";
import { encodeActionResult2026, parseAction2026 } from "./v2026/actions.ts";
import { parsePutCommand2026 } from "./v2026/commands.ts";
import { runAction2026 } from "./v2026/do_action.ts";
import { getFlightInfo2026 } from "./v2026/flight_info.ts";
import { infoDialect, putDialect, routeAction, ticketDialect } from "./v2026/route.ts";
import { isActionName07, parseAction07 } from "./v07/actions.ts";
import { type MessageLimits, runAction07 } from "./v07/do_action.ts";
import { getSchema07 } from "./v07/get_schema.ts";

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

/** The config defaults: 64 MiB messages both ways, 4 MiB read batches. */
export const DEFAULT_MESSAGE_LIMITS: MessageLimits = Object.freeze({
  maxDecodeBytes: 64 * 1024 * 1024,
  maxEncodeBytes: 64 * 1024 * 1024,
  targetEncodeBytes: DEFAULT_TARGET_BATCH_BYTES,
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

/** How the handlers behave beyond the domain. */
export interface FlightHandlersOptions {
  limits?: RequestLimits;
  /**
   * The answer shape of a `query` whose body and connection prove no dialect (`--query-default-dialect`):
   * 2026 by default (the current SDK), `v1` for fleets of 0.1.0 clients.
   */
  queryDefaultDialect?: "v1" | "v2026";
  /** What each connection proved (default: a fresh memory of 4096 connections). */
  dialects?: DialectMemory;
  /**
   * The gRPC message sizes the server is started with (`--max-message-bytes`, `--read-batch-bytes`),
   * which `info` reports: SDK 0.7 sizes its uploads from them. Default {@link DEFAULT_MESSAGE_LIMITS}.
   */
  messageLimits?: MessageLimits;
}

/** Builds the handlers over a domain implementation. */
export function createFlightHandlers(domain: FlightDomain, opts: FlightHandlersOptions = {}): FlightHandlers {
  const limits = requestLimits(opts.limits ?? DEFAULT_REQUEST_LIMITS);
  const dialects = opts.dialects ?? new DialectMemory();
  const queryDefault = opts.queryDefaultDialect ?? "v2026";
  const messageLimits = opts.messageLimits ?? DEFAULT_MESSAGE_LIMITS;
  /** Records what the call showed (null: nothing); returns what the connection has proved so far. */
  const learn = (ctx: CallContext, proof: DialectProof | null): ConnectionDialect | null =>
    proof === null ? dialects.connection(ctx.connection) : dialects.learn(ctx.connection, proof);
  const parsePut = (ctx: CallContext): PutCommandParser => (descriptor, parseOpts) => {
    const proof = putDialect(descriptor);
    learn(ctx, proof);
    return proof === "2026-line"
      ? parsePutCommand2026(descriptor, parseOpts)
      : parsePutCommand(descriptor, parseOpts);
  };
  /** The Result bodies of one action, in order (one, except for the clustering actions of SDK 0.6+). */
  const action = async (req: Uint8Array, ctx: CallContext): Promise<Uint8Array[]> => {
    const { type, body } = decodeAction(req);
    const json = { maxBytes: limits.action.maxBodyBytes, maxDepth: limits.action.maxJsonDepth };
    const route = routeAction(type, body, json);
    const connection = learn(ctx, route === "neutral" ? null : route)?.dialect ?? null;
    // A query is read in the dialect its body shows, else the connection's, else the default.
    const dialect = type === "query"
      ? resolveQueryDialect(
        decodeJsonObject(body, { what: "query request", part: "body" }, json),
        connection,
        queryDefault,
      )
      : connection ?? queryDefault;
    // Parse, then check the permission, then run (2026 protocol, 11.2).
    if (dialect === "v1") {
      const request = parseAction(type, body, limits.action);
      authorizeAction(ctx, "v1", request.action);
      return [encodeActionResult(request.action, await dispatchAction(domain, request))];
    }
    if (isActionName07(type)) {
      const request = parseAction07(type, body, limits.action);
      authorizeAction(ctx, "v07", request.action);
      return await runAction07(domain.query, request, { limits: messageLimits });
    }
    const request = parseAction2026(type, body, limits.action);
    authorizeAction(ctx, dialect, request.action);
    const response = await runAction2026(domain, request, { dialect });
    return [encodeActionResult2026(request.action, response)];
  };
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
    GetFlightInfo: async (req: Uint8Array, ctx: CallContext) => {
      const descriptor = decodeDescriptor(req);
      const proof = infoDialect(descriptor);
      const connection = learn(ctx, proof);
      return proof === "2026-line"
        ? await getFlightInfo2026(domain, descriptor, {
          limits: limits.locator,
          connection,
          signal: ctx.signal,
        })
        : await getFlightInfo(domain.lifecycle, req, { limits: limits.locator });
    },
    PollFlightInfo: () => Promise.resolve(unimplemented("PollFlightInfo")),
    GetSchema: async (req: Uint8Array, ctx: CallContext) => {
      const descriptor = decodeDescriptor(req);
      learn(ctx, "v07"); // only SDK 0.7 calls it (B3)
      return await getSchema07(domain.lifecycle, descriptor, { limits: limits.locator });
    },
    async *DoGet(req: Uint8Array, ctx: CallContext) {
      const ticket = parseTicket(decodeBytesMessage(req), { limits: limits.locator });
      const connection = learn(ctx, ticketDialect(ticket));
      // Parses it again: tickets are small.
      yield* doGet(domain.read, req, ctx, { limits: limits.locator, connection });
    },
    // deno-lint-ignore require-yield
    async *DoPut(reqs: AsyncIterable<Uint8Array>, ctx: CallContext) {
      // The reply is an empty PutResult stream.
      await doPut(domain.ingest, reqs, ctx, {
        limits: { locator: limits.locator },
        parseCommand: parsePut(ctx),
      });
    },
    // deno-lint-ignore require-yield
    async *DoExchange() {
      unimplemented("DoExchange");
    },
    async *DoAction(req: Uint8Array, ctx: CallContext) {
      for (const result of await action(req, ctx)) yield encodeBytesMessage(result);
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
